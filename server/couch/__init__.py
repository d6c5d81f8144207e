"""The CouchDB protocol under ``/couch``: server and database endpoints
(:mod:`.databases`), documents and attachments (:mod:`.documents`),
cookie sessions (:mod:`.session`), design-document views (:mod:`.design`), ``_changes`` responses (:mod:`.feeds`), request parameters and bodies
(:mod:`.params`), multipart documents (:mod:`.multipart`) and compressed
request bodies (:mod:`.encoding`). Nothing here knows grids or roles: each
route asks :mod:`server.access` for the user's view."""

from flask import Blueprint

from server.couch import databases, design, documents, session

# The one /couch blueprint; one child per module, as the console's pages.
bp = Blueprint("couch", __name__, url_prefix="/couch")
for _module in (session, databases, design, documents):
    bp.register_blueprint(_module.bp)
