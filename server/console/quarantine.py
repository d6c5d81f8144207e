"""The quarantine page (隔离区): documents the server refused from the field,
shown readably, and the three ways to settle one (fix and release, send
back, dismiss with a reason), each audit-logged. The actions themselves are
in :mod:`server.access.quarantine_desk`, shared with the JSON API."""

import re

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from rules.schemas import ValidationFailed

from server.access import quarantine_desk as desk
from server.services import services
from .common import Pager, audit, display_names, fmt_time, grids_in_scope, scope
from .i18n import WORDS, label, lang, t

bp = Blueprint("quarantine", __name__)
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
HIDDEN = ("_revisions", "_rev", "stamps", "type", "schema", "grid")


ENUMS = {"outcome": "outcome", "colour_after": "colour", "colour": "colour",
         "colour_before": "colour", "urgency": "urgency", "kind": "need", "status": "state"}
PEOPLE = ("worker", "updated_by", "reader", "assignee")


def _word(key, value, names):
    if key in ENUMS and isinstance(value, str):
        return label(ENUMS[key], value)
    if key in PEOPLE and isinstance(value, str):
        return names.get(value, value)
    return readable(value, names)


def readable(value, names=None):
    """A document value as words: times in the console's zone, enumerations
    and people by name, lists and objects as nested rows
    (``[(label, value or rows)]``)."""
    names = names or {}
    if isinstance(value, dict):
        return [(field_word(k), _word(k, v, names)) for k, v in value.items()
                if k not in HIDDEN and not (k == "_attachments" and not v)]
    if isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):
            return "、".join(str(readable(v)) for v in value)
        return [(f"#{n + 1}", readable(v, names)) for n, v in enumerate(value)]
    if isinstance(value, str) and ISO_TIME.match(value):
        return fmt_time(value)
    if isinstance(value, bool):
        return "是 / yes" if value else "否 / no"
    return "" if value is None else value


def field_word(key):
    """A document field's name in the session's language (the key when unknown)."""
    return t(f"field.{key}") if f"field.{key}" in WORDS else key


def problems(entry):
    """``[(path, words)]`` of an entry's rule problems in the session's language."""
    pick = "zh" if lang() == "zh" else "en"
    return [(e.get("field", ""), e.get(pick) or e.get("zh") or "")
            for e in entry["errors"] if isinstance(e, dict)]


def _entry(entry_id, open_only=False):
    return desk.entry_for(services().quarantine, entry_id, scope(), open_only)


def _db():
    return services().store.get(current_app.config["FIELD_DB"])


@bp.get("/quarantine")
def listing():
    """Refused documents of the user's grids: open ones first by default."""
    state = request.args.get("state", "open")
    state = state if state in ("open", "done", "all") else "open"
    grid = request.args.get("grid", "")[:64]
    grids = scope()
    wanted = grids if not grid else ({grid} & grids if grids is not None else {grid})
    store = services().quarantine
    pager = Pager(store.count(wanted, state))
    rows = store.list(wanted, pager.size, pager.offset, state)
    return render_template("console/quarantine.html", rows=rows, pager=pager, state=state,
                           grid=grid, grids=grids_in_scope(), names=display_names(),
                           problems=problems,
                           grid_names={g["id"]: g["name"] for g in grids_in_scope()})


@bp.get("/quarantine/<int:entry_id>")
def entry(entry_id, errors=None, status=200):
    """One refused document, readable, with the forms that settle it."""
    found = _entry(entry_id)
    fields = [(path, words, desk.value_at(found["doc"], path)) for path, words in problems(found)]
    return render_template("console/quarantine_entry.html", entry=found, fields=fields,
                           doc=readable(found["doc"], display_names()), names=display_names(),
                           grid_names={g["id"]: g["name"] for g in grids_in_scope()},
                           still_wrong=errors), status


@bp.post("/quarantine/<int:entry_id>/release")
def release(entry_id):
    """Fix the fields the rules named and write the document as the user's edit."""
    found = _entry(entry_id, open_only=True)
    values = {key[len("field:"):]: value for key, value in request.form.items()
              if key.startswith("field:")}
    try:
        rev = desk.release(services().quarantine, _db(), found, current_user, values)
    except ValidationFailed as err:
        pick = "zh" if lang() == "zh" else "en"
        return entry(entry_id, errors=[(e["field"], e[pick]) for e in err.errors], status=400)
    audit("quarantine.release", found["doc_id"], entry=entry_id, rev=rev,
          fields=sorted(values), worker=found["user"])
    flash(t("quarantine.released"), "ok")
    return redirect(url_for(".listing"))


@bp.post("/quarantine/<int:entry_id>/send-back")
def send_back(entry_id):
    """Ask the worker to fix it: a ``sendback:`` document reaches their tablet."""
    found = _entry(entry_id, open_only=True)
    note = request.form.get("note", "")
    sendback = desk.send_back(services().quarantine, _db(), found, current_user, note)
    audit("quarantine.send_back", found["doc_id"], entry=entry_id, sendback=sendback,
          note=note.strip(), worker=found["user"])
    flash(t("quarantine.sent_back"), "ok")
    return redirect(url_for(".listing"))


@bp.post("/quarantine/<int:entry_id>/dismiss")
def dismiss(entry_id):
    """Settle it as not to be fixed, with a reason; it stays in the list."""
    found = _entry(entry_id, open_only=True)
    reason = request.form.get("reason", "")
    desk.dismiss(services().quarantine, _db(), found, current_user, reason)
    audit("quarantine.dismiss", found["doc_id"], entry=entry_id, reason=reason.strip(),
          worker=found["user"])
    flash(t("quarantine.dismissed"), "ok")
    return redirect(url_for(".listing"))


