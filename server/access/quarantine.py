"""Quarantine: every document the server refused, kept for a supervisor.

A write outside the user's grids, against the role's write rules, or
failing validation is answered with a per-document ``forbidden`` error so
replication goes on, and the document itself is kept here with who sent
it, from which device, when and why. Nothing a worker recorded is dropped.
"""

import hashlib
import json
import time

from rules import ids

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
"""


class Quarantine:
    """The quarantine table."""

    def __init__(self, db):
        self.db = db
        db.ensure(SCHEMA)

    def keep(self, dbname, doc, user, device, reason, errors=()):
        """Keep a refused document; the same document sent again is kept once."""
        doc_id = doc.get("_id") if isinstance(doc, dict) else None
        doc_id = doc_id if isinstance(doc_id, str) else None
        rev = doc.get("_rev") if isinstance(doc, dict) else None
        body = json.dumps(doc, ensure_ascii=False, sort_keys=True, default=str)
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
        with self.db.connect() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO quarantine (db, doc_id, rev, grid, user, device, at, "
                "reason, errors, body, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (dbname, doc_id, rev if isinstance(rev, str) else None,
                 ids.grid_of(doc_id) if doc_id else None, user, device, time.time(), reason,
                 json.dumps(list(errors), ensure_ascii=False), body, digest))

    def list(self, grids=None, limit=100, offset=0):
        """Quarantined documents, newest first; only ``grids`` unless None."""
        sql = ("SELECT id, db, doc_id, rev, grid, user, device, at, reason, errors, body "
               "FROM quarantine")
        args = []
        if grids is not None:
            grids = sorted(grids)
            sql += f" WHERE grid IN ({','.join('?' * len(grids))})"
            args = grids
        sql += " ORDER BY at DESC, id DESC LIMIT ? OFFSET ?"
        with self.db.connect() as conn:
            rows = conn.execute(sql, args + [limit, offset]).fetchall()
        return [{"id": r[0], "db": r[1], "doc_id": r[2], "rev": r[3], "grid": r[4],
                 "user": r[5], "device": r[6], "at": r[7], "reason": r[8],
                 "errors": json.loads(r[9]), "doc": json.loads(r[10])} for r in rows]

    def count(self, grids=None):
        """How many documents are quarantined (in ``grids`` unless None)."""
        sql, args = "SELECT COUNT(*) FROM quarantine", []
        if grids is not None:
            grids = sorted(grids)
            sql += f" WHERE grid IN ({','.join('?' * len(grids))})"
            args = grids
        with self.db.connect() as conn:
            return conn.execute(sql, args).fetchone()[0]
