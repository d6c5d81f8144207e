"""The access log: who looked at whose personal data, and who exported what.

Under China's Personal Information Protection Law a community must be able
to say who saw a resident's details. One row per look, in the server's own
tables (``DATA_DIR/gridvisit.sqlite``, never replicated): when, who (name
and role), from which address, what (``household.view`` — a household's
page with its members; ``reveal`` — a masked phone or ID number shown on a
deliberate click; ``export`` — a spreadsheet, with the filters used), the
household looked at (empty for an export) and a JSON object of details
(never the personal data itself). Rows are only ever added; admins read
them on the console's 访问记录 page.
"""

import json
import time

SCHEMA = """
CREATE TABLE IF NOT EXISTS access_log (
    id        INTEGER PRIMARY KEY,
    at        REAL NOT NULL,
    user      TEXT NOT NULL,
    role      TEXT NOT NULL,
    address   TEXT,
    action    TEXT NOT NULL,
    household TEXT,
    detail    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS access_log_at ON access_log (at);
CREATE INDEX IF NOT EXISTS access_log_household ON access_log (household, at);
CREATE INDEX IF NOT EXISTS access_log_user ON access_log (user, at);
"""
ACTIONS = ("household.view", "reveal", "export")
KEYS = ("id", "at", "user", "role", "address", "action", "household", "detail")


class AccessLog:
    """The access_log table."""

    def __init__(self, db):
        self.db = db
        db.ensure(SCHEMA)

    def record(self, user, role, action, household=None, detail=None, address=None):
        """Add one row; returns its id.

        :raises ValueError: for an action not in :data:`ACTIONS`.
        """
        if action not in ACTIONS:
            raise ValueError(f"action: one of {', '.join(ACTIONS)}")
        with self.db.connect() as conn:
            cur = conn.execute(
                "INSERT INTO access_log (at, user, role, address, action, household, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (time.time(), user, role, address, action, household,
                 json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)))
        return cur.lastrowid

    @staticmethod
    def _where(user=None, action=None, household=None, since=None, until=None):
        where, args = [], []
        for column, value in (("user", user), ("action", action), ("household", household)):
            if value:
                where.append(f"{column} = ?")
                args.append(value)
        if since is not None:
            where.append("at >= ?")
            args.append(since)
        if until is not None:
            where.append("at < ?")
            args.append(until)
        return (" WHERE " + " AND ".join(where)) if where else "", args

    def list(self, limit=50, offset=0, **filters):
        """Rows newest first, filtered by ``user``, ``action``, ``household`` and a
        time span (epoch seconds, ``since`` included, ``until`` not)."""
        where, args = self._where(**filters)
        with self.db.connect() as conn:
            rows = conn.execute(f"SELECT {', '.join(KEYS)} FROM access_log{where} "
                                "ORDER BY id DESC LIMIT ? OFFSET ?",
                                args + [limit, offset]).fetchall()
        return [dict(zip(KEYS, row[:-1]), detail=json.loads(row[-1])) for row in rows]

    def count(self, **filters):
        """How many rows match the filters of :meth:`list`."""
        where, args = self._where(**filters)
        with self.db.connect() as conn:
            return conn.execute(f"SELECT COUNT(*) FROM access_log{where}", args).fetchone()[0]


def access_log(serverdb):
    """The access log of ``serverdb`` (made once per database object)."""
    found = getattr(serverdb, "_access_log", None)
    if found is None:
        found = serverdb._access_log = AccessLog(serverdb)
    return found
