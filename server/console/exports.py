"""Exports of visits, households and requests with the page's current filters.

CSV is UTF-8 with a byte-order mark, so Excel shows the Chinese; XLSX is
written with openpyxl (write-only mode, so large exports stream rows
instead of building a sheet in memory). Column headers and enumerations
are in the session's language; ids stay as they are, so a sheet can be
matched back to the documents.
"""

import csv
import io
from datetime import datetime

from flask import Blueprint, Response, current_app, request, stream_with_context
from openpyxl import Workbook

from sync.errors import NotFound

from . import queries
from .common import audit, display_names, fmt_time, index, narrowed, tz
from .households import due_ids, household_filters
from .i18n import label, t
from .times import today

bp = Blueprint("exports", __name__)
FORMATS = {"csv": "text/csv; charset=utf-8",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _visits():
    filters = queries.VisitFilters.from_args(request.args)
    names = display_names()
    header = ["ID", t("grid"), t("household"), t("address"), t("worker"), t("visited_at"),
              t("outcome"), t("colour"), t("reason"), t("needs"), t("services"),
              t("follow_up"), t("notes"), t("review_state"), t("comment"), t("reviewer")]
    rows = ([r["id"], r["grid"], r["household"], r["address"] or "",
             names.get(r["worker"], r["worker"]), fmt_time(r["at"]),
             label("outcome", r["outcome"]), label("colour", r["colour"]),
             r["colour_reason"] or "",
             "、".join(label("need", k) for k in (r["needs"] or "").split(",") if k),
             r["services"] or "", r["follow_up_on"] or "", r["notes"] or "",
             label("state", r["review"]), r["comment"] or "", r["reviewer"] or ""]
            for r in queries.export_visits(index(), filters, narrowed(filters.grid), tz()))
    return header, rows, filters.args()


def _households():
    grid, colour, overdue, due, search = household_filters(request.args)
    conn = index()
    _total, found = queries.households(conn, narrowed(grid), colour, overdue, search,
                                       today(tz()).isoformat(),
                                       ids=due_ids(conn, narrowed(grid), due))
    header = ["ID", t("grid"), t("address"), t("head"), t("phone"), t("members"),
              t("tags"), t("colour"), t("reason"), t("last_visit"), t("follow_up")]
    rows = ([r["id"], r["grid"], r["address"] or f"{r['building']} {r['unit'] or ''} "
             f"{r['room']}", r["head"] or "", r["phone"] or "", r["members"],
             "、".join(label("tag", x) for x in (r["tags"] or "").split(",") if x),
             label("colour", r["colour"]), r["colour_reason"] or "",
             fmt_time(r["last_visit_at"]), r["follow_up_on"] or ""] for r in found)
    return header, rows, {"grid": grid, "colour": colour, "overdue": overdue, "due": due,
                          "q": search}


def _requests():
    group = "done" if request.args.get("show") == "done" else "open"
    grid = request.args.get("grid", "")[:64]
    kind = queries.kind_filter(request.args)
    _total, found = queries.requests(index(), narrowed(grid), group, current_app.config,
                                     kind=kind)
    header = ["ID", t("grid"), t("household"), t("kind"), t("detail"), t("urgency"),
              t("sla"), t("status"), t("assignee"), t("opened_at"), t("sla.due"),
              t("overdue"), t("rules.referral"), t("satisfaction")]
    rows = ([r["id"], r["grid"], r["household"], label("need", r["kind"]), r["detail"],
             label("urgency", r["urgency"]), label("slas", r["sla"]),
             label("rstatus", r["status"]), r["assignee"] or "", fmt_time(r["opened_at"]),
             fmt_time(r["due"]), "Y" if r["clock"] in ("overdue", "late") else "",
             " · ".join(x for x in (label("target", r["target"]), r["target_name"]) if x),
             label("satisfaction", r["satisfaction"])]
            for r in found)
    return header, rows, {"grid": grid, "show": group, "kind": kind}


KINDS = {"visits": _visits, "households": _households, "requests": _requests}


def _csv(header, rows):
    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            if buffer.tell() > 64 * 1024:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()
    return generate()


def _xlsx(kind, header, rows):
    book = Workbook(write_only=True)
    sheet = book.create_sheet(kind)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@bp.get("/exports/<kind>.<fmt>")
def export(kind, fmt):
    """``visits``, ``households`` or ``requests`` as ``csv`` or ``xlsx``."""
    if kind not in KINDS or fmt not in FORMATS:
        raise NotFound("no such export")
    header, rows, filters = KINDS[kind]()
    audit("export", kind, format=fmt, filters=filters)
    stamp = datetime.now(tz()).strftime("%Y%m%d-%H%M")
    body = (stream_with_context(_csv(header, rows)) if fmt == "csv"
            else _xlsx(kind, header, rows))
    response = Response(body, mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = (
        f'attachment; filename="gridvisit-{kind}-{stamp}.{fmt}"')
    return response
