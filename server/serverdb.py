"""The server's own tables (accounts, grids, tokens, quarantine, audit).

They live in ``DATA_DIR/gridvisit.sqlite``, beside the field databases, and
are never replicated. Each module that owns tables declares its schema and
calls :func:`ServerDB.ensure` once at start-up. Every thread keeps one
connection open: authentication reads these tables on every request.
"""

import contextlib
import sqlite3
import threading
from pathlib import Path

# The layout of gridvisit.sqlite, in its ``PRAGMA user_version``; older
# files are brought to it by ``server.migrations``.
LAYOUT_VERSION = 1


class ServerDB:
    """Per-thread connections to the server's SQLite file (WAL mode)."""

    def __init__(self, path):
        self.path = str(path)
        self._local = threading.local()
        self._ensured = set()             # schemas created already (ensure is called per use)
        if not Path(path).exists():       # born in today's layout: nothing to migrate
            self._conn().execute(f"PRAGMA user_version = {LAYOUT_VERSION}")

    def _conn(self):
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    @contextlib.contextmanager
    def connect(self):
        """This thread's connection, inside a transaction that commits on success."""
        conn = self._conn()
        if conn.in_transaction:            # nested use: join the outer transaction
            yield conn
            return
        with conn:
            yield conn

    def ensure(self, schema):
        """Create the tables of ``schema`` when missing (once per file and schema:
        some services are made per request)."""
        if schema not in self._ensured:
            self._conn().executescript(schema)
            self._ensured.add(schema)
