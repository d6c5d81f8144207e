"""The CouchDB protocol under ``/couch``: server and database endpoints
(:mod:`.databases`), compaction, purge and ``_local_docs``
(:mod:`.maintenance`), documents and attachments (:mod:`.documents`),
cookie sessions (:mod:`.session`), Mango queries and indexes
(:mod:`.mango`), design-document views, shows, lists and updates
(:mod:`.design`), ``_changes`` responses (:mod:`.feeds`),
request parameters and bodies (:mod:`.params`), multipart documents
(:mod:`.multipart`), compressed request bodies (:mod:`.encoding`) and
routing on the raw path, so ids may hold ``/`` (:mod:`.rawpath`). Nothing
here knows grids or roles: each route asks :mod:`server.access` for the
user's view."""

from flask import Blueprint

from server.couch import databases, design, documents, maintenance, mango, rawpath, session

# The one /couch blueprint; one child per module, as the console's pages.
bp = Blueprint("couch", __name__, url_prefix="/couch")
rawpath.init_blueprint(bp)      # ids and names with `/` in them (see rawpath)
for _module in (session, databases, maintenance, mango, design, documents):
    bp.register_blueprint(_module.bp)


@bp.after_request
def _not_stored(response):
    """Residents' data never lands in a browser's HTTP cache on disk (issue 21):
    ``no-store`` where CouchDB says ``must-revalidate``; the tablet keeps its
    copy sealed in IndexedDB instead."""
    response.headers["Cache-Control"] = "no-store"
    return response

