"""Exports of visits, households and requests with the page's current filters.

CSV is UTF-8 with a byte-order mark, so Excel shows the Chinese; XLSX is
written with openpyxl (write-only mode, so large exports stream rows
instead of building a sheet in memory) with dates as dates, a frozen and
filterable header and set widths. Both neutralise formulas (see
:mod:`.sheets`). Column headers and enumerations are in the session's
language; people, grids and households appear by name and address, and the
first column keeps the document id, so a sheet can be matched back to the
documents.
"""

import json
from datetime import date, datetime

from flask import Blueprint, Response, current_app, request, stream_with_context
from flask_login import current_user

from sync.errors import NotFound

from . import queries
from .common import (audit, display_names, field_db, looked, grids_in_scope, index, narrowed,
                     tz)
from .households import due_ids, household_filters
from .i18n import label, t
from .requests import board_filters, filtered
from .sheets import Column, csv_body, xlsx_body
from .times import today

bp = Blueprint("exports", __name__)
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def local_time(at):
    """Epoch seconds or an ISO date-time as a datetime in the console's zone, or None."""
    if at in (None, ""):
        return None
    if isinstance(at, str):
        try:
            moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment.astimezone(tz()) if moment.tzinfo else moment
    return datetime.fromtimestamp(at, tz())


def local_date(text):
    """A ``YYYY-MM-DD`` text as a date; other text as it is (never lost)."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return text


def address(row):
    """The household's address, or its building, unit and room when it has none."""
    if row.get("address"):
        return row["address"]
    return " ".join(x for x in (row.get("building"), row.get("unit"), row.get("room")) if x)


def grid_names():
    """Grid id → name, for the grids in scope."""
    return {g["id"]: g["name"] or g["id"] for g in grids_in_scope()}


