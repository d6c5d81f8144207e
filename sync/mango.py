"""Mango queries over one database: ``_find``, ``_explain`` and ``_index``, as CouchDB 3.5.

A request is checked as CouchDB's ``mango_opts`` checks it (each error
names the key and the rule), its selector compiled (``sync.selector``), an
index chosen (``sync.mango_plan``) and read (``sync.mango_index``, brought
up to date first); each document the index gives is matched against the
whole selector, then ``skip``, ``limit``, ``fields`` and ``conflicts``
apply. ``parts`` (the per-user view's partitions) keeps every other
partition out of the reads, so a filtered user's query never sees, counts
or bookmarks a document they may not read. Design documents never match.

The bookmark is opaque to clients: the last row's index key and document
id, base64url JSON. A query that returns nothing answers ``"nil"``.
"""

import base64
import hashlib
import json
import time

from . import mango_index, reads
from .errors import QueryError
from .mango_plan import choose
from .selector import MISSING, compile_selector, get_field, split_path

DEFAULT_LIMIT = 25
KEYS = {"selector", "limit", "skip", "sort", "fields", "use_index", "bookmark", "r",
        "conflicts", "execution_stats", "update", "stable", "stale", "allow_fallback",
        "partition"}


def _int(query, key, default, minimum):
    value = query.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        kind = "invalid_pos_integer" if minimum else "invalid_non_neg_integer"
        raise QueryError(kind, f"{key} 须为不小于 {minimum} 的整数 / {json.dumps(value)} is not "
                         f"an integer {'greater than zero' if minimum else '>= zero'} ({key})")
    return value


def _bool(query, key, default):
    value = query.get(key, default)
    if not isinstance(value, bool):
        raise QueryError("invalid_boolean", f"{key} 须为 true 或 false / "
                         f"Invalid boolean value: {json.dumps(value)[:100]} ({key})")
    return value


class FindQuery:
    """A ``_find`` body, checked: each bad key is a :class:`QueryError` naming it."""

    def __init__(self, query):
        if not isinstance(query, dict):
            raise QueryError("bad_request", "_find 请求体须为 JSON 对象 / "
                                            "the _find body must be a JSON object")
        unknown = sorted(set(query) - KEYS)
        if unknown:
            raise QueryError("invalid_key", f"未知的参数 {unknown[0]} / "
                             f"Invalid key {unknown[0]} for this request.")
        if "selector" not in query:
            raise QueryError("missing_required_key", "缺少 selector / "
                                                     "Missing required key: selector")
        self.selector = query["selector"]
        self.match = compile_selector(self.selector)
        self.limit = _int(query, "limit", DEFAULT_LIMIT, 0)
        self.skip = _int(query, "skip", 0, 0)
        self.r = _int(query, "r", 1, 1)
        self.conflicts = _bool(query, "conflicts", False)
        self.execution_stats = _bool(query, "execution_stats", False)
        self.allow_fallback = _bool(query, "allow_fallback", True)
        sort = query.get("sort", [])
        if not isinstance(sort, list):
            raise QueryError("invalid_sort_json", "sort 须为数组 / Sort must be an array of "
                             f"sort specs, not: {json.dumps(sort)[:200]}")
        spec = mango_index.parse_fields(sort, "sort") if sort else []
        self.sort_fields = [name for name, _ in spec]
        self.descending = bool(spec) and spec[0][1] == "desc"
        self.fields = query.get("fields")
        if self.fields is not None and (not isinstance(self.fields, list) or not all(
                isinstance(f, str) and f for f in self.fields)):
            raise QueryError("invalid_fields", "fields 须为字段名数组 / Fields must be an array "
                             f"of strings, not: {json.dumps(self.fields)[:200]}")
        self.use_index = _use_index(query.get("use_index"))
        self.bookmark = _read_bookmark(query.get("bookmark"))
        self.options = {key: query.get(key) for key in ("use_index", "bookmark")}


def _use_index(value):
    if value is None or value == [] or value == "":
        return None
    if isinstance(value, str):
        value = value.split("/", 2)[-2:] if value.startswith("_design/") else value.split("/", 1)
    if (not isinstance(value, list) or not 1 <= len(value) <= 2
            or not all(isinstance(v, str) and v for v in value)):
        raise QueryError("invalid_value", "use_index 须为 \"设计文档\"、\"设计文档/索引名\" 或其数组 / "
                         f"Invalid value for use_index: {json.dumps(value)[:200]}")
    return mango_index.design_id(value[0]), value[1] if len(value) == 2 else None


