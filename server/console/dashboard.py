"""The dashboard: where the risk is, at a glance.

Coverage per grid (share of households visited in the last 7 and 30 days),
colour counts and the trend of the colours visits recorded, households the
rule set's household rules flag (red ones not visited in 48 hours), visits per worker per day, quarantined documents,
open work (visits to review, overdue requests, merges to confirm), the
last nightly replication, and residents' satisfaction with closed requests
per grid and per kind, and early warnings the workers overrode (不采纳) so a
supervisor gives them a second look. Figures come from :mod:`.stats` over the derived
index; the charts are drawn by Chart.js from a JSON island in the page.
"""

import time

from flask import Blueprint, current_app, render_template


from rules.warning_rules import RuleError
from . import queries, stats, writes
from .common import display_names, field_db, grids_in_scope, index, scope, tz
from .ruleset import current_rules
from .times import today
from server.services import services

bp = Blueprint("dashboard", __name__)


def flagged_open(grids):
    """How many flagged automatic merges in ``grids`` are not settled yet."""
    db = field_db()
    if db is None:
        return 0
    rows = db.resolutions(flagged=True, limit=1000)
    return sum(1 for r in rows if r["settled_by"] is None
               and (grids is None or r["doc_id"].split(":")[1] in grids))


@bp.get("/dashboard")
def dashboard():
    """The dashboard page."""
    conn, grids, zone, now = index(), scope(), tz(), time.time()
    names = {g["id"]: g["name"] for g in grids_in_scope()}
    coverage = stats.coverage(conn, grids, now)
    by_channel = stats.channel_coverage(conn, grids, now)
    for row in coverage:
        row["channels"] = by_channel.get(row["grid"], dict.fromkeys(stats.CHANNELS, 0))
        row["name"] = names.get(row["grid"], row["grid"])
    dates, trend = stats.colour_trend(conn, grids, zone, 30, now)
    worker_days, per_worker = stats.per_worker(conn, grids, zone, 14, now)
    try:
        red_count, red_rows = stats.households_flagged(conn, grids, current_rules(), 20, now,
                                                        field_db())
        rules_broken = None
    except RuleError as err:                 # a hub wrote a set the console cannot read
        red_count, red_rows, rules_broken = 0, [], str(err)
    _total, open_requests = queries.requests(conn, grids, "open", current_app.config, now)
    runs = services().runs.recent(1)
    people = display_names()
    overridden_count, overridden_rows = stats.overridden_warnings(conn, grids, 7, 10, 30, now)
    _member_names(overridden_rows)
    charts = {
        "coverage": {"labels": [r["name"] for r in coverage],
                     "week": [_share(r["week"], r["households"]) for r in coverage],
                     "month": [_share(r["month"], r["households"]) for r in coverage]},
        "trend": {"labels": [d[5:] for d in dates], **trend},
        "workers": {"labels": [d[5:] for d in worker_days],
                    "series": [{"label": people.get(w, w), "data": v}
                               for w, v in per_worker.items()]},
    }
    return render_template(
        "console/dashboard.html", coverage=coverage, colours=stats.colour_counts(conn, grids),
        red_count=red_count, red_rows=red_rows, rules_broken=rules_broken, charts=charts,
        quarantined=services().quarantine.count(grids, "open"),
        pending=stats.pending_reviews(conn, grids),
        overdue=sum(1 for r in open_requests if queries.is_overdue(r)),
        referrals=sum(1 for r in open_requests if r["kind"] == "referral"),
        flagged=flagged_open(grids), today_visits=stats.visits_on(
            conn, grids, today(zone, now).isoformat()),
        last_run=runs[0] if runs else None, grid_names=names, now=now,
        satisfaction_grids=stats.satisfaction(conn, grids, "grid"),
        satisfaction_kinds=stats.satisfaction(conn, grids, "kind"),
        overridden_count=overridden_count, overridden_rows=overridden_rows,
        warning_decisions=stats.warning_decisions(conn, grids, 30, now), worker_names=people)


def _member_names(rows):
    """Set each row's ``member_name`` from its household (one read for all)."""
    households = writes.read_many(row["household"] for row in rows if row["household"])
    for row in rows:
        members = (households.get(row["household"]) or {}).get("members") or []
        names = {m.get("id"): m.get("name") for m in members if isinstance(m, dict)}
        row["member_name"] = names.get(row["member"]) if row["member"] else None


def _share(part, whole):
    return round(100.0 * part / whole, 1) if whole else 0.0
