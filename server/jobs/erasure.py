"""Erasure on request: one household's or one resident's personal data, gone.

An admin erases (PIPL's right to deletion) either

- a **household**: the household document and every document naming it
  (visits, requests, reviews of its visits, send-backs) are purged — every
  leaf, so bodies, attachment bytes and resolution-log bodies leave the
  SQLite file (``Database.purge``, ``secure_delete``), not a tombstone; or
- one **member** of a household: the household gets a new revision without
  the member, and each visit naming the member one without the member's
  checks and needs; the older revisions that held them are purged (the new
  revision is written as a child of the purged ones with ``new_edits=false``,
  so tablets and hubs holding the old revision take it as an ordinary edit).

An erasure notice (``erasure:{grid}:{uuid}``, ids only) is written in the
household's grid: it replicates to the grid's tablets, which purge those
documents from their PouchDB (``fieldapp/js/erasure.js``), and to the hub.
Then the field database is compacted (free pages holding old bodies are
vacuumed), quarantine copies of the documents are deleted, the console index
drops them (it follows the purge log), and an **erasure record** is kept that
holds no personal data: who, when, why, which ids. The nightly job carries
each erasure to the district hub (:func:`carry`): the hub's leaves of the
purged ids are purged there too (CouchDB's ``_purge``; purges never
replicate), and the rewritten documents replicate as new revisions.
"""

import json
import time
import uuid
from datetime import datetime, timezone

from rules import ids
from sync.errors import BadRequest, NotFound

from server.access.erased import ErasedIds
from server.services import services

SCHEMA = """
CREATE TABLE IF NOT EXISTS erasures (
    id        INTEGER PRIMARY KEY,
    at        REAL NOT NULL,
    by        TEXT NOT NULL,
    household TEXT NOT NULL,
    member    TEXT,
    reason    TEXT NOT NULL,
    purged    TEXT NOT NULL,
    rewritten TEXT NOT NULL,
    carried   TEXT NOT NULL DEFAULT '{}'
);
"""
KEYS = ("id", "at", "by", "household", "member", "reason", "purged", "rewritten", "carried")
REASON_MAX = 200


class Erasures:
    """The erasures table: a record of every erasure, without personal data."""

    def __init__(self, db):
        self.db = db
        db.ensure(SCHEMA)

    def add(self, by, household, member, reason, purged, rewritten):
        """Record an erasure; returns its id."""
        with self.db.connect() as conn:
            return conn.execute(
                "INSERT INTO erasures (at, by, household, member, reason, purged, rewritten) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time.time(), by, household, member, reason, json.dumps(sorted(purged)),
                 json.dumps(sorted(rewritten)))).lastrowid

    def list(self):
        """Every erasure, oldest first."""
        with self.db.connect() as conn:
            rows = conn.execute(f"SELECT {', '.join(KEYS)} FROM erasures ORDER BY id").fetchall()
        return [dict(zip(KEYS, r), purged=json.loads(r[6]), rewritten=json.loads(r[7]),
                     carried=json.loads(r[8])) for r in rows]

    def carried(self, erasure_id, target):
        """Note that erasure ``erasure_id`` reached ``target`` (a safe URL)."""
        with self.db.connect() as conn:
            row = conn.execute("SELECT carried FROM erasures WHERE id = ?",
                               (erasure_id,)).fetchone()
            done = dict(json.loads(row[0]), **{target: time.time()})
            conn.execute("UPDATE erasures SET carried = ? WHERE id = ?",
                         (json.dumps(done), erasure_id))


def _check(household, member, reason):
    parsed = ids.parse(household)
    if parsed is None or parsed[0] != "household":
        raise BadRequest("household: 须为 household:{网格}:{户} / must be a household id")
    if member is not None and not (isinstance(member, str) and 0 < len(member) <= 64):
        raise BadRequest("member: 成员编号 1–64 个字符 / a member id of 1–64 characters")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > REASON_MAX:
        raise BadRequest(f"reason: 删除原因必填，最多 {REASON_MAX} 字 / the reason is required, "
                         f"at most {REASON_MAX} characters")


def _naming(db, household):
    """Docs naming ``household``: ``{id: body}`` of visits, requests, send-backs, reviews."""
    grid = ids.parse(household)[1]
    found = {}
    for kind in ("visit", "request", "sendback"):
        rows = db.all_docs(startkey=f"{kind}:{grid}:", endkey=f"{kind}:{grid}:\ufff0",
                           include_docs=True)["rows"]
        for row in rows:
            if (row.get("doc") or {}).get("household") == household:
                found[row["id"]] = row["doc"]
    for visit_id in [i for i in found if i.startswith("visit:")]:
        for review in (f"review:{visit_id}",):
            try:
                found[review] = db.get(review)
            except NotFound:
                pass
    return found


def _leaves(db, doc_id):
    return [leaf["ok"]["_rev"] for leaf in db.open_revs(doc_id, "all") if "ok" in leaf]


