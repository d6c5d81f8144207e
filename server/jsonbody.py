"""The one JSON loader for request bodies, and strict JSON on the way out.

Every body the server reads (``/couch`` documents and bulk bodies,
``_local``, multipart JSON parts, ``/couch/_session``, ``/api``) and every
JSON query value goes through :func:`loads`, which holds three rules:

- Nesting deeper than ``MAX_DEPTH`` (objects and arrays) is refused with
  400 naming the limit: no ``RecursionError`` further in.
- Numbers must be finite: ``NaN``, ``Infinity`` and overflowing literals
  such as ``1e999`` are refused with 400 naming where they are, because
  what the server stores it must serve back as JSON every client parses.
- A lone UTF-16 surrogate escape (``"\\ud83d"``, what JavaScript's
  ``JSON.stringify`` makes of a half-cut emoji) is replaced by U+FFFD and
  the document kept: nothing a worker recorded is dropped for half a
  character. The response says so in the ``X-Gridvisit-Replaced`` header.

:func:`strict_dumps` is the output side: ``allow_nan=False``, so no
``Infinity`` ever leaves as if it were JSON.
"""

import json
import math
import re

from flask import g, has_request_context
from flask.json.provider import DefaultJSONProvider

from sync.errors import BadRequest

MAX_DEPTH = 100
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACED_HEADER = "X-Gridvisit-Replaced"


class InvalidJSON(BadRequest):
    """Text that is not JSON at all (as opposed to JSON the rules refuse)."""


class _NonFinite:
    """A placeholder for a number literal that is not a finite float."""

    def __init__(self, text):
        self.text = text


def loads(raw, what="request body"):
    """``raw`` (bytes or str) parsed by the rules above.

    :raises InvalidJSON: for text that is not JSON.
    :raises BadRequest: for nesting deeper than ``MAX_DEPTH``,
        or a number that is not finite (naming its path).
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    flags = {"non_finite": False}

    def parse_float(text):
        value = float(text)
        if math.isfinite(value):
            return value
        flags["non_finite"] = True
        return _NonFinite(text)

    def parse_constant(name):
        flags["non_finite"] = True
        return _NonFinite(name)

    try:
        value = json.loads(data, parse_float=parse_float, parse_constant=parse_constant)
    except RecursionError:
        raise _too_deep(what)
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidJSON(f"{what} 不是有效的 JSON / the {what} is not valid JSON: {err}")
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH:
        _check_depth(value, what)
    if flags["non_finite"]:
        _refuse_non_finite(value, what)
    if _SURROGATE_ESCAPE.search(data):
        value, replaced = _replace_surrogates(value)
        if replaced:
            _note_replaced(replaced)
    return value


def _too_deep(what):
    return BadRequest(f"{what} 嵌套超过 {MAX_DEPTH} 层 / the {what} is nested deeper "
                      f"than {MAX_DEPTH} levels (the limit)")


def _check_depth(root, what):
    """:raises BadRequest: when ``root`` nests deeper than ``MAX_DEPTH``."""
    stack = [(root, 1)] if isinstance(root, (dict, list)) else []
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_deep(what)
        for child in (value.values() if isinstance(value, dict) else value):
            if isinstance(child, (dict, list)):
                stack.append((child, depth + 1))


def _refuse_non_finite(root, what):
    """:raises BadRequest: naming the path of the first non-finite number."""
    stack = [(root, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, _NonFinite):
            raise BadRequest(f"{path or what}: 数字必须是有限值，不能是 {value.text} / "
                             f"numbers must be finite, not {value.text}")
        if isinstance(value, dict):
            stack.extend((child, f"{path}.{key}" if path else key)
                         for key, child in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{index}]")
                         for index, child in reversed(list(enumerate(value))))


def _replace_surrogates(root):
    """``(root with lone surrogates replaced by U+FFFD, how many)``."""
    replaced = 0

    def fix(text):
        nonlocal replaced
        fixed, count = _SURROGATE.subn("\ufffd", text)
        replaced += count
        return fixed

    holder = [root]
    stack = [(holder, 0)]
    while stack:
        container, key = stack.pop()
        value = container[key]
        if isinstance(value, str):
            container[key] = fix(value)
        elif isinstance(value, dict):
            if any(_SURROGATE.search(name) for name in value):
                value = container[key] = {fix(name): child for name, child in value.items()}
            stack.extend((value, name) for name in value)
        elif isinstance(value, list):
            stack.extend((value, index) for index in range(len(value)))
    return holder[0], replaced


def _note_replaced(count):
    if has_request_context():
        g.replaced_surrogates = g.get("replaced_surrogates", 0) + count


def strict_dumps(value, **kwargs):
    """``value`` as JSON text; never ``NaN`` or ``Infinity``.

    :raises ValueError: for a non-finite number (a bug: input refuses them).
    """
    kwargs.setdefault("ensure_ascii", False)
    return json.dumps(value, allow_nan=False, **kwargs)


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider with ``allow_nan=False`` and strict loading."""

    ensure_ascii = False
    sort_keys = False

    def dumps(self, obj, **kwargs):
        """``obj`` as strict JSON text."""
        kwargs.setdefault("allow_nan", False)
        return super().dumps(obj, **kwargs)

    def loads(self, s, **kwargs):
        """JSON text parsed by :func:`loads`. :raises BadRequest:."""
        return loads(s)


def _say_replaced(response):
    count = g.get("replaced_surrogates")
    if count:
        response.headers[REPLACED_HEADER] = (
            f"{count} lone UTF-16 surrogate(s) replaced with U+FFFD")
    return response


def init_app(app):
    """Make ``app`` read and write JSON by these rules."""
    app.json = StrictJSONProvider(app)
    app.after_request(_say_replaced)
