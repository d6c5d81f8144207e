"""Replication runs: what each run did, kept for ``replication-status``, the
console dashboard and the console's replication page.

A run records its job, source and target (without credentials), start and
end, documents read and written, failures and the error that stopped it.
It also records the process that runs it, so that a run whose process
died (kill -9, out of memory, power cut) is shown as interrupted rather
than running forever.
"""

import json
import os
import time

from server.ops import metrics

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
    stats      TEXT,
    pid        INTEGER,
    process    TEXT
);
"""

COLUMNS = ("id", "job", "source", "target", "started", "ended", "status", "docs_read",
           "docs_written", "failures", "error")
STATUSES = ("running", "completed", "completed with failures", "failed", "interrupted")
DIED = "the process ended before the run finished (killed or power cut) / 进程意外终止"


def process_identity(pid):
    """What tells process ``pid`` from a later one given the same pid: its
    start time since boot (Linux ``/proc``), or "" where there is none;
    None when no such process is running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass                                      # alive, owned by another user
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def outcome(stats, error=None, status=None):
    """The status a run ends with: ``status`` if given, else from its error
    and write failures; counted in the metrics."""
    status = status or ("failed" if error else (
        "completed with failures" if stats.get("doc_write_failures") else "completed"))
    metrics.replication_run(status)
    return status


class ReplicationRuns:
    """The replication_runs table."""

    def __init__(self, db):
        self.db = db
        db.ensure(SCHEMA)
        with self.db.connect() as conn:            # tables made before pids were kept
            columns = {row[1] for row in conn.execute("PRAGMA table_info(replication_runs)")}
            for column, kind in (("pid", "INTEGER"), ("process", "TEXT")):
                if column not in columns:
                    conn.execute(f"ALTER TABLE replication_runs ADD COLUMN {column} {kind}")

    def start(self, job, source, target):
        """Record a run starting now in this process; returns its id."""
        self.settle_dead()
        pid = os.getpid()
        with self.db.connect() as conn:
            cur = conn.execute("INSERT INTO replication_runs (job, source, target, started, "
                               "status, pid, process) VALUES (?, ?, ?, ?, 'running', ?, ?)",
                               (job, source, target, time.time(), pid, process_identity(pid)))
        return cur.lastrowid

    def settle_dead(self):
        """Mark runs still "running" whose process is gone as interrupted."""
        with self.db.connect() as conn:
            running = conn.execute("SELECT id, pid, process FROM replication_runs "
                                   "WHERE status = 'running'").fetchall()
            dead = [run_id for run_id, pid, process in running
                    if pid is None or process_identity(pid) != process]
            conn.executemany("UPDATE replication_runs SET status = 'interrupted', error = ? "
                             "WHERE id = ? AND status = 'running'",
                             [(DIED, run_id) for run_id in dead])

    def finish(self, run_id, stats, error=None, status=None):
        """Record how run ``run_id`` ended."""
        status = outcome(stats, error, status)
        with self.db.connect() as conn:
            conn.execute(
                "UPDATE replication_runs SET ended = ?, status = ?, docs_read = ?, "
                "docs_written = ?, failures = ?, error = ?, stats = ? WHERE id = ?",
                (time.time(), status, stats.get("docs_read", 0), stats.get("docs_written", 0),
                 stats.get("doc_write_failures", 0), error, json.dumps(stats, default=str),
                 run_id))

    def recent(self, limit=20):
        """The latest runs, newest first."""
        return self.history(limit)[1]

    def history(self, limit, offset=0, job=None, status=None):
        """``(total, rows)``: one page of runs newest first, of one job and
        one status when given, ``total`` counting every match."""
        self.settle_dead()
        where, args = [], []
        for column, value in (("job", job), ("status", status)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self.db.connect() as conn:
            total = conn.execute(f"SELECT COUNT(*) FROM replication_runs{clause}",
                                 args).fetchone()[0]
            rows = conn.execute(f"SELECT {', '.join(COLUMNS)} FROM replication_runs{clause} "
                                "ORDER BY id DESC LIMIT ? OFFSET ?",
                                [*args, limit, offset]).fetchall()
        return total, [dict(zip(COLUMNS, row)) for row in rows]

    def jobs(self):
        """The names of the jobs that have runs, sorted."""
        with self.db.connect() as conn:
            return [row[0] for row in conn.execute(
                "SELECT DISTINCT job FROM replication_runs ORDER BY job")]

    def last_completed(self):
        """Job → its latest run that completed without failures."""
        with self.db.connect() as conn:
            rows = conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM replication_runs WHERE id IN "
                "(SELECT MAX(id) FROM replication_runs WHERE status = 'completed' "
                "GROUP BY job)").fetchall()
        return {row[1]: dict(zip(COLUMNS, row)) for row in rows}

    def statuses_since(self, since):
        """Status → how many runs started at or after ``since`` (epoch seconds)."""
        self.settle_dead()
        with self.db.connect() as conn:
            return dict(conn.execute("SELECT status, COUNT(*) FROM replication_runs "
                                     "WHERE started >= ? GROUP BY status", (since,)))
