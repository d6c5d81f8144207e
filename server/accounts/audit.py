"""The audit log: every action a supervisor or admin took, and every failed login.

One row per action, in the server's own tables (``DATA_DIR/gridvisit.sqlite``,
never replicated): when, who (name and role), from which address, the
action's name (``review.approve``, ``user.create``, ...), its target (a
document id, an account, a device) and a JSON object of details. Rows are
only ever added; admins read them in the console.
"""

import json
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit_log (
    id      INTEGER PRIMARY KEY,
    at      REAL NOT NULL,
    user    TEXT NOT NULL,
    role    TEXT NOT NULL,
    address TEXT,
    action  TEXT NOT NULL,
    target  TEXT,
    detail  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
CREATE INDEX IF NOT EXISTS audit_log_user ON audit_log (user, at);
CREATE INDEX IF NOT EXISTS audit_log_action ON audit_log (action, at);
"""
KEYS = ("id", "at", "user", "role", "address", "action", "target", "detail")


class AuditLog:
    """The audit_log table."""

    def __init__(self, db):
        self.db = db
        db.ensure(SCHEMA)

    def record(self, user, role, action, target=None, detail=None, address=None):
        """Add one row; returns its id."""
        with self.db.connect() as conn:
            cur = conn.execute(
                "INSERT INTO audit_log (at, user, role, address, action, target, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time.time(), user, role, address, action, target,
                 json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)))
        return cur.lastrowid

    def _where(self, user, action, since=None, until=None):
        where, args = [], []
        if user:
            where.append("user = ?")
            args.append(user)
        if action:
            where.append("action LIKE ?")           # "review" matches review.approve, ...
            args.append(action.replace("%", "") + "%")
        if since is not None:
            where.append("at >= ?")
            args.append(since)
        if until is not None:
            where.append("at < ?")
            args.append(until)
        return (" WHERE " + " AND ".join(where)) if where else "", args

    def list(self, user=None, action=None, limit=50, offset=0, since=None, until=None):
        """Rows newest first, optionally of one user, action prefix and time span
        (epoch seconds, ``since`` included, ``until`` not)."""
        where, args = self._where(user, action, since, until)
        with self.db.connect() as conn:
            rows = conn.execute(f"SELECT {', '.join(KEYS)} FROM audit_log{where} "
                                "ORDER BY id DESC LIMIT ? OFFSET ?",
                                args + [limit, offset]).fetchall()
        return [dict(zip(KEYS, row[:-1]), detail=json.loads(row[-1])) for row in rows]

    def count(self, user=None, action=None, since=None, until=None):
        """How many rows match."""
        where, args = self._where(user, action, since, until)
        with self.db.connect() as conn:
            return conn.execute(f"SELECT COUNT(*) FROM audit_log{where}", args).fetchone()[0]

    # -- moving between stores (gridvisit migrate-store) -----------------------

    def export(self):
        """Every row, oldest first, for another store."""
        return self.list(limit=-1)[::-1]

    def absorb(self, rows):
        """Take rows from another store, each once (a row already here, by its
        time, user, action and target, is not added again); how many."""
        with self.db.connect() as conn:
            for row in rows:
                if conn.execute("SELECT 1 FROM audit_log WHERE at = ? AND user = ? AND "
                                "action = ? AND target IS ?",
                                (row["at"], row["user"], row["action"],
                                 row["target"])).fetchone() is None:
                    conn.execute(
                        "INSERT INTO audit_log (at, user, role, address, action, target, "
                        "detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (row["at"], row["user"], row["role"], row["address"], row["action"],
                         row["target"], json.dumps(row["detail"], ensure_ascii=False,
                                                   sort_keys=True)))
        return len(rows)
