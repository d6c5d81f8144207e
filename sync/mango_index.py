"""Mango ``json`` indexes: their definitions in design documents, their rows on disk.

An index is defined, as CouchDB defines it, by a design document with
``"language": "query"``; each of its ``views`` is one index::

    {"_id": "_design/by-colour", "language": "query",
     "views": {"colour-grid": {"map": {"fields": {"colour": "asc", "grid": "asc"}},
                               "reduce": "_count",
                               "options": {"def": {"fields": ["colour", "grid"]}}}}}

Its rows live in the database's own SQLite file, beside the documents
(tables ``mango_indexes`` and ``mango_rows``, made on first use): one row
per document that has every indexed field and matches the index's
``partial_filter_selector``, keyed by the fields' values encoded so that
SQLite's BLOB order is CouchDB's collation (``sync.collate.encode``), then
the document id. Each index remembers the seq it has read the changes feed
to; a query first brings the indexes up to the database's seq (lazily, as
CouchDB updates views when read), in one write transaction, so two
requests never apply a change twice. Design documents are never indexed.
A document purged for good leaves no change behind, so each index also
reads the purge log (``sync.purge``) from where it last looked and drops
those documents' rows.
"""

import hashlib
import json
from dataclasses import dataclass, field

from . import purge
from .collate import HIGH, encode
from .errors import QueryError
from .selector import MISSING, compile_selector, get_field, split_path

TABLES = (
    "CREATE TABLE IF NOT EXISTS mango_indexes (id INTEGER PRIMARY KEY, ddoc TEXT NOT NULL,"
    " name TEXT NOT NULL, sig TEXT NOT NULL, seq INTEGER NOT NULL,"
    " purge_seq INTEGER NOT NULL DEFAULT 0, UNIQUE (ddoc, name, sig))",
    "CREATE TABLE IF NOT EXISTS mango_rows (idx INTEGER NOT NULL, key BLOB NOT NULL,"
    " doc_id TEXT NOT NULL, part TEXT, PRIMARY KEY (idx, key, doc_id)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS mango_rows_doc ON mango_rows (idx, doc_id)",
)
DESIGN_LOW, DESIGN_HIGH = "_design/", "_design0"      # every design id sorts between
BATCH = 5000                       # changes applied in one write transaction


