"""The figures of the weekly report (周报) a community owes its street, for a
date range and the grids of one community (or all the user sees).

Every figure reads the console's index with the same definitions as the
rest of the console: a visit counts as covering a household when it met the
household and was not rejected (see ``index._latest_visit``); a request's
SLA is met, late (finished after its due time), overdue (still open past
it) or running (``queries._clock``); days are local days of the console's
time zone.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from rules.vocabulary import CHANNELS

from . import queries
from .common import grid_clause

OUTCOMES = ("met", "not_home", "refused", "moved")
COLOURS = ("green", "yellow", "red")


@dataclass(frozen=True)
class Span:
    """Local days ``start``..``end`` (both included) in time zone ``tz``."""

    start: date
    end: date
    tz: object

    @property
    def epochs(self):
        """``(from, until)`` epoch seconds: the first instant and the one after the last day."""
        first = datetime.combine(self.start, time(), self.tz).timestamp()
        after = datetime.combine(self.end + timedelta(days=1), time(), self.tz).timestamp()
        return first, after


def visits_by_worker(conn, grids, span):
    """Per grid and worker: visits, and how many met the household."""
    args = [span.start.isoformat(), span.end.isoformat()]
    where = grid_clause("grid", grids, args)
    rows = conn.execute(
        "SELECT grid, worker, COUNT(*), SUM(outcome = 'met') FROM visits "
        f"WHERE day BETWEEN ? AND ? AND {where} GROUP BY grid, worker ORDER BY grid, worker",
        args).fetchall()
    return [{"grid": g, "worker": w, "visits": n, "met": m or 0} for g, w, n, m in rows]


def coverage(conn, grids, span):
    """Per grid: households, and how many a visit that met them (not
    rejected) covered within the span; and visits by outcome."""
    args = []
    where = grid_clause("grid", grids, args)
    homes = dict(conn.execute(f"SELECT grid, COUNT(*) FROM households WHERE {where} "
                              "GROUP BY grid", args).fetchall())
    args = [span.start.isoformat(), span.end.isoformat()]
    where = grid_clause("grid", grids, args)
    covered = dict(conn.execute(
        "SELECT grid, COUNT(DISTINCT household) FROM visits WHERE day BETWEEN ? AND ? AND "
        f"outcome = 'met' AND review != 'rejected' AND {where} GROUP BY grid", args).fetchall())
    outcomes = {}
    for grid, outcome, n in conn.execute(
            f"SELECT grid, outcome, COUNT(*) FROM visits WHERE day BETWEEN ? AND ? AND {where} "
            "GROUP BY grid, outcome", args):
        outcomes.setdefault(grid, {})[outcome] = n
    found = []
    for grid in sorted(set(homes) | set(covered) | set(outcomes)):
        total, done = homes.get(grid, 0), covered.get(grid, 0)
        found.append({"grid": grid, "households": total, "covered": done,
                      "share": round(100 * done / total) if total else 0,
                      "outcomes": {o: outcomes.get(grid, {}).get(o, 0) for o in OUTCOMES}})
    return found


def channel_coverage(conn, grids, span):
    """Per grid and in total: households covered within the span by each
    contact channel (入户 / 电话 / 微信 / 视频), counting only visits that met
    the household and were not rejected, as ``coverage`` does.

    A household reached by phone and at the door counts under both channels,
    so a row's channels may add up to more than its covered households. Visits
    recorded before channels existed count as door visits.
    """
    args = [span.start.isoformat(), span.end.isoformat()]
    where = grid_clause("grid", grids, args)
    rows, total = {}, dict.fromkeys(CHANNELS, 0)
    for grid, channel, n in conn.execute(
            "SELECT grid, COALESCE(channel, 'door'), COUNT(DISTINCT household) FROM visits "
            "WHERE day BETWEEN ? AND ? AND outcome = 'met' AND review != 'rejected' AND "
            f"{where} GROUP BY grid, COALESCE(channel, 'door')", args):
        if channel not in total:
            continue                  # a value the vocabulary does not know: not a channel
        rows.setdefault(grid, dict.fromkeys(CHANNELS, 0))[channel] = n
        total[channel] += n           # a household lives in one grid: grids add up
    return {"grids": [{"grid": g, "channels": rows[g]} for g in sorted(rows)],
            "total": total}


def colours(conn, grids, span):
    """Visits by the colour they recorded, and households by their colour now."""
    args = [span.start.isoformat(), span.end.isoformat()]
    where = grid_clause("grid", grids, args)
    recorded = dict(conn.execute(
        f"SELECT colour, COUNT(*) FROM visits WHERE day BETWEEN ? AND ? AND {where} "
        "GROUP BY colour", args).fetchall())
    args = []
    where = grid_clause("grid", grids, args)
    now = dict(conn.execute(f"SELECT colour, COUNT(*) FROM households WHERE {where} "
                            "GROUP BY colour", args).fetchall())
    return {c: {"visits": recorded.get(c, 0), "households": now.get(c, 0)} for c in COLOURS}


def red_households(conn, grids, span, limit=50):
    """Red households and what was done: their visits in the span and the
    services of the latest."""
    args = []
    where = grid_clause("h.grid", grids, args)
    found = []
    for row in conn.execute(
            "SELECT h.id, h.grid, h.building, h.unit, h.room, h.address, h.head, "
            f"h.colour_reason, h.last_visit_at FROM households h WHERE h.colour = 'red' AND "
            f"{where} ORDER BY h.grid, h.building, h.unit, h.room LIMIT ?", args + [limit]):
        home = dict(zip(("id", "grid", "building", "unit", "room", "address", "head",
                         "reason", "last_visit_at"), row))
        visits = conn.execute(
            "SELECT COUNT(*), MAX(at) FROM visits WHERE household = ? AND day BETWEEN ? AND ?",
            (home["id"], span.start.isoformat(), span.end.isoformat())).fetchone()
        latest = conn.execute("SELECT services FROM visits WHERE household = ? AND "
                              "review != 'rejected' ORDER BY at DESC LIMIT 1",
                              (home["id"],)).fetchone()
        home.update(visits=visits[0], services=(latest[0] if latest else "") or "")
        found.append(home)
    return found


def requests(conn, grids, span, config):
    """Requests opened in the span: by SLA and clock, referrals by status,
    residents' satisfaction."""
    first, after = span.epochs
    rows = []
    for group in ("open", "done"):
        rows += queries.requests(conn, grids, group, config)[1]
    rows = [r for r in rows if first <= (r["opened_at"] or 0) < after]
    by_sla = {}
    for r in rows:
        if r["kind"] == "referral":
            continue
        counts = by_sla.setdefault(r["sla"] or "", {"met": 0, "late": 0, "overdue": 0,
                                                    "running": 0})
        counts[r["clock"]] = counts.get(r["clock"], 0) + 1
    referrals = {}
    for r in rows:
        if r["kind"] == "referral":
            referrals[r["status"]] = referrals.get(r["status"], 0) + 1
    satisfaction = {}
    for r in rows:
        if r["satisfaction"]:
            satisfaction[r["satisfaction"]] = satisfaction.get(r["satisfaction"], 0) + 1
    return {"total": len(rows), "by_sla": by_sla, "referrals": referrals,
            "satisfaction": satisfaction}
