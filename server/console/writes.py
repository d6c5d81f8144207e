"""Documents the console writes into the field database, as the signed-in
user through their own view (``access.view_for``): the same grid and role
rules and the same schemas as a tablet's writes, so a console edit can
never be what a sync would refuse.

- a review is ``review:{visit id}``; it replicates to the worker's tablet;
- a request's status change and a conflict override are new revisions
  stamped with the user's own clock (``console:{name}``), so they merge
  field by field with whatever tablets did meanwhile;
- a notice is one ``notice:{grid}:{uuid}`` per grid it reaches, written in
  one batch (``notice_fanout`` also copies it to grids created later);
  withdrawing it deletes them;
- the early-warning rule set is ``rules:warning`` (admins only).
"""

import copy
import uuid

from flask import current_app
from flask_login import current_user

from sync.errors import BadRequest, Conflict, Forbidden, NotFound
from rules.hlc import Clock
from rules.stamps import stamp_edit

from server.access.view import view_for
from server.accounts.notice_fanout import document
from .common import now_iso
from .queries import lifecycle


def _view():
    return view_for(current_user, current_app.config["FIELD_DB"])


def device():
    """The device id of the signed-in user's console edits."""
    return f"console:{current_user.name}"[:64]


def _save(view, doc):
    """Write one document through ``view``; the new rev.

    :raises Forbidden: naming the rule or field the document broke.
    """
    row = view.bulk_docs([doc])[0]
    if "error" in row:
        _raise(row)
    return row["rev"]


def _raise(row):
    """Raise the error of a refused ``_bulk_docs`` row."""
    cls = {"forbidden": Forbidden, "conflict": Conflict, "not_found": NotFound}.get(
        row["error"], BadRequest)
    raise cls(row["reason"])


def read(doc_id):
    """The current revision of ``doc_id`` as the user sees it.

    :raises NotFound: when absent or outside the user's grids.
    """
    return _view().get(doc_id)


def read_many(doc_ids):
    """The current revisions of ``doc_ids`` that the user may see, in one
    read: ``{id: doc}`` (absent, deleted and hidden documents left out)."""
    rows = _view().all_docs(keys=sorted(set(doc_ids)), include_docs=True)["rows"]
    return {row["id"]: row["doc"] for row in rows if row.get("doc")}


def save_review(visit_id, state, comment):
    """Write the user's verdict on ``visit_id``; returns the new rev.

    :raises NotFound: for a visit the user may not see.
    :raises Forbidden: when the review breaks a rule (e.g. no comment).
    """
    view = _view()
    visit = view.get(visit_id)
    if visit.get("type") != "visit":
        raise NotFound("not a visit")
    review_id = f"review:{visit_id}"
    try:
        current = view.get(review_id)
    except NotFound:
        current = None
    when = now_iso()
    doc = {"_id": review_id, "type": "review", "schema": 2, "grid": visit["grid"],
           "updated_at": when, "updated_by": current_user.name, "device": device(),
           "visit": visit_id, "state": state, "reviewer": current_user.name,
           "reviewed_at": when}
    if comment and comment.strip():
        doc["comment"] = comment.strip()
    if current is not None:
        doc["_rev"] = current["_rev"]
    rev = _save(view, doc)
    if state == "approved" and visit.get("supersedes"):
        _close_sent_back(view, visit["supersedes"], visit_id)
    return rev


def _close_sent_back(view, old_id, amendment_id):
    """Close the "needs fix" review of ``old_id``: its amendment was approved."""
    try:
        review = view.get(f"review:{old_id}")
    except NotFound:
        return
    if review.get("state") != "needs_fix" or review.get("closed_by"):
        return
    _save(view, dict(review, closed_by=amendment_id, updated_at=now_iso(),
                     updated_by=current_user.name, device=device()))


def _stamped(current, changes):
    """``current`` with ``changes`` applied, stamped by the user's console clock."""
    new = copy.deepcopy(current)
    for key, value in changes.items():
        if value is None:
            new.pop(key, None)
        else:
            new[key] = value
    new = stamp_edit(current, new, Clock(device()))
    new.update(updated_at=now_iso(), updated_by=current_user.name, device=device())
    return new