@dataclass
class Index:
    """One Mango index: ``ddoc`` None and type ``special`` for ``_all_docs``."""

    ddoc: str
    name: str
    fields: list                               # [(field, "asc" | "desc")]
    partial: dict = None                       # partial_filter_selector
    type: str = "json"
    paths: list = field(init=False)

    def __post_init__(self):
        self.paths = [split_path(name) for name, _ in self.fields]

    @property
    def columns(self):
        """The indexed field names, in order."""
        return [name for name, _ in self.fields]

    @property
    def signature(self):
        """What identifies the rows: a changed definition means a rebuild."""
        text = json.dumps([self.fields, self.partial], sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()

    def to_json(self):
        """The index as ``GET /{db}/_index`` lists it."""
        definition = {"fields": [{name: way} for name, way in self.fields]}
        if self.partial is not None:
            definition["partial_filter_selector"] = self.partial
        out = {"ddoc": self.ddoc, "name": self.name, "type": self.type, "def": definition}
        if self.type != "special":
            out["partitioned"] = False
        return out

    def key_of(self, doc, partial_test):
        """The encoded key of ``doc`` in this index, or None when it is left out."""
        values = [get_field(doc, path) for path in self.paths]
        if any(value is MISSING for value in values):
            return None
        if partial_test is not None and not partial_test(doc):
            return None
        return b"".join(encode(value) for value in values)


ALL_DOCS = Index(None, "_all_docs", [("_id", "asc")], type="special")


def parse_fields(fields, what="index.fields"):
    """``[(field, direction)]`` from Mango's ``["a", {"b": "desc"}]``.

    :raises QueryError: naming what is wrong.
    """
    if not isinstance(fields, list) or not fields:
        raise QueryError("invalid_index", f"{what} 必须是非空数组 / {what} must be a "
                                          "non-empty array of field names")
    out = []
    for item in fields:
        if isinstance(item, str) and item:
            out.append((item, "asc"))
        elif (isinstance(item, dict) and len(item) == 1
              and next(iter(item)) and next(iter(item.values())) in ("asc", "desc")):
            out.append(next(iter(item.items())))
        else:
            raise QueryError("invalid_sort_field" if what == "sort" else "invalid_index",
                             f"{what} 的每一项须为字段名或 {{字段: \"asc\"|\"desc\"}}：{item!r} / "
                             f"Invalid {what} field: {json.dumps(item)[:200]}")
    if len({way for _, way in out}) > 1:
        raise QueryError("unsupported_mixed_sort", f"{what} 的方向必须一致 / Sorts currently "
                         "only support a single direction for all fields.")
    return out


def design_id(ddoc):
    """``_design/x`` for ``x`` or ``_design/x``."""
    return ddoc if ddoc.startswith("_design/") else "_design/" + ddoc


def from_design(doc_id, body):
    """The json indexes a design document defines (none unless ``language`` is ``query``)."""
    if not isinstance(body, dict) or body.get("language") != "query":
        return []
    found = []
    for name, view in (body.get("views") or {}).items():
        definition = (((view or {}).get("options") or {}).get("def") or {}) \
            if isinstance(view, dict) else {}
        try:
            fields = parse_fields(definition.get("fields"))
            partial = definition.get("partial_filter_selector")
            if partial is not None:
                compile_selector(partial)
        except QueryError:
            continue                            # a broken definition answers nothing
        found.append(Index(doc_id, name, fields, partial))
    return found


def definitions(conn):
    """Every json index the database's design documents define, by ddoc and name."""
    rows = conn.execute(
        "SELECT d.id, r.body FROM docs d JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner"
        " WHERE d.id >= ? AND d.id < ? AND d.deleted = 0 ORDER BY d.id",
        (DESIGN_LOW, DESIGN_HIGH))
    found = []
    for doc_id, body in rows:
        try:
            found.extend(from_design(doc_id, json.loads(body)))
        except ValueError:
            continue
    return sorted(found, key=lambda ix: (ix.ddoc, ix.name))


def _stored(conn):
    return {(ddoc, name, sig): (idx, seq) for idx, ddoc, name, sig, seq in conn.execute(
        "SELECT id, ddoc, name, sig, seq FROM mango_indexes")}


def _behind_purges(conn):
    """Whether an index has not yet dropped the rows of purged documents."""
    return conn.execute("SELECT 1 FROM mango_indexes WHERE purge_seq < ?",
                        (purge.purge_seq(conn),)).fetchone() is not None


def _apply_purges(conn):
    """Drop the rows of documents purged since each index last looked (with
    ``secure_delete``: index keys hold field values, and a purge is an
    erasure). A log trimmed past an index's place empties it, to be rebuilt."""
    current = purge.purge_seq(conn)
    conn.execute("PRAGMA secure_delete = ON")
    try:
        for idx, done in conn.execute(
                "SELECT id, purge_seq FROM mango_indexes WHERE purge_seq < ?",
                (current,)).fetchall():
            entries = purge.since(conn, done)
            if not entries or entries[0][0] != done + 1:
                conn.execute("DELETE FROM mango_rows WHERE idx = ?", (idx,))
                conn.execute("UPDATE mango_indexes SET seq = 0 WHERE id = ?", (idx,))
            else:
                conn.executemany("DELETE FROM mango_rows WHERE idx = ? AND doc_id = ?",
                                 [(idx, doc_id) for _, ids in entries for doc_id in ids])
            conn.execute("UPDATE mango_indexes SET purge_seq = ? WHERE id = ?", (current, idx))
    finally:
        conn.execute("PRAGMA secure_delete = OFF")


def _has_tables(conn):
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'mango_rows'").fetchone()


def refresh(file, indexes, update_seq, build):
    """Bring the rows of the ``build`` indexes (``{(ddoc, name)}``) of ``indexes``
    up to ``update_seq``; ``({(ddoc, name): row id}, changes read)``. Rows of
    indexes no longer defined are dropped; the others wait for their query."""
    wanted = {(ix.ddoc, ix.name, ix.signature): ix for ix in indexes}
    with file.read() as conn:
        stored = _stored(conn) if _has_tables(conn) else None
    if not wanted and not stored:
        return {}, 0
    if stored is not None and set(stored) == set(wanted) and all(
            seq >= update_seq for key, (_, seq) in stored.items() if key[:2] in build):
        with file.read() as conn:
            fresh = not _behind_purges(conn)
        if fresh:
            return {(k[0], k[1]): v[0] for k, v in stored.items()}, 0
    with file.write() as conn:
        for sql in TABLES:
            conn.execute(sql)
        stored = _stored(conn)
        for key in set(stored) - set(wanted):
            conn.execute("DELETE FROM mango_rows WHERE idx = ?", (stored[key][0],))
            conn.execute("DELETE FROM mango_indexes WHERE id = ?", (stored[key][0],))
        for key in set(wanted) - set(stored):
            cur = conn.execute("INSERT INTO mango_indexes (ddoc, name, sig, seq, purge_seq) "
                               "VALUES (?, ?, ?, 0, ?)", key + (purge.purge_seq(conn),))
            stored[key] = (cur.lastrowid, 0)
        _apply_purges(conn)
    ids = {(k[0], k[1]): stored[k][0] for k in wanted}
    read = 0
    while True:         # in batches, so that writers wait for one batch at most
        with file.write() as conn:
            seq = int(conn.execute(
                "SELECT value FROM meta WHERE key = 'update_seq'").fetchone()[0])
            stored = _stored(conn)
            stale = [(stored[key][0], stored[key][1], ix) for key, ix in wanted.items()
                     if key in stored and stored[key][1] < seq and key[:2] in build]
            if not stale:
                return ids, read
            count, last = _apply(conn, stale, BATCH)
            read += count
            upto = seq if count < BATCH else last
            conn.executemany("UPDATE mango_indexes SET seq = ? WHERE id = ?",
                             [(max(old, upto), idx) for idx, old, _ in stale])


def _apply(conn, stale, limit):
    """Apply up to ``limit`` changes after the stalest index's seq to each stale
    index; ``(changes read, seq of the last one)``."""
    since = min(seq for _, seq, _ in stale)
    tests = [(idx, seq, ix, compile_selector(ix.partial) if ix.partial else None)
             for idx, seq, ix in stale]
    cursor = conn.execute(
        "SELECT d.id, d.seq, d.deleted, d.part, d.winner, r.body FROM docs d "
        "LEFT JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner WHERE d.seq > ? "
        "ORDER BY d.seq LIMIT ?", (since, limit))
    read, last, removals, inserts = 0, since, [], []
    while True:
        chunk = cursor.fetchmany(500)
        if not chunk:
            break
        for doc_id, doc_seq, deleted, part, winner, body in chunk:
            read, last = read + 1, doc_seq
            doc = None
            for idx, seq, ix, partial in tests:
                if doc_seq <= seq:
                    continue
                if seq:
                    removals.append((idx, doc_id))
                if deleted or body is None or doc_id.startswith(DESIGN_LOW):
                    continue
                if doc is None:
                    doc = json.loads(body)
                    doc["_id"], doc["_rev"] = doc_id, winner
                key = ix.key_of(doc, partial)
                if key is not None:
                    inserts.append((idx, key, doc_id, part))
        conn.executemany("DELETE FROM mango_rows WHERE idx = ? AND doc_id = ?", removals)
        conn.executemany("INSERT OR REPLACE INTO mango_rows (idx, key, doc_id, part) "
                         "VALUES (?, ?, ?, ?)", inserts)
        removals, inserts = [], []
    return read, last


def scan(conn, idx, bounds, descending=False, parts=None, after=None):
    """``(key, doc_id, winner, body)`` rows of index row id ``idx`` within ``bounds``
    (``(low, high)``, each ``(bytes, inclusive)`` or None), in key order,
    after the bookmark ``after`` (a ``(key, doc_id)``), of ``parts`` only."""
    where, args = ["m.idx = ?", "d.deleted = 0"], [idx]
    low, high = bounds
    if low is not None:
        where.append("m.key >= ?" if low[1] else "m.key > ?")
        args.append(low[0])
    if high is not None:
        where.append("m.key <= ?" if high[1] else "m.key < ?")
        args.append(high[0])
    if after is not None:
        cmp = "<" if descending else ">"
        where.append(f"(m.key {cmp} ? OR (m.key = ? AND m.doc_id {cmp} ?))")
        args += [after[0], after[0], after[1]]
    if parts is not None:
        parts = sorted(parts)
        where.append(f"m.part IN ({','.join('?' * len(parts))})")
        args += parts
    order = "DESC" if descending else "ASC"
    return conn.execute(
        "SELECT m.key, m.doc_id, d.winner, r.body FROM mango_rows m "
        "JOIN docs d ON d.id = m.doc_id JOIN revs r ON r.doc_id = d.id AND r.rev = d.winner "
        f"WHERE {' AND '.join(where)} ORDER BY m.key {order}, m.doc_id {order}", args)


def scan_ids(conn, bounds, descending=False, parts=None, after=None):
    """``(id, id, winner, body)`` of live, non-design documents by id: the ``_all_docs`` index."""
    where = ["d.deleted = 0", "NOT (d.id >= ? AND d.id < ?)"]
    args = [DESIGN_LOW, DESIGN_HIGH]
    low, high = bounds
    if low is not None:
        where.append("d.id >= ?" if low[1] else "d.id > ?")
        args.append(low[0])
    if high is not None:
        where.append("d.id <= ?" if high[1] else "d.id < ?")
        args.append(high[0])
    if after is not None:
        where.append("d.id < ?" if descending else "d.id > ?")
        args.append(after[1])
    if parts is not None:
        parts = sorted(parts)
        where.append(f"d.part IN ({','.join('?' * len(parts))})")
        args += parts
    order = "DESC" if descending else "ASC"
    return conn.execute(
        f"SELECT d.id, d.id, d.winner, r.body FROM docs d JOIN revs r ON r.doc_id = d.id "
        f"AND r.rev = d.winner WHERE {' AND '.join(where)} ORDER BY d.id {order}", args)


__all__ = ["Index", "ALL_DOCS", "HIGH", "parse_fields", "design_id", "from_design",
           "definitions", "refresh", "scan", "scan_ids"]
