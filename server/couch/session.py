"""CouchDB's cookie authentication: ``/couch/_session`` (who am I, sign in,
sign out), as PouchDB and CouchDB clients use it."""

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_user

from server.accounts.auth import check_password, couch_roles, end_session
from server.jsonbody import loads
from sync.errors import BadRequest, Unauthorized

bp = Blueprint("session", __name__)


@bp.get("/_session")
def session_info():
    """CouchDB's session info: who this request is signed in as."""
    if current_user.is_authenticated:
        ctx = {"name": current_user.name, "roles": couch_roles(current_user)}
        how = "default" if request.authorization else "cookie"
    else:
        ctx, how = {"name": None, "roles": []}, None
    info = {"authentication_handlers": ["cookie", "default"]}
    if how:
        info["authenticated"] = how
    return jsonify(ok=True, userCtx=ctx, info=info)


@bp.post("/_session")
def session_login():
    """Sign in with name and password (JSON or form); sets the cookie."""
    if request.is_json:
        raw = request.get_data(cache=True)
        data = loads(raw, "_session body") if raw else None
    else:
        data = request.form
    if not isinstance(data, dict) and not hasattr(data, "get"):
        raise BadRequest("Send name and password as JSON or form fields.")
    name, password = data.get("name"), data.get("password")
    if not isinstance(name, str) or not isinstance(password, str):
        raise BadRequest("name and password are required strings.")
    user = check_password(name, password)
    if user is None:
        raise Unauthorized("Name or password is incorrect.")
    login_user(user)
    return jsonify(ok=True, name=user.name, roles=couch_roles(user))


@bp.delete("/_session")
def session_logout():
    """Sign out: the session cookie stops working, copies of it included."""
    end_session()
    return jsonify(ok=True)


def init_app(app):
    """Answer ``/_session`` at the server root too: some clients (cloudant)
    resolve it against the root rather than against ``/couch/``."""
    app.add_url_rule("/_session", "root_session_info", session_info, methods=["GET"])
    app.add_url_rule("/_session", "root_session_login", session_login, methods=["POST"])
    app.add_url_rule("/_session", "root_session_logout", session_logout, methods=["DELETE"])