def set_request_status(request_id, status, assignee, satisfaction=None, comment=None):
    """Move a request to ``status`` (stamping when), set its assignee and,
    on closing, the resident's satisfaction if nobody recorded it yet.

    A referral only moves forward (referred → accepted → seen → closed):
    the merge keeps the furthest status, so a step back would not hold.

    :raises BadRequest: naming the field, for a status the request's kind
        does not have, a step back, or a satisfaction that does not fit.
    :raises NotFound, Forbidden, Conflict:
    """
    view = _view()
    current = view.get(request_id)
    if current.get("type") != "request":
        raise NotFound("not a request")
    kind = current.get("kind")
    order = lifecycle(kind, current.get("status"))
    if status not in order:
        raise BadRequest(f"status: 须为 {' / '.join(order)} 之一 / must be one of "
                         f"{', '.join(order)} for a {kind or 'request'}")
    if kind == "referral" and current.get("status") in order \
            and order.index(status) < order.index(current["status"]):
        raise BadRequest("status: 转诊状态不能回退 / a referral only moves forward "
                         f"({current['status']} → {status})")
    times = dict(current.get("status_times") or {})
    times.setdefault(status, now_iso())
    changes = {"status": status, "status_times": times}
    if assignee is not None:
        changes["assignee"] = assignee.strip() or None
    if satisfaction:
        if status != "closed":
            raise BadRequest("satisfaction: 结案时才能记录满意度 / recorded only when closing")
        if current.get("satisfaction"):
            raise BadRequest("satisfaction: 网格员已记录居民满意度 / the resident's "
                             "satisfaction is already recorded")
        changes.update(satisfaction=satisfaction, satisfaction_at=now_iso(),
                       satisfaction_comment=(comment or "").strip() or None)
    return _save(view, _stamped(current, changes))


def publish_notice(grids, fields):
    """Publish one notice to ``grids``: one ``notice:{grid}:{uuid}`` per grid,
    all sharing a uuid, in one batch. Returns the uuid.

    All or none: if any document is refused, the ones written are deleted.

    :raises Forbidden: naming the field or rule a document broke.
    """
    view, key, when = _view(), uuid.uuid4().hex, now_iso()
    common = {"schema": 2, "updated_at": when,
              "updated_by": current_user.name, "device": device(),
              "published_by": current_user.name, "published_at": when}
    if current_user.display_name:
        common["published_by_name"] = current_user.display_name
    docs = [document(grid, key, dict(common, **fields)) for grid in sorted(grids)]
    rows = view.bulk_docs(docs)
    refused = [row for row in rows if "error" in row]
    if refused:
        written = [{"_id": row["id"], "_rev": row["rev"], "_deleted": True}
                   for row in rows if "error" not in row]
        if written:
            view.bulk_docs(written)
        _raise(refused[0])
    return key


def delete_docs(docs):
    """Delete the current revisions of ``docs`` in one batch; how many went.

    :raises Forbidden, Conflict: for the first document refused.
    """
    rows = _view().bulk_docs([{"_id": d["_id"], "_rev": d["_rev"], "_deleted": True}
                              for d in docs])
    refused = [row for row in rows if "error" in row]
    if refused:
        _raise(refused[0])
    return len(rows)


def override(doc_id, values, expected_rev):
    """Write the user's own revision of ``doc_id`` with ``values`` chosen
    field by field; returns its rev.

    :raises Conflict: when the document changed since the page was shown.
    :raises BadRequest: when nothing would change.
    """
    view = _view()
    current = view.get(doc_id)
    if current["_rev"] != expected_rev:
        raise Conflict("这份文档在您查看后又有修改，请重新打开 / the document changed since "
                       "you opened it; open it again")
    changes = {k: v for k, v in values.items() if current.get(k) != v}
    if not changes:
        raise BadRequest("所选值与当前版本相同 / the chosen values are the current ones")
    return _save(view, _stamped(current, changes))


def save_rules(doc):
    """Write the rule set ``doc`` (admins only); returns the new rev.

    :raises Forbidden: for anyone else, or a rule set the schema refuses.
    :raises Conflict: when it changed since ``doc["_rev"]``.
    """
    return _save(_view(), doc)


def save_doc(doc):
    """Write a prepared document (a campaign, a form version) as the user; the new rev.

    :raises Forbidden: when the user may not write it or it breaks its schema.
    """
    return _save(_view(), doc)


def docs_of_kind(kind):
    """Every current document of ``kind`` ("campaign", "form") the user may see, by id."""
    rows = _view().all_docs(startkey=f"{kind}:", endkey=f"{kind}:\ufff0",
                            include_docs=True)["rows"]
    return [row["doc"] for row in rows if row.get("doc")]
