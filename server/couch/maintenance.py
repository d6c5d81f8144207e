"""Keeping a database under ``/couch/<db>``: compaction, purge, ``_local_docs``.

``_compact`` (and ``_compact/{ddoc}``, ``_view_cleanup``) answer 202 as
CouchDB does and compact in the background (``compact_running`` in the
database info); ``_purge`` removes leaf revisions for good, with
``_purged_infos`` and ``_purged_infos_limit``. Compaction and purge are for
admins only (``DatabaseView.maintained``); ``_local_docs`` lists the
user's own ``_local`` documents.
"""

import threading

from flask import Blueprint, jsonify, request
from werkzeug.exceptions import MethodNotAllowed

from sync.design.registry import design_docs
from sync.errors import UnsupportedMediaType

from server.access.view import view_for
from server.accounts.auth import require_user
from server.couch.params import body_int, json_body, qbool, qint, qjson, qstr_json

bp = Blueprint("maintenance", __name__)


def _view(db):
    return view_for(require_user(), db)


def _accepted():
    response = jsonify(ok=True)
    response.status_code = 202
    return response


def _json_content_type():
    """:raises UnsupportedMediaType: unless the request says application/json, as CouchDB."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("Content-Type 须为 application/json / Content-Type must "
                                   "be application/json")


@bp.route("/<db>/_compact", methods=["GET", "PUT", "DELETE", "POST"])
def compact(db):
    """Start compacting the database (admins only)."""
    _post_only()
    maintained = _view(db).maintained()
    _json_content_type()
    maintained.compact()
    return _accepted()


@bp.post("/<db>/_compact/<ddoc>")
def compact_views(db, ddoc):
    """Compact a design document's view index, in the background; the design
    document must exist (admins only)."""
    view = _view(db)
    maintained = view.maintained()
    _json_content_type()
    view.get("_design/" + ddoc)
    registry = design_docs(maintained)
    threading.Thread(target=registry.compact, args=(ddoc,), daemon=True,
                     name=f"compact-views-{db}").start()
    return _accepted()


@bp.route("/<db>/_view_cleanup", methods=["GET", "PUT", "DELETE", "POST"])
def view_cleanup(db):
    """Remove index files no design document uses (admins only)."""
    _post_only()
    maintained = _view(db).maintained()
    _json_content_type()
    design_docs(maintained).cleanup()
    return _accepted()


def _post_only():
    """:raises MethodNotAllowed: for any other method, as CouchDB (405, not a
    read of a document called ``_purge``)."""
    if request.method != "POST":
        raise MethodNotAllowed(valid_methods=["POST"])


@bp.route("/<db>/_purge", methods=["GET", "PUT", "DELETE", "POST"])
def purge(db):
    """Purge leaf revisions for good (admins only)."""
    _post_only()
    maintained = _view(db).maintained()
    response = jsonify(maintained.purge(json_body(dict, "_purge body")))
    response.status_code = 201
    return response


@bp.get("/<db>/_purged_infos")
def purged_infos(db):
    """The purge log kept (up to ``_purged_infos_limit`` requests; admins only)."""
    maintained = _view(db).maintained()
    infos = [{"id": doc_id, "revs": revs}
             for _seq, purged in maintained.purged_since(0) for doc_id, revs in purged.items()]
    return jsonify(purge_seq=maintained.seq_text(maintained.purge_seq()), purged_infos=infos)


@bp.route("/<db>/_purged_infos_limit", methods=["GET", "PUT"])
def purged_infos_limit(db):
    """Read or (admins) set how many purge requests the log keeps."""
    view = _view(db)
    if request.method in ("GET", "HEAD"):
        return jsonify(view.purged_infos_limit())
    view.maintained().set_purged_infos_limit(json_body(int, "_purged_infos_limit body"))
    return jsonify(ok=True)


@bp.route("/<db>/_local_docs", methods=["GET", "POST"])
def local_docs(db):
    """The user's ``_local`` documents, listed as ``_all_docs`` lists documents."""
    body = json_body(dict, "_local_docs body") if request.method == "POST" else {}
    key = qstr_json("key")
    keys = body.get("keys", qjson("keys"))
    if key is not None and keys is None:
        keys = [key]
    params = dict(
        keys=keys,
        startkey=body.get("startkey", qstr_json("startkey") or qstr_json("start_key")),
        endkey=body.get("endkey", qstr_json("endkey") or qstr_json("end_key")),
        inclusive_end=qbool("inclusive_end", True), include_docs=qbool("include_docs"),
        limit=body_int(body, "limit", qint("limit")), skip=body_int(body, "skip", qint("skip", 0)),
        descending=qbool("descending"))
    return jsonify(_view(db).local_docs(**params))
