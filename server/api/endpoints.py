"""The JSON API under ``/api``: login for tablets, devices, accounts, grids.

Tablets log in here once (``POST /api/login`` with a device name) and keep
the returned token; admins manage accounts, grids and assignments;
supervisors list and revoke devices and read the quarantine of their
grids. Request bodies are checked with marshmallow; a bad one gets a 400
naming the field and the rule.
"""

from flask import Blueprint, current_app, g, jsonify, request
from flask_login import login_user
from marshmallow import Schema, ValidationError, fields, validate

from rules import ids
from sync.errors import BadRequest, NotFound, Unauthorized
from sync.integers import parse_int

from server.accounts.users import ROLES
from server.accounts.auth import (check_password, end_session, require_admin, require_role,
                                  require_user)
from server.accounts.notice_fanout import grid_placed
from server.jsonbody import loads
from server.services import services

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.after_request
def _not_stored(response):
    """Nothing the API answers is kept in a browser's HTTP cache (issue 21)."""
    response.headers["Cache-Control"] = "no-store"
    return response



class LoginSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    password = fields.String(required=True, validate=validate.Length(1, 256))
    device = fields.String(load_default=None, validate=validate.Length(1, 64))


class NewUserSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 64))
    password = fields.String(required=True, validate=validate.Length(8, 256))
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    display_name = fields.String(load_default="", validate=validate.Length(0, 64))


class UserChangeSchema(Schema):
    active = fields.Boolean()
    role = fields.String(validate=validate.OneOf(ROLES))
    password = fields.String(validate=validate.Length(8, 256))


class PlaceSchema(Schema):
    id = fields.String(required=True, validate=validate.Length(1, 64))
    name = fields.String(required=True, validate=validate.Length(1, 64))
    parent = fields.String(load_default=None, validate=validate.Length(1, 64))


class AssignmentSchema(Schema):
    user = fields.String(required=True)
    grid = fields.String(load_default=None)
    community = fields.String(load_default=None)


def load(schema):
    """The request's JSON body, checked by ``schema``.

    :raises BadRequest: naming each bad field and its rule.
    """
    data = _body()
    if not isinstance(data, dict):
        raise BadRequest("请求体必须是 JSON 对象 / the request body must be a JSON object")
    try:
        return schema.load(data)
    except ValidationError as err:
        problems = "; ".join(f"{name}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
                             for name, msgs in sorted(err.messages.items()))
        raise BadRequest(problems)


def _body():
    """The request's JSON body (None when it has none or is not JSON).

    :raises BadRequest: when the JSON breaks the loader's rules.
    """
    raw = request.get_data(cache=True)
    return loads(raw) if raw and request.is_json else None


def describe(user):
    """A user as the API shows it (never the password hash)."""
    directory = services().directory
    grids = directory.grids_of(user)
    return {"name": user.name, "display_name": user.display_name, "role": user.role,
            "active": user.is_active, "grids": None if grids is None else sorted(grids),
            "communities": directory.communities_of(user)}


@bp.post("/login")
def login():
    """Sign in: a browser gets a session cookie; a tablet (naming its device)
    gets a device token instead."""
    data = load(LoginSchema())
    user = check_password(data["name"], data["password"])
    if user is None:
        raise Unauthorized("用户名或密码错误 / name or password is incorrect")
    body = {"ok": True, "user": describe(user), "field_db": current_app.config["FIELD_DB"],
            "tablet": tablet_policy(current_app.config)}
    if data["device"]:
        # A tablet proves itself with its token only, so revoking the token
        # locks it out: no session cookie that would outlive it.
        token, token_id = services().tokens.issue(user, data["device"])
        body.update(token=token, token_id=token_id)
    else:
        login_user(user)
    return jsonify(body)


def tablet_policy(config):
    """The app lock a tablet applies (LOCK_IDLE_SECONDS, PIN_MAX_TRIES, PIN_LOCKOUT)."""
    return {"lock_idle_seconds": int(config["LOCK_IDLE_SECONDS"]),
            "pin_max_tries": int(config["PIN_MAX_TRIES"]),
            "pin_lockout": config["PIN_LOCKOUT"]}


@bp.post("/logout")
def logout():
    """Sign out; a tablet's token is revoked with it."""
    require_user()
    if g.get("token_id"):
        services().tokens.revoke(g.token_id)
    end_session()
    return jsonify(ok=True)


@bp.get("/me")
def me():
    """Who is signed in, with grids and communities."""
    body = describe(require_user())
    body["device"] = g.get("device")
    body["tablet"] = tablet_policy(current_app.config)
    return jsonify(body)


def _scope_user_ids(user):
    """Ids of the accounts whose devices ``user`` may manage (None: all)."""
    if user.is_admin:
        return None
    if user.role == "supervisor":
        overseen = {worker.id for worker in services().directory.workers_overseen(user)}
        return sorted(overseen | {user.id})
    return [user.id]


@bp.get("/devices")
def devices():
    """Device tokens the caller may see: their own, their workers', or all."""
    return jsonify(services().tokens.list(_scope_user_ids(require_user())))


@bp.delete("/devices/<id64:token_id>")
def revoke_device(token_id):
    """Revoke a device token (a lost tablet): 401 everywhere from now on."""
    user = require_user()
    owner = services().tokens.owner(token_id)
    scope = _scope_user_ids(user)
    if owner is None or (scope is not None and owner not in scope):
        raise NotFound("no such device")
    return jsonify(ok=True, revoked=services().tokens.revoke(token_id))


