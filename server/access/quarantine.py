"""Quarantine: every document the server refused, kept for a supervisor.

A write outside the user's grids, against the role's write rules, or
failing validation is answered with a per-document ``forbidden`` error so
replication goes on, and the document itself is kept here with who sent
it, from which device, when and why. Nothing a worker recorded is dropped,
and nothing here is ever deleted.

Each entry is *open* until worked (``quarantine_outcomes``, one row per
entry): ``released`` (a supervisor fixed and wrote it), ``sent_back`` (a
``sendback:`` document asks the worker to fix it; still open), ``dismissed``
(with a reason) or ``resolved`` (the worker's own fixed version of the same
document was accepted; see :meth:`Quarantine.accepted`). What a supervisor
does is in :mod:`.quarantine_desk`.
"""

import hashlib
import json
import time

from rules import ids
from sync.docs import replicated_rev

SCHEMA = """
CREATE TABLE IF NOT EXISTS quarantine (
    id       INTEGER PRIMARY KEY,
    db       TEXT NOT NULL,
    doc_id   TEXT,
    rev      TEXT,
    grid     TEXT,
    user     TEXT NOT NULL,
    device   TEXT,
    at       REAL NOT NULL,
    reason   TEXT NOT NULL,
    errors   TEXT NOT NULL,
    body     TEXT NOT NULL,
    digest   TEXT NOT NULL,
    UNIQUE (db, user, digest)
);
CREATE INDEX IF NOT EXISTS quarantine_grid ON quarantine (grid, at);
CREATE INDEX IF NOT EXISTS quarantine_doc ON quarantine (db, doc_id);
CREATE TABLE IF NOT EXISTS quarantine_outcomes (
    entry    INTEGER PRIMARY KEY REFERENCES quarantine (id),
    status   TEXT NOT NULL,
    by       TEXT NOT NULL,
    at       REAL NOT NULL,
    note     TEXT,
    rev      TEXT,
    sendback TEXT
);
"""
OPEN = ("open", "sent_back")           # still waiting for a fix
DONE = ("released", "dismissed", "resolved")
COLUMNS = ("q.id, q.db, q.doc_id, q.rev, q.grid, q.user, q.device, q.at, q.reason, q.errors, "
           "q.body, COALESCE(o.status, 'open'), o.by, o.at, o.note, o.rev, o.sendback")
FROM = "quarantine q LEFT JOIN quarantine_outcomes o ON o.entry = q.id"


def _row(r):
    return {"id": r[0], "db": r[1], "doc_id": r[2], "rev": r[3], "grid": r[4], "user": r[5],
            "device": r[6], "at": r[7], "reason": r[8], "errors": json.loads(r[9]),
            "doc": json.loads(r[10]), "status": r[11], "handled_by": r[12],
            "handled_at": r[13], "note": r[14], "released_rev": r[15], "sendback": r[16]}


def _where(grids, state):
    conds, args = [], []
    if grids is not None:
        grids = sorted(grids)
        conds.append(f"q.grid IN ({','.join('?' * len(grids))})")
        args.extend(grids)
    if state in ("open", "done"):
        wanted = OPEN if state == "open" else DONE
        conds.append(f"COALESCE(o.status, 'open') IN ({','.join('?' * len(wanted))})")
        args.extend(wanted)
    return (" WHERE " + " AND ".join(conds)) if conds else "", args


def refused(doc):
    """``(id, rev, body as JSON text, its sha256)`` of a refused document
    (id and rev None when it has none: a refusal keeps whatever was sent)."""
    doc_id = doc.get("_id") if isinstance(doc, dict) else None
    rev = replicated_rev(doc)
    body = json.dumps(doc, ensure_ascii=False, sort_keys=True, default=str)
    return (doc_id if isinstance(doc_id, str) else None, rev if isinstance(rev, str) else None,
            body, hashlib.sha256(body.encode("utf-8")).hexdigest())


