"""The requests board (接诉即办): open requests with their SLA clocks, overdue
first; status changes.

Each request's clock runs from ``opened_at`` for its SLA's limit
(``SLA_ONSITE``, ``SLA_FIX``, ``SLA_PLAN`` seconds) until the status that
stops it is reached: someone on site (``in_progress``) for ``onsite_5m``, the
fix (``resolved``) for ``fix_20m``, a plan given (``in_progress``) for
``plan_2d``. A status change is a new revision of the request stamped by
the supervisor's clock, with the time each status was reached.

Referrals (转诊) show their target, urgency and age and move referred →
accepted → seen → closed; their clock stops when the target accepts. On
closing any request the supervisor may record the resident's satisfaction
(满意 / 基本满意 / 不满意) when the worker has not.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from sync.errors import BadRequest

from . import queries, writes
from .common import (Pager, audit, check_doc, display_names, grids_in_scope, index, narrowed,
                     people_for_grid, safe_next)
from rules.schemas.request import KINDS, SATISFACTION, SLAS
from .forms import RequestStatusForm
from .i18n import t

bp = Blueprint("requests", __name__)


def board_filters(args):
    """The board's own filters from a query string: ``{overdue, assignee, sla}``."""
    sla = args.get("sla", "")
    return {"overdue": args.get("overdue") == "1", "assignee": args.get("assignee", "")[:64],
            "sla": sla if sla in SLAS else ""}


def filtered(rows, wanted):
    """The rows matching the board's filters (the exports apply the same)."""
    return [r for r in rows
            if (not wanted["overdue"] or queries.is_overdue(r))
            and (not wanted["assignee"] or r["assignee"] == wanted["assignee"])
            and (not wanted["sla"] or r["sla"] == wanted["sla"])]


@bp.get("/requests")
def board():
    """Open requests (overdue first; referrals most urgent then oldest first)
    or finished ones, of the user's grids, filtered by kind, grid, overdue,
    assignee and SLA; each row offers the people who may be assigned."""
    group = "done" if request.args.get("show") == "done" else "open"
    grid = request.args.get("grid", "")[:64]
    kind = queries.kind_filter(request.args)
    wanted = board_filters(request.args)
    conn = index()
    _total, rows = queries.requests(conn, narrowed(grid), group, current_app.config, kind=kind)
    rows = filtered(rows, wanted)
    pager = Pager(len(rows))
    rows = rows[pager.offset:pager.offset + pager.size]
    grids = grids_in_scope()
    people = {g: people_for_grid(g) for g in {r["grid"] for r in rows}}
    assignees = sorted({name for g in grids for name in people_for_grid(g["id"])})
    return render_template("console/requests.html", rows=rows, pager=pager, group=group,
                           grid=grid, kind=kind, kinds=KINDS, grids=grids, slas=SLAS,
                           f=wanted, people=people, assignees=assignees,
                           names=display_names(),
                           grid_names={g["id"]: g["name"] for g in grids},
                           form=RequestStatusForm(), satisfaction=SATISFACTION)


@bp.post("/requests/<request_id>/status")
def change_status(request_id):
    """Move a request to another status, optionally reassigning it."""
    check_doc(request_id, "request")
    form = RequestStatusForm()
    if not form.validate():
        raise BadRequest("; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()))
    assignee = form.assignee.data if "assignee" in request.form else None
    before = writes.read(request_id)
    if assignee and assignee != before.get("assignee") \
            and assignee not in people_for_grid(before.get("grid")):
        raise BadRequest(f"assignee: “{assignee}”看不到这条诉求，不能承办 / {assignee} "
                         "cannot see this request, so cannot be its assignee")
    reason = (request.form.get("reopen_reason") or "").strip()[:500]
    reopening = (before.get("status") == "closed" and form.status.data != "closed"
                 and before.get("kind") != "referral")
    if reopening and not reason:
        raise BadRequest("reopen_reason: 重新打开已结案的诉求须写明原因 / reopening a closed "
                         "request needs a reason")
    rev = writes.set_request_status(request_id, form.status.data, assignee,
                                    form.satisfaction.data, form.satisfaction_comment.data)
    audit("request.status", request_id, before=before.get("status"), after=form.status.data,
          assignee=assignee, rev=rev, **({"reopen_reason": reason} if reopening else {}),
          **({"satisfaction": form.satisfaction.data} if form.satisfaction.data else {}))
    flash(t("status_changed"), "ok")
    return redirect(safe_next(request.form.get("back"), "console.requests.board")
                    if request.form.get("back") else url_for(".board"))
