"""``_local`` documents: per-database, unversioned beyond a counter.

They hold replication checkpoints. They never appear in changes or
all_docs and are never replicated; ``_local_docs`` lists them. Revs look
like CouchDB's: ``0-N``, and they have no history (no ``_revisions``).
"""

import json

from .alldocs import AllDocsQuery
from .docs import SPECIAL_IN
from .errors import Conflict, NotFound

PREFIX = "_local/"


def _key(doc_id):
    return doc_id[len(PREFIX):] if doc_id.startswith(PREFIX) else doc_id


def get(conn, doc_id):
    """The local document ``doc_id``.

    :raises NotFound: when there is none.
    """
    key = _key(doc_id)
    row = conn.execute("SELECT rev, body FROM local_docs WHERE id = ?", (key,)).fetchone()
    if row is None:
        raise NotFound("missing")
    doc = json.loads(row[1])
    doc["_id"] = PREFIX + key
    doc["_rev"] = f"0-{row[0]}"
    return doc


def _current(conn, key):
    row = conn.execute("SELECT rev FROM local_docs WHERE id = ?", (key,)).fetchone()
    return None if row is None else row[0]


def _check_rev(current, rev):
    if current is None:
        if rev not in (None, "", "0-0"):
            raise Conflict()
    elif rev != f"0-{current}":
        raise Conflict()


def put(conn, doc_id, doc):
    """Write a local document; ``_rev`` must match the current one.

    :raises Conflict: when ``_rev`` is stale.
    """
    key = _key(doc_id)
    current = _current(conn, key)
    _check_rev(current, doc.get("_rev"))
    if doc.get("_deleted"):
        return delete(conn, doc_id, doc.get("_rev"))
    # CouchDB keeps no special member of a local document (``_revisions``
    # included: PouchDB sends one back and expects not to read it again).
    body = {k: v for k, v in doc.items() if k not in SPECIAL_IN}
    new = (current or 0) + 1
    conn.execute("INSERT OR REPLACE INTO local_docs (id, rev, body) VALUES (?, ?, ?)",
                 (key, new, json.dumps(body, ensure_ascii=False, allow_nan=False)))
    return {"ok": True, "id": PREFIX + key, "rev": f"0-{new}"}


def delete(conn, doc_id, rev):
    """Delete a local document.

    :raises NotFound: when there is none.
    :raises Conflict: when ``rev`` is stale.
    """
    key = _key(doc_id)
    current = _current(conn, key)
    if current is None:
        raise NotFound("missing")
    _check_rev(current, rev)
    conn.execute("DELETE FROM local_docs WHERE id = ?", (key,))
    return {"ok": True, "id": PREFIX + key, "rev": "0-0"}


def _row(key_prefix, key, rev, body, include_docs):
    doc_id = PREFIX + key[len(key_prefix):]
    row = {"id": doc_id, "key": doc_id, "value": {"rev": f"0-{rev}"}}
    if include_docs:
        row["doc"] = dict(json.loads(body), _id=doc_id, _rev=f"0-{rev}")
    return row


def _in_range(q, doc_id):
    low, high = (q.endkey, q.startkey) if q.descending else (q.startkey, q.endkey)
    low_inclusive = not q.descending or q.inclusive_end
    high_inclusive = q.descending or q.inclusive_end
    if low is not None and (doc_id < low or (doc_id == low and not low_inclusive)):
        return False
    return high is None or doc_id < high or (doc_id == high and high_inclusive)


def listing(conn, key_prefix="", **params):
    """``_local_docs`` as CouchDB answers it: ``total_rows`` and ``offset``
    null, rows ``{id, key, value: {rev}}`` (``doc`` with ``include_docs``),
    by id or by ``keys``; only documents stored under ``key_prefix``.

    :raises BadRequest: for malformed parameters (see ``AllDocsQuery``).
    """
    q = AllDocsQuery(**params)
    found = conn.execute(
        "SELECT id, rev, body FROM local_docs WHERE substr(id, 1, ?) = ? ORDER BY id",
        (len(key_prefix), key_prefix)).fetchall()
    if q.keys is not None:
        by_id = {PREFIX + key[len(key_prefix):]: (key, rev, body) for key, rev, body in found}
        rows = [_row(key_prefix, *by_id[k], q.include_docs) if k in by_id
                else {"key": k, "error": "not_found"} for k in q.keys]
    else:
        rows = [_row(key_prefix, key, rev, body, q.include_docs)
                for key, rev, body in (reversed(found) if q.descending else found)]
        rows = [row for row in rows if _in_range(q, row["id"])][q.skip:]
    if q.limit is not None:
        rows = rows[:q.limit]
    return {"total_rows": None, "offset": None, "rows": rows}
