"""The JSON API of the quarantine's actions (``/api/quarantine/<id>``): read
one refused document, fix and release it, send it back, dismiss it.

Supervisors act on their communities' grids, admins on all; another
community's entry is 404. Bodies are JSON objects; each action is written
to the audit log like its console twin. Listing stays ``GET /api/quarantine``.
"""

from flask import Blueprint, current_app, jsonify, request

from rules.schemas import ValidationFailed
from sync.errors import BadRequest, Forbidden

from server.access import quarantine_desk as desk
from server.accounts.auth import require_role
from server.services import services

bp = Blueprint("api_quarantine", __name__, url_prefix="/api/quarantine")


def _body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("请求体必须是 JSON 对象 / the request body must be a JSON object")
    return data


def _text(data, name):
    value = data.get(name, "")
    if not isinstance(value, str):
        raise BadRequest(f"{name}: 须为文字 / must be a string")
    return value


def _entry(entry_id, open_only):
    user = require_role("supervisor")
    grids = services().directory.grids_of(user)
    return user, desk.entry_for(services().quarantine, entry_id, grids, open_only)


def _db():
    return services().store.get(current_app.config["FIELD_DB"])


def _audit(user, action, entry, **detail):
    services().audit.record(user.name, user.role, action, entry["doc_id"],
                            dict(detail, entry=entry["id"], worker=entry["user"], via="api"),
                            request.remote_addr)


@bp.get("/<int:entry_id>")
def entry(entry_id):
    """One quarantined document with its status."""
    _user, found = _entry(entry_id, open_only=False)
    return jsonify(found)


@bp.post("/<int:entry_id>/release")
def release(entry_id):
    """Fix and release: ``{"values": {"checks[0].temperature": "36.8"}}``.

    :raises Forbidden: listing each field and rule the fixed document still breaks.
    """
    user, found = _entry(entry_id, open_only=True)
    values = _body().get("values")
    if not isinstance(values, dict) or not all(isinstance(v, (str, int, float))
                                               for v in values.values()):
        raise BadRequest("values: 须为 {字段: 值} 对象 / must be an object of field: value")
    try:
        rev = desk.release(services().quarantine, _db(), found, user,
                           {k: str(v) for k, v in values.items()})
    except ValidationFailed as err:
        raise Forbidden(err.reason)
    _audit(user, "quarantine.release", found, rev=rev, fields=sorted(values))
    return jsonify(ok=True, id=found["doc_id"], rev=rev)


@bp.post("/<int:entry_id>/send-back")
def send_back(entry_id):
    """Send back to the worker: ``{"note": "…"}``; answers the ``sendback:`` id."""
    user, found = _entry(entry_id, open_only=True)
    note = _text(_body(), "note")
    sendback = desk.send_back(services().quarantine, _db(), found, user, note)
    _audit(user, "quarantine.send_back", found, sendback=sendback, note=note.strip())
    return jsonify(ok=True, sendback=sendback)


@bp.post("/<int:entry_id>/dismiss")
def dismiss(entry_id):
    """Dismiss with a reason: ``{"reason": "…"}``; the entry is kept."""
    user, found = _entry(entry_id, open_only=True)
    reason = _text(_body(), "reason")
    desk.dismiss(services().quarantine, _db(), found, user, reason)
    _audit(user, "quarantine.dismiss", found, reason=reason.strip())
    return jsonify(ok=True)
