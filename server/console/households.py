"""Households: colour, last visit, overdue follow-ups and those due a visit
by the rule set; one household's timeline of visits, requests, reviews and
merges."""

from flask import Blueprint, render_template, request

from sync.errors import NotFound

from rules import idnumber
from rules.warning_rules import RuleError
from . import queries, stats, writes
from .common import (Pager, check_doc, display_names, field_db, grids_in_scope, index, looked,
                     narrowed, tz)
from .ruleset import current_rules
from .times import epoch, today

bp = Blueprint("households", __name__)


def household_filters(args):
    """``(grid, colour, overdue, due, search)`` from a query string."""
    colour = args.get("colour", "")
    return (args.get("grid", "")[:64], colour if colour in queries.COLOURS else "",
            args.get("overdue") == "1", args.get("due") == "1", args.get("q", "").strip()[:64])


def due_ids(conn, grids, due):
    """With ``due``, the ids of the households of ``grids`` the rule set's
    household rules flag now (the dashboard's 需走访 card, all of them;
    none when the set cannot be read); else None (no such filter)."""
    if not due:
        return None
    try:
        _count, rows = stats.households_flagged(conn, grids, current_rules(), None,
                                                  db=field_db())
    except RuleError:
        return []
    return [row["id"] for row in rows]


@bp.get("/households")
def listing():
    """Households of the user's grids: red first, filters, pages."""
    grid, colour, overdue, due, search = household_filters(request.args)
    conn, day = index(), today(tz()).isoformat()
    ids = due_ids(conn, narrowed(grid), due)
    total, _ = queries.households(conn, narrowed(grid), colour, overdue, search, day, 0,
                                  ids=ids)
    pager = Pager(total)
    _t, rows = queries.households(conn, narrowed(grid), colour, overdue, search, day,
                                  pager.size, pager.offset, ids=ids)
    return render_template("console/households.html", rows=rows, pager=pager,
                           grids=grids_in_scope(), today=day, colours=queries.COLOURS,
                           f={"grid": grid, "colour": colour, "overdue": overdue, "due": due,
                              "q": search})


@bp.get("/households/<household_id>")
def timeline(household_id):
    """One household: its record and everything that happened to it, newest first."""
    check_doc(household_id, "household")
    reveal = revealed(request.args)
    looked("reveal" if reveal else "household.view", household_id, **(reveal or {}))
    try:
        doc = writes.read(household_id)
    except NotFound:
        doc = None
    conn = index()
    row = queries.household(conn, household_id)
    events = queries.household_events(conn, household_id)
    for event in list(events):
        if event["kind"] == "visit" and event.get("reviewed_at"):
            events.append({"kind": "review", "at": epoch(event["reviewed_at"]) or event["at"],
                           "id": event["id"], "review": event["review"],
                           "comment": event["comment"], "reviewer": event["reviewer"]})
    db = field_db()
    request_ids = [e["id"] for e in events if e["kind"] == "request"]
    for doc_id in [household_id, *request_ids]:
        for merge in db.resolutions(doc_id=doc_id, limit=50) if db is not None else []:
            events.append({"kind": "merge", "at": merge["at"], "id": merge["id"],
                           "doc_id": doc_id, "rules": merge["rules"],
                           "flagged": merge["flagged"], "settled_by": merge["settled_by"],
                           "settled_at": merge["settled_at"], "override": merge["override"]})
    events.sort(key=lambda e: (e["at"] or 0), reverse=True)
    if doc is None and row is None:
        raise NotFound("no such household")
    return render_template("console/household.html", doc=doc, row=row, events=events,
                           names=display_names(), today=today(tz()).isoformat(),
                           reveal=reveal or {}, mask_phone=mask_phone,
                           mask_id_number=idnumber.mask)


def revealed(args):
    """What a deliberate click asks to show in full: ``{"field": "phone"}``,
    ``{"field": "id_number", "member": id}`` or None (everything masked)."""
    field = args.get("reveal")
    if field == "phone":
        return {"field": "phone"}
    member = args.get("member", "")
    if field == "id_number" and 0 < len(member) <= 64:
        return {"field": "id_number", "member": member}
    return None


def mask_phone(phone):
    """A phone number masked for a list or page: first 3 and last 4 digits (138****5678)."""
    digits = "".join(c for c in str(phone or "") if c.isdigit())
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
