"""Replication runs: what each run did, kept for ``replication-status`` and
the console dashboard.

A run records its job, source and target (without credentials), start and
end, documents read and written, failures and the error that stopped it.
"""

import json
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS replication_runs (
    id         INTEGER PRIMARY KEY,
    job        TEXT NOT NULL,
    source     TEXT NOT NULL,
    target     TEXT NOT NULL,
    started    REAL NOT NULL,
    ended      REAL,
    status     TEXT NOT NULL,
    docs_read  INTEGER NOT NULL DEFAULT 0,
    docs_written INTEGER NOT NULL DEFAULT 0,
    failures   INTEGER NOT NULL DEFAULT 0,
    error      TEXT,
    stats      TEXT
);
"""


class ReplicationRuns:
    """The replication_runs table."""

    def __init__(self, db):
        self.db = db
        db.ensure(SCHEMA)

    def start(self, job, source, target):
        """Record a run starting now; returns its id."""
        with self.db.connect() as conn:
            cur = conn.execute("INSERT INTO replication_runs (job, source, target, started, "
                               "status) VALUES (?, ?, ?, ?, 'running')",
                               (job, source, target, time.time()))
        return cur.lastrowid

    def finish(self, run_id, stats, error=None):
        """Record how run ``run_id`` ended."""
        status = "failed" if error else ("completed with failures"
                                         if stats.get("doc_write_failures") else "completed")
        with self.db.connect() as conn:
            conn.execute(
                "UPDATE replication_runs SET ended = ?, status = ?, docs_read = ?, "
                "docs_written = ?, failures = ?, error = ?, stats = ? WHERE id = ?",
                (time.time(), status, stats.get("docs_read", 0), stats.get("docs_written", 0),
                 stats.get("doc_write_failures", 0), error, json.dumps(stats, default=str),
                 run_id))

    def recent(self, limit=20):
        """The latest runs, newest first."""
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT id, job, source, target, started, ended, status, docs_read, "
                "docs_written, failures, error FROM replication_runs "
                "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        keys = ("id", "job", "source", "target", "started", "ended", "status", "docs_read",
                "docs_written", "failures", "error")
        return [dict(zip(keys, row)) for row in rows]
