"""The conflict queue: automatic merges flagged for a person to confirm.

Each flagged resolution is shown side by side: the conflicting leaves, the
merged (current) document, and the rule that decided each field. The
supervisor accepts the merge, or overrides it by choosing, field by field,
which leaf's value to keep: that is a new revision with the supervisor's
own stamps (``writes.override``), recorded on the resolution.
"""

import json

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from rules.idnumber import mask as mask_id_number
from rules.warning_rules import SEVERITY
from sync.errors import BadRequest, Conflict, NotFound

from . import writes
from .common import Pager, audit, check_doc, field_db, scope
from .forms import ActionForm
from .i18n import t

bp = Blueprint("conflicts", __name__)
LISTED = 1000


def _in_scope(rows):
    grids = scope()
    return [r for r in rows if grids is None or r["doc_id"].split(":")[1] in grids]


def _resolution(resolution_id, unsettled=False):
    db = field_db()
    found = db.resolutions(rid=resolution_id) if db is not None else []
    if not found or not found[0]["flagged"]:
        raise NotFound("no such resolution")
    check_doc(found[0]["doc_id"])
    if unsettled and found[0]["settled_by"] is not None:
        raise Conflict(f"该合并已由 {found[0]['settled_by']} 处理，不能再次处理 / this merge "
                       f"was settled already by {found[0]['settled_by']}")
    return db, found[0]


@bp.get("/conflicts")
def queue():
    """Flagged merges of the user's grids: unsettled first, newest first."""
    db = field_db()
    show = request.args.get("show", "open")
    rows = _in_scope(db.resolutions(flagged=True, limit=LISTED)) if db is not None else []
    if show == "open":
        rows = [r for r in rows if r["settled_by"] is None]
    rows.sort(key=lambda r: (r["settled_by"] is not None, -r["at"]))
    pager = Pager(len(rows))
    return render_template("console/conflicts.html", rows=rows[pager.offset:pager.offset
                                                                + pager.size],
                           pager=pager, show=show)


def _shown(field, value):
    """``value`` as the page shows it: members' ID numbers masked (the choice
    itself is made by leaf, so the page never needs them in clear)."""
    if field != "members" or not isinstance(value, list):
        return value
    return [dict(m, id_number=mask_id_number(m["id_number"]))
            if isinstance(m, dict) and m.get("id_number") else m for m in value]


def _fields(resolution, current):
    """Top-level fields a supervisor may choose, with each leaf's value (as shown)."""
    rules = {}
    for decision in resolution["decisions"]:
        top = decision["field"].split(".")[0]
        rules.setdefault(top, set()).add(decision["rule"])
    bodies = resolution["leaf_bodies"]
    out = []
    for field in sorted(rules):
        values = [bodies[rev].get(field) for rev in resolution["leaves"]]
        differs = any(json.dumps(v, sort_keys=True) != json.dumps(values[0], sort_keys=True)
                      for v in values) or current.get(field) != values[0]
        out.append({"name": field, "rules": sorted(rules[field]),
                    "values": [_shown(field, v) for v in values],
                    "current": _shown(field, current.get(field)), "differs": differs})
    return out


@bp.get("/conflicts/<id64:resolution_id>")
def detail(resolution_id):
    """One flagged merge, side by side, with accept and override forms."""
    _db, resolution = _resolution(resolution_id)
    current = writes.read(resolution["doc_id"])
    return render_template("console/conflict.html", r=resolution, current=current,
                           fields=_fields(resolution, current), form=ActionForm())


@bp.post("/conflicts/<id64:resolution_id>/accept")
def accept(resolution_id):
    """Accept the automatic merge as it is (once).

    :raises Conflict: when the merge was settled already.
    """
    db, resolution = _resolution(resolution_id, unsettled=True)
    db.settle_resolution(resolution_id, current_user.name, None)
    audit("conflict.accept", resolution["doc_id"], resolution=resolution_id)
    flash(t("conflict.accepted"), "ok")
    return redirect(url_for(".queue"))


@bp.post("/conflicts/<id64:resolution_id>/override")
def override(resolution_id):
    """Write the supervisor's own revision with the chosen values (once);
    lowering the colour (红→黄) needs a reason, which becomes the colour reason.

    :raises Conflict: when the merge was settled already.
    :raises BadRequest: for no choice, or a lowered colour without a reason.
    """
    db, resolution = _resolution(resolution_id, unsettled=True)
    current = writes.read(resolution["doc_id"])
    choices, values = {}, {}
    for field in _fields(resolution, current):
        choice = request.form.get(f"choice:{field['name']}", "current")
        if choice == "current":
            continue
        if not choice.startswith("leaf:") or choice[5:] not in resolution["leaf_bodies"]:
            raise BadRequest(f"{field['name']}: choose a leaf or the current value")
        values[field["name"]] = resolution["leaf_bodies"][choice[5:]].get(field["name"])
        choices[field["name"]] = choice[5:]
    if not values:
        raise BadRequest("选择至少一个分支的值 / choose at least one leaf's value")
    reason = (request.form.get("reason") or "").strip()[:500]
    lowered = "colour" in values and (SEVERITY.get(values["colour"], -1)
                                      < SEVERITY.get(current.get("colour"), -1))
    if lowered:
        if not reason:
            raise BadRequest("reason: 降低颜色（如红→黄）须写明原因 / lowering the colour "
                             "(e.g. red → yellow) needs a reason")
        if values["colour"] in ("yellow", "red"):
            values["colour_reason"] = reason
    rev = writes.override(resolution["doc_id"], values, request.form.get("rev", ""))
    db.settle_resolution(resolution_id, current_user.name, rev)
    audit("conflict.override", resolution["doc_id"], resolution=resolution_id, rev=rev,
          chosen=choices, **({"reason": reason, "colour": [current.get("colour"),
                                                          values["colour"]]} if lowered else {}))
    flash(t("conflict.overridden"), "ok")
    return redirect(url_for(".queue"))
