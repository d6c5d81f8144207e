"""One SQLite file per database: schema, connections, transactions.

Every thread gets its own connection (SQLite connections are not shared
across threads); writes take an in-process lock and ``BEGIN IMMEDIATE`` so
a batch is one transaction even with other processes writing the same file.
"""

import contextlib
import sqlite3
import threading

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
-- One row per document: its flat rev tree (JSON, see revtree.py), the
-- winning rev, and the seq of its latest change (the by-seq index).
CREATE TABLE IF NOT EXISTS docs (
    id      TEXT PRIMARY KEY,
    tree    TEXT NOT NULL,
    winner  TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    seq     INTEGER NOT NULL UNIQUE
);
-- Bodies of leaf revisions (older bodies are compacted away on write).
CREATE TABLE IF NOT EXISTS revs (
    doc_id  TEXT NOT NULL,
    rev     TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    body    TEXT NOT NULL,
    PRIMARY KEY (doc_id, rev)
) WITHOUT ROWID;
-- Attachment bytes, addressed by digest, stored once.
CREATE TABLE IF NOT EXISTS blobs (
    digest TEXT PRIMARY KEY,
    data   BLOB NOT NULL
) WITHOUT ROWID;
-- _local documents: never in changes, never replicated.
CREATE TABLE IF NOT EXISTS local_docs (
    id   TEXT PRIMARY KEY,
    rev  INTEGER NOT NULL,
    body TEXT NOT NULL
) WITHOUT ROWID;
"""


def connect(path):
    """Open ``path`` with WAL journaling and the schema in place."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None,
                           check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class SQLiteFile:
    """Per-thread connections to one database file, and its write lock."""

    def __init__(self, path):
        self.path = str(path)
        self._local = threading.local()
        self._all = []
        self._guard = threading.Lock()
        self.write_lock = threading.RLock()
        conn = self.conn()
        conn.executescript(SCHEMA)

    def conn(self):
        """This thread's connection, opened on first use."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path)
            self._local.conn = conn
            with self._guard:
                self._all.append(conn)
        return conn

    @contextlib.contextmanager
    def write(self):
        """A write transaction: all of it commits, or none of it."""
        with self.write_lock:
            conn = self.conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextlib.contextmanager
    def read(self):
        """A consistent snapshot for several reads."""
        conn = self.conn()
        if conn.in_transaction:      # nested in a write: already consistent
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def close(self):
        """Close every connection this file has handed out."""
        with self._guard:
            for conn in self._all:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()
            self._all.clear()
        self._local = threading.local()