def _read_bookmark(value):
    if value in (None, "nil"):
        return None
    try:
        key, doc_id = json.loads(base64.urlsafe_b64decode(value.encode("ascii")))
        if not isinstance(doc_id, str) or not isinstance(key, (str, type(None))):
            raise ValueError(value)
        return (bytes.fromhex(key) if key is not None else doc_id), doc_id
    except (ValueError, TypeError, AttributeError, UnicodeError):
        raise QueryError("invalid_bookmark", "bookmark 无效 / Invalid bookmark value: "
                         f"{json.dumps(value)[:200]}") from None


def _write_bookmark(last, special):
    if last is None:
        return "nil"
    key, doc_id = last
    raw = json.dumps([None if special else key.hex(), doc_id]).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def project(doc, fields):
    """The ``fields`` of ``doc``, nested as in the document (Mango's ``fields``)."""
    if fields is None:
        return doc
    out = {}
    for name in fields:
        parts = split_path(name)
        value = get_field(doc, parts)
        if value is MISSING:
            continue
        target = out
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return out


def _plan(db, q):
    with db.file.read() as conn:
        indexes = mango_index.definitions(conn)
    return indexes, choose(indexes, q.selector, q.sort_fields, q.descending, q.use_index,
                           q.allow_fallback)


def find(db, query, parts=None):
    """The ``_find`` answer for ``query`` over ``db`` (of ``parts`` only, when given).

    :raises QueryError: for a bad request, as CouchDB names it.
    """
    started = time.perf_counter()
    q = FindQuery(query)
    indexes, plan = _plan(db, q)
    special = plan.index.type == "special"
    # also drops the rows of indexes whose design documents are gone
    chosen = set() if special else {(plan.index.ddoc, plan.index.name)}
    ids, _ = mango_index.refresh(db.file, indexes, db.update_seq(), chosen)
    idx = None if special else ids[(plan.index.ddoc, plan.index.name)]
    docs, stats, last = [], {"keys": 0, "docs": 0}, None
    opts = reads.ReadOptions(conflicts=q.conflicts)
    with db.file.read() as conn:
        rows = (mango_index.scan_ids(conn, plan.bounds, plan.descending, parts, q.bookmark)
                if special else
                mango_index.scan(conn, idx, plan.bounds, plan.descending, parts, q.bookmark))
        skipped = 0
        while len(docs) < q.limit:
            chunk = rows.fetchmany(200)
            if not chunk:
                break
            for key, doc_id, winner, body in chunk:
                stats["keys"] += 1
                stats["docs"] += 1
                doc = {"_id": doc_id, "_rev": winner}
                doc.update(json.loads(body))
                if not q.match(doc):
                    continue
                last = (key, doc_id)
                if skipped < q.skip:
                    skipped += 1
                    continue
                if q.conflicts or "_attachments" in doc:    # rendered as a GET renders them
                    doc = reads.get(conn, doc_id, None, opts, db.attachment_data)
                docs.append(project(doc, q.fields))
                if len(docs) >= q.limit:
                    break
    answer = {"docs": docs, "bookmark": _write_bookmark(last if docs else None, special)}
    if plan.warnings:
        answer["warning"] = "\n".join(plan.warnings)
    if q.execution_stats:
        answer["execution_stats"] = {
            "total_keys_examined": stats["keys"], "total_docs_examined": stats["docs"],
            "total_quorum_docs_examined": 0, "results_returned": len(docs),
            "execution_time_ms": round((time.perf_counter() - started) * 1000, 3)}
    return answer


def normalize(selector):
    """The selector as ``_explain`` shows it: bare values as ``$eq``, nested
    fields dotted, several conditions under ``$and``."""
    parts = []
    for key, cond in selector.items():
        if key in ("$and", "$or", "$nor") and isinstance(cond, list):
            parts.append({key: [normalize(s) if isinstance(s, dict) else s for s in cond]})
        elif key == "$not" and isinstance(cond, dict):
            parts.append({key: normalize(cond)})
        elif isinstance(cond, dict) and cond and not any(k.startswith("$") for k in cond):
            parts.extend(_and_parts(normalize({f"{key}.{k}": v for k, v in cond.items()})))
        elif isinstance(cond, dict) and cond:
            parts.extend({key: {op: arg}} for op, arg in cond.items())
        else:
            parts.append({key: {"$eq": cond}})
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _and_parts(selector):
    return selector["$and"] if set(selector) == {"$and"} else [selector]


