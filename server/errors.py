"""The one place errors become responses.

Under ``/couch`` every error is CouchDB-shaped JSON, ``{"error", "reason"}``
with CouchDB's status, so PouchDB and CouchDB clients react as they do to
CouchDB. Nothing escapes as an HTML 500: an unexpected exception is logged
with its traceback and answered as ``500 unknown_error``.
"""

from flask import jsonify
from werkzeug.exceptions import HTTPException

from sync.errors import SyncError

try:        # gunicorn raises these while the app reads a malformed body
    from gunicorn.http.errors import NoMoreData, ParseException
    BODY_ERRORS = (ParseException, NoMoreData)
except ImportError:                 # pragma: no cover (gunicorn is a dependency)
    BODY_ERRORS = ()

# Werkzeug's HTTP errors, named as CouchDB names them.
HTTP_NAMES = {400: "bad_request", 401: "unauthorized", 403: "forbidden",
              404: "not_found", 405: "method_not_allowed", 406: "not_acceptable",
              409: "conflict", 412: "precondition_failed", 413: "too_large",
              415: "bad_content_type", 416: "requested_range_not_satisfiable"}


def couch_error(status, error, reason):
    """A CouchDB-shaped JSON error response."""
    response = jsonify(error=error, reason=reason)
    response.status_code = status
    return response


def _sync_error(err):
    return couch_error(err.status, err.error, err.reason)


def _http_error(err):
    if err.code == 404:
        reason = "missing"
    elif err.code == 413:
        reason = "The request body is larger than the server accepts (MAX_REQUEST_BYTES)."
    elif err.code == 405:
        reason = "Only " + ", ".join(err.valid_methods or []) + " allowed"
    else:
        reason = err.description
    return couch_error(err.code, HTTP_NAMES.get(err.code, "error"), reason)


def _malformed_body(err):
    # The client's framing is wrong (a chunk size that is not hex, a body
    # shorter than announced): its fault, so a 400, not a 500.
    return couch_error(400, "bad_request",
                       f"请求体格式错误 / the request body is malformed: "
                       f"{type(err).__name__} {err}".strip())


def _unexpected(err):
    from flask import current_app
    current_app.logger.exception("unexpected error: %s", err)
    return couch_error(500, "unknown_error", "internal server error; see the server log")


def init_app(app):
    """Register the handlers on ``app``."""
    app.register_error_handler(SyncError, _sync_error)
    app.register_error_handler(HTTPException, _http_error)
    for kind in BODY_ERRORS:
        app.register_error_handler(kind, _malformed_body)
    app.register_error_handler(Exception, _unexpected)
