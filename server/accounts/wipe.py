"""Remote wipe: what a revoked tablet may still do before it erases itself.

Revoking a device token (a lost tablet) marks it for wiping. At its next
contact the tablet is answered ``401 {"error": "device_revoked", "wipe":
true}`` everywhere except the requests of a push into the field database
(``_revs_diff``, ``_bulk_docs``, its ``_local`` checkpoints):
those still work, through the worker's own view (their grids, the same
schemas), so the worker's unsent visits reach the server before the tablet
erases its data. It reads nothing: no ``_changes``, ``_bulk_get``,
``_all_docs`` or document. Once the tablet reports it wiped
(``POST /api/device/wiped``) the token is dead, 401 everywhere.
"""

from flask import current_app, request

from sync.errors import Unauthorized

# The endpoints of a push (PouchDB's replicate to a remote target), and what
# they may do: nothing here answers with a document body.
PUSH_ENDPOINTS = {
    ("couch.databases.revs_diff", "POST"), ("couch.databases.bulk_docs", "POST"),
    ("couch.databases.ensure_full_commit", "POST"),
    ("couch.documents.local_doc", "GET"), ("couch.documents.local_doc", "PUT"),
}
REVOKED = ("设备已吊销，请清除本机数据 / this device was revoked: push what is pending, "
           "then erase the local data and report it wiped")


class DeviceRevoked(Unauthorized):
    """A revoked tablet that has not yet wiped itself: it must wipe now."""

    error = "device_revoked"

    def __init__(self, reason=REVOKED):
        super().__init__(reason)

    def to_json(self):
        """The 401 body, with ``wipe: true`` for the field app."""
        return {"error": self.error, "reason": self.reason, "wipe": True}


def may_push():
    """True when the current request is part of a push into the field database."""
    if (request.endpoint, request.method) not in PUSH_ENDPOINTS:
        return False
    return (request.view_args or {}).get("db") == current_app.config["FIELD_DB"]
