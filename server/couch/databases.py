"""The CouchDB-compatible API, server and database level, under ``/couch``.

Welcome, ``_all_dbs``, database create/info/delete, and the replication
endpoints: ``_changes``, ``_revs_diff``, ``_bulk_get``, ``_bulk_docs``,
``_all_docs``, ``_ensure_full_commit``, ``_revs_limit``. Documents are
reached through the user's view (``access.view_for``), never directly.
"""

import urllib.parse
import uuid

from flask import Blueprint, current_app, jsonify, request

from sync.errors import BadRequest, NotFound, error_from_row
from sync.reads import RawJSON

from server.version import __version__
from server.couch import feeds
from server.access.view import view_for
from server.accounts.auth import require_admin, require_user
from server.couch.params import body_int, json_body, qbool, qint, qjson, qstr_json
from server.jsonbody import strict_dumps
from server.services import services

bp = Blueprint("databases", __name__)


def store():
    """The app's document store."""
    return services().store


def _view(db):
    return view_for(require_user(), db)


@bp.get("/")
def welcome():
    """Server info, as ``GET /`` on CouchDB."""
    return jsonify(couchdb="Welcome", version="3.3.0", git_sha="gridvisit",
                   uuid=current_app.config["SERVER_UUID"], features=["access-ready"],
                   vendor={"name": "gridvisit", "version": __version__})


@bp.get("/_up")
def up():
    """Health check for load balancers and the field app."""
    return jsonify(status="ok", seeds={})


@bp.get("/_all_dbs")
def all_dbs():
    """Every database name (admins only)."""
    require_admin()
    return jsonify(store().names())


@bp.route("/<db>/", methods=["GET", "HEAD"])
@bp.route("/<db>", methods=["GET", "HEAD"])
def db_info(db):
    """Database info."""
    return jsonify(_view(db).info())


@bp.put("/<db>/")
@bp.put("/<db>")
def db_create(db):
    """Create a database (admins only)."""
    require_admin()
    store().create(db)
    response = jsonify(ok=True)
    response.status_code = 201
    response.headers["Location"] = (request.root_url + "couch/"
                                    + urllib.parse.quote(db, safe=""))
    return response


@bp.delete("/<db>/")
@bp.delete("/<db>")
def db_delete(db):
    """Delete a database and everything in it (admins only)."""
    require_admin()
    store().delete(db)
    return jsonify(ok=True)


@bp.post("/<db>/")
@bp.post("/<db>")
def db_post(db):
    """Create a document with a server-chosen id (or the one given)."""
    doc = json_body(dict, "document")
    doc.setdefault("_id", uuid.uuid4().hex)
    result = write_one(_view(db), doc, qbool("new_edits", True))
    response = jsonify(result)
    response.status_code = 201
    return response


def write_one(view, doc, new_edits):
    """Write one document through ``view`` and raise its error, if any."""
    rows = view.bulk_docs([doc], new_edits=new_edits)
    if rows and "error" in rows[0]:
        raise error_from_row(rows[0])
    return rows[0] if new_edits else {"ok": True, "id": doc["_id"], "rev": doc["_rev"]}


@bp.route("/<db>/_changes", methods=["GET", "POST"])
def changes(db):
    """The changes feed: normal, longpoll or continuous."""
    view = _view(db)
    body = json_body(dict, "_changes body") if request.method == "POST" and \
        request.get_data(cache=True) else {}
    params = feeds.changes_params(body)
    return feeds.respond(view, params)


@bp.post("/<db>/_revs_diff")
def revs_diff(db):
    """Which of the given revs this database lacks."""
    return jsonify(_view(db).revs_diff(json_body(dict, "_revs_diff body")))


def read_options():
    """The document-read options of the query string."""
    return dict(revs=qbool("revs"), conflicts=qbool("conflicts"),
                deleted_conflicts=qbool("deleted_conflicts"), revs_info=qbool("revs_info"),
                attachments=qbool("attachments"), latest=qbool("latest"),
                atts_since=_rev_list("atts_since"))


def _rev_list(name):
    value = qjson(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"Query parameter `{name}` must be a JSON array of revs")
    return value


@bp.post("/<db>/_bulk_get")
def bulk_get(db):
    """Many revisions in one request (what replicators fetch)."""
    body = json_body(dict, "_bulk_get body")
    opts = read_options()
    opts.pop("revs_info")
    results = _view(db).bulk_get(body.get("docs"), raw=True, **opts)
    return current_app.response_class(bulk_get_json(results), mimetype="application/json")


def bulk_get_json(results):
    """Serialise ``_bulk_get`` results, splicing documents kept as JSON text."""
    def entry(item):
        doc = item.get("ok")
        if isinstance(doc, RawJSON):
            return '{"ok":' + doc + "}"
        return strict_dumps(item)
    return '{"results":[' + ",".join(
        '{"id":' + strict_dumps(result["id"]) + ',"docs":['
        + ",".join(entry(item) for item in result["docs"]) + "]}"
        for result in results) + "]}"


@bp.post("/<db>/_bulk_docs")
def bulk_docs(db):
    """Write many documents in one transaction; per-document results."""
    body = json_body(dict, "_bulk_docs body")
    docs = body.get("docs")
    if not isinstance(docs, list):
        raise BadRequest("_bulk_docs body needs `docs`: a JSON array of documents")
    new_edits = body.get("new_edits", True)
    if not isinstance(new_edits, bool):
        raise BadRequest("`new_edits` must be true or false")
    results = _view(db).bulk_docs(docs, new_edits=new_edits)
    response = jsonify(results)
    response.status_code = 201
    return response


@bp.route("/<db>/_all_docs", methods=["GET", "POST"])
def all_docs(db):
    """Documents by id: ranges, explicit keys, with or without bodies."""
    body = json_body(dict, "_all_docs body") if request.method == "POST" else {}
    keys = body.get("keys", qjson("keys"))
    params = dict(
        keys=keys,
        startkey=body.get("startkey", qstr_json("startkey") or qstr_json("start_key")),
        endkey=body.get("endkey", qstr_json("endkey") or qstr_json("end_key")),
        inclusive_end=qbool("inclusive_end", True),
        include_docs=qbool("include_docs"), conflicts=qbool("conflicts"),
        limit=body_int(body, "limit", qint("limit")), skip=body_int(body, "skip", qint("skip", 0)),
        descending=qbool("descending"))
    return jsonify(_view(db).all_docs(**params))


@bp.post("/<db>/_ensure_full_commit")
def ensure_full_commit(db):
    """Every write is durable at commit; answer as CouchDB does."""
    view = _view(db)
    response = jsonify(ok=True, instance_start_time=view.instance_start_time)
    response.status_code = 201
    return response


@bp.route("/<db>/_revs_limit", methods=["GET", "PUT"])
def revs_limit(db):
    """Read or (admins) set how many revisions each path keeps."""
    view = _view(db)
    if request.method in ("GET", "HEAD"):
        return jsonify(view.revs_limit())
    require_admin()
    view.set_revs_limit(json_body(int, "_revs_limit body"))
    return jsonify(ok=True)
