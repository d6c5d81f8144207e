"""Design-document queries under ``/couch/<db>/_design/<name>``: views
(``_view/<view>``, ``GET`` and ``POST``, and ``_view/<view>/queries``),
``_info``, ``_show/<func>[/<docid>]``, ``_list/<func>[/<ddoc>]/<view>`` and
``_update/<func>[/<docid>]``. Parameters are CouchDB's (docs.couchdb.org
"/{db}/_design/{ddoc}/_view/{view}"); the engine is :mod:`sync.design`,
reached through the user's view (:mod:`server.access.design`).
"""

from flask import Blueprint, Response, jsonify, request

from sync.design.query import ViewQuery
from sync.errors import BadRequest, NotFound

from server.access import design as access_design
from server.access.view import view_for
from server.accounts.auth import require_user
from server.couch.databases import write_one
from server.couch.feeds import filter_request
from server.couch.params import json_body
from server.jsonbody import InvalidJSON, loads

bp = Blueprint("design", __name__)

JSON_PARAMS = {"key": "key", "keys": "keys", "startkey": "startkey", "start_key": "startkey",
               "endkey": "endkey", "end_key": "endkey"}
TEXT_PARAMS = {"startkey_docid": "startkey_docid", "start_key_doc_id": "startkey_docid",
               "endkey_docid": "endkey_docid", "end_key_doc_id": "endkey_docid",
               "update": "update"}
BOOL_PARAMS = ("descending", "include_docs", "inclusive_end", "reduce", "group", "conflicts",
               "update_seq", "sorted", "stable", "attachments", "att_encoding_info")
INT_PARAMS = ("limit", "skip", "group_level")
KNOWN = {*JSON_PARAMS.values(), *TEXT_PARAMS.values(), *BOOL_PARAMS, *INT_PARAMS}


def _bool(name, text):
    if text.lower() in ("true", "1"):
        return True
    if text.lower() in ("false", "0"):
        return False
    raise BadRequest(f"查询参数 `{name}` 必须是 true 或 false / query parameter `{name}` must be "
                     f"true or false, not {text!r}")


def query_from_args(args):
    """View-query options from a query string (JSON values where CouchDB says so).

    :raises BadRequest: naming the parameter and its rule.
    """
    out = {}
    for name, text in args.items():
        if name in JSON_PARAMS:
            try:
                out[JSON_PARAMS[name]] = loads(text, f"query parameter `{name}`")
            except InvalidJSON:
                raise BadRequest(f"查询参数 `{name}` 必须是 JSON（字符串要加引号）/ query parameter "
                                 f"`{name}` must be JSON (quote strings): {text[:40]!r}") from None
        elif name in TEXT_PARAMS:
            out[TEXT_PARAMS[name]] = text
        elif name in BOOL_PARAMS:
            out[name] = _bool(name, text)
        elif name in INT_PARAMS:
            out[name] = text
    return out


def query_from_body(body):
    """View-query options from a JSON body (``keys`` and the same names)."""
    out = {}
    for name, value in body.items():
        name = JSON_PARAMS.get(name) or TEXT_PARAMS.get(name) or name
        if name not in KNOWN:
            continue                      # unknown members are ignored, as CouchDB does
        if name == "update" and isinstance(value, bool):
            value = "true" if value else "false"
        out[name] = value
    for name in INT_PARAMS:
        if isinstance(out.get(name), (str, bool)):
            raise BadRequest(f"`{name}` 必须是 JSON 整数 / `{name}` in the body must be a JSON integer")
    return out


@bp.route("/<db>/_design/<name>/_view/<view_name>", methods=["GET", "POST"])
def view(db, name, view_name):
    """Query a view (``POST`` takes ``keys`` and options in the body)."""
    options = query_from_args(request.args)
    if request.method == "POST":
        options.update(query_from_body(json_body(dict, "view query body")))
    user_view = view_for(require_user(), db)
    return jsonify(access_design.query(user_view, name, view_name, ViewQuery(**options)))


@bp.post("/<db>/_design/<name>/_view/<view_name>/queries")
def view_queries(db, name, view_name):
    """Several queries of one view in one request (``{"queries": [...]}``)."""
    body = json_body(dict, "view queries body")
    queries = body.get("queries")
    if not isinstance(queries, list) or not all(isinstance(q, dict) for q in queries):
        raise BadRequest("`queries` 必须是对象数组 / `queries` must be a JSON array of objects")
    user_view = view_for(require_user(), db)
    base = query_from_args(request.args)
    return jsonify(results=[
        access_design.query(user_view, name, view_name,
                            ViewQuery(**dict(base, **query_from_body(q)))) for q in queries])


@bp.get("/<db>/_design/<name>/_info")
def info(db, name):
    """What the design document's view index holds (``view_index``)."""
    return jsonify(access_design.info(view_for(require_user(), db), name))


def _handler_request(user_view, doc_id):
    req = filter_request(user_view)
    req["id"] = doc_id
    if request.mimetype == "application/x-www-form-urlencoded":
        req["form"] = request.form.to_dict()
    return req


def _answer(status, headers, body):
    return Response(body, status=status, headers=headers)


@bp.route("/<db>/_design/<name>/_show/<func>", methods=["GET", "POST"])
@bp.route("/<db>/_design/<name>/_show/<func>/<path:docid>", methods=["GET", "POST"])
def show(db, name, func, docid=None):
    """A show function over a document the user can see (or none)."""
    user_view = view_for(require_user(), db)
    doc = None
    if docid is not None:
        try:
            doc = user_view.get(docid, request.args.get("rev"))
        except NotFound:
            doc = None                     # CouchDB calls the function with null
    return _answer(*access_design.show(user_view, name, func, doc,
                                       _handler_request(user_view, docid)))


@bp.route("/<db>/_design/<name>/_list/<func>/<view_name>", methods=["GET", "POST"])
@bp.route("/<db>/_design/<name>/_list/<func>/<other>/<view_name>", methods=["GET", "POST"])
def list_view(db, name, func, view_name, other=None):
    """A list function over a view's rows (the view of this or another design document)."""
    options = query_from_args(request.args)
    if request.method == "POST" and request.get_data(cache=True):
        options.update(query_from_body(json_body(dict, "list query body")))
    user_view = view_for(require_user(), db)
    return _answer(*access_design.list_view(user_view, name, func, other or name, view_name,
                                            ViewQuery(**options),
                                            _handler_request(user_view, None)))


@bp.route("/<db>/_design/<name>/_update/<func>", methods=["POST"])
@bp.route("/<db>/_design/<name>/_update/<func>/<path:docid>", methods=["PUT", "POST"])
def update(db, name, func, docid=None):
    """An update function: it may write a document, through the user's own rules."""
    user_view = view_for(require_user(), db)
    doc = None
    if docid is not None:
        try:
            doc = user_view.get(docid)
        except NotFound:
            doc = None
    new_doc, (status, headers, body) = access_design.update(
        user_view, name, func, doc, _handler_request(user_view, docid))
    if new_doc is not None:
        if docid is not None:
            new_doc.setdefault("_id", docid)
        if not isinstance(new_doc.get("_id"), str):
            raise BadRequest("更新函数返回的文档须有 _id / the document an update function "
                             "returns needs an `_id`")
        result = write_one(user_view, new_doc, True)
        headers = dict(headers, **{"X-Couch-Id": result["id"],
                                   "X-Couch-Update-NewRev": result["rev"]})
        status = 201 if status == 200 else status
    return _answer(status, headers, body)
