"""Routing ``/couch`` on the raw request path, as CouchDB does.

A WSGI server decodes the path before the app sees it, so
``/couch/db/a%2Fb%2Fc`` (what PouchDB sends for the document ``a/b/c``)
would reach routing as ``/couch/db/a/b/c``: document ``a`` with attachment
``b/c``. :class:`RawPath` rebuilds ``PATH_INFO`` of ``/couch`` requests
from the raw path, decoding everything but an encoded ``/`` or ``%``
(``%2F``, ``%25``), so routing splits segments where the client did; the
couch blueprint then decodes those two in every URL value
(:func:`decode_value`), so every route under ``/couch`` gets the true id
or database name.

The raw path comes from ``RAW_URI`` (gunicorn, werkzeug's server and
test client) or ``REQUEST_URI`` (mod_wsgi, uWSGI). Without either, or when
it does not decode to the path the server gave (a middleware rewrote it),
``PATH_INFO`` is left as it is: an encoded ``/`` then splits segments, as
before this module existed.
"""

import re
import urllib.parse

from flask import request

_KEPT = re.compile(r"(%2[fF]|%25)")
_DECODE = {"%2F": "/", "%25": "%"}


def _decode_keeping(raw):
    """``raw`` (a WSGI string) percent-decoded, except ``%2F`` and ``%25``."""
    out = []
    for index, piece in enumerate(_KEPT.split(raw)):
        if index % 2:
            out.append(piece.upper())
        else:
            out.append(urllib.parse.unquote_to_bytes(piece.encode("latin-1")).decode("latin-1"))
    return "".join(out)


def _raw_path(environ):
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if not raw:
        return None
    if not raw.startswith("/"):               # absolute form: http://host/path
        raw = urllib.parse.urlsplit(raw).path
    return raw.split("?", 1)[0].split("#", 1)[0]


def routing_path(environ, prefix):
    """The ``PATH_INFO`` to route on, or ``None`` to keep the server's."""
    script = environ.get("SCRIPT_NAME", "")
    path = environ.get("PATH_INFO", "")
    raw = _raw_path(environ)
    if raw is None or not path.startswith(prefix) or "%" not in raw:
        return None
    kept = _decode_keeping(raw)
    if decode_value(kept) != script + path or not kept.startswith(script):
        return None                           # not the path the server decoded
    return kept[len(script):]


def decode_value(text):
    """A URL value routed with ``%2F``/``%25`` kept: decode those two."""
    return _KEPT.sub(lambda match: _DECODE[match.group(0).upper()], text)


class RawPath:
    """Wrap a WSGI app so paths under ``prefix`` route on the raw path."""

    def __init__(self, app, prefix="/couch/"):
        self.app = app
        self.prefix = prefix

    def __call__(self, environ, start_response):
        path = routing_path(environ, self.prefix)
        if path is not None:
            environ = dict(environ, PATH_INFO=path)
            environ["gridvisit.raw_path"] = True
        return self.app(environ, start_response)


def init_blueprint(bp):
    """Decode the kept ``%2F``/``%25`` of every URL value under ``bp``."""
    @bp.url_value_preprocessor
    def _decode(_endpoint, values):
        if values and request.environ.get("gridvisit.raw_path"):
            for key, value in values.items():
                if isinstance(value, str):
                    values[key] = decode_value(value)
