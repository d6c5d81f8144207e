"""Administration: accounts, grids and assignments (admins), devices
(admins, and supervisors for their own workers' tablets).

Accounts: create, reset a password, deactivate or activate (refused
everywhere at once). Grids: streets, communities and grids (a new or
moved grid gets the live notices meant for it, see ``notice_fanout``), and
who is assigned where. Devices: every tablet's token with its last sync, and
revoking one (a lost tablet gets 401 from then on).
"""

from collections import Counter

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from sync.errors import BadRequest, Forbidden, NotFound

from server.accounts.notice_fanout import grid_placed
from .common import audit, scope
from .forms import ActionForm, AssignForm, PasswordForm, PlaceForm, UserForm
from .i18n import t
from .writes import device
from server.services import services

bp = Blueprint("admin", __name__)


def _admin():
    if not current_user.is_admin:
        raise Forbidden(t("error.forbidden"))


ZH_FIRST = {"This field is required.": "必填 / required",
            "Not a valid choice.": "不是可选的值 / not a valid choice"}


def _errors(form):
    """Each bad field named, with its rule (Chinese first)."""
    return "; ".join(f"{name}: {' '.join(ZH_FIRST.get(str(m), str(m)) for m in msgs)}"
                     for name, msgs in form.errors.items())




def _again(page, message):
    """``page`` shown again with the problem on it (naming the field), 400."""
    flash(message, "error")
    return page(), 400


@bp.get("/admin/users")
def users():
    """Every account, with its grids or communities, and the forms."""
    _admin()
    directory = services().directory
    rows = []
    for user in services().accounts.list():
        grids = directory.grids_of(user)
        places = directory.communities_of(user) if user.role in ("supervisor", "hub") \
            else sorted(grids or [])
        rows.append({"user": user, "places": places})
    return render_template("console/users.html", rows=rows, form=UserForm(),
                           password_form=PasswordForm(), action=ActionForm(),
                           throttled=services().limiter.throttled())


@bp.post("/admin/users")
def create_user():
    """Create an account."""
    _admin()
    form = UserForm()
    if not form.validate():
        return _again(users, _errors(form))
    try:
        services().accounts.create(form.name.data, form.password.data,
                      form.role.data, form.display_name.data or "")
    except BadRequest as err:
        return _again(users, err.reason)
    audit("user.create", form.name.data, role=form.role.data)
    flash(t("users.created"), "ok")
    return redirect(url_for(".users"))


def _existing(name):
    user = services().accounts.by_name(name)
    if user is None:
        raise NotFound("no such account")
    return user


@bp.post("/admin/users/<name>/password")
def reset_password(name):
    """Set a new password for an account."""
    _admin()
    _existing(name)
    form = PasswordForm()
    if not form.validate():
        return _again(users, _errors(form))
    try:
        services().accounts.set_password(name, form.password.data)
    except BadRequest as err:
        return _again(users, err.reason)
    audit("user.reset_password", name)
    flash(t("users.password_set"), "ok")
    return redirect(url_for(".users"))


@bp.post("/admin/users/<name>/<any(deactivate, activate):action>")
def set_active(name, action):
    """Deactivate (refused everywhere at once) or activate an account."""
    _admin()
    user = _existing(name)
    if user.id == current_user.id and action == "deactivate":
        raise BadRequest("您不能停用自己的账号 / you cannot deactivate your own account")
    services().accounts.set_active(name, action == "activate")
    audit(f"user.{action}", name)
    flash(t("users.changed"), "ok")
    return redirect(url_for(".users"))


@bp.post("/admin/users/<name>/unlock")
def unlock(name):
    """Clear an account's failed sign-ins, so its next try is not made to wait."""
    _admin()
    _existing(name)
    services().limiter.unlock(name)
    audit("user.unlock", name)
    flash(t("users.unlocked", name=name), "ok")
    return redirect(url_for(".users"))


