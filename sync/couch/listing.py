"""Feeds and listings merged over a database's partitions: ``_changes``, ``_all_docs``.

Each partition's CouchDB database is read on its own and the pages are
joined; a row's seq is the vector of every partition's position after it
(:mod:`sync.couch.seqs`), so resuming from any row skips nothing.
"""

import json

from ..alldocs import AllDocsQuery
from ..errors import BadRequest
from ..integers import parse_int
from . import seqs
from .client import quote

_META_ID = "_local/gridvisit-meta"      # the store's own (database.META_ID)


def _page(db, key, since, limit, style, doc_ids, docs, conflicts, selector):
    params = {"since": since, "style": style}
    if limit is not None:
        params["limit"] = limit
    if docs:
        params["include_docs"] = "true"
    if conflicts:
        params["conflicts"] = "true"
    path = f"{quote(db.couch_name(key))}/_changes"
    empty = {"results": [], "last_seq": since, "pending": 0}
    if doc_ids is not None:
        params["filter"] = "_doc_ids"
        return db.absent_is_empty(lambda: db.server.request(
            "POST", path, params, body={"doc_ids": doc_ids}), empty)
    if selector is not None:
        params["filter"] = "_selector"
        return db.absent_is_empty(lambda: db.server.request(
            "POST", path, params, body={"selector": selector}), empty)
    return db.absent_is_empty(lambda: db.server.request("GET", path, params), empty)


def changes(db, since, limit, style, doc_ids, include_docs, conflicts, parts, selector,
            predicate):
    """One page of the merged feed (see :meth:`CouchDatabase.changes`).

    :raises BadRequest: for a malformed ``since``, ``limit`` or ``style``.
    """
    if style not in ("main_only", "all_docs"):
        raise BadRequest('style must be "main_only" or "all_docs"')
    limit = None if limit is None else parse_int(limit, "limit")
    keys = db._wanted_parts(parts)
    if since == "now":                       # only the partitions asked for are read
        old = {k: db.absent_is_empty(lambda k=k: db._db_info(k)["update_seq"], 0)
               for k in keys}
    else:
        old = db.decode_since(since)
    positions = {k: old[k] for k in keys if k in old}     # a grid taken away drops out
    results, pending = [], 0
    for key in keys:
        ids = None
        if doc_ids is not None:
            ids = [d for d in doc_ids if (db.part_of(d) or "") == key]
            if not ids:
                continue
        room = None if limit is None else limit - len(results)
        if room == 0:
            rest = _page(db, key, positions.get(key, 0), 1, style, ids, False, False, selector)
            pending += len(rest["results"]) + rest.get("pending", 0)
            continue
        page = _page(db, key, positions.get(key, 0), None if predicate else room, style,
                     ids, include_docs or predicate is not None, conflicts, selector)
        rows = page["results"]
        for at, row in enumerate(rows):
            positions[key] = row["seq"]
            if predicate is not None and not predicate(row.get("doc")):
                continue
            if not include_docs:
                row.pop("doc", None)
            row["seq"] = seqs.encode(positions)
            results.append(row)
            if limit is not None and len(results) >= limit:
                pending += len(rows) - at - 1 + page.get("pending", 0)
                break
        else:
            positions[key] = page["last_seq"]
            pending += page.get("pending", 0)
    return {"results": results, "last_seq": seqs.encode(positions), "pending": pending}


def all_docs(db, parts=None, **params):
    """``_all_docs`` merged over partitions ``parts`` (None: all), in id order."""
    q = AllDocsQuery(**params)
    flags = {"include_docs": "true"} if q.include_docs else {}
    if q.conflicts:
        flags["conflicts"] = "true"
    keys = db._wanted_parts(parts)
    total = 0
    if q.keys is not None:
        by_key = {}
        groups = {}
        for k in q.keys:
            part = db.part_of(k) or ""
            if part in keys:
                groups.setdefault(part, []).append(k)
        for part, wanted in groups.items():
            found = db.absent_is_empty(lambda p=part, w=wanted: db.server.request(
                "POST", f"{quote(db.couch_name(p))}/_all_docs", flags, body={"keys": w}),
                {"total_rows": 0, "rows": []})
            total += found["total_rows"]
            by_key.update((row["key"], row) for row in found["rows"])
        rows = [by_key.get(k, {"key": k, "error": "not_found"}) for k in q.keys]
        return {"total_rows": total, "offset": 0, "rows": rows}
    query = dict(flags, descending=json.dumps(q.descending),
                 inclusive_end=json.dumps(bool(q.inclusive_end)))
    for name in ("startkey", "endkey"):
        if getattr(q, name) is not None:
            query[name] = json.dumps(getattr(q, name))
    if q.limit is not None:
        query["limit"] = q.limit + q.skip
    rows = []
    for part in keys:
        found = db.absent_is_empty(lambda p=part: db.server.request(
            "GET", f"{quote(db.couch_name(p))}/_all_docs", query), {"total_rows": 0, "rows": []})
        total += found["total_rows"]
        rows.extend(found["rows"])
    rows.sort(key=lambda row: row["id"], reverse=q.descending)
    end = None if q.limit is None else q.skip + q.limit
    return {"total_rows": total, "offset": q.skip, "rows": rows[q.skip:end]}


def local_docs(db, key_prefix, **params):
    """``_local_docs`` of the root under ``key_prefix``, named without it."""
    q = AllDocsQuery(**params)
    start = "_local/" + key_prefix
    query = {"startkey": json.dumps(start), "endkey": json.dumps(start + "\ufff0")}
    if q.include_docs:
        query["include_docs"] = "true"
    found = db.server.request("GET", f"{quote(db.root)}/_local_docs", query)
    rows = []
    for row in found["rows"]:
        if row["id"] == _META_ID:
            continue
        name = "_local/" + row["id"][len(start):]
        row = dict(row, id=name, key=name)
        if row.get("doc"):
            row["doc"] = dict(row["doc"], _id=name)
        rows.append(row)
    if q.keys is not None:
        by_id = {row["id"]: row for row in rows}
        rows = [by_id.get(k, {"key": k, "error": "not_found"}) for k in q.keys]
    else:
        low, high = q.startkey, q.endkey
        rows = [r for r in rows if (low is None or r["id"] >= low) and (
            high is None or r["id"] < high or (q.inclusive_end and r["id"] == high))]
        rows = (rows[::-1] if q.descending else rows)[q.skip:]
    if q.limit is not None:
        rows = rows[:q.limit]
    return {"total_rows": None, "offset": None, "rows": rows}
