"""A Mango selector subset, for ``_changes?filter=_selector``.

Supported: field equality, dotted paths, ``$eq $ne $gt $gte $lt $lte $in
$nin $exists $type $and $or $not $nor $all $size $elemMatch``. Anything
else is refused with a clear message rather than silently matching.
Comparisons follow CouchDB's JSON collation (``sync.collate``), so values
of different types compare in its order rather than raising.
"""

from .collate import compare
from .errors import BadRequest

_MISSING = object()
OPERATORS = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$type",
             "$and", "$or", "$not", "$nor", "$all", "$size", "$elemMatch"}
TYPES = {"null": type(None), "boolean": bool, "number": (int, float), "string": str,
         "array": list, "object": dict}


def _get(doc, path):
    value = doc
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _compare(value, op, arg):
    if op == "$exists":
        return (value is not _MISSING) == bool(arg)
    if value is _MISSING:
        return False                      # as Mango: a missing field matches nothing
    if op == "$eq":
        return compare(value, arg) == 0
    if op == "$ne":
        return compare(value, arg) != 0
    if op in ("$gt", "$gte", "$lt", "$lte"):
        order = compare(value, arg)
        return {"$gt": order > 0, "$gte": order >= 0, "$lt": order < 0, "$lte": order <= 0}[op]
    if op == "$in":
        return any(compare(value, item) == 0 for item in _list(op, arg))
    if op == "$nin":
        return all(compare(value, item) != 0 for item in _list(op, arg))
    if op == "$type":
        kind = TYPES.get(arg)
        if kind is None:
            raise BadRequest(f"selector $type must be one of {', '.join(TYPES)}")
        return isinstance(value, kind) and not (arg == "number" and isinstance(value, bool))
    if op == "$all":
        return isinstance(value, list) and all(
            any(compare(have, item) == 0 for have in value) for item in _list(op, arg))
    if op == "$size":
        return isinstance(value, list) and len(value) == arg
    if op == "$elemMatch":
        return isinstance(value, list) and any(_match_value(item, arg) for item in value)
    if op == "$not":
        return not _match_value(value, arg)
    raise BadRequest(f"selector operator {op} is not supported")


def _list(op, arg):
    if not isinstance(arg, list):
        raise BadRequest(f"selector {op} needs an array")
    return arg


def _match_value(value, cond):
    if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
        return all(_compare(value, op, arg) for op, arg in cond.items())
    if isinstance(cond, dict) and isinstance(value, dict):
        return matches(value, cond)
    return value is not _MISSING and compare(value, cond) == 0


def matches(doc, selector):
    """Whether ``doc`` matches the Mango ``selector``.

    :raises BadRequest: for malformed selectors or unsupported operators.
    """
    if not isinstance(selector, dict):
        raise BadRequest("selector must be a JSON object")
    for key, cond in selector.items():
        if key in ("$and", "$or", "$nor"):
            subs = _list(key, cond)
            results = [matches(doc, sub) for sub in subs]
            ok = all(results) if key == "$and" else any(results)
            if (key == "$nor" and ok) or (key != "$nor" and not ok):
                return False
        elif key == "$not":
            if matches(doc, cond):
                return False
        elif key.startswith("$"):
            raise BadRequest(f"selector operator {key} is not supported at the top level")
        elif not _match_value(_get(doc, key), cond):
            return False
    return True


def check(selector):
    """Refuse a selector using operators this subset does not know.

    :raises BadRequest: naming the operator.
    """
    if isinstance(selector, dict):
        for key, value in selector.items():
            if key.startswith("$") and key not in OPERATORS:
                raise BadRequest(f"selector operator {key} is not supported; use "
                                 + ", ".join(sorted(OPERATORS)))
            check(value)
    elif isinstance(selector, list):
        for item in selector:
            check(item)
    return selector
