"""Mango under ``/couch/<db>``: ``_find``, ``_explain`` and ``_index``, as CouchDB 3.5.

Thin routes: each reads the body, asks the user's view (``access.view_for``)
and answers its JSON; the engine is ``sync.mango``. Anyone who may open the
database may query it and list its indexes (a worker's queries read only
their grids); only admins create or delete indexes.
"""

from flask import Blueprint, jsonify

from server.access.view import view_for
from server.accounts.auth import require_admin, require_user
from server.couch.params import json_body

bp = Blueprint("mango", __name__)


def _view(db):
    return view_for(require_user(), db)


@bp.post("/<db>/_find")
def find(db):
    """Documents matching a selector, through an index when one serves."""
    return jsonify(_view(db).find(json_body(dict, "_find body")))


@bp.post("/<db>/_explain")
def explain(db):
    """Which index a ``_find`` would read, and how."""
    return jsonify(_view(db).explain(json_body(dict, "_explain body")))


@bp.get("/<db>/_index")
def list_indexes(db):
    """Every index: ``_all_docs`` and the json ones."""
    return jsonify(_view(db).indexes())


@bp.post("/<db>/_index")
def create_index(db):
    """Create a json index (admins only): ``{"result": "created" | "exists", "id", "name"}``."""
    require_admin()
    return jsonify(_view(db).create_index(json_body(dict, "_index body")))


@bp.delete("/<db>/_index/<path:ddoc>/json/<name>")
def delete_index(db, ddoc, name):
    """Delete a json index (admins only); its design document goes with its last index."""
    require_admin()
    return jsonify(_view(db).delete_index(ddoc, name))
