"""Mango selectors as CouchDB 3.5 evaluates them: ``_find`` and ``_changes?filter=_selector``.

Every operator of docs.couchdb.org "api/database/find": ``$eq $ne $gt $gte
$lt $lte $exists $type $in $nin $size $mod $regex $beginsWith $all
$elemMatch $allMatch $keyMapMatch`` on a field, ``$and $or $nor $not`` on
selectors or on one field's value; a bare value is ``$eq``, an object of
fields a nested field, ``a.b`` a dotted path (``a\\.b`` a field with a dot).
A missing field matches nothing but ``$exists: false`` (CouchDB's rule).
Comparisons follow CouchDB's JSON collation (``sync.collate``).

A selector is compiled once (:func:`compile_selector`) into a predicate,
checking every operator and argument on the way: a bad one is a
:class:`QueryError` with CouchDB's name (``invalid_operator``, ``bad_arg``,
``invalid_selector``) and a reason naming the field and the rule, Chinese
first. Regular expressions that can backtrack without end (a repeated group
that repeats inside, ``(a+)+``) are refused: Python's ``re`` has no time
limit and a selector must not stall a server thread.
"""

import functools
import json
import re

from .collate import compare, sort_key
from .errors import QueryError

MISSING = object()
MAX_DEPTH = 64
MAX_REGEX = 1000
TYPES = {"null": type(None), "boolean": bool, "number": (int, float), "string": str,
         "array": list, "object": dict}
COMBINATIONS = {"$and", "$or", "$nor", "$not"}
CONDITIONS = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$exists", "$type", "$in", "$nin",
              "$size", "$mod", "$regex", "$beginsWith", "$all", "$elemMatch", "$allMatch",
              "$keyMapMatch"}
OPERATORS = COMBINATIONS | CONDITIONS


def split_path(field):
    """The parts of a dotted field name; ``\\.`` is a dot inside a part."""
    parts, current, escaped = [], "", False
    for char in field:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ".":
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts


def get_field(doc, parts):
    """The value at path ``parts`` of ``doc``, or :data:`MISSING`."""
    value = doc
    for part in parts:
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def _bad(field, op, rule_zh, rule_en, error="bad_arg"):
    return QueryError(error, f"选择器字段 {field} 的 {op}：{rule_zh} / "
                             f"Bad argument for operator {op} on field {field}: {rule_en}")


def _regex(field, pattern):
    if not isinstance(pattern, str):
        raise _bad(field, "$regex", "需要字符串", "needs a string")
    if len(pattern) > MAX_REGEX:
        raise _bad(field, "$regex", f"正则表达式不能超过 {MAX_REGEX} 个字符",
                   f"a pattern is at most {MAX_REGEX} characters")
    try:
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as err:
        raise _bad(field, "$regex", f"不是有效的正则表达式（{err}）",
                   f"not a valid regular expression ({err})") from None
    if _nested_repeat(pattern):
        raise _bad(field, "$regex", "重复的分组内不能再有重复（如 (a+)+），会无限回溯",
                   "a repeated group may not repeat inside (like (a+)+): it backtracks "
                   "without end")
    return compiled


_REPEAT = re.compile(r"[*+]|\{\d*,\d*\}|\{\d+\}")


def _repeats(text, at):
    """Whether a quantifier that repeats more than once starts at ``text[at]``."""
    found = _REPEAT.match(text, at)
    if found is None:
        return False
    digits = re.findall(r"\d+", found.group())
    return found.group() in "*+" or "," in found.group() or int(digits[0]) > 1


def _nested_repeat(pattern):
    """Whether a group that repeats holds a repetition: ``(a+)+``, ``(\\d*x){2,}``."""
    stack, at, inside_class = [False], 0, False
    while at < len(pattern):
        char = pattern[at]
        if char == "\\":
            at += 2
            if not inside_class and _repeats(pattern, at):
                stack[-1] = True
            continue
        if inside_class:
            inside_class = char != "]"
        elif char == "[":
            inside_class = True
            at += 1 + (pattern[at + 1:at + 2] == "]")
            continue
        elif char == "(":
            stack.append(False)
        elif char == ")" and len(stack) > 1:
            held = stack.pop()
            if _repeats(pattern, at + 1):
                if held:
                    return True
                stack[-1] = True
            else:
                stack[-1] = stack[-1] or held
        elif _repeats(pattern, at):
            stack[-1] = True
        at += 1
    return False


