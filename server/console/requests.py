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
from .common import Pager, audit, check_doc, grids_in_scope, index, narrowed, safe_next
from rules.schemas.request import KINDS, SATISFACTION
from .forms import RequestStatusForm
from .i18n import t

bp = Blueprint("requests", __name__)


@bp.get("/requests")
def board():
    """Open requests (overdue first; referrals most urgent then oldest first)
    or finished ones, of the user's grids, optionally of one kind."""
    group = "done" if request.args.get("show") == "done" else "open"
    grid = request.args.get("grid", "")[:64]
    kind = queries.kind_filter(request.args)
    conn = index()
    total, rows = queries.requests(conn, narrowed(grid), group, current_app.config, kind=kind)
    pager = Pager(total)
    rows = rows[pager.offset:pager.offset + pager.size]
    return render_template("console/requests.html", rows=rows, pager=pager, group=group,
                           grid=grid, kind=kind, kinds=KINDS, grids=grids_in_scope(),
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
    rev = writes.set_request_status(request_id, form.status.data, assignee,
                                    form.satisfaction.data, form.satisfaction_comment.data)
    audit("request.status", request_id, before=before.get("status"), after=form.status.data,
          assignee=assignee, rev=rev,
          **({"satisfaction": form.satisfaction.data} if form.satisfaction.data else {}))
    flash(t("status_changed"), "ok")
    return redirect(safe_next(request.form.get("back"), "console.requests.board")
                    if request.form.get("back") else url_for(".board"))
