"""Choosing the index a Mango query reads, and the key range it reads of it.

CouchDB's rules (docs.couchdb.org "api/database/find", "Index selection"):
a json index is usable when every one of its fields, except the sort
fields, ``_id`` and ``_rev``, must exist in a matching document (the
selector requires it, outside ``$or`` branches that may do without), and
the sort fields are its fields in order, after leading fields the selector
fixes with ``$eq``. An index with a ``partial_filter_selector`` is used
only when ``use_index`` names it. Among usable indexes the one whose
leading fields the selector narrows most wins, then the one with fewer
fields, then by name. ``_all_docs`` serves any query without a sort (or
sorted by ``_id``), with a warning; a sort nothing serves is
``no_usable_index``.
"""

from dataclasses import dataclass, field

from .collate import HIGH, compare, encode
from .errors import QueryError
from .mango_index import ALL_DOCS

RANGE_OPS = ("$eq", "$gt", "$gte", "$lt", "$lte")
NO_INDEX = "No matching index found, create an index to optimize query time."


@dataclass
class Plan:
    """What a query reads: the index, its key range, the direction, the warnings."""

    index: object
    bounds: tuple = (None, None)
    descending: bool = False
    start_key: list = field(default_factory=list)
    end_key: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def conditions(selector, out=None):
    """``{field: [condition, ...]}`` of the fields every match must satisfy
    (the top level and ``$and``, not ``$or``, ``$nor`` or ``$not``)."""
    out = {} if out is None else out
    for key, cond in selector.items():
        if key == "$and" and isinstance(cond, list):
            for sub in cond:
                if isinstance(sub, dict):
                    conditions(sub, out)
        elif not key.startswith("$"):
            if isinstance(cond, dict) and cond and not any(k.startswith("$") for k in cond):
                conditions({f"{key}.{k}": v for k, v in cond.items()}, out)
            else:
                out.setdefault(key, []).append(cond)
    return out


def required(selector):
    """The fields a document must have to match ``selector``."""
    found = {name for name, conds in conditions(selector).items()
             if any(not (isinstance(c, dict) and c.get("$exists") is False) for c in conds)}
    for key, cond in selector.items():
        if key == "$and" and isinstance(cond, list):
            for sub in cond:
                if isinstance(sub, dict):
                    found |= required(sub)
        elif key == "$or" and isinstance(cond, list) and cond:
            branches = [required(sub) if isinstance(sub, dict) else set() for sub in cond]
            found |= set.intersection(*branches)
    return found


def _range(conds):
    """``(low, low_inclusive, high, high_inclusive, equal)`` of a field's conditions."""
    low = high = None
    low_inc = high_inc = True
    for cond in conds:
        ops = _ops(cond)
        for op, arg in ops:
            if op in ("$eq", "$gt", "$gte") and (
                    low is None or compare(arg, low) > 0
                    or (compare(arg, low) == 0 and op == "$gt")):
                low, low_inc = arg, op != "$gt"
            if op in ("$eq", "$lt", "$lte") and (
                    high is None or compare(arg, high) < 0
                    or (compare(arg, high) == 0 and op == "$lt")):
                high, high_inc = arg, op != "$lt"
    equal = (low is not None and high is not None and low_inc and high_inc
             and compare(low, high) == 0)
    return low, low_inc, high, high_inc, equal


def _ops(cond):
    """A field condition's ``(operator, argument)`` pairs; a bare value is ``$eq``."""
    if isinstance(cond, dict) and cond:
        return [(k, v) for k, v in cond.items() if k.startswith("$")]
    return [("$eq", cond)]


def _narrowed(conds):
    return any(op in RANGE_OPS for c in conds for op, _ in _ops(c))


def _fixed(conds):
    return bool(conds) and _range(conds)[4]


