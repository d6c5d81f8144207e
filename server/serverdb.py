"""The server's own tables (accounts, grids, tokens, quarantine, audit).

They live in ``DATA_DIR/gridvisit.sqlite``, beside the field databases, and
are never replicated. Each module that owns tables declares its schema and
calls :func:`ServerDB.ensure` once at start-up.
"""

import contextlib
import sqlite3


class ServerDB:
    """Connections to the server's SQLite file (one per call, WAL mode)."""

    def __init__(self, path):
        self.path = str(path)

    @contextlib.contextmanager
    def connect(self):
        """A connection that commits on success and is always closed."""
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            with conn:
                yield conn
        finally:
            conn.close()

    def ensure(self, schema):
        """Create the tables of ``schema`` when missing."""
        with self.connect() as conn:
            conn.executescript(schema)
