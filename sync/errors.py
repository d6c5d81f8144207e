"""The one error tree of the sync core.

Every error carries CouchDB's HTTP status and error name, so the web layer can
answer in CouchDB's shape without knowing each case::

    SyncError                      500 unknown_error
    ├── BadRequest                 400 bad_request
    │   ├── InvalidRev             400 bad_request   (malformed rev id)
    │   └── InvalidDocId           400 illegal_docid
    ├── Unauthorized               401 unauthorized
    ├── Forbidden                  403 forbidden
    ├── NotFound                   404 not_found
    ├── Conflict                   409 conflict
    ├── FileExists                 412 file_exists
    ├── PreconditionFailed         412 precondition_failed
    ├── PayloadTooLarge            413 too_large
    ├── UnsupportedMediaType       415 bad_content_type
    └── TransportError             502 upstream_error  (a remote peer failed)
"""


class SyncError(Exception):
    """Base of every sync error; ``status`` and ``error`` follow CouchDB."""

    status = 500
    error = "unknown_error"

    def __init__(self, reason: str = ""):
        super().__init__(reason or self.error)
        self.reason = reason or self.error

    def to_json(self) -> dict:
        """The CouchDB error body: ``{"error": ..., "reason": ...}``."""
        return {"error": self.error, "reason": self.reason}


class BadRequest(SyncError):
    status = 400
    error = "bad_request"


class InvalidRev(BadRequest):
    """A revision id that is not ``N-<hex>``."""


class InvalidDocId(BadRequest):
    error = "illegal_docid"


class Unauthorized(SyncError):
    status = 401
    error = "unauthorized"


class Forbidden(SyncError):
    status = 403
    error = "forbidden"


class NotFound(SyncError):
    status = 404
    error = "not_found"


class Conflict(SyncError):
    status = 409
    error = "conflict"

    def __init__(self, reason: str = "Document update conflict."):
        super().__init__(reason)


class FileExists(SyncError):
    status = 412
    error = "file_exists"


class PreconditionFailed(SyncError):
    status = 412
    error = "precondition_failed"


class PayloadTooLarge(SyncError):
    status = 413
    error = "too_large"


class UnsupportedMediaType(SyncError):
    status = 415
    error = "bad_content_type"


class TransportError(SyncError):
    status = 502
    error = "upstream_error"