def can_sort(columns, sort_fields, conds):
    """Whether an index on ``columns`` gives results in ``sort_fields`` order."""
    if not sort_fields:
        return True
    start = 0
    while (start < len(columns) and columns[start] not in sort_fields
           and _fixed(conds.get(columns[start], []))):
        start += 1
    return columns[start:start + len(sort_fields)] == sort_fields


def usable(index, sort_fields, conds, needed):
    """Whether ``index`` can answer a query (see the module's rules)."""
    if index.type == "special":
        return sort_fields in ([], ["_id"])
    must = set(index.columns) - set(sort_fields) - {"_id", "_rev"}
    return must <= needed and can_sort(index.columns, sort_fields, conds)


def _score(index, conds):
    narrowed = 0
    for column in index.columns:
        if not _narrowed(conds.get(column, [])):
            break
        narrowed += 1
    return (-narrowed, len(index.columns), index.ddoc, index.name)


def _named(indexes, use_index):
    ddoc, name = use_index
    return [ix for ix in indexes if ix.ddoc == ddoc and (name is None or ix.name == name)]


def choose(indexes, selector, sort_fields, descending=False, use_index=None,
           allow_fallback=True):
    """The :class:`Plan` of a query.

    :raises QueryError: ``no_usable_index`` when no index serves the sort,
        or ``use_index`` names an unusable one and ``allow_fallback`` is false.
    """
    conds, needed = conditions(selector), required(selector)
    warnings = []
    if use_index is not None:
        named = [ix for ix in _named(indexes, use_index)
                 if usable(ix, sort_fields, conds, needed)]
        if named:
            return _bounds(min(named, key=lambda ix: _score(ix, conds)), conds, descending)
        label = use_index[0] + (f", {use_index[1]}" if use_index[1] else "")
        if not allow_fallback:
            raise QueryError("no_usable_index", f"use_index 指定的索引 {label} 不能用于此查询 / "
                             "The index specified with \"use_index\" is not usable for the query.")
        warnings.append(f"{label} was not used because it does not contain a valid index for "
                        "this query.")
    candidates = [ix for ix in indexes if ix.partial is None
                  and usable(ix, sort_fields, conds, needed)]
    if candidates:
        plan = _bounds(min(candidates, key=lambda ix: _score(ix, conds)), conds, descending)
    elif usable(ALL_DOCS, sort_fields, conds, needed):
        plan = _bounds(ALL_DOCS, conds, descending)
        warnings.append(NO_INDEX)
    else:
        raise QueryError("no_usable_index", "没有可用于此排序的索引，请为排序字段建立索引 / "
                         "No index exists for this sort, try indexing by the sort fields.")
    plan.warnings = warnings + plan.warnings
    return plan


def _bounds(index, conds, descending):
    """The plan over ``index``: the key range the selector allows."""
    plan = Plan(index)
    if index.type == "special":
        low, low_inc, high, high_inc, _ = _range(conds.get("_id", []))
        plan.bounds = (
            (low, low_inc) if isinstance(low, str) else None,
            (high, high_inc) if isinstance(high, str) else None)
        plan.start_key, plan.end_key = [low], [high]
    else:
        prefix = b""
        for column in index.columns:
            low, low_inc, high, high_inc, equal = _range(conds.get(column, []))
            if equal:
                prefix += encode(low)
                plan.start_key.append(low)
                plan.end_key.append(high)
                continue
            plan.start_key.append(low)
            plan.end_key.append(high if high is not None else "<MAX>")
            lower = None if low is None and not prefix else (
                (prefix, True) if low is None else
                (prefix + encode(low), True) if low_inc else (prefix + encode(low) + HIGH, True))
            upper = None if high is None and not prefix else (
                (prefix + HIGH, True) if high is None else
                (prefix + encode(high) + HIGH, True) if high_inc else (prefix + encode(high), False))
            plan.bounds = (lower, upper)
            break
        else:
            plan.bounds = ((prefix, True), (prefix + HIGH, True))
    plan.descending = descending
    return plan
