"""The one place errors become responses.

Every error the product raises descends from ``sync.errors.GridvisitError``
(the tree is drawn there) and carries CouchDB's status and name. Here, and
nowhere else, it becomes an answer:

- under ``/couch`` and ``/api``, CouchDB-shaped JSON ``{"error", "reason"}``
  with CouchDB's status, so PouchDB and CouchDB clients react as they do to
  CouchDB;
- on the console, a page in the console's language (and the sign-in page
  for an unknown user).

Werkzeug's HTTP errors are named as CouchDB names them. Nothing escapes as
an HTML 500: an unexpected exception is logged with its traceback and
answered as ``500 unknown_error``.
"""

from flask import current_app, jsonify, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from sync.errors import GridvisitError, Unauthorized

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
UNEXPECTED = "internal server error; see the server log"


def couch_error(status, error, reason):
    """A CouchDB-shaped JSON error response."""
    response = jsonify(error=error, reason=reason)
    response.status_code = status
    return response


def _on_console():
    return (request.blueprint or "").startswith("console")


def _console_page(status, message):
    return render_template("console/error.html", status=status, message=message), status


def _gridvisit_error(err):
    if not _on_console():
        response = jsonify(err.to_json())
        response.status_code = err.status
        return response
    from server.console import i18n
    if isinstance(err, Unauthorized):
        return redirect(url_for("console.login.login"))
    return _console_page(err.status, i18n.t("error.not_found") if err.status == 404
                         else err.reason)


def _http_error(err):
    if _on_console():
        from server.console import i18n
        if isinstance(err, CSRFError):
            return _console_page(400, i18n.t("error.csrf"))
        return _console_page(err.code or 500, err.description)
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
    current_app.logger.exception("unexpected error: %s", err)
    if _on_console():
        return _console_page(500, UNEXPECTED)
    return couch_error(500, "unknown_error", UNEXPECTED)


def init_app(app):
    """Register the handlers on ``app``: the only ones of the product."""
    app.register_error_handler(GridvisitError, _gridvisit_error)
    app.register_error_handler(HTTPException, _http_error)
    for kind in BODY_ERRORS:
        app.register_error_handler(kind, _malformed_body)
    app.register_error_handler(Exception, _unexpected)