def _list_arg(field, op, arg):
    if not isinstance(arg, list):
        raise _bad(field, op, "需要数组", "needs an array")
    return arg


def _keyset(items):
    return frozenset(sort_key(item) for item in items)


def _operator(field, op, arg, depth):
    """A test of a present value for ``{op: arg}``."""
    if op in ("$eq", "$ne"):
        key = sort_key(arg)
        return (lambda v: sort_key(v) == key) if op == "$eq" else (lambda v: sort_key(v) != key)
    if op in ("$gt", "$gte", "$lt", "$lte"):
        test = {"$gt": lambda o: o > 0, "$gte": lambda o: o >= 0,
                "$lt": lambda o: o < 0, "$lte": lambda o: o <= 0}[op]
        return lambda v: test(compare(v, arg))
    if op in ("$in", "$nin"):
        keys = _keyset(_list_arg(field, op, arg))

        def found(v):
            if isinstance(v, list):
                return any(sort_key(item) in keys for item in v)
            return sort_key(v) in keys
        return found if op == "$in" else (lambda v: not found(v))
    if op == "$exists":
        if not isinstance(arg, bool):
            raise _bad(field, op, "需要 true 或 false", "needs true or false")
        return lambda v: arg
    if op == "$type":
        if arg not in TYPES:
            raise _bad(field, op, "须为 " + "、".join(TYPES), "must be one of " + ", ".join(TYPES))
        kind = TYPES[arg]
        return lambda v: isinstance(v, kind) and not (arg == "number" and isinstance(v, bool))
    if op == "$size":
        if not isinstance(arg, int) or isinstance(arg, bool) or arg < 0:
            raise _bad(field, op, "需要非负整数", "needs a non-negative integer")
        return lambda v: isinstance(v, list) and len(v) == arg
    if op == "$mod":
        if (not isinstance(arg, list) or len(arg) != 2
                or not all(isinstance(n, int) and not isinstance(n, bool) for n in arg)
                or arg[0] == 0):
            raise _bad(field, op, "需要 [除数, 余数] 两个整数，除数不为 0",
                       "needs [divisor, remainder], two integers, the divisor not 0")
        divisor, remainder = arg

        def mod(v):
            if not isinstance(v, int) or isinstance(v, bool):
                return False
            rest = abs(v) % abs(divisor)         # Erlang's rem: the sign of the dividend
            return (-rest if v < 0 else rest) == remainder
        return mod
    if op == "$regex":
        pattern = _regex(field, arg)
        return lambda v: isinstance(v, str) and pattern.search(v) is not None
    if op == "$beginsWith":
        if not isinstance(arg, str):
            raise _bad(field, op, "需要字符串", "needs a string")
        return lambda v: isinstance(v, str) and v.startswith(arg)
    if op == "$all":
        items = _list_arg(field, op, arg)
        keys = _keyset(items)
        whole = sort_key(items[0]) if len(items) == 1 and isinstance(items[0], list) else None

        def all_in(v):
            if not isinstance(v, list):
                return False
            have = {sort_key(item) for item in v}
            return bool(keys) and keys <= have or (whole is not None and sort_key(v) == whole)
        return all_in
    if op in ("$elemMatch", "$allMatch", "$keyMapMatch"):
        if not isinstance(arg, dict):
            raise _bad(field, op, "需要对象（一个选择器）", "needs an object (a selector)")
        test = _condition(field, arg, depth + 1)
        if op == "$elemMatch":
            return lambda v: isinstance(v, list) and any(test(item) for item in v)
        if op == "$allMatch":
            return lambda v: isinstance(v, list) and bool(v) and all(test(item) for item in v)
        return lambda v: isinstance(v, dict) and any(test(key) for key in v)
    if op in ("$and", "$or", "$nor"):
        tests = [_condition(field, sub, depth + 1) for sub in _list_arg(field, op, arg)]
        if op == "$and":
            return lambda v: all(t(v) for t in tests)
        if op == "$or":
            return lambda v: not tests or any(t(v) for t in tests)
        return lambda v: not any(t(v) for t in tests)
    if op == "$not":
        if not isinstance(arg, dict):
            raise _bad(field, op, "需要对象（一个条件）", "needs an object (a condition)")
        test = _condition(field, arg, depth + 1)
        return lambda v: not test(v)
    raise QueryError("invalid_operator", f"选择器字段 {field} 使用了未知的操作符 {op} / "
                                         f"Invalid operator: {op} (field {field})")


