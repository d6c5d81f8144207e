"""Reading CouchDB-style requests: JSON bodies and JSON query values.

CouchDB query values are JSON (``revs=true``, ``open_revs=["1-a"]``,
``startkey="a"``); a bad value is a 400 that names the parameter and what
it must be. Unknown parameters are ignored, as CouchDB ignores them.
"""

from flask import request
from werkzeug.routing import BaseConverter, ValidationError

from sync.errors import BadRequest, UnsupportedMediaType
from sync.integers import INT64_MAX, parse_int
from server.jsonbody import InvalidJSON, loads

_MISSING = object()


def json_body(kind=dict, what="request body"):
    """The request's JSON body, checked to be a ``kind``.

    :raises UnsupportedMediaType: when the Content-Type is not JSON.
    :raises BadRequest: when the body is not valid JSON of that kind.
    """
    ctype = request.mimetype
    if ctype and ctype != "application/json" and not ctype.endswith("+json"):
        raise UnsupportedMediaType(f"Content-Type must be application/json, not {ctype}")
    raw = request.get_data(cache=True)
    value = loads(raw, what) if raw else _MISSING
    if value is _MISSING:
        raise BadRequest(f"The {what} is empty; a JSON {_kind_name(kind)} is required")
    if not isinstance(value, kind):
        raise BadRequest(f"The {what} must be a JSON {_kind_name(kind)}")
    return value


def _kind_name(kind):
    return {dict: "object", list: "array"}.get(kind, kind.__name__)


def qjson(name, default=None, source=None):
    """Query value ``name`` parsed as JSON (a bare string is taken as is)."""
    args = request.args if source is None else source
    if name not in args:
        return default
    text = args[name]
    try:
        return loads(text, f"query parameter `{name}`")
    except InvalidJSON:
        return text


def qbool(name, default=False):
    """Query value ``name`` as true/false. :raises BadRequest:."""
    if name not in request.args:
        return default
    text = request.args[name].lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0", ""):
        return False
    raise BadRequest(f"Query parameter `{name}` must be true or false, not {request.args[name]!r}")


def qint(name, default=None, minimum=0, source=None):
    """Query value ``name`` as a 64-bit integer ≥ ``minimum``.

    :raises BadRequest: naming the parameter and the range.
    """
    args = request.args if source is None else source
    if name not in args:
        return default
    return parse_int(args[name], f"query parameter `{name}`", minimum=minimum)


def body_int(body, name, default=None, minimum=0):
    """JSON body member ``name`` as a 64-bit integer ≥ ``minimum``.

    :raises BadRequest: naming the member and the range.
    """
    if name not in body:
        return default
    value = body[name]
    if isinstance(value, str):     # a JSON body says numbers as numbers: "1" is no count
        raise BadRequest(f"`{name}` in the body: 必须是 JSON 整数，不是字符串 / must be a "
                         f"JSON integer, not a string")
    return parse_int(value, f"`{name}` in the body", minimum=minimum)


def qstr_json(name, source=None):
    """Query value ``name`` that must be a JSON string (ids, keys). :raises BadRequest:."""
    value = qjson(name, source=source)
    if value is not None and not isinstance(value, str):
        raise BadRequest(f"Query parameter `{name}` must be a JSON string")
    return value


class ID64Converter(BaseConverter):
    """``<id64:name>`` in a route: a row id, ASCII digits within SQLite's
    64-bit range (a longer number names no row: 404, not an overflow)."""

    regex = r"[0-9]{1,19}"

    def to_python(self, value):
        """The id as an int. :raises ValidationError: past 64 bits."""
        number = int(value)
        if number > INT64_MAX:
            raise ValidationError()
        return number

    def to_url(self, value):
        """The id as URL text."""
        return str(int(value))
