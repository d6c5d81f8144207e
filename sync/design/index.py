"""A view index on disk: the map results of one design document's views.

One SQLite file per signature (a hash of the views' functions and
libraries), in ``{database file}.views/`` beside the database, so a
changed design document gets a fresh index and an unchanged one survives
restarts. Rows are ``(view, key bytes, id, key, value, part)``: the key
bytes (:mod:`.keys`) order them as CouchDB collates keys, ``part`` is the
document's partition so per-user queries filter in SQL. The index catches
up from the database's changes feed when queried (``update``), in pages,
each page one transaction; a database made again (new epoch) starts it
over. A purge leaves no change behind for a fully purged document, so the
index also follows the database's purge log (``purged_since``): it drops
the rows of every purged id first (a partly purged document comes back
through the feed with a new seq), and starts over when the log was trimmed
past it. Purges made by any process are seen this way.
"""

import hashlib
import json
import sqlite3
import threading
from collections import Counter
from pathlib import Path

from ..errors import NotFound
from . import keys

PAGE = 1000

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
-- Rows per view and partition ('' for none), kept on each write: total_rows in O(1).
CREATE TABLE IF NOT EXISTS counts (
    view INTEGER NOT NULL,
    part TEXT NOT NULL,
    n    INTEGER NOT NULL,
    PRIMARY KEY (view, part)
) WITHOUT ROWID;
"""


def signature(ddoc):
    """The hash naming what a design document's views compute."""
    views = ddoc.get("views") if isinstance(ddoc.get("views"), dict) else {}
    basis = {"language": ddoc.get("language", "javascript"), "lib": views.get("lib"),
             "views": {name: [v.get("map"), v.get("reduce")] for name, v in sorted(views.items())
                       if name != "lib" and isinstance(v, dict)}}
    return hashlib.md5(json.dumps(basis, sort_keys=True).encode()).hexdigest()


def views_folder(db):
    """Where ``db``'s view indexes live: ``{database file}.views/``."""
    return Path(str(db.file.path) + ".views")


def remove_unused(db, signatures):
    """Delete the index files of ``db`` whose signature is not in
    ``signatures`` (``_view_cleanup``); the signatures removed."""
    removed = set()
    for path in views_folder(db).glob("*.sqlite*"):
        sig = path.name.split(".", 1)[0]
        if sig not in signatures:
            path.unlink(missing_ok=True)
            removed.add(sig)
    return sorted(removed)


