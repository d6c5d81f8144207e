"""What every console page shares: the signed-in user's scope, the field
database and its derived index, the audit log, times and pagination.

A supervisor's scope is the grids of their communities; an admin's is every
grid (``None``). Every query of the index is narrowed to the scope, and
every single document a page shows or changes is checked against it first:
outside the scope answers 404, so another community's data does not even
show that it exists.
"""

import math
from datetime import datetime
from urllib.parse import urlencode

from flask import current_app, g, request, url_for
from flask_login import current_user

from rules import ids
from rules.scope import visible
from sync.errors import NotFound

from .index import ConsoleIndex
from .times import parse_offset
from server.services import services


def make_index(app):
    """The field database's derived index for ``app`` (see :mod:`.index`)."""
    tz = parse_offset(app.config["CONSOLE_TIMEZONE"])
    path = f"{app.config['DATA_DIR']}/console/{app.config['FIELD_DB']}.sqlite"
    return ConsoleIndex(path, tz)


def tz():
    """The console's time zone (``CONSOLE_TIMEZONE``)."""
    return services().console_index.tz


def field_db():
    """The field database, or None before it was created."""
    try:
        return services().store.get(current_app.config["FIELD_DB"])
    except NotFound:
        return None


def index():
    """A connection to the derived index, brought up to date once per request."""
    idx = services().console_index
    if not g.get("console_fresh"):
        db = field_db()
        if db is not None:
            idx.refresh(db)
        else:
            idx.clear()
        g.console_fresh = True
    return idx.conn()


def scope():
    """The grid ids the signed-in user may see; None for every grid."""
    if "console_scope" not in g:
        g.console_scope = services().directory.grids_of(current_user)
    return g.console_scope


def narrowed(wanted=None):
    """The grids to query: the scope, narrowed to ``wanted`` when given.

    None means every grid; an empty set means none (a grid outside the
    scope was asked for).
    """
    grids = scope()
    if not wanted:
        return grids
    if grids is None:
        return frozenset([wanted])
    return frozenset([wanted]) & grids


def grid_clause(column, grids, args):
    """A SQL condition keeping ``column`` within ``grids`` (appends to ``args``)."""
    if grids is None:
        return "1"
    if not grids:
        return "0"
    args.extend(sorted(grids))
    return f"{column} IN ({','.join('?' * len(grids))})"


def check_doc(doc_id, kind=None):
    """``doc_id``'s grid if the user may see it.

    :raises NotFound: for another community's document, or a malformed id.
    """
    parsed = ids.parse(doc_id)
    if parsed is None or not visible(scope(), doc_id, kind):
        raise NotFound("not found, or outside your communities")
    return parsed[1]


def grids_in_scope():
    """The grids the user sees, as dicts with names (for filters and tables)."""
    grids = scope()
    return [grid for grid in services().directory.grids() if grids is None or grid["id"] in grids]


def people_for_grid(grid):
    """``{name: display name}`` of the active workers and supervisors who can
    see ``grid``'s documents: the only possible assignees of its requests."""
    return services().directory.people_for_grid(grid)


def workers_in_scope():
    """``[(name, display name)]`` of the workers the signed-in user oversees."""
    return [(user.name, user.display_name or user.name)
            for user in services().directory.workers_overseen(current_user)]


def display_names():
    """Account name → display name, for every account."""
    if "console_names" not in g:
        g.console_names = {u.name: u.display_name or u.name for u in services().accounts.list()}
    return g.console_names


def audit(action, target=None, **detail):
    """Record an action of the signed-in user in the audit log."""
    services().audit.record(current_user.name, current_user.role, action, target, detail,
                        request.remote_addr)


def looked(action, household=None, **detail):
    """Record in the access log that the signed-in user saw personal data."""
    from server.accounts.accesslog import access_log
    access_log(services().serverdb).record(current_user.name, current_user.role, action,
                                           household, detail, request.remote_addr)


def now_iso():
    """The current time as ISO 8601 in the console's time zone."""
    return datetime.now(tz()).isoformat(timespec="seconds")


def fmt_time(at, seconds=False):
    """Epoch seconds (or an ISO string) as local ``YYYY-MM-DD HH:MM``."""
    if at is None or at == "":
        return ""
    if isinstance(at, str):
        try:
            moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            return at
        if moment.tzinfo is not None:
            moment = moment.astimezone(tz())
    else:
        moment = datetime.fromtimestamp(at, tz())
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def fmt_duration(seconds):
    """A duration as ``2天3小时`` / ``2d 3h``-style short text (no sign)."""
    from .i18n import lang
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    zh = lang() == "zh"
    units = (("天", "d"), ("小时", "h"), ("分", "m"))
    parts = [(days, units[0]), (hours, units[1]), (minutes, units[2])]
    shown = [f"{n}{u[0] if zh else u[1]}" for n, u in parts if n][:2]
    if not shown:
        return "0分" if zh else "0m"
    return "".join(shown) if zh else " ".join(shown)


class Pager:
    """One page of a listing: ``page`` (1-based), ``size``, ``total``."""

    def __init__(self, total, size=None):
        self.size = size or current_app.config["CONSOLE_PAGE_SIZE"]
        self.total = total
        self.pages = max(1, math.ceil(total / self.size))
        try:
            page = int(request.args.get("page", "1"))
        except ValueError:
            page = 1
        self.page = min(max(page, 1), self.pages)
        self.offset = (self.page - 1) * self.size

    def url(self, page):
        """This page's URL with another page number, filters kept."""
        args = {k: v for k, v in request.args.items() if k != "page" and v}
        args["page"] = page
        return f"{request.path}?{urlencode(args)}"


def safe_next(target, default="console.dashboard.dashboard"):
    """``target`` if it is a path inside the console, else the default page."""
    if isinstance(target, str) and target.startswith("/console") and "//" not in target \
            and "\\" not in target:
        return target
    return url_for(default)
