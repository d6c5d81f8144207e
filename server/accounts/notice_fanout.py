"""Notice fan-out: a notice's document per grid, and the notices a grid gets
when it appears after they were published.

A notice is published as one ``notice:{grid}:{uuid}`` per grid it reaches,
all sharing the uuid (:func:`document`). A grid created later, or moved to
another community, is given a copy of each publication that is still live
(not expired; withdrawing deletes every document, so a withdrawn one has
none left to copy) and would have reached it:

- a ``community`` notice of the grid's (new) community;
- an ``everyone`` notice whose publisher covers the grid now: an admin's
  reaches every grid, a supervisor's every grid of their communities (so
  they can still withdraw it: that needs covering every grid it reached);
- never a ``grid`` notice.

The copy is the publication's document with ``grid``, ``_id`` and the
edit's ``updated_*`` changed; every copy is checked against the schema
first and all are written in one ``_bulk_docs`` batch.
"""

import time
from datetime import datetime, timezone

from flask import current_app, has_request_context, request

from sync.errors import Forbidden, NotFound

from server.access.view import view_for
from rules.schemas import ValidationFailed, validate
from server.services import services

PREFIX = "notice:"
NOT_COPIED = {"_id", "_rev", "_conflicts", "_deleted", "_revisions", "grid",
              "updated_at", "updated_by", "device"}


def document(grid, key, fields):
    """Publication ``key``'s document for ``grid``: ``fields`` plus its id and grid."""
    return dict(fields, _id=f"{PREFIX}{grid}:{key}", type="notice", grid=grid)


def _epoch(text):
    """Seconds since the epoch of an ISO date-time, or None."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def publications(db, now=None):
    """``{uuid: (one current document, {grid, ...})}`` of every publication
    not yet expired, in two reads of ``db`` (ids, then one document each)."""
    reached = {}
    for row in db.all_docs(startkey=PREFIX, endkey=PREFIX + "\ufff0")["rows"]:
        _, grid, key = row["id"].split(":", 2)
        reached.setdefault(key, {})[grid] = row["id"]
    if not reached:
        return {}
    firsts = sorted(min(found.values()) for found in reached.values())
    now = time.time() if now is None else now
    live = {}
    for row in db.all_docs(keys=firsts, include_docs=True)["rows"]:
        doc = row.get("doc")
        if not doc:
            continue                       # deleted since the first read
        expires = doc.get("expires_at")
        if expires is not None and (_epoch(expires) or 0) <= now:
            continue
        key = row["id"].split(":", 2)[2]
        live[key] = (doc, set(reached[key]))
    return live


def reaches(doc, grid, community, directory, accounts):
    """Whether publication ``doc`` is meant for ``grid`` of ``community``."""
    audience = doc.get("audience") or {}
    if audience.get("kind") == "community":
        return audience.get("id") == community
    if audience.get("kind") == "everyone":
        publisher = accounts.by_name(doc.get("published_by") or "")
        if publisher is None or publisher.role not in ("admin", "supervisor"):
            return False
        covered = directory.grids_of(publisher)
        return covered is None or grid in covered
    return False


def catch_up(db, places, directory, accounts, by, device=None, now=None):
    """Give each grid of ``places`` (``{grid: community}``) a copy of every
    live publication that reaches it and it lacks, written through ``db`` in
    one batch as ``by``. Returns the documents written.

    All or none: when a copy is refused nothing stays written.

    :raises Forbidden: naming the notice and the rule a copy broke.
    """
    edit = {"updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "updated_by": by}
    if device:
        edit["device"] = device
    docs = []
    for key, (doc, grids) in sorted(publications(db, now).items()):
        fields = {name: value for name, value in doc.items() if name not in NOT_COPIED}
        for grid, community in sorted(places.items()):
            if grid not in grids and reaches(doc, grid, community, directory, accounts):
                docs.append(document(grid, key, dict(fields, **edit)))
    for doc in docs:
        try:
            validate(doc)
        except ValidationFailed as err:
            raise _forbidden(doc, err.reason) from None
    if not docs:
        return []
    rows = db.bulk_docs(docs)
    # A conflict is a copy someone wrote meanwhile (a publication racing
    # this one): the grid has the notice, which is all that was wanted.
    refused = [row for row in rows if "error" in row and row["error"] != "conflict"]
    written = [row for row in rows if "error" not in row]
    if refused:
        if written:
            db.bulk_docs([{"_id": row["id"], "_rev": row["rev"], "_deleted": True}
                          for row in written])
        raise _forbidden({"_id": refused[0]["id"]}, refused[0]["reason"])
    done = {row["id"] for row in written}
    return [doc for doc in docs if doc["_id"] in done]


def _forbidden(doc, reason):
    return Forbidden(f"{doc['_id']}: {reason}")


def grid_placed(grid, community, before, user, device=None):
    """After ``Directory.put_grid``: when ``grid`` is new (``before`` None) or
    moved from community ``before``, write its copies as ``user`` (an admin)
    and audit-log each publication it joined. Returns the documents written.

    :raises Forbidden: as :func:`catch_up`.
    """
    if before == community:
        return []
    ext = services()
    try:
        view = view_for(user, current_app.config["FIELD_DB"])
    except NotFound:
        return []                          # no field database yet, so no notices
    written = catch_up(view, {grid: community}, ext.directory,
                       ext.accounts, user.name, device)
    address = request.remote_addr if has_request_context() else None
    for doc in written:
        ext.audit.record(
            user.name, user.role, "notice.extend", f"notice:{doc['_id'].split(':', 2)[2]}",
            {"grids": [grid], "title": doc["title"], "audience": doc["audience"],
             "reason": "grid.created" if before is None else "grid.moved"}, address)
    return written