def addresses(conn, household_ids):
    """Household id → address, for the given ids."""
    found = conn.execute(
        "SELECT id, address, building, unit, room FROM households "
        "WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(sorted(household_ids)),))
    return {row[0]: address(dict(zip(("id", "address", "building", "unit", "room"), row)))
            for row in found}


def _visits():
    filters = queries.VisitFilters.from_args(request.args)
    names, grids = display_names(), grid_names()
    columns = [Column("ID", 22), Column(t("grid"), 12), Column(t("address"), 24),
               Column(t("head"), 10), Column(t("worker"), 10), Column(t("visited_at"), 17),
               Column(t("outcome"), 10), Column(t("colour"), 8), Column(t("reason"), 24),
               Column(t("needs"), 16), Column(t("services"), 16), Column(t("follow_up"), 12),
               Column(t("notes"), 30), Column(t("review_state"), 10),
               Column(t("comment"), 24), Column(t("reviewer"), 10)]
    rows = ([r["id"], grids.get(r["grid"], r["grid"]), address(r), r["head"] or "",
             names.get(r["worker"], r["worker"]), local_time(r["at"]),
             label("outcome", r["outcome"]), label("colour", r["colour"]),
             r["colour_reason"] or "",
             "、".join(label("need", k) for k in (r["needs"] or "").split(",") if k),
             r["services"] or "", local_date(r["follow_up_on"]), r["notes"] or "",
             label("state", r["review"]), r["comment"] or "",
             names.get(r["reviewer"], r["reviewer"] or "")]
            for r in queries.export_visits(index(), filters, narrowed(filters.grid), tz()))
    return columns, rows, filters.args()


def _households():
    grid, colour, overdue, due, search = household_filters(request.args)
    conn = index()
    _total, found = queries.households(conn, narrowed(grid), colour, overdue, search,
                                       today(tz()).isoformat(),
                                       ids=due_ids(conn, narrowed(grid), due))
    grids = grid_names()
    numbers = id_numbers([r["id"] for r in found])
    columns = [Column("ID", 22), Column(t("grid"), 12), Column(t("address"), 24),
               Column(t("head"), 10), Column(t("phone"), 15), Column(t("id_number"), 30),
               Column(t("members"), 8),
               Column(t("tags"), 20), Column(t("colour"), 8), Column(t("reason"), 24),
               Column(t("last_visit"), 17), Column(t("follow_up"), 12)]
    rows = ([r["id"], grids.get(r["grid"], r["grid"]), address(r), r["head"] or "",
             r["phone"] or "", numbers.get(r["id"], ""), r["members"],
             "、".join(label("tag", x) for x in (r["tags"] or "").split(",") if x),
             label("colour", r["colour"]), r["colour_reason"] or "",
             local_time(r["last_visit_at"]), local_date(r["follow_up_on"])] for r in found)
    return columns, rows, {"grid": grid, "colour": colour, "overdue": overdue, "due": due,
                           "q": search}


def id_numbers(household_ids):
    """Household id → its members' ID numbers, "name number" each, read from the
    field database (the console index never holds them)."""
    db = field_db()
    if db is None or not household_ids:
        return {}
    out = {}
    for row in db.all_docs(keys=list(household_ids), include_docs=True)["rows"]:
        members = (row.get("doc") or {}).get("members") or []
        found = [f"{m.get('name', '')} {m['id_number']}".strip() for m in members
                 if isinstance(m, dict) and isinstance(m.get("id_number"), str)]
        if found:
            out[row["id"]] = "；".join(found)
    return out


def _requests():
    group = "done" if request.args.get("show") == "done" else "open"
    grid = request.args.get("grid", "")[:64]
    kind = queries.kind_filter(request.args)
    conn = index()
    _total, found = queries.requests(conn, narrowed(grid), group, current_app.config,
                                     kind=kind)
    wanted = board_filters(request.args)
    found = filtered(found, wanted)
    names, grids = display_names(), grid_names()
    homes = addresses(conn, {r["household"] for r in found if r["household"]})
    columns = [Column("ID", 22), Column(t("grid"), 12), Column(t("address"), 24),
               Column(t("kind"), 10), Column(t("detail"), 30), Column(t("urgency"), 8),
               Column(t("sla"), 14), Column(t("status"), 10), Column(t("assignee"), 10),
               Column(t("opened_at"), 17), Column(t("sla.due"), 17), Column(t("overdue"), 8),
               Column(t("rules.referral"), 20), Column(t("satisfaction"), 10)]
    rows = ([r["id"], grids.get(r["grid"], r["grid"]),
             homes.get(r["household"], r["household"] or ""), label("need", r["kind"]),
             r["detail"], label("urgency", r["urgency"]), label("slas", r["sla"]),
             label("rstatus", r["status"]), names.get(r["assignee"], r["assignee"] or ""),
             local_time(r["opened_at"]), local_time(r["due"]),
             label("clock", r["clock"]) if queries.is_overdue(r) or r["clock"] == "late"
             else "",
             " · ".join(x for x in (label("target", r["target"]), r["target_name"]) if x),
             label("satisfaction", r["satisfaction"])]
            for r in found)
    return columns, rows, {"grid": grid, "show": group, "kind": kind, **wanted}


KINDS = {"visits": _visits, "households": _households, "requests": _requests}
# The personal numbers each kind carries in full, named in the access log:
# phones and ID numbers travel together, in the households export only.
NUMBERS = {"households": ["phone", "id_number"]}


@bp.get("/exports/<kind>.<fmt>")
def export(kind, fmt):
    """``visits``, ``households`` or ``requests`` as ``csv`` or ``xlsx``.

    :raises NotFound: for an unknown export or format.
    """
    if kind not in KINDS or fmt not in FORMATS:
        raise NotFound("no such export")
    columns, rows, filters = KINDS[kind]()
    audit("export", kind, format=fmt, filters=filters)
    looked("export", None, kind=kind, format=fmt, filters=filters,
           **({"numbers": NUMBERS[kind]} if kind in NUMBERS else {}))
    now = datetime.now(tz())
    stamp = now.strftime("%Y%m%d-%H%M")
    by = f"{display_names().get(current_user.name, current_user.name)} ({current_user.name})"
    body = (stream_with_context(csv_body(columns, rows)) if fmt == "csv"
            else xlsx_body(kind, columns, rows, exported=(by, now)))
    response = Response(body, mimetype=FORMATS[fmt])
    # Who exported it and when travel with the file: in its name, and in an
    # XLSX's document properties (creator, created).
    response.headers["Content-Disposition"] = (
        f'attachment; filename="gridvisit-{kind}-{stamp}-{current_user.name}.{fmt}"')
    response.headers["X-Gridvisit-Exported-By"] = current_user.name
    return response