class ViewIndex:
    """The on-disk index of one design document's views in one database."""

    def __init__(self, db, ddoc, sandbox):
        self.db = db
        self.ddoc = ddoc
        self.sandbox = sandbox
        self.signature = signature(ddoc)
        views = ddoc.get("views") or {}
        javascript = ddoc.get("language", "javascript") == "javascript"
        self.names = sorted(n for n, v in views.items()
                            if javascript and n != "lib" and isinstance(v, dict) and "map" in v)
        for name in self.names:
            sandbox.compile("map:" + name, views[name]["map"])
        folder = views_folder(db)
        folder.mkdir(exist_ok=True)
        self.path = folder / f"{self.signature}.sqlite"
        self._lock = threading.Lock()
        self._local = threading.local()
        self.updating = False
        with self._connect() as conn:
            conn.executescript(SCHEMA)

    def _connect(self):
        """This thread's connection to the index file (autocommit; kept open)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return _Kept(conn)

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
                conn.execute("DELETE FROM counts")
                conn.execute("DELETE FROM meta")
                conn.execute("INSERT INTO meta VALUES ('epoch', ?), ('seq', '0')",
                             (self.db.epoch,))
                conn.execute("COMMIT")
                meta = {"epoch": self.db.epoch, "seq": "0"}
            seq = meta.get("seq", "0")
            seq = self._follow_purges(conn, meta, seq)
            while True:
                page = self.db.changes(since=seq, limit=PAGE, style="all_docs")
                if not self._apply(conn, seq, page["results"], page["last_seq"]):
                    # Another process moved the index on meanwhile: go on from there.
                    seq = conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0]
                    continue
                seq = page["last_seq"]
                if not page["pending"]:
                    return seq

    def _follow_purges(self, conn, meta, seq):
        """Drop the rows of documents purged since the index last looked; the
        seq to go on from ("0" when the purge log no longer reaches back)."""
        known = int(meta.get("purge_seq", "0"))
        log = self.db.purged_since(known)
        if not log:
            return seq
        gone = sorted({doc_id for _n, ids in log for doc_id in ids})
        trimmed = log[0][0] > known + 1
        conn.execute("BEGIN IMMEDIATE")
        if trimmed or seq == "0":
            conn.execute("DELETE FROM rows")
            conn.execute("DELETE FROM counts")
            conn.execute("UPDATE meta SET value = '0' WHERE key = 'seq'")
            seq = "0"
        else:
            _remove(conn, gone)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('purge_seq', ?)", (str(log[-1][0]),))
        conn.execute("COMMIT")
        return seq

    def _apply(self, conn, since, results, last_seq):
        """Write one page's rows if the index is still at ``since``; False if not."""
        ids, texts = self._documents(results)
        mapped = self.sandbox.map_text(["map:" + n for n in self.names],
                                       "[" + ",".join(texts) + "]") if ids else []
        part_of = self.db.partition or (lambda _id: None)
        inserts = []
        for doc_id, per_view in zip(ids, mapped):
            part = part_of(doc_id)
            for number, emitted in enumerate(per_view):
                for key, value in emitted:
                    inserts.append((number, keys.encode(json.loads(key)), doc_id, key, value,
                                    part))
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0] != since:
                conn.execute("ROLLBACK")
                return False
            _remove(conn, [row["id"] for row in results])
            conn.executemany("INSERT INTO rows VALUES (?, ?, ?, ?, ?, ?)", inserts)
            _count(conn, Counter((row[0], row[5] or "") for row in inserts))
            conn.execute("UPDATE meta SET value = ? WHERE key = 'seq'", (last_seq,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return True

    def _documents(self, results):
        """``(ids, JSON texts)`` of the live documents of a changes page, in order.

        Bodies come as stored text (``_bulk_get``'s fast path); a document
        with several leaves is read with its ``_conflicts``, as maps see it.
        """
        live = [row for row in results
                if not row.get("deleted") and not row["id"].startswith("_design/")]
        simple = [row for row in live if len(row["changes"]) == 1]
        found = self.db.bulk_get([{"id": row["id"], "rev": row["changes"][0]["rev"]}
                                  for row in simple], raw=True)
        texts = {}
        for result in found:
            doc = result["docs"][0].get("ok")
            if doc is not None:
                texts[result["id"]] = doc if isinstance(doc, str) else json.dumps(
                    doc, ensure_ascii=False)
        for row in live:
            if row["id"] not in texts:
                try:
                    texts[row["id"]] = json.dumps(self.db.get(row["id"], conflicts=True),
                                                  ensure_ascii=False)
                except NotFound:
                    pass
        ids = [row["id"] for row in live if row["id"] in texts]
        return ids, [texts[i] for i in ids]

    def reset(self):
        """Empty the index; the next query rebuilds it from the start."""
        with self._lock, self._connect() as conn:
            conn.execute("DELETE FROM rows")
            conn.execute("DELETE FROM counts")
            conn.execute("UPDATE meta SET value = '0' WHERE key = 'seq'")

    def compact(self):
        """Give the index file's free pages back (``_compact/{ddoc}``)."""
        with self._lock, self._connect() as conn:
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def size(self):
        """Bytes on disk."""
        return sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))


def _remove(conn, doc_ids):
    """Delete the rows of ``doc_ids`` and take them off the counts."""
    for start in range(0, len(doc_ids), 500):
        chunk = doc_ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        gone = conn.execute(f"SELECT view, COALESCE(part, ''), COUNT(*) FROM rows "
                            f"WHERE id IN ({marks}) GROUP BY 1, 2", chunk).fetchall()
        conn.execute(f"DELETE FROM rows WHERE id IN ({marks})", chunk)
        _count(conn, {(view, part): -n for view, part, n in gone})


def _count(conn, deltas):
    conn.executemany("INSERT INTO counts (view, part, n) VALUES (?, ?, ?) "
                     "ON CONFLICT (view, part) DO UPDATE SET n = n + excluded.n",
                     [(view, part, n) for (view, part), n in deltas.items() if n])


class _Kept:
    """A kept connection in a ``with`` block: an open transaction is rolled back."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc):
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
