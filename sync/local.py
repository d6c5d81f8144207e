"""``_local`` documents: per-database, unversioned beyond a counter.

They hold replication checkpoints. They never appear in changes or
all_docs and are never replicated. Revs look like CouchDB's: ``0-N``.
"""

import json

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
    body = {k: v for k, v in doc.items() if k not in ("_id", "_rev")}
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