@bp.post("/erasures")
def erasures():
    """Erase a household's (or one member's) personal data everywhere (admins only):
    ``{"household", "member"?, "reason"}``; answers the erasure record."""
    from server.jobs.erasure import erase
    user = require_admin()
    body = loads(request.get_data()) if request.get_data() else {}
    if not isinstance(body, dict):
        raise BadRequest("body: 须为 JSON 对象 / must be a JSON object")
    record = erase(current_app, user.name, body.get("household"), body.get("member"),
                   body.get("reason", ""))
    return jsonify(record), 201


@bp.post("/device/wiped")
def device_wiped():
    """A revoked tablet reports that it erased its data; its token dies with it.

    :raises Unauthorized: when the bearer token is not one awaiting a wipe.
    """
    cred = request.authorization
    token = cred.token if cred is not None and cred.type == "bearer" else None
    if not token or not services().tokens.wiped(token):
        raise Unauthorized("no revoked device token awaiting a wipe")
    return jsonify(ok=True, wiped=True)


@bp.get("/users")
def users():
    """Every account (admins only)."""
    require_admin()
    return jsonify([describe(u) for u in services().accounts.list()])


@bp.post("/users")
def create_user():
    """Create an account (admins only)."""
    require_admin()
    data = load(NewUserSchema())
    user = services().accounts.create(data["name"], data["password"], data["role"],
                                      data["display_name"])
    response = jsonify(describe(user))
    response.status_code = 201
    return response


@bp.patch("/users/<name>")
def change_user(name):
    """Activate or deactivate, change role, or reset a password (admins)."""
    require_admin()
    data = load(UserChangeSchema())
    accounts = services().accounts
    if "active" in data:
        accounts.set_active(name, data["active"])
    if "role" in data:
        accounts.set_role(name, data["role"])
    if "password" in data:
        accounts.set_password(name, data["password"])
    user = accounts.by_name(name)
    if user is None:
        raise NotFound(f"no account called {name!r}")
    return jsonify(describe(user))


@bp.get("/grids")
def grids():
    """The grids the caller may see, with community and street."""
    user = require_user()
    visible = services().directory.grids_of(user)
    return jsonify([grid for grid in services().directory.grids()
                    if visible is None or grid["id"] in visible])


@bp.post("/streets")
def put_street():
    """Create or rename a street (admins)."""
    require_admin()
    data = load(PlaceSchema())
    services().directory.put_street(data["id"], data["name"])
    return jsonify(ok=True), 201


@bp.post("/communities")
def put_community():
    """Create or update a community; ``parent`` is its street (admins)."""
    require_admin()
    data = load(PlaceSchema())
    services().directory.put_community(data["id"], data["name"], data["parent"])
    return jsonify(ok=True), 201


@bp.post("/grids")
def put_grid():
    """Create or update a grid; ``parent`` is its community (admins). A new
    or moved grid gets the live notices of its community and everyone."""
    user = require_admin()
    data = load(PlaceSchema())
    before = services().directory.put_grid(data["id"], data["name"], data["parent"])
    written = grid_placed(data["id"], data["parent"], before, user, g.get("device"))
    return jsonify(ok=True, notices=sorted(doc["_id"] for doc in written)), 201


@bp.route("/assignments", methods=["POST", "DELETE"])
def assignments():
    """Give or take away a grid (workers) or community (supervisors, hub)."""
    require_admin()
    data = load(AssignmentSchema())
    services().directory.assign(data["user"], grid=data["grid"],
                  community=data["community"], remove=request.method == "DELETE")
    return jsonify(ok=True)


@bp.get("/resolutions")
def resolutions():
    """Automatic conflict resolutions in the caller's grids, newest first.

    ``?flagged=true`` lists those a supervisor should look at; each has the
    leaves side by side, the merged revision and the rule per field.
    """
    user = require_role("supervisor")
    flagged = request.args.get("flagged")
    if flagged not in (None, "true", "false"):
        raise BadRequest("flagged: true or false")
    grids = services().directory.grids_of(user)
    db = services().store.get(current_app.config["FIELD_DB"])
    rows = db.resolutions(flagged=None if flagged is None else flagged == "true",
                          limit=1000)
    return jsonify([row for row in rows if grids is None or ids.grid_of(row["doc_id"]) in grids])


@bp.post("/resolutions/<id64:resolution_id>/settle")
def settle_resolution(resolution_id):
    """A supervisor accepts an automatic resolution, or records the revision
    (saved with their own stamps) that overrides it: ``{"override": rev}``."""
    user = require_role("supervisor")
    db = services().store.get(current_app.config["FIELD_DB"])
    grids = services().directory.grids_of(user)
    found = db.resolutions(rid=resolution_id)
    if not found or (grids is not None and ids.grid_of(found[0]["doc_id"]) not in grids):
        raise NotFound("no such resolution")
    body = _body() or {}
    override = body.get("override") if isinstance(body, dict) else None
    if override is not None and not isinstance(override, str):
        raise BadRequest("override: the rev of the supervisor's own revision")
    db.settle_resolution(resolution_id, user.name, override)
    return jsonify(ok=True)


@bp.get("/quarantine")
def quarantine():
    """Refused documents of the caller's grids, newest first."""
    user = require_role("supervisor")
    limit = parse_int(request.args.get("limit", "100"), "limit", minimum=1, maximum=1000)
    offset = parse_int(request.args.get("offset", "0"), "offset")
    grids = services().directory.grids_of(user)
    quarantined = services().quarantine
    return jsonify(total=quarantined.count(grids),
                   rows=quarantined.list(grids, limit, offset))

