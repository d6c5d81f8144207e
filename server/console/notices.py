"""Notices (通知): publish to a grid, a community or everyone; who read them;
withdraw.

A notice reaches grids, not people: it is written as one
``notice:{grid}:{uuid}`` per grid of its audience, all sharing the uuid, in
one batch, so the tablets of those grids and no others receive it. A
supervisor publishes to their own grids and communities ("everyone" means
every grid they cover); an admin to any grid or community, or every grid.
A grid created later is given the live ones meant for it
(``server/accounts/notice_fanout.py``).
Tablets write a ``receipt:{grid}:{uuid}`` the first time a worker opens a
notice; the list shows each reader once, at their earliest time.
Withdrawing deletes the notice's documents — only by someone who covers
every grid it reached.
"""

import re
import time
from datetime import datetime

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from sync.errors import BadRequest, Forbidden, NotFound

from . import queries, writes
from .common import Pager, audit, display_names, grids_in_scope, index, scope, tz
from .forms import ActionForm, NoticeForm
from .i18n import t
from .times import epoch
from server.services import services

bp = Blueprint("notices", __name__)
UUID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def communities_in_scope():
    """The communities the user may publish to, as dicts with names."""
    every = services().directory.communities()
    if current_user.is_admin:
        return every
    mine = set(services().directory.communities_of(current_user))
    return [c for c in every if c["id"] in mine]


def audience_grids(audience):
    """``(audience object, grids)`` for a form's ``grid:ID``, ``community:ID``
    or ``everyone``.

    :raises Forbidden: for a grid or community the user does not cover.
    :raises BadRequest: for a malformed audience or one without grids.
    """
    kind, _, place = (audience or "").partition(":")
    directory = services().directory
    if kind == "everyone" and not place:
        grids = {g["id"] for g in directory.grids()} if scope() is None else set(scope())
        found = {"kind": "everyone"}
    elif kind == "grid" and place:
        if place not in {g["id"] for g in grids_in_scope()}:
            raise Forbidden(f"audience: {t('notice.not_yours')} ({place})")
        grids, found = {place}, {"kind": "grid", "id": place}
    elif kind == "community" and place:
        if place not in {c["id"] for c in communities_in_scope()}:
            raise Forbidden(f"audience: {t('notice.not_yours')} ({place})")
        grids, found = {g["id"] for g in directory.grids(community=place)}, \
            {"kind": "community", "id": place}
    else:
        raise BadRequest(f"audience: {t('notice.bad_audience')}")
    if not grids:
        raise BadRequest(f"audience: {t('notice.no_grids')}")
    return found, grids


def _expiry(text):
    """A ``datetime-local`` value (console time zone) as ISO 8601, or None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"expires_at: {t('notice.bad_expiry')}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz())
    if moment <= datetime.now(tz()):
        raise BadRequest(f"expires_at: {t('notice.past_expiry')}")
    return moment.isoformat(timespec="seconds")


def _page(form, status=200):
    conn, grids = index(), scope()
    pager = Pager(queries.count_notices(conn, grids))
    rows = queries.notices(conn, grids, pager.size, pager.offset)
    readers = queries.notice_readers(conn, [n["uuid"] for n in rows], grids)
    now, expected = time.time(), _workers_by_grid()
    for notice in rows:
        notice["readers"] = readers.get(notice["uuid"], [])
        notice["expired"] = (epoch(notice["expires_at"]) or now) < now
        notice["audience_name"] = _audience_name(notice["audience"])
        notice["expected"] = len({w for g in notice["grids"] for w in expected.get(g, ())})
    return render_template("console/notices.html", rows=rows, pager=pager, form=form,
                           action=ActionForm(), grids=grids_in_scope(),
                           communities=communities_in_scope(), names=display_names()), status


def _workers_by_grid():
    """``{grid: {worker names}}`` of the grids in scope."""
    grids, directory, found = scope(), services().directory, {}
    for user in services().accounts.list():
        if user.role == "worker" and user.active:
            for grid in directory.grids_of(user) or ():
                if grids is None or grid in grids:
                    found.setdefault(grid, set()).add(user.name)
    return found


def _audience_name(audience):
    if audience.get("kind") == "grid":
        names = {g["id"]: g["name"] for g in services().directory.grids()}
        return f"{t('grid')} · {names.get(audience.get('id'), audience.get('id'))}"
    if audience.get("kind") == "community":
        names = {c["id"]: c["name"] for c in services().directory.communities()}
        return f"{t('grids.community')} · {names.get(audience.get('id'), audience.get('id'))}"
    return t("notice.everyone")


@bp.get("/notices")
def listing():
    """Published notices (with readers) and the form to publish one."""
    return _page(NoticeForm(priority="normal"))


@bp.post("/notices")
def publish():
    """Publish a notice to the chosen audience: one document per grid."""
    form = NoticeForm()
    if not form.validate():
        flash("; ".join(f"{name}: {' '.join(map(str, msgs))}"
                        for name, msgs in form.errors.items()), "error")
        return _page(form, 400)
    audience, grids = audience_grids(form.audience.data)
    fields = {"title": form.title.data.strip(), "body": form.body.data.strip(),
              "priority": form.priority.data, "audience": audience}
    expires = _expiry(form.expires_at.data)
    if expires:
        fields["expires_at"] = expires
    key = writes.publish_notice(grids, fields)
    audit("notice.publish", f"notice:{key}", title=fields["title"], audience=audience,
          grids=sorted(grids), priority=fields["priority"], expires_at=expires)
    flash(t("notice.published", n=len(grids)), "ok")
    return redirect(url_for(".listing"))


@bp.post("/notices/<key>/withdraw")
def withdraw(key):
    """Delete every document of a notice the user covers entirely."""
    found = queries.notice_grids(index(), key) if UUID.fullmatch(key) else {}
    grids = scope()
    if not found or (grids is not None and not set(found) & grids):
        raise NotFound("not found, or outside your communities")
    if grids is not None and not set(found) <= grids:
        raise Forbidden(t("notice.not_all_yours"))
    docs = []
    for doc_id in found.values():
        try:
            docs.append(writes.read(doc_id))
        except NotFound:
            continue                       # already gone since the index was read
    count = writes.delete_docs(docs) if docs else 0
    audit("notice.withdraw", f"notice:{key}", grids=sorted(found), deleted=count)
    flash(t("notice.withdrawn"), "ok")
    return redirect(url_for(".listing"))