@bp.get("/admin/grids")
def grids():
    """Streets, communities and grids, with who is assigned to each."""
    _admin()
    directory, accounts = services().directory, services().accounts.list()
    people = {}
    for user in accounts:
        if user.role == "worker":
            for grid in directory.grids_of(user) or ():
                people.setdefault(("grid", grid), []).append(user)
        elif user.role in ("supervisor", "hub"):
            for community in directory.communities_of(user):
                people.setdefault(("community", community), []).append(user)
    communities = directory.communities()
    streets = {(c["street"], c["street_name"]) for c in communities if c.get("street")}
    return render_template("console/grids.html", communities=communities,
                           grids=directory.grids(), people=people, form=PlaceForm(),
                           assign=AssignForm(), users=accounts,
                           streets=[{"id": i, "name": n or i} for i, n in sorted(streets)],
                           community_names={c["id"]: c["name"] for c in communities})


@bp.post("/admin/places")
def put_place():
    """Create or rename a street, community or grid."""
    _admin()
    form = PlaceForm()
    if not form.validate():
        return _again(grids, _errors(form))
    directory, kind = services().directory, form.kind.data
    try:
        if kind == "street":
            directory.put_street(form.id.data, form.name.data)
        elif kind == "community":
            directory.put_community(form.id.data, form.name.data,
                          form.parent.data)
        else:
            before = directory.put_grid(form.id.data, form.name.data,
                                   form.parent.data)
    except BadRequest as err:
        return _again(grids, err.reason)
    audit(f"{kind}.put", form.id.data, name=form.name.data, parent=form.parent.data)
    if kind == "grid":
        grid_placed(form.id.data, form.parent.data, before, current_user, device())
    flash(t("grids.saved"), "ok")
    return redirect(url_for(".grids"))


@bp.post("/admin/assignments")
def assignment():
    """Assign (or with ``remove``, unassign) a grid or community."""
    _admin()
    form = AssignForm()
    if not form.validate():
        return _again(grids, _errors(form))
    remove = form.remove.data == "1"
    try:
        services().directory.assign(form.user.data, remove=remove,
                      **{form.kind.data: form.place.data})
    except BadRequest as err:
        return _again(grids, err.reason)
    audit("assignment.remove" if remove else "assignment.add", form.user.data,
          **{form.kind.data: form.place.data})
    flash(t("grids.saved"), "ok")
    return redirect(url_for(".grids"))


def _device_scope():
    """Ids of accounts whose devices the user manages (None: every account)."""
    if current_user.is_admin:
        return None
    grids, directory = scope() or frozenset(), services().directory
    mine = {u.id for u in services().accounts.list()
            if u.role == "worker" and directory.grids_of(u) & grids}
    return sorted(mine | {current_user.id})


@bp.get("/devices")
def devices():
    """Tablets (device tokens) with their last sync; revoke buttons."""
    rows = services().tokens.list(_device_scope())
    rows.sort(key=lambda r: (r["revoked"] is not None, -(r["last_seen"] or r["created"])))
    names = {u.name: u.display_name or u.name for u in services().accounts.list()}
    dup = Counter((r["user"], r["device"]) for r in rows)
    return render_template("console/devices.html", rows=rows, names=names, form=ActionForm(),
                           dup=dup)


@bp.post("/devices/<id64:token_id>/revoke")
def revoke(token_id):
    """Revoke a device token: the tablet gets 401 everywhere from now on."""
    owner, allowed = services().tokens.owner(token_id), _device_scope()
    if owner is None or (allowed is not None and owner not in allowed):
        raise NotFound("no such device")
    device = next((d for d in services().tokens.list([owner]) if d["id"] == token_id), {})
    services().tokens.revoke(token_id)
    audit("device.revoke", str(token_id), device=device.get("device"), user=device.get("user"))
    flash(t("devices.revoked_ok"), "ok")
    return redirect(url_for(".devices"))
