"""CouchDB's built-in reduce functions, in Python: ``_sum``, ``_count``,
``_stats`` and ``_approx_count_distinct`` (docs.couchdb.org "Built-in
Reduce Functions").

``_sum`` adds numbers, arrays of numbers element by element (the shorter
padded with zeros) and objects key by key, nested at will; ``_stats``
gives ``{sum, count, min, max, sumsqr}`` of numbers, or one such object per
position of arrays of numbers, and accepts such objects as input (what a
map may emit pre-aggregated); ``_approx_count_distinct`` counts distinct
keys (exactly: the estimate CouchDB makes with HyperLogLog is allowed to
be exact). Each takes ``(keys, values, rereduce)`` as a JavaScript reduce
does.
"""

import json

from ..errors import BadRequest

BUILTINS = ("_sum", "_count", "_stats", "_approx_count_distinct")
_STATS = ("sum", "count", "min", "max", "sumsqr")


class ReduceError(BadRequest):
    """A built-in reduce met values it cannot reduce."""

    error = "builtin_reduce_error"


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _add(a, b):
    if _is_number(a) and _is_number(b):
        return a + b
    if isinstance(a, list) and isinstance(b, list):
        longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
        return [_add(x, shorter[i]) if i < len(shorter) else _check_sum(x)
                for i, x in enumerate(longer)]
    if isinstance(a, dict) and isinstance(b, dict):
        out = dict(a)
        for key, value in b.items():
            out[key] = _add(out[key], value) if key in out else _check_sum(value)
        return out
    raise ReduceError(
        "_sum 只能对数字、数字数组或对象求和，且不能混用 / The _sum function requires that map "
        "values be numbers, arrays of numbers, or objects, not mixed; "
        f"got {json.dumps(a)[:60]} and {json.dumps(b)[:60]}")


def _check_sum(value):
    """``value`` itself, checked all the way down to be summable."""
    if isinstance(value, dict):
        return {key: _check_sum(item) for key, item in value.items()}
    return _add(value, 0 if _is_number(value) else [] if isinstance(value, list) else value)


def builtin_sum(_keys, values, _rereduce=False):
    """``_sum`` of ``values``."""
    total = None
    for value in values:
        total = _check_sum(value) if total is None else _add(total, value)
    return 0 if total is None else total


def builtin_count(_keys, values, rereduce=False):
    """``_count``: how many rows (on rereduce, the sum of counts)."""
    return sum(values) if rereduce else len(values)


def _stat_of(value):
    if _is_number(value):
        return {"sum": value, "count": 1, "min": value, "max": value, "sumsqr": value * value}
    if isinstance(value, dict) and all(k in value and _is_number(value[k]) for k in _STATS):
        return {k: value[k] for k in _STATS}
    raise ReduceError(
        "_stats 只能统计数字、数字数组或含 sum、count、min、max、sumsqr 的对象 / "
        "_stats requires map values to be numbers, arrays of numbers, or objects with "
        f"sum, count, min, max and sumsqr; got {json.dumps(value)[:60]}")


def _merge_stats(a, b):
    return {"sum": a["sum"] + b["sum"], "count": a["count"] + b["count"],
            "min": min(a["min"], b["min"]), "max": max(a["max"], b["max"]),
            "sumsqr": a["sumsqr"] + b["sumsqr"]}


def builtin_stats(_keys, values, _rereduce=False):
    """``_stats`` of ``values``: one stats object, or a list of them for arrays."""
    if values and all(isinstance(v, list) for v in values):
        width = max(len(v) for v in values)
        return [builtin_stats(None, [v[i] for v in values if i < len(v)]) for i in range(width)]
    out = None
    for value in values:
        stat = _stat_of(value)
        out = stat if out is None else _merge_stats(out, stat)
    return out if out is not None else {"sum": 0, "count": 0, "min": 0, "max": 0, "sumsqr": 0}


def builtin_approx_count_distinct(keys, values, rereduce=False):
    """``_approx_count_distinct``: distinct keys (rereduce merges the sets)."""
    if rereduce:
        seen = set()
        for part in values:
            seen.update(part["__keys"])
        return {"__keys": sorted(seen)}
    return {"__keys": sorted({json.dumps(key[0], sort_keys=True) for key in keys})}


REDUCERS = {"_sum": builtin_sum, "_count": builtin_count, "_stats": builtin_stats,
            "_approx_count_distinct": builtin_approx_count_distinct}


def finish(name, result):
    """The value shown for a built-in reduce's ``result``."""
    if name == "_approx_count_distinct":
        return len(result["__keys"])
    return result


def builtin(name):
    """The reduce function called ``name``, stripped of CouchDB's whitespace.

    :raises BadRequest: for an unknown built-in.
    """
    name = name.strip()
    if name not in REDUCERS:
        raise BadRequest(f"未知的内置 reduce “{name}” / unknown built-in reduce {name!r}: "
                         f"use one of {', '.join(BUILTINS)}")
    return REDUCERS[name]