def _without_member(doc, member):
    """The document with ``member``'s personal data taken out (None if it held none)."""
    out = dict(doc)
    if doc.get("type") == "household":
        gone = [m for m in doc.get("members") or [] if m.get("id") == member]
        if not gone:
            return None
        out["members"] = [m for m in doc["members"] if m.get("id") != member]
        if gone[0].get("name") and gone[0].get("name") == doc.get("head"):
            out.pop("head", None)
            out.pop("phone", None)
        # Its stamps, and what the latest merge record tells of its fields
        # (a replaced name or ID number), go with it.
        prefix = f"members.{member}."
        out["stamps"] = {k: v for k, v in (doc.get("stamps") or {}).items()
                         if k != f"members.{member}" and not k.startswith(prefix)}
        if not out["stamps"] and "stamps" not in doc:
            out.pop("stamps")
        if isinstance(doc.get("merge"), dict):
            told = [e for e in doc["merge"].get("fields") or []
                    if not str(e.get("field", "")).startswith(prefix)]
            if told:
                out["merge"] = dict(doc["merge"], fields=told)
            else:
                out.pop("merge")
        return out
    checks = [c for c in doc.get("checks") or [] if c.get("member") != member]
    needs = [n for n in doc.get("needs") or [] if n.get("member") != member]
    if len(checks) == len(doc.get("checks") or []) and len(needs) == len(doc.get("needs") or []):
        return None
    out["checks"], out["needs"] = checks, needs
    return out


def rewrite_as_child(db, doc, body):
    """Purge every leaf of ``doc`` and write ``body`` as the child of its revision."""
    history = db.get(doc["_id"], revs=True)["_revisions"]
    db.purge({doc["_id"]: _leaves(db, doc["_id"])})
    new = uuid.uuid4().hex
    body = {k: v for k, v in body.items() if k not in ("_rev", "_revisions", "_conflicts")}
    body["_rev"] = f"{history['start'] + 1}-{new}"
    body["_revisions"] = {"start": history["start"] + 1, "ids": [new, *history["ids"]]}
    db.bulk_docs([body], new_edits=False)


def erase(app, by, household, member=None, reason=""):
    """Erase ``household`` (or its ``member``) everywhere on this server; returns the record.

    :raises BadRequest: for a malformed id or a missing reason.
    :raises NotFound: when the household (or the member in it) is not there.
    """
    _check(household, member, reason)
    ext = services(app)
    db = ext.store.get(app.config["FIELD_DB"])
    doc = db.get(household)               # raises NotFound
    naming = _naming(db, household)
    purged, rewritten = [], []
    if member is None:
        for doc_id in [household, *naming]:
            db.purge({doc_id: _leaves(db, doc_id)})
            purged.append(doc_id)
    else:
        body = _without_member(doc, member)
        if body is None:
            raise NotFound(f"member: 该户没有成员 {member} / no such member in the household")
        rewrite_as_child(db, doc, body)
        rewritten.append(household)
        for doc_id, other in naming.items():
            scrubbed = _without_member(other, member) if doc_id.startswith("visit:") else None
            if scrubbed is not None:
                rewrite_as_child(db, other, scrubbed)
                rewritten.append(doc_id)
    db.compact(wait=True)
    # The notice last, after the file's compaction: a plain write is what
    # wakes the tablets' waiting feeds, in every server process.
    notice = _notice(db, household, member, purged, rewritten)
    # Quarantine copies: those of the household or naming it are deleted (a
    # household erasure) or lose the member's data (a member erasure).
    ext.quarantine.scrub(app.config["FIELD_DB"], [household, *naming], household,
                         lambda doc: None if member is None
                         else (_without_member(doc, member) or doc))
    if ext.console_index is not None:
        ext.console_index.refresh(db)
    if purged:
        ErasedIds(ext.serverdb).add(purged, time.time())
    erasures = Erasures(ext.serverdb)
    erasure_id = erasures.add(by, household, member, reason.strip(), purged, rewritten)
    return dict(next(e for e in erasures.list() if e["id"] == erasure_id), notice=notice)


def _notice(db, household, member, purged, rewritten):
    """Write the erasure notice that tablets and hubs obey; its id."""
    grid = ids.parse(household)[1]
    now = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    doc = {"_id": f"erasure:{grid}:{uuid.uuid4()}", "type": "erasure", "schema": 2,
           "grid": grid, "updated_at": now, "updated_by": "system", "household": household,
           "purged": sorted(purged), "rewritten": sorted(rewritten), "erased_at": now}
    if member is not None:
        doc["member"] = member
    db.put(doc)
    return doc["_id"]


def carry(app, target, label):
    """Purge on ``target`` (a remote database) what erasures not yet carried there
    purged here; returns how many erasures were carried.

    Rewritten documents travel by replication; their older revisions on the
    target are purged only when the target compacts (CouchDB keeps no body of
    a non-leaf revision after compaction).
    """
    erasures = Erasures(services(app).serverdb)
    carried = 0
    for erasure in erasures.list():
        if label in erasure["carried"]:
            continue
        request = {}
        for doc_id in erasure["purged"]:
            leaves = (target.leaf_revs(doc_id) if hasattr(target, "leaf_revs")
                      else _leaves(target, doc_id))
            if leaves:
                request[doc_id] = leaves
        if request:
            target.purge(request)
        erasures.carried(erasure["id"], label)
        carried += 1
    return carried
