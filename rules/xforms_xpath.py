"""XPath as XForms forms use it: elementpath's XPath 1.0 plus the XForms and
ODK functions pyxform emits, and ODK's date comparisons.

Supported functions beyond XPath 1.0: ``selected``, ``count-selected``,
``if``, ``coalesce``, ``today``, ``now``, ``regex``, ``int``, ``substr``,
``boolean-from-string``. Comparisons follow XPath 1.0 except that two
dates (``YYYY-MM-DD``, or a date and a number of days) compare as dates,
as in ODK's engines, so ``. <= today()`` means what a form author meant.
"""

import math
import re
from datetime import date, datetime, timezone

from elementpath import XPath1Parser, XPathContext
from elementpath.exceptions import ElementPathError
from elementpath.xpath_nodes import XPathNode

DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T.*)?")
EPOCH = date(1970, 1, 1)


class XPathProblem(ValueError):
    """An expression that cannot be parsed or evaluated."""


class XFormsParser(XPath1Parser):
    """XPath 1.0 with the XForms functions (a copy of the symbol table: the
    base parser is left as it is)."""

    symbol_table = dict(XPath1Parser.symbol_table)


method, function = XFormsParser.method, XFormsParser.function


def _text(token, value):
    if isinstance(value, list):
        return token.string_value(value[0]) if value else ""
    return token.string_value(value)


def _days(text):
    """Days since 1970-01-01 of a date string, or None."""
    match = DATE.fullmatch(text.strip()) if isinstance(text, str) else None
    if not match:
        return None
    try:
        return (date(*map(int, match.groups())) - EPOCH).days
    except ValueError:
        return None


@method(function("selected", nargs=2))
def evaluate__selected(self, context=None):
    return _text(self, self[1].evaluate(context)) in _text(self, self[0].evaluate(context)).split()


@method(function("count-selected", nargs=1))
def evaluate__count_selected(self, context=None):
    return len(_text(self, self[0].evaluate(context)).split())


@method(function("if", nargs=3))
def evaluate__if(self, context=None):
    chosen = self[1] if self.boolean_value(self[0].evaluate(context)) else self[2]
    return chosen.evaluate(context)


@method(function("coalesce", nargs=2))
def evaluate__coalesce(self, context=None):
    first = _text(self, self[0].evaluate(context))
    return first if first != "" else _text(self, self[1].evaluate(context))


@method(function("today", nargs=0))
def evaluate__today(self, context=None):
    return (getattr(context, "today", None) or date.today()).isoformat()


@method(function("now", nargs=0))
def evaluate__now(self, context=None):
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@method(function("regex", nargs=2))
def evaluate__regex(self, context=None):
    try:
        return re.search(_text(self, self[1].evaluate(context)),
                         _text(self, self[0].evaluate(context))) is not None
    except re.error:
        return False


@method(function("int", nargs=1))
def evaluate__int(self, context=None):
    number = self.number_value(self[0].evaluate(context))
    return number if math.isnan(number) or math.isinf(number) else int(number)


@method(function("substr", nargs=(2, 3)))
def evaluate__substr(self, context=None):
    text = _text(self, self[0].evaluate(context))
    start = int(self.number_value(self[1].evaluate(context)))
    end = int(self.number_value(self[2].evaluate(context))) if len(self) > 2 else len(text)
    return text[start:end]


@method(function("boolean-from-string", nargs=1))
def evaluate__boolean_from_string(self, context=None):
    return _text(self, self[0].evaluate(context)).strip() in ("true", "1")


COMPARE = {"=": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
           "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _values(token, value):
    if isinstance(value, list):
        return [token.string_value(item) for item in value]
    return [token.string_value(value) if isinstance(value, XPathNode) else value]


def _number(value):
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip())
    except ValueError:
        return math.nan


def _pair(op, a, b):
    """XPath 1.0's comparison of two values, with dates compared as dates."""
    if isinstance(a, bool) or isinstance(b, bool):
        return COMPARE[op](bool(a) if not isinstance(a, str) else a != "",
                           bool(b) if not isinstance(b, str) else b != "")
    day_a, day_b = _days(a), _days(b)
    if day_a is not None or day_b is not None:
        left = day_a if day_a is not None else _number(a)
        right = day_b if day_b is not None else _number(b)
        return not (math.isnan(left) or math.isnan(right)) and COMPARE[op](left, right)
    if op in ("=", "!=") and isinstance(a, str) and isinstance(b, str):
        return COMPARE[op](a, b)
    left, right = _number(a), _number(b)
    if math.isnan(left) or math.isnan(right):
        return op == "!="
    return COMPARE[op](left, right)


def _evaluate_comparison(self, context=None):
    lefts, rights = _values(self, self[0].evaluate(context)), _values(self, self[1].evaluate(context))
    return any(_pair(self.symbol, a, b) for a in lefts for b in rights)


for _symbol in COMPARE:
    _base = XPath1Parser.symbol_table[_symbol]
    XFormsParser.symbol_table[_symbol] = type(f"{_base.__name__}XForms", (_base,),
                                              {"evaluate": _evaluate_comparison})

_PARSER = XFormsParser()
_CACHE = {}


def compile_xpath(expression):
    """The parsed ``expression`` (cached).

    :raises XPathProblem: when it is not XPath this module knows.
    """
    if expression not in _CACHE:
        try:
            _CACHE[expression] = _PARSER.parse(expression)
        except (ElementPathError, ValueError, TypeError, KeyError) as err:
            raise XPathProblem(str(err)) from None
    return _CACHE[expression]


def evaluate(expression, document, item, today=None):
    """``expression`` evaluated on ``document`` (an ElementTree) at ``item``.

    :raises XPathProblem: when it cannot be parsed or evaluated.
    """
    token = compile_xpath(expression)
    context = XPathContext(document, item=item)
    context.today = today
    try:
        return token.evaluate(context)
    except (ElementPathError, ValueError, TypeError, ZeroDivisionError) as err:
        raise XPathProblem(str(err)) from None


def truth(value):
    """XPath's ``boolean()`` of an evaluated value."""
    if isinstance(value, (list, XPathNode)):
        return bool(value) if isinstance(value, list) else True
    if isinstance(value, str):
        return value != ""
    if isinstance(value, float) and math.isnan(value):
        return False
    return bool(value)


def text(value):
    """XPath's ``string()`` of an evaluated value (numbers as XPath writes them)."""
    if isinstance(value, XPathNode):
        value = [value]
    if isinstance(value, list):
        if not value:
            return ""
        node = value[0]
        return node.string_value if isinstance(node, XPathNode) else str(node)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)
