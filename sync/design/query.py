"""View queries: CouchDB's parameters over a :class:`ViewIndex`
(docs.couchdb.org "/{db}/_design/{ddoc}/_view/{view}").

Rows come in collation order (key, then document id), ranges from
``startkey``/``endkey`` with their ``_docid`` tie-breakers, or ``keys``
one after another. Reduction happens at query time over the rows in range
(built-ins in Python, JavaScript reduces in the sandbox with rereduce), so
a per-user query (``parts``) reduces only what that user may see.
"""

import json

from ..errors import BadRequest
from ..integers import parse_int
from . import keys as keycodec
from .reduces import builtin, finish

_UNSET = object()
CHUNK = 1000          # values per JavaScript reduce call before a rereduce
BOOLS = ("descending", "include_docs", "inclusive_end", "reduce", "group", "conflicts",
         "update_seq", "sorted", "stable", "attachments", "att_encoding_info")


class QueryParseError(BadRequest):
    """A view query whose parameters contradict each other."""

    error = "query_parse_error"


class ViewQuery:
    """The parameters of one view query, checked (names as CouchDB's, with
    their ``start_key``-style aliases already folded in by the caller)."""

    def __init__(self, key=_UNSET, keys=None, startkey=_UNSET, endkey=_UNSET,
                 startkey_docid=None, endkey_docid=None, inclusive_end=True,
                 descending=False, limit=None, skip=0, include_docs=False, reduce=None,
                 group=False, group_level=None, update="true", conflicts=False,
                 update_seq=False, **_ignored):
        for name in ("inclusive_end", "descending", "include_docs", "group", "conflicts",
                     "update_seq"):
            if not isinstance(locals()[name], bool):
                raise BadRequest(f"`{name}` 必须是 true 或 false / must be true or false")
        if reduce is not None and not isinstance(reduce, bool):
            raise BadRequest("`reduce` 必须是 true 或 false / must be true or false")
        if keys is not None and not isinstance(keys, list):
            raise BadRequest("`keys` 必须是 JSON 数组 / must be a JSON array of keys")
        for name, value in (("startkey_docid", startkey_docid), ("endkey_docid", endkey_docid)):
            if value is not None and not isinstance(value, str):
                raise BadRequest(f"`{name}` 必须是字符串 / must be a JSON string (a document id)")
        if update not in ("true", "false", "lazy", True, False):
            raise BadRequest("`update` 必须是 true、false 或 lazy / must be true, false or lazy")
        self.update = {True: "true", False: "false"}.get(update, update)
        if key is not _UNSET:
            keys, startkey, endkey = None, key, key
            inclusive_end = True
            self.single_key = True
        else:
            self.single_key = False
        self.keys = keys
        self.startkey, self.endkey = startkey, endkey
        self.startkey_docid, self.endkey_docid = startkey_docid, endkey_docid
        self.inclusive_end, self.descending = inclusive_end, descending
        self.limit = None if limit is None else parse_int(limit, "limit")
        self.skip = parse_int(skip or 0, "skip")
        self.include_docs, self.conflicts = include_docs, conflicts
        self.reduce, self.group, self.update_seq = reduce, group, update_seq
        self.group_level = None if group_level is None else parse_int(group_level, "group_level")
        for value in (startkey, endkey, *(keys or ())):
            if value is not _UNSET:
                keycodec.encode(value)
        if startkey is not _UNSET and endkey is not _UNSET and keys is None:
            low, high = (endkey, startkey) if descending else (startkey, endkey)
            if keycodec.encode(low) > keycodec.encode(high):
                raise QueryParseError(
                    "键的范围不会匹配任何行，请交换 startkey 与 endkey 或设置 descending=true / "
                    "No rows can match your key range, reverse your start_key and end_key "
                    "or set descending=true")

    def check_for(self, has_reduce):
        """Whether these parameters suit a view with (or without) a reduce.

        :raises QueryParseError: naming the parameter that does not fit.
        """
        reducing = has_reduce and self.reduce is not False
        if not has_reduce and self.reduce is True:
            raise QueryParseError("map 视图不能使用 reduce / Reduce is invalid for map-only views.")
        if not reducing and (self.group or self.group_level is not None):
            raise QueryParseError("map 视图不能分组 / Invalid use of grouping on a map view.")
        if reducing and self.include_docs:
            raise QueryParseError("reduce 查询不能使用 include_docs / "
                                  "`include_docs` is invalid for reduce")
        if reducing and self.keys is not None and not self.group and self.group_level is None:
            raise QueryParseError("多键 reduce 查询须设置 group=true / Multi-key fetches for "
                                  "reduce views must use `group=true`")
        return reducing


def _parts_sql(parts):
    if parts is None:
        return "", []
    parts = sorted(parts)
    return f" AND part IN ({','.join('?' * len(parts))})", parts


