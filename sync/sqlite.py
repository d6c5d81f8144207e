"""One SQLite file per database: schema, connections, transactions.

Connections come from a small pool, one per read or write in flight;
writes take an in-process lock and ``BEGIN IMMEDIATE`` so a batch is one
transaction even with other processes writing the same file.
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
-- winning rev, its leaves (winner first, space-separated), the seq of its
-- latest change (the by-seq index), and its partition (for gridvisit, the
-- grid in its id) so a partition's changes are found without a scan.
CREATE TABLE IF NOT EXISTS docs (
    id      TEXT PRIMARY KEY,
    tree    TEXT NOT NULL,
    winner  TEXT NOT NULL,
    leaves  TEXT NOT NULL,
    deleted INTEGER NOT NULL,
    seq     INTEGER NOT NULL UNIQUE,
    part    TEXT
);
CREATE INDEX IF NOT EXISTS docs_part_seq ON docs (part, seq);
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
-- Every automatic conflict resolution (resolve.py), for supervisors.
CREATE TABLE IF NOT EXISTS resolutions (
    id          INTEGER PRIMARY KEY,
    doc_id      TEXT NOT NULL,
    at          REAL NOT NULL,
    leaves      TEXT NOT NULL,
    leaf_bodies TEXT NOT NULL,
    merged_rev  TEXT NOT NULL,
    decisions   TEXT NOT NULL,
    flagged     INTEGER NOT NULL,
    rules       TEXT NOT NULL,
    settled_by  TEXT,
    settled_at  REAL,
    override    TEXT
);
CREATE INDEX IF NOT EXISTS resolutions_doc ON resolutions (doc_id, at);
-- The purge log (purge.py): one row per _purge request, ids and revs only.
CREATE TABLE IF NOT EXISTS purged (
    seq INTEGER PRIMARY KEY,
    ids TEXT NOT NULL
);
-- _local documents: never in changes, never replicated.
CREATE TABLE IF NOT EXISTS local_docs (
    id   TEXT PRIMARY KEY,
    rev  INTEGER NOT NULL,
    body TEXT NOT NULL
) WITHOUT ROWID;
"""


# The layout of a database file, in its ``PRAGMA user_version``; the server's
# migrations (server/ops/migrations.py) bring older files to it.
LAYOUT_VERSION = 1


def connect(path):
    """Open ``path`` with WAL journaling and the schema in place."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None,
                           check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


class SQLiteFile:
    """A small pool of connections to one database file, and its write lock.

    A thread checks a connection out for the length of one read or write
    context (nested contexts share it), so open files stay bounded by the
    number of requests in flight, not by the number of server threads.
    """

    MAX_IDLE = 8

    def __init__(self, path):
        self.path = str(path)
        self._local = threading.local()
        self._idle = []
        self._guard = threading.Lock()
        self.write_lock = threading.RLock()
        with self._checkout() as conn:
            fresh = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'docs'").fetchone() is None
            conn.executescript(SCHEMA)
            if fresh:                       # born in today's layout: nothing to migrate
                conn.execute(f"PRAGMA user_version = {LAYOUT_VERSION}")

    @contextlib.contextmanager
    def _checkout(self):
        current = getattr(self._local, "conn", None)
        if current is not None:             # nested: share the outer connection
            yield current
            return
        with self._guard:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = connect(self.path)
        self._local.conn = conn
        try:
            yield conn
        finally:
            self._local.conn = None
            if conn.in_transaction:          # never hand on an open transaction
                conn.execute("ROLLBACK")
            with self._guard:
                keep = len(self._idle) < self.MAX_IDLE
                if keep:
                    self._idle.append(conn)
            if not keep:
                conn.close()

    @contextlib.contextmanager
    def write(self):
        """A write transaction: all of it commits, or none of it."""
        with self.write_lock, self._checkout() as conn:
            if conn.in_transaction:          # already inside this thread's write
                yield conn
                return
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
        with self._checkout() as conn:
            if conn.in_transaction:          # nested in a read or write
                yield conn
                return
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

    @contextlib.contextmanager
    def maintenance(self):
        """A connection outside any transaction, holding this process's
        write lock (for ``VACUUM`` and pragmas that refuse a transaction)."""
        with self.write_lock, self._checkout() as conn:
            yield conn

    def close(self):
        """Close the idle connections (those in use close when returned)."""
        with self._guard:
            idle, self._idle = self._idle, []
            self.MAX_IDLE = 0
        for conn in idle:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
