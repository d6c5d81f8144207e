"""A view index on disk: the map results of one design document's views.

One SQLite file per signature (a hash of the views' functions and
libraries), in ``{database file}.views/`` beside the database, so a
changed design document gets a fresh index and an unchanged one survives
restarts. Rows are ``(view, key bytes, id, key, value, part)``: the key
bytes (:mod:`.keys`) order them as CouchDB collates keys, ``part`` is the
document's partition so per-user queries filter in SQL. The index catches
up from the database's changes feed when queried (``update``), in pages,
each page one transaction; a database made again (new epoch) starts it
over. Purging documents must call :meth:`ViewIndex.forget` for them (or
:meth:`ViewIndex.reset`), since a purge leaves no change behind.
"""

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

from . import keys

PAGE = 500

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rows (
    view  INTEGER NOT NULL,
    kenc  BLOB NOT NULL,
    id    TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    part  TEXT
);
CREATE INDEX IF NOT EXISTS rows_order ON rows (view, kenc, id);
CREATE INDEX IF NOT EXISTS rows_id ON rows (id);
"""


def signature(ddoc):
    """The hash naming what a design document's views compute."""
    views = ddoc.get("views") if isinstance(ddoc.get("views"), dict) else {}
    basis = {"language": ddoc.get("language", "javascript"), "lib": views.get("lib"),
             "views": {name: [v.get("map"), v.get("reduce")] for name, v in sorted(views.items())
                       if name != "lib" and isinstance(v, dict)}}
    return hashlib.md5(json.dumps(basis, sort_keys=True).encode()).hexdigest()


class ViewIndex:
    """The on-disk index of one design document's views in one database."""

    def __init__(self, db, ddoc, sandbox):
        self.db = db
        self.ddoc = ddoc
        self.sandbox = sandbox
        self.signature = signature(ddoc)
        views = ddoc.get("views") or {}
        self.names = sorted(n for n, v in views.items()
                            if n != "lib" and isinstance(v, dict) and "map" in v)
        for name in self.names:
            sandbox.compile("map:" + name, views[name]["map"])
        folder = Path(str(db.file.path) + ".views")
        folder.mkdir(exist_ok=True)
        self.path = folder / f"{self.signature}.sqlite"
        self._lock = threading.Lock()
        self.updating = False
        with self._connect() as conn:
            conn.executescript(SCHEMA)

    def _connect(self):
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                               check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return _Closing(conn)

    def number(self, view):
        """The row number of ``view`` in this index, or None."""
        return self.names.index(view) if view in self.names else None

    def seq(self):
        """The database seq (text) the index has caught up to."""
        with self._connect() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
        return row[0] if row else 0

    def read(self):
        """A connection for queries (the caller closes it)."""
        return self._connect()

    def update(self):
        """Catch up with the database's changes; return the seq reached.

        :raises FunctionError: when a map function times out or exhausts memory.
        """
        with self._lock:
            self.updating = True
            try:
                return self._catch_up()
            finally:
                self.updating = False

    def _catch_up(self):
        with self._connect() as conn:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("epoch") != self.db.epoch:      # a new incarnation of the database
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("DELETE FROM rows")
                conn.execute("DELETE FROM meta")
                conn.execute("INSERT INTO meta VALUES ('epoch', ?), ('seq', '0')",
                             (self.db.epoch,))
                conn.execute("COMMIT")
                meta = {"epoch": self.db.epoch, "seq": "0"}
            seq = meta.get("seq", "0")
            while True:
                page = self.db.changes(since=seq, limit=PAGE, include_docs=True, conflicts=True)
                if page["results"]:
                    self._apply(conn, page["results"], page["last_seq"])
                elif page["last_seq"] != seq:
                    conn.execute("UPDATE meta SET value = ? WHERE key = 'seq'",
                                 (page["last_seq"],))
                seq = page["last_seq"]
                if not page["pending"]:
                    return seq

    def _apply(self, conn, results, last_seq):
        docs = [row["doc"] for row in results
                if not row.get("deleted") and not row["id"].startswith("_design/")]
        mapped = self.sandbox.map(["map:" + n for n in self.names],
                                  json.dumps(docs, ensure_ascii=False)) if docs else []
        part_of = self.db.partition or (lambda _id: None)
        inserts = []
        for doc, per_view in zip(docs, mapped):
            part = part_of(doc["_id"])
            for number, emitted in enumerate(per_view):
                for key, value in emitted:
                    inserts.append((number, keys.encode(key), doc["_id"],
                                    json.dumps(key, ensure_ascii=False),
                                    json.dumps(value, ensure_ascii=False), part))
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany("DELETE FROM rows WHERE id = ?", [(row["id"],) for row in results])
            conn.executemany("INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?)", inserts)
            conn.execute("UPDATE meta SET value = ? WHERE key = 'seq'", (last_seq,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def forget(self, doc_ids):
        """Drop the rows of ``doc_ids`` (purged documents leave no change to follow)."""
        with self._lock, self._connect() as conn:
            conn.executemany("DELETE FROM rows WHERE id = ?", [(i,) for i in doc_ids])

    def reset(self):
        """Empty the index; the next query rebuilds it from the start."""
        with self._lock, self._connect() as conn:
            conn.execute("DELETE FROM rows")
            conn.execute("UPDATE meta SET value = '0' WHERE key = 'seq'")

    def size(self):
        """Bytes on disk."""
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))


class _Closing:
    """A connection closed at the end of a ``with`` block."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()