def _range(q, number, parts):
    """``(where, args)`` of the rows ``q`` asks for, ``key``/``keys`` aside."""
    part_sql, part_args = _parts_sql(parts)
    where, args = ["view = ?" + part_sql], [number, *part_args]
    start = None if q.startkey is _UNSET else (keycodec.encode(q.startkey), q.startkey_docid)
    end = None if q.endkey is _UNSET else (keycodec.encode(q.endkey), q.endkey_docid)
    low, high = (end, start) if q.descending else (start, end)
    low_incl = not q.descending or q.inclusive_end
    high_incl = q.descending or q.inclusive_end
    for bound, is_low, incl in ((low, True, low_incl), (high, False, high_incl)):
        if bound is None:
            continue
        kenc, docid = bound
        op = ">" if is_low else "<"
        if docid is None:
            # No tie-breaker: the whole key is in (inclusive) or out.
            where.append(f"kenc {op}{'=' if incl else ''} ?")
            args.append(kenc)
        else:
            where.append(f"(kenc {op} ? OR (kenc = ? AND id {op}{'=' if incl else ''} ?))")
            args += [kenc, kenc, docid]
    return " AND ".join(where), args


def rows_in(conn, q, number, parts):
    """``(offset_base, iterator of (key, id, value))`` in query order, before skip/limit."""
    order = "DESC" if q.descending else "ASC"
    if q.keys is not None:
        part_sql, part_args = _parts_sql(parts)

        def by_keys():
            for key in q.keys:
                yield from _decoded(conn.execute(
                    f"SELECT key, id, value FROM rows WHERE view = ? AND kenc = ?{part_sql} "
                    f"ORDER BY id {order}", [number, keycodec.encode(key), *part_args]))
        return 0, by_keys()
    where, args = _range(q, number, parts)
    cursor = conn.execute(f"SELECT key, id, value FROM rows WHERE {where} "
                          f"ORDER BY kenc {order}, id {order}", args)
    return None, _decoded(cursor)


def _decoded(cursor):
    for key, doc_id, value in cursor:
        yield json.loads(key), doc_id, json.loads(value)


def total_rows(conn, number, parts):
    """How many rows the view holds (of ``parts`` only, when given)."""
    part_sql, part_args = _parts_sql(parts)
    return conn.execute(f"SELECT COALESCE(SUM(n), 0) FROM counts WHERE view = ?{part_sql}",
                        [number, *part_args]).fetchone()[0]


def offset_of(conn, q, number, parts):
    """How many rows of the view come before the query's start (CouchDB's ``offset``)."""
    if q.startkey is _UNSET or q.keys is not None:
        return 0
    flipped = ViewQuery(endkey=q.startkey, endkey_docid=q.startkey_docid,
                        descending=q.descending, inclusive_end=False)
    where, args = _range(flipped, number, parts)
    return conn.execute(f"SELECT COUNT(*) FROM rows WHERE {where}", args).fetchone()[0]


def _group_key(q, key):
    if q.group_level is not None:
        return key[:q.group_level] if isinstance(key, list) else key
    return key if q.group else None


def reduce_rows(rows, q, reduce_source, run_js):
    """Rows ``{key, value}`` of the reduction of ``rows``, grouped as ``q`` asks.

    ``run_js(keys, values, rereduce)`` runs a JavaScript reduce.
    """
    js = not reduce_source.strip().startswith("_")
    fn = None if js else builtin(reduce_source)
    grouping = q.group or q.group_level is not None
    out, current, gkey, gmark = [], [], None, None
    for key, doc_id, value in rows:
        group = _group_key(q, key) if grouping else None
        mark = keycodec.encode(group)
        if current and mark != gmark:
            out.append(_one(gkey, current, reduce_source, fn, run_js))
            current = []
        gkey, gmark = group, mark
        current.append(([key, doc_id], value))
    if current:
        out.append(_one(gkey, current, reduce_source, fn, run_js))
    return out


def _one(group, pairs, source, fn, run_js):
    keys_ = [k for k, _ in pairs]
    values = [v for _, v in pairs]
    if fn is not None:
        if source.strip() == "_approx_count_distinct":
            return {"key": group, "value": finish("_approx_count_distinct", fn(keys_, values))}
        return {"key": group, "value": finish(source.strip(), fn(keys_, values, False))}
    parts = [run_js(keys_[i:i + CHUNK], values[i:i + CHUNK], False)
             for i in range(0, len(values), CHUNK)] or [run_js([], [], False)]
    while len(parts) > 1:
        parts = [run_js(None, parts[i:i + CHUNK], True) for i in range(0, len(parts), CHUNK)]
    return {"key": group, "value": parts[0]}
