"""Replication history (复制记录): every recorded replication run, newest
first, for supervisors and admins (read-only, like the dashboard).

Each run shows its job, status, source → target, start, end, duration,
documents read and written, write failures and the error that stopped it;
above them, the last successful run of each job and the runs that failed
or were interrupted in the last 7 days. Filters: job and status; an
unknown value of either is ignored, as on the other console pages.

Runs are recorded with ``safe_url`` forms only (:mod:`server.nightly`),
but a URL's user info is stripped again before display — from source,
target and error alike — so a password stored by an older version or
another tool is never shown.
"""

import re
import time

from flask import Blueprint, render_template, request

from server.jobs.runs import STATUSES
from .common import Pager
from server.services import services

bp = Blueprint("replication", __name__)
WEEK = 7 * 86400
USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s?#]*@")


def without_credentials(text):
    """``text`` with the user info (name and password) of every URL in it removed."""
    return USERINFO.sub(r"\1", text) if text else text


def _shown(run):
    for key in ("source", "target", "error"):
        run[key] = without_credentials(run[key])
    return run


@bp.get("/replication")
def history():
    """Recorded runs newest first, filtered by job and status, with a summary."""
    runs, now = services().runs, time.time()
    jobs = runs.jobs()
    job = request.args.get("job", "").strip()
    job = job if job in jobs else ""
    status = request.args.get("status", "").strip()
    status = status if status in STATUSES else ""
    pager = Pager(runs.history(0, job=job, status=status)[0])
    _total, rows = runs.history(pager.size, pager.offset, job=job, status=status)
    last = runs.last_completed()
    return render_template(
        "console/replication.html", rows=[_shown(r) for r in rows], pager=pager, now=now,
        jobs=jobs, statuses=STATUSES, f={"job": job, "status": status},
        last_ok=[(name, last.get(name)) for name in jobs], week=runs.statuses_since(now - WEEK))
