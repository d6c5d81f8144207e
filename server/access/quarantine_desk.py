"""What a supervisor does with a quarantined document: fix and release it,
send it back to its worker, or dismiss it with a reason.

Used by the console's 隔离区 page and the JSON API alike; each action checks
that the entry's grid is the user's (another community's entry is "not
found") and that the entry is still open, and returns the settled entry.
The caller writes the audit row.

- *Fix and release*: the supervisor's values for the fields the rules named
  are put into the refused body, which is validated and written as the
  supervisor's edit (``updated_by``, ``console:{name}`` device, stamps of
  the changed fields). When the server holds no revision of the document,
  the fixed one is written as the child of the revision the tablet holds
  (``new_edits=false``, ``_revisions`` naming the refused rev), so the
  worker's tablet pulls it as a plain update of its own document, with no
  conflict. Otherwise it is a new edit on top of the server's revision.
- *Send back*: a ``sendback:{grid}:{uuid}`` document in the entry's grid
  (docs/documents.md) replicates to the worker's tablets; it is marked
  ``resolved`` when the worker's fixed version is accepted, or the entry is
  released or dismissed.
- *Dismiss*: kept, never deleted, with the reason.
"""

import copy
import re
import uuid
from datetime import datetime, timezone

from rules.hlc import Clock
from rules.schemas import ValidationFailed, validate
from rules.stamps import stamp_edit
from sync.errors import BadRequest, Conflict, NotFound

STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def now_iso():
    """Now, ISO 8601 in UTC."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def entry_for(quarantine, entry_id, grids, open_only=True):
    """The entry ``entry_id`` if ``grids`` (None: all) hold it.

    :raises NotFound: for an unknown entry or another community's.
    :raises Conflict: when ``open_only`` and it was already settled.
    """
    entry = quarantine.get(entry_id)
    if entry is None or (grids is not None and entry["grid"] not in grids):
        raise NotFound("隔离记录不存在或不在您负责的网格内 / no such quarantined document "
                       "in your grids")
    if open_only and entry["status"] not in ("open", "sent_back"):
        raise Conflict(f"已处理（{entry['status']}）/ already settled ({entry['status']})")
    return entry


def value_at(doc, path):
    """The value at a field path like ``checks[0].temperature`` (None if absent)."""
    node = doc
    for name, index in STEP.findall(path):
        try:
            node = node[int(index)] if index else node[name]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _put(doc, path, value):
    steps = STEP.findall(path)
    node = doc
    for (name, index), _next in zip(steps, steps[1:] + [None]):
        key = int(index) if index else name
        if _next is None:
            node[key] = value
            return
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            raise BadRequest(f"{path}: 文档中没有这个位置 / the document has no such place")


def parse_value(path, text, old):
    """The typed value the supervisor typed for ``path`` (typed like ``old``).

    :raises BadRequest: naming the field when a number is not a number.
    """
    text = (text or "").strip()
    if text == "":
        return None
    if isinstance(old, (int, float)) and not isinstance(old, bool):
        try:
            number = float(text)
        except ValueError:
            raise BadRequest(f"{path}: 须为数字 / must be a number")
        return int(number) if number.is_integer() and isinstance(old, int) else number
    return text


def release(quarantine, db, entry, user, values):
    """Fix ``entry``'s document with ``values`` ({path: text}) and write it
    as ``user``'s edit; returns the new rev.

    :raises ValidationFailed: when the fixed document still breaks a rule.
    :raises BadRequest: for an entry with nothing to fix or a bad value.
    """
    if not entry["errors"] or not entry["doc_id"]:
        raise BadRequest("此文档因权限被拒，无法修正放行；请退回或不予处理 / refused for "
                         "access, not content: send it back or dismiss it")
    refused = {k: v for k, v in entry["doc"].items() if k not in ("_rev", "_revisions")}
    fixed = copy.deepcopy(refused)
    for path, text in values.items():
        value = parse_value(path, text, value_at(refused, path))
        if value is None:
            continue
        _put(fixed, path, value)
    device = f"console:{user.name}"[:64]
    fixed = stamp_edit(refused, fixed, Clock(device)) if "stamps" in refused else fixed
    fixed.update(updated_at=now_iso(), updated_by=user.name, device=device)
    validate(fixed)
    try:
        current = db.get(entry["doc_id"])
    except NotFound:
        current = None
    start, _, digest = (entry["rev"] or "").partition("-")
    if current is None and start.isdigit() and digest:
        history = entry["doc"].get("_revisions")
        ids = history.get("ids") if isinstance(history, dict) else None
        if not isinstance(ids, list) or not ids or ids[0] != digest:
            ids = [digest]                # the tablet's rev, whatever else it sent
        new = uuid.uuid4().hex
        fixed.update(_rev=f"{int(start) + 1}-{new}",
                     _revisions={"start": int(start) + 1, "ids": [new] + ids[:99]})
        rows = db.bulk_docs([fixed], new_edits=False)     # only a refusal gets a row
        row, rev = (rows[0] if rows else {}), fixed["_rev"]
    else:
        if current is not None:
            fixed["_rev"] = current["_rev"]
        row = db.bulk_docs([fixed])[0]
        rev = row.get("rev")
    if "error" in row:
        raise Conflict(row.get("reason") or row["error"])
    quarantine.settle(entry["id"], "released", user.name, rev=rev)
    close_sendbacks(db, [entry["sendback"]] if entry["sendback"] else [])
    return rev


def send_back(quarantine, db, entry, user, note):
    """Ask the worker to fix ``entry``: a ``sendback:`` document in its grid;
    returns that document's id.

    :raises BadRequest: without a note, or for a document with no grid.
    :raises Conflict: when it was already sent back.
    """
    note = (note or "").strip()
    if not note or len(note) > 1000:
        raise BadRequest("note: 请写明要网格员怎样修改（1–1000 字）/ say what the worker "
                         "should fix (1–1000 characters)")
    if entry["status"] == "sent_back":
        raise Conflict("已退回，等待网格员修改 / already sent back, waiting for the worker")
    if not entry["grid"] or not entry["doc_id"]:
        raise BadRequest("此文档没有网格，无法退回 / this document has no grid to send it to")
    when = now_iso()
    doc = {"_id": f"sendback:{entry['grid']}:{uuid.uuid4().hex}", "type": "sendback",
           "schema": 2, "grid": entry["grid"], "updated_at": when, "updated_by": user.name,
           "device": f"console:{user.name}"[:64], "doc_id": entry["doc_id"],
           "worker": entry["user"], "reason": entry["reason"][:2000],
           "paths": [e["field"] for e in entry["errors"] if isinstance(e, dict)][:50],
           "note": note, "sent_by": user.name, "sent_at": when, "status": "open",
           "refused_at": datetime.fromtimestamp(entry["at"], timezone.utc).isoformat(
               timespec="seconds")}
    if entry["rev"]:
        doc["refused_rev"] = entry["rev"]
    if getattr(user, "display_name", ""):
        doc["sent_by_name"] = user.display_name
    validate(doc)
    row = db.bulk_docs([doc])[0]
    if "error" in row:
        raise Conflict(row.get("reason") or row["error"])
    quarantine.settle(entry["id"], "sent_back", user.name, note=note, sendback=doc["_id"])
    return doc["_id"]


def dismiss(quarantine, db, entry, user, reason):
    """Settle ``entry`` as not to be fixed, with ``reason`` (kept, never deleted).

    :raises BadRequest: without a reason.
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise BadRequest("reason: 请写明不予处理的原因（1–500 字）/ give the reason for "
                         "dismissing it (1–500 characters)")
    quarantine.settle(entry["id"], "dismissed", user.name, note=reason)
    close_sendbacks(db, [entry["sendback"]] if entry["sendback"] else [])


def close_sendbacks(db, sendback_ids):
    """Mark send-backs ``resolved`` so they leave the worker's 待办."""
    docs = []
    for doc_id in sendback_ids:
        try:
            doc = db.get(doc_id)
        except NotFound:
            continue
        if doc.get("status") != "resolved":
            when = now_iso()
            docs.append(dict(doc, status="resolved", resolved_at=when, updated_at=when,
                             updated_by="system", device="server"))
    if docs:
        db.bulk_docs(docs)


__all__ = ["ValidationFailed", "entry_for", "release", "send_back", "dismiss",
           "close_sendbacks", "value_at"]
