"""The CouchDB protocol under ``/couch``: server and database endpoints
(:mod:`.databases`), documents and attachments (:mod:`.documents`),
``_changes`` responses (:mod:`.feeds`), request parameters and bodies
(:mod:`.params`), multipart documents (:mod:`.multipart`) and compressed
request bodies (:mod:`.encoding`). Nothing here knows grids or roles: each
route asks :mod:`server.access` for the user's view."""