def _condition(field, cond, depth):
    """A test of a field's value (:data:`MISSING` when absent) against ``cond``."""
    if depth > MAX_DEPTH:
        raise QueryError("invalid_selector", f"选择器嵌套超过 {MAX_DEPTH} 层（字段 {field}）/ "
                         f"the selector nests deeper than {MAX_DEPTH} levels (field {field})")
    if not isinstance(cond, dict) or not cond:
        key = sort_key(cond)
        return lambda v: v is not MISSING and sort_key(v) == key
    tests = []
    for key, arg in cond.items():
        if key.startswith("$"):
            test = _operator(field, key, arg, depth)
            if key == "$exists":
                tests.append(lambda v, want=arg: (v is not MISSING) == want)
            elif key in ("$and", "$or") or (key == "$not" and isinstance(arg, dict)
                                            and set(arg) == {"$exists"}):
                tests.append(test)                   # their parts judge a missing field
            else:
                tests.append(lambda v, t=test: v is not MISSING and t(v))
        else:
            parts = _field_parts(key, f"{field}.{key}")
            sub = _condition(f"{field}.{key}", arg, depth + 1)
            tests.append(lambda v, p=parts, s=sub: isinstance(v, dict) and s(get_field(v, p)))
    return lambda v: all(t(v) for t in tests)


def _field_parts(key, where):
    if key == "" or "" in split_path(key):
        raise QueryError("invalid_selector", f"选择器中有空的字段名（{where}）/ "
                         "One or more conditions is missing a field name.")
    return split_path(key)


def _selector(selector, depth, where):
    if depth > MAX_DEPTH:
        raise QueryError("invalid_selector", f"选择器嵌套超过 {MAX_DEPTH} 层 / "
                         f"the selector nests deeper than {MAX_DEPTH} levels")
    if not isinstance(selector, dict):
        raise QueryError("invalid_selector_json", f"{where} 必须是 JSON 对象 / "
                         f"Selector must be a JSON object, not: {json.dumps(selector)[:200]}")
    tests = []
    for key, cond in selector.items():
        if key in ("$and", "$or", "$nor"):
            subs = [_selector(sub, depth + 1, f"{where}.{key}")
                    for sub in _list_arg(where, key, cond)]
            if key == "$and":
                tests.append(lambda d, s=subs: all(t(d) for t in s))
            elif key == "$or":
                tests.append(lambda d, s=subs: not s or any(t(d) for t in s))
            else:
                tests.append(lambda d, s=subs: not any(t(d) for t in s))
        elif key == "$not":
            if not isinstance(cond, dict):
                raise _bad(where, key, "需要对象（一个选择器）", "needs an object (a selector)")
            sub = _selector(cond, depth + 1, f"{where}.$not")
            tests.append(lambda d, s=sub: not s(d))
        elif key.startswith("$"):
            error = "invalid_operator" if key not in CONDITIONS else "bad_field"
            raise QueryError(error, f"操作符 {key} 不能用在选择器顶层，须写在字段下 / "
                             f"Invalid operator: {key} needs a field at the top level")
        else:
            parts = _field_parts(key, key)
            test = _condition(key, cond, depth + 1)
            tests.append(lambda d, p=parts, t=test: t(get_field(d, p)))
    return lambda doc: all(t(doc) for t in tests)


def compile_selector(selector):
    """A predicate ``doc -> bool`` for the Mango ``selector``.

    :raises QueryError: naming the field and rule of a bad selector.
    """
    try:
        return _selector(selector, 0, "selector")
    except RecursionError:
        raise QueryError("invalid_selector", f"选择器嵌套过深 / the selector nests deeper "
                         f"than {MAX_DEPTH} levels") from None


@functools.lru_cache(maxsize=64)
def _cached(text):
    return compile_selector(json.loads(text))


def matches(doc, selector):
    """Whether ``doc`` matches the Mango ``selector`` (compiled once per selector).

    :raises QueryError: for malformed selectors or unknown operators.
    """
    return _cached(json.dumps(selector, sort_keys=False))(doc)


def check(selector):
    """Compile ``selector`` once to refuse a bad one early; return it.

    :raises QueryError: naming the field and the rule.
    """
    compile_selector(selector)
    return selector
