"""The one error tree of gridvisit: the engine's errors and, below them, the product's.

Every error carries CouchDB's HTTP status and error name, so the web layer can
answer in CouchDB's shape without knowing each case. The engine (``sync/``)
defines the tree; the product's errors subclass it where they are raised
(named in brackets), so there is one root to catch::

    GridvisitError                 500 unknown_error
    ├── BadRequest                 400 bad_request
    │   ├── InvalidRev             400 bad_request   (malformed rev id)
    │   ├── InvalidDocId           400 illegal_docid
    │   ├── QueryError             400 (Mango's name: bad_arg, invalid_operator,
    │   │                               no_usable_index, invalid_index, ...)
    │   ├── StampError             400 bad_request   [rules.hlc: a malformed stamp]
    │   ├── RuleError              400 bad_request   [rules.warning_rules: a broken rule set]
    │   ├── AccountError           400 bad_request   [server.accounts.users: account or
    │   │                                             directory data, field and rule named]
    │   └── RosterError            400 bad_request   [server.accounts.roster: .problems, a
    │                                                 row, field and rule each]
    ├── Unauthorized               401 unauthorized
    │   └── DeviceRevoked          401 device_revoked [server.accounts.wipe: a revoked
    │                                                 tablet, told to wipe]
    ├── Forbidden                  403 forbidden
    │   └── ValidationFailed       403 forbidden     [rules.schemas: .errors, a field and
    │                                                 rule each, in Chinese and English]
    ├── NotFound                   404 not_found
    ├── Conflict                   409 conflict
    ├── FileExists                 412 file_exists
    ├── PreconditionFailed         412 precondition_failed
    ├── PayloadTooLarge            413 too_large
    ├── UnsupportedMediaType       415 bad_content_type
    ├── TooManyAttempts            429 too_many_requests [server.accounts.ratelimit]
    └── TransportError             502 upstream_error  (a remote peer failed)

Only ``server/errors.py`` turns them into responses (CouchDB JSON on ``/couch``
and ``/api``, a page on the console); the command line prints the reason.
"""

__all__ = ["GridvisitError", "BadRequest", "InvalidRev", "InvalidDocId", "QueryError",
           "Unauthorized",
           "Forbidden", "NotFound", "Conflict", "FileExists", "PreconditionFailed",
           "PayloadTooLarge", "UnsupportedMediaType", "TransportError", "error_from_row"]


class GridvisitError(Exception):
    """Base of every gridvisit error; ``status`` and ``error`` follow CouchDB."""

    status = 500
    error = "unknown_error"

    def __init__(self, reason: str = ""):
        super().__init__(reason or self.error)
        self.reason = reason or self.error

    def to_json(self) -> dict:
        """The CouchDB error body: ``{"error": ..., "reason": ...}``."""
        return {"error": self.error, "reason": self.reason}


class BadRequest(GridvisitError):
    """The request or document is malformed."""

    status = 400
    error = "bad_request"


class InvalidRev(BadRequest):
    """A revision id that is not ``N-<hex>``."""


class InvalidDocId(BadRequest):
    """A document id that is empty, too long or reserved."""

    error = "illegal_docid"


class QueryError(BadRequest):
    """A Mango request CouchDB refuses, with CouchDB's error name for the case."""

    def __init__(self, error: str, reason: str, status: int = 400):
        super().__init__(reason)
        self.error = error
        self.status = status


class Unauthorized(GridvisitError):
    """Who is asking is unknown: no or bad credentials."""

    status = 401
    error = "unauthorized"


class Forbidden(GridvisitError):
    """The user may not do this (or the document broke a rule)."""

    status = 403
    error = "forbidden"


class NotFound(GridvisitError):
    """No such database, document, revision or attachment."""

    status = 404
    error = "not_found"


class Conflict(GridvisitError):
    """The revision named is not the current leaf (CouchDB's update conflict)."""

    status = 409
    error = "conflict"

    def __init__(self, reason: str = "Document update conflict."):
        super().__init__(reason)


class FileExists(GridvisitError):
    """The database exists already."""

    status = 412
    error = "file_exists"


class PreconditionFailed(GridvisitError):
    """A condition of the request does not hold (e.g. a stub with no attachment)."""

    status = 412
    error = "precondition_failed"


class PayloadTooLarge(GridvisitError):
    """The body is larger than the server accepts."""

    status = 413
    error = "too_large"


class UnsupportedMediaType(GridvisitError):
    """The body's content type is not one the endpoint reads."""

    status = 415
    error = "bad_content_type"


class TransportError(GridvisitError):
    """A remote peer could not be reached or failed."""

    status = 502
    error = "upstream_error"


def error_from_row(row):
    """The error of a per-document ``{"error", "reason"}`` row (a ``_bulk_docs`` answer)."""
    for cls in (Conflict, Forbidden, NotFound, PreconditionFailed, InvalidDocId, Unauthorized):
        if cls.error == row["error"]:
            return cls(row["reason"])
    err = BadRequest(row["reason"])
    err.error = row["error"]
    return err