def explain(db, query):
    """The ``_explain`` answer: the index chosen and how it is read.

    :raises QueryError: as :func:`find`.
    """
    q = FindQuery(query)
    _, plan = _plan(db, q)
    answer = {
        "dbname": db.name, "index": plan.index.to_json(), "partitioned": False,
        "selector": normalize(q.selector),
        "opts": {"use_index": query.get("use_index", []), "bookmark": query.get("bookmark", "nil"),
                 "limit": q.limit, "skip": q.skip, "sort": query.get("sort", {}) or {},
                 "fields": q.fields or [], "r": q.r, "conflicts": q.conflicts,
                 "execution_stats": q.execution_stats, "allow_fallback": q.allow_fallback,
                 "partition": "", "stable": False, "stale": False, "update": True},
        "limit": q.limit, "skip": q.skip, "fields": q.fields or "all_fields",
        "mrargs": {"include_docs": True, "view_type": "map", "reduce": False,
                   "partition": None, "start_key": plan.start_key, "end_key": plan.end_key,
                   "direction": "rev" if plan.descending else "fwd", "stable": False,
                   "update": True, "conflicts": "undefined"},
        "covering": False}
    if plan.warnings:
        answer["warning"] = "\n".join(plan.warnings)
    return answer


def list_indexes(db):
    """``GET /{db}/_index``: ``_all_docs`` first, then every json index."""
    with db.file.read() as conn:
        found = [mango_index.ALL_DOCS] + mango_index.definitions(conn)
    return {"total_rows": len(found), "indexes": [ix.to_json() for ix in found]}


def index_request(body):
    """The :class:`~sync.mango_index.Index` a ``POST /{db}/_index`` body asks for.

    :raises QueryError: naming the key and the rule.
    """
    if not isinstance(body, dict):
        raise QueryError("bad_request", "_index 请求体须为 JSON 对象 / "
                                        "the _index body must be a JSON object")
    if "index" not in body:
        raise QueryError("missing_required_key", "缺少 index / Missing required key: index")
    kind = body.get("type", "json")
    if kind in ("text", "nouveau"):
        raise QueryError("index_not_implemented", f"不支持 {kind} 索引 / {kind}", 501)
    if kind != "json":
        raise QueryError("invalid_index", f"不支持的索引类型 {kind!r} / Invalid type for "
                         f"index: {json.dumps(kind)[:100]}")
    if body.get("partitioned") not in (None, False):
        raise QueryError("invalid_partitioned_option", "本数据库不分区 / this database is not "
                         "partitioned, so partitioned must be false")
    index = body["index"]
    if not isinstance(index, dict):
        raise QueryError("invalid_index", "index 须为 JSON 对象 / JSON indexes must be an "
                         f"object, not: {json.dumps(index)[:200]}")
    fields = mango_index.parse_fields(index.get("fields"))
    partial = index.get("partial_filter_selector", body.get("partial_filter_selector"))
    if partial is not None:
        compile_selector(partial)
    for key in ("ddoc", "name"):
        if key in body and (not isinstance(body[key], str) or not body[key]):
            raise QueryError("invalid_index_name" if key == "name" else "invalid_value",
                             f"{key} 须为非空字符串 / {key} must be a non-empty string")
    digest = hashlib.sha1(json.dumps([fields, partial], sort_keys=True).encode()).hexdigest()
    ddoc = mango_index.design_id(body.get("ddoc", digest))
    return mango_index.Index(ddoc, body.get("name", digest), fields, partial)


def design_with(current, index):
    """``(design document to write or None, "created" | "exists")`` to add ``index``
    to the design document ``current`` (None when there is none).

    :raises QueryError: when the design document is not a query one.
    """
    doc = dict(current or {"_id": index.ddoc, "language": "query"})
    if doc.get("language", "javascript") != "query":
        raise QueryError("invalid_ddoc_lang", f"设计文档 {index.ddoc} 不是查询索引文档 / Existing "
                         f"design doc has an invalid language: {json.dumps(doc.get('language'))}")
    definition = {"fields": [{name: way} for name, way in index.fields]}
    if index.partial is not None:
        definition["partial_filter_selector"] = index.partial
    views = dict(doc.get("views") or {})
    view = {"map": {"fields": dict(index.fields)}, "reduce": "_count",
            "options": {"def": definition}}
    if index.partial is not None:
        view["map"]["partial_filter_selector"] = index.partial
    if views.get(index.name) == view:
        return None, "exists"
    views[index.name] = view
    doc.update(language="query", views=views)
    return doc, "created"


def design_without(current, ddoc, name):
    """The design document ``current`` without index ``name`` (deleted when none is left).

    :raises QueryError: 404 when there is no such index.
    """
    views = dict((current or {}).get("views") or {})
    if (current or {}).get("language") != "query" or name not in views:
        raise QueryError("not_found", f"设计文档 {ddoc} 中没有索引 {name} / JSON index {name} "
                         "not found in this design doc.", 404)
    del views[name]
    if not views:
        return {"_id": current["_id"], "_rev": current["_rev"], "_deleted": True}
    return dict(current, views=views)
