"""The access log page (访问记录), for admins: who opened which household's
personal details, revealed a masked number, or exported what with which
filters; filtered by who, what, when and household."""

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from sync.errors import BadRequest, Forbidden

from .auditlog import day_span
from .common import Pager, display_names
from .i18n import t
from server.accounts.accesslog import ACTIONS, access_log
from server.services import services

bp = Blueprint("access", __name__)


@bp.get("/access")
def log():
    """Looks at personal data newest first, filtered by who, what, when and household.

    :raises Forbidden: for anyone but an admin.
    :raises BadRequest: for an unknown action or a date that is not year-month-day.
    """
    if not current_user.is_admin:
        raise Forbidden(t("error.forbidden"))
    f = {key: request.args.get(key, "").strip()[:length]
         for key, length in (("user", 64), ("action", 20), ("household", 200),
                             ("since", 10), ("until", 10))}
    if f["action"] and f["action"] not in ACTIONS:
        raise BadRequest(f"{t('access.action')}: {t('access.bad_action')} "
                         f"({', '.join(ACTIONS)})")
    since, until = day_span(f["since"], f["until"])
    filters = {"user": f["user"] or None, "action": f["action"] or None,
               "household": f["household"] or None, "since": since, "until": until}
    log_ = access_log(services().serverdb)
    pager = Pager(log_.count(**filters))
    rows = log_.list(pager.size, pager.offset, **filters)
    names = display_names()
    for row in rows:
        row["user_name"] = names.get(row["user"], row["user"])
        row["link"] = (url_for("console.households.timeline", household_id=row["household"])
                       if row["household"] else None)
    return render_template("console/access.html", rows=rows, pager=pager, f=f, actions=ACTIONS)
