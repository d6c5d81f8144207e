"""The CouchDB-compatible API for single documents under ``/couch/<db>/``.

Documents (including ``_design/`` ones), their attachments, and ``_local``
documents. Reads answer 404 for anything the user may not see.
"""

import base64

from flask import Blueprint, Response, jsonify, request

from sync.errors import BadRequest, Conflict

from server.couch import multipart
from server.accounts.auth import require_user
from server.access.view import view_for
from server.couch.databases import write_one, read_options
from server.couch.params import json_body, qbool, qjson

bp = Blueprint("documents", __name__)


def _view(db):
    return view_for(require_user(), db)


def _query_rev():
    rev = request.args.get("rev")
    if_match = request.headers.get("If-Match")
    if if_match:
        rev = rev or if_match.strip('"')
    return rev


def _json_with_etag(payload, rev, status=200):
    response = jsonify(payload)
    response.status_code = status
    if rev:
        response.headers["ETag"] = f'"{rev}"'
    return response


def _get_doc(db, doc_id):
    view = _view(db)
    opts = read_options()
    accept = request.headers.get("Accept")
    if "open_revs" in request.args:
        if multipart.wants_multipart(accept):
            # As CouchDB: a multipart answer carries the attachment bytes
            # (those newer than atts_since) without attachments=true.
            opts["attachments"] = True
        found = view.open_revs(doc_id, qjson("open_revs"), **opts)
        if multipart.wants_multipart(accept):
            ctype, body = multipart.mixed(found)
            return Response(body, content_type=ctype)
        return jsonify(found)
    doc = view.get(doc_id, _query_rev(), **opts)
    if opts["attachments"] and multipart.wants_multipart(accept) and doc.get("_attachments"):
        ctype, body = multipart.related(doc)
        response = Response(body, content_type=ctype)
        response.headers["ETag"] = f'"{doc["_rev"]}"'
        return response
    return _json_with_etag(doc, doc["_rev"])


def _put_doc(db, doc_id):
    if request.mimetype == "multipart/related":
        doc = multipart.parse_related(request.content_type, request.get_data())
    else:
        doc = json_body(dict, "document")
    if "_id" in doc and doc["_id"] != doc_id:
        raise BadRequest(f"Document id in body ({doc['_id']!r}) does not match the URL")
    doc["_id"] = doc_id
    rev = _query_rev()
    if rev and doc.get("_rev") not in (None, rev):
        raise BadRequest("Document rev in body and in the query string differ")
    if rev:
        doc["_rev"] = rev
    result = write_one(_view(db), doc, qbool("new_edits", True))
    return _json_with_etag(result, result["rev"], 201)


def _delete_doc(db, doc_id):
    rev = _query_rev()
    if not rev:
        raise Conflict("Document update conflict: deleting needs ?rev=")
    result = write_one(_view(db), {"_id": doc_id, "_rev": rev, "_deleted": True}, True)
    return _json_with_etag(result, result["rev"])


@bp.route("/<db>/_design/<name>", methods=["GET", "PUT", "DELETE"])
def design_doc(db, name):
    """A design document: stored and replicated like any other."""
    return document(db, "_design/" + name)


@bp.route("/<db>/<docid>", methods=["GET", "PUT", "DELETE"])
def document(db, docid):
    """Read, write or delete one document."""
    if docid.startswith("_local/"):              # `_local%2Fid`: the same document
        return local_doc(db, docid[len("_local/"):])
    if request.method in ("GET", "HEAD"):
        return _get_doc(db, docid)
    if request.method == "PUT":
        return _put_doc(db, docid)
    return _delete_doc(db, docid)


@bp.route("/<db>/_design/<name>/<path:att>", methods=["GET", "PUT", "DELETE"])
def design_attachment(db, name, att):
    """An attachment of a design document."""
    return attachment(db, "_design/" + name, att)


@bp.route("/<db>/<docid>/<path:att>", methods=["GET", "PUT", "DELETE"])
def attachment(db, docid, att):
    """Read (raw bytes), add or remove one attachment."""
    view = _view(db)
    if request.method in ("GET", "HEAD"):
        stub, data = view.get_attachment(docid, att, request.args.get("rev"))
        response = Response(data, mimetype=None,
                            content_type=stub.get("content_type", "application/octet-stream"))
        response.headers["ETag"] = f'"{stub["digest"]}"'
        return response
    rev = _query_rev()
    if request.method == "PUT" and rev is None:
        doc = {"_id": docid}
    else:
        doc = view.get(docid, rev)
    atts = dict(doc.get("_attachments") or {})
    if request.method == "PUT":
        atts[att] = {"content_type": request.content_type or "application/octet-stream",
                     "data": base64.b64encode(request.get_data()).decode("ascii")}
    elif atts.pop(att, None) is None:
        from sync.errors import NotFound
        raise NotFound(f"Document is missing attachment {att!r}")
    doc["_attachments"] = atts
    if rev:
        doc["_rev"] = rev
    result = write_one(view, doc, True)
    return _json_with_etag(result, result["rev"], 201 if request.method == "PUT" else 200)


@bp.route("/<db>/_local/<path:local_id>", methods=["GET", "PUT", "DELETE"])
def local_doc(db, local_id):
    """A ``_local`` document (the user's own): checkpoints live here."""
    view = _view(db)
    doc_id = "_local/" + local_id
    if request.method in ("GET", "HEAD"):
        return jsonify(view.get_local(doc_id))
    if request.method == "PUT":
        doc = json_body(dict, "_local document")
        rev = _query_rev()
        if rev and "_rev" not in doc:
            doc["_rev"] = rev
        response = jsonify(view.put_local(doc_id, doc))
        response.status_code = 201
        return response
    return jsonify(view.delete_local(doc_id, _query_rev()))