class Quarantine:
    """The quarantine table."""

    def __init__(self, db):
        self.db = db
        db.ensure(SCHEMA)

    def keep(self, dbname, doc, user, device, reason, errors=()):
        """Keep a refused document; the same document sent again is kept once."""
        doc_id, rev, body, digest = refused(doc)
        with self.db.connect() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO quarantine (db, doc_id, rev, grid, user, device, at, "
                "reason, errors, body, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (dbname, doc_id, rev, ids.grid_of(doc_id) if doc_id else None, user, device,
                 time.time(), reason, json.dumps(list(errors), ensure_ascii=False), body,
                 digest))

    def list(self, grids=None, limit=100, offset=0, state="all"):
        """Quarantined documents, newest first; only ``grids`` unless None;
        ``state`` "open" (not yet fixed), "done" or "all"."""
        where, args = _where(grids, state)
        with self.db.connect() as conn:
            rows = conn.execute(f"SELECT {COLUMNS} FROM {FROM}{where} "
                                "ORDER BY q.at DESC, q.id DESC LIMIT ? OFFSET ?",
                                args + [limit, offset]).fetchall()
        return [_row(r) for r in rows]

    def count(self, grids=None, state="all"):
        """How many documents are quarantined (in ``grids`` unless None)."""
        where, args = _where(grids, state)
        with self.db.connect() as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {FROM}{where}", args).fetchone()[0]

    def get(self, entry_id):
        """One entry, or None."""
        with self.db.connect() as conn:
            row = conn.execute(f"SELECT {COLUMNS} FROM {FROM} WHERE q.id = ?",
                               (entry_id,)).fetchone()
        return None if row is None else _row(row)

    def settle(self, entry_id, status, by, note=None, rev=None, sendback=None):
        """Record what became of an entry (replacing a ``sent_back``)."""
        with self.db.connect() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO quarantine_outcomes (entry, status, by, at, note, rev, "
                "sendback) VALUES (?, ?, ?, ?, ?, ?, COALESCE(?, (SELECT sendback FROM "
                "quarantine_outcomes WHERE entry = ?)))",
                (entry_id, status, by, time.time(), note, rev, sendback, entry_id))

    def accepted(self, dbname, doc_ids, user):
        """Mark ``user``'s open entries of ``doc_ids`` resolved: their fixed
        version was just accepted. Returns the ids of their send-backs."""
        if not doc_ids:
            return []
        with self.db.connect() as conn:
            found = conn.execute(
                f"SELECT q.id, o.sendback FROM {FROM} WHERE q.db = ? AND q.user = ? AND "
                "q.doc_id IN (SELECT value FROM json_each(?)) AND "
                "COALESCE(o.status, 'open') IN ('open', 'sent_back')",
                (dbname, user, json.dumps(sorted(set(doc_ids))))).fetchall()
            now = time.time()
            conn.executemany(
                "INSERT OR REPLACE INTO quarantine_outcomes (entry, status, by, at, note, rev, "
                "sendback) VALUES (?, 'resolved', ?, ?, NULL, NULL, ?)",
                [(entry, user, now, sendback) for entry, sendback in found])
        return [sendback for _entry, sendback in found if sendback]

    def scrub(self, dbname, doc_ids, household, rewrite):
        """Erasure (issue 21): every entry of ``doc_ids`` or naming ``household``
        becomes ``rewrite(doc)``, or is deleted when that is None."""
        with self.db.connect() as conn:
            conn.execute("PRAGMA secure_delete = ON")
            rows = conn.execute(
                "SELECT id, body FROM quarantine WHERE db = ? AND (doc_id IN (%s) "
                "OR instr(body, ?) > 0)" % ",".join("?" * len(doc_ids)),
                (dbname, *doc_ids, json.dumps(household)[1:-1])).fetchall()
            for entry, body in rows:
                scrubbed = rewrite(json.loads(body))
                if scrubbed is None:
                    conn.execute("DELETE FROM quarantine_outcomes WHERE entry = ?", (entry,))
                    conn.execute("DELETE FROM quarantine WHERE id = ?", (entry,))
                else:
                    conn.execute("UPDATE quarantine SET body = ? WHERE id = ?",
                                 (json.dumps(scrubbed, ensure_ascii=False), entry))
            conn.execute("PRAGMA secure_delete = OFF")

    def export(self):
        """Every entry with its outcome, oldest first, for another store."""
        with self.db.connect() as conn:
            rows = conn.execute(f"SELECT {COLUMNS} FROM {FROM} ORDER BY q.id").fetchall()
        return [_row(r) for r in rows]

    def absorb(self, entries):
        """Take entries from another store under their ids (each once); how many."""
        with self.db.connect() as conn:
            for e in entries:
                _id, _rev, body, digest = refused(e["doc"])
                conn.execute(
                    "INSERT OR IGNORE INTO quarantine (id, db, doc_id, rev, grid, user, device, "
                    "at, reason, errors, body, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (e["id"], e["db"], e["doc_id"], e["rev"], e["grid"], e["user"], e["device"],
                     e["at"], e["reason"], json.dumps(e["errors"], ensure_ascii=False), body,
                     digest))
                if e["status"] != "open" or e.get("handled_by"):
                    conn.execute(
                        "INSERT OR IGNORE INTO quarantine_outcomes (entry, status, by, at, note, "
                        "rev, sendback) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (e["id"], e["status"], e["handled_by"], e["handled_at"], e["note"],
                         e["released_rev"], e["sendback"]))
        return len(entries)
