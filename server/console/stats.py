"""The dashboard's figures, from the derived index's small tables.

Coverage and colours read the households table (a few hundred rows per
grid) with each household's latest visit kept beside it; trends and
visits per worker read ``visit_days`` (one row per grid, day, worker and
colour); satisfaction reads the closed requests; overridden early warnings
read ``warnings`` (one row per warning, by decision and time). None of them touches
the visits table row by row, so the dashboard costs the same with 1,000
visits or 1,000,000. Rules that read campaign answers get them from the
field database in one range read of the user's grids, only when the rule
set has such a test.
"""

import time
from datetime import datetime, timezone

from rules.vocabulary import COLOURS
from rules.warning_rules import (SEVERITY, campaigns_read, colours_needed, evaluate,
                                 household_rules)
from rules.schemas.request import SATISFACTION
from .common import grid_clause
from .times import day_range

DAY = 86400


def coverage(conn, grids, now=None):
    """Per grid: households, and how many were visited in the last 7 and 30 days."""
    now = time.time() if now is None else now
    args = [now - 7 * DAY, now - 30 * DAY]
    where = grid_clause("grid", grids, args)
    rows = conn.execute(
        "SELECT grid, COUNT(*), SUM(last_visit_at >= ?), SUM(last_visit_at >= ?) "
        f"FROM households WHERE {where} GROUP BY grid ORDER BY grid", args).fetchall()
    return [{"grid": g, "households": n, "week": w or 0, "month": m or 0} for g, n, w, m in rows]


CHANNELS = ("door", "phone", "wechat", "video")


def channel_coverage(conn, grids, now=None, days=30):
    """Per grid: how many households were reached in the last ``days`` days by
    each contact channel (入户 / 电话 / 微信 / 视频), {grid: {channel: n}}."""
    now = time.time() if now is None else now
    args = [now - days * DAY]
    where = grid_clause("grid", grids, args)
    out = {}
    for grid, channel, n in conn.execute(
            "SELECT grid, COALESCE(channel, 'door'), COUNT(DISTINCT household) FROM visits "
            f"WHERE at >= ? AND {where} GROUP BY grid, COALESCE(channel, 'door')", args):
        out.setdefault(grid, dict.fromkeys(CHANNELS, 0))[channel] = n
    return out


def colour_counts(conn, grids):
    """``{colour: households}`` of the households' current colours."""
    args = []
    where = grid_clause("grid", grids, args)
    counts = dict(conn.execute(f"SELECT colour, COUNT(*) FROM households WHERE {where} "
                               "GROUP BY colour", args).fetchall())
    return {colour: counts.get(colour, 0) for colour in COLOURS}


def colour_trend(conn, grids, tz, days=30, now=None):
    """``(days, {colour: [visits per day]})``: the colour each visit recorded."""
    dates = day_range(tz, days, now)
    args = [dates[0]]
    where = grid_clause("grid", grids, args)
    found = {}
    for day, colour, n in conn.execute(
            "SELECT day, colour, SUM(n) FROM visit_days WHERE day >= ? AND "
            f"{where} GROUP BY day, colour", args):
        found[day, colour] = n
    return dates, {colour: [found.get((d, colour), 0) for d in dates]
                   for colour in COLOURS}


def per_worker(conn, grids, tz, days=14, now=None):
    """``(days, {worker: [visits per day]})`` over the last ``days`` days."""
    dates = day_range(tz, days, now)
    args = [dates[0]]
    where = grid_clause("grid", grids, args)
    found = {}
    for day, worker, n in conn.execute(
            "SELECT day, worker, SUM(n) FROM visit_days WHERE day >= ? AND "
            f"{where} GROUP BY day, worker", args):
        if n:
            found.setdefault(worker, {})[day] = n
    return dates, {w: [per_day.get(d, 0) for d in dates] for w, per_day in sorted(found.items())}


def campaign_answers(db, grids, campaigns):
    """``{household id: [answer document]}`` of the answers to ``campaigns``
    given in ``grids`` (None: every grid), read in one range of the field
    database ``db`` (None: none yet)."""
    if db is None or not campaigns:
        return {}
    rows = db.all_docs(startkey="answer:", endkey="answer:\ufff0", include_docs=True,
                       parts=None if grids is None else list(grids))["rows"]
    found = {}
    for row in rows:
        doc = row.get("doc") or {}
        if doc.get("campaign") in campaigns and isinstance(doc.get("household"), str):
            found.setdefault(doc["household"], []).append(doc)
    return found


def households_flagged(conn, grids, rules_doc, limit=20, now=None, db=None):
    """``(count, rows)``: households the rule set's household rules flag now
    (as shipped, red households not visited for 48 hours — or never), most
    severe first, then the longest unvisited. Each row carries the
    ``warnings`` that fired.

    The rules are data, so the threshold is whatever the admins set; the
    same rules decide the tablet's 待办 list (``fieldapp/js/store.js``).
    Only households of the colours the rules can fire for are read; rules
    that read campaign answers read them from the field database ``db``
    (without one, no answer test fires).

    :raises RuleError: for a malformed rule set.
    """
    now = time.time() if now is None else now
    rules = household_rules(rules_doc)
    if not rules["rules"]:
        return 0, []
    answers = campaign_answers(db, grids, campaigns_read(rules))
    args = []
    conds = [grid_clause("grid", grids, args)]
    colours = colours_needed(rules)
    if colours is not None:
        conds.append(f"colour IN ({', '.join('?' * len(colours))})")
        args.extend(sorted(colours))
    keys = ("id", "grid", "building", "unit", "room", "head", "colour", "colour_reason",
            "last_visit_at")
    moment = datetime.fromtimestamp(now, timezone.utc)
    found = []
    for row in conn.execute(f"SELECT {', '.join(keys)} FROM households "
                            f"WHERE {' AND '.join(conds)}", args):
        row = dict(zip(keys, row))
        at = row["last_visit_at"]
        household = {"colour": row["colour"], "last_visit_at": None if at is None else
                     datetime.fromtimestamp(at, timezone.utc).isoformat()}
        warnings = evaluate(rules, None, household, moment, answers.get(row["id"]))["warnings"]
        if warnings:
            found.append({**row, "warnings": warnings})
    found.sort(key=lambda r: (-max(SEVERITY.get(w["colour"], -1) for w in r["warnings"]),
                              r["last_visit_at"] is not None, r["last_visit_at"] or 0, r["id"]))
    return len(found), found[:limit]


def pending_reviews(conn, grids):
    """How many submitted visits have no verdict yet."""
    args = []
    where = grid_clause("grid", grids, args)
    return conn.execute(f"SELECT COUNT(*) FROM visits WHERE review = 'pending' AND {where}",
                        args).fetchone()[0]


def visits_on(conn, grids, day):
    """How many visits were made on ``day``."""
    args = [day]
    where = grid_clause("grid", grids, args)
    return conn.execute(f"SELECT COALESCE(SUM(n), 0) FROM visit_days WHERE day = ? AND {where}",
                        args).fetchone()[0]


def satisfaction(conn, grids, by):
    """Residents' satisfaction with closed requests, per ``by`` ("grid" or
    "kind"): ``[{key, satisfied, basically_satisfied, dissatisfied,
    unrated, answered, rate}]``; ``rate`` is the share (%) of answers that
    were 满意 or 基本满意, None before any answer."""
    column = {"grid": "grid", "kind": "kind"}[by]
    args = []
    where = grid_clause("grid", grids, args)
    found = {}
    for key, answer, n in conn.execute(
            f"SELECT {column}, satisfaction, COUNT(*) FROM requests WHERE status = 'closed' "
            f"AND {where} GROUP BY {column}, satisfaction ORDER BY {column}", args):
        row = found.setdefault(key, dict({s: 0 for s in SATISFACTION}, key=key, unrated=0))
        row[answer if answer in SATISFACTION else "unrated"] += n
    for row in found.values():
        row["answered"] = sum(row[s] for s in SATISFACTION)
        good = row["satisfied"] + row["basically_satisfied"]
        row["rate"] = round(100.0 * good / row["answered"], 1) if row["answered"] else None
    return list(found.values())


def overridden_warnings(conn, grids, days=7, limit=10, within=30, now=None):
    """``(count, rows)``: how many early warnings the workers overrode (不采纳)
    in the last ``days`` days, and the latest ``limit`` of the last ``within``
    days, newest first, with the household's place and head."""
    now = time.time() if now is None else now
    args = [now - days * DAY]
    where = grid_clause("grid", grids, args)
    count = conn.execute("SELECT COUNT(*) FROM warnings WHERE decision = 'overridden' "
                         f"AND at >= ? AND {where}", args).fetchone()[0]
    args = [now - within * DAY]
    where = grid_clause("w.grid", grids, args)
    keys = ("visit", "grid", "worker", "household", "at", "rule", "member", "colour", "reason",
            "override_reason", "building", "unit", "room", "head")
    rows = conn.execute(
        "SELECT w.visit, w.grid, w.worker, w.household, w.at, w.rule, w.member, w.colour, "
        "w.reason, w.override_reason, h.building, h.unit, h.room, h.head "
        "FROM warnings w LEFT JOIN households h ON h.id = w.household "
        f"WHERE w.decision = 'overridden' AND w.at >= ? AND {where} "
        "ORDER BY w.at DESC, w.visit, w.pos LIMIT ?", args + [limit]).fetchall()
    return count, [dict(zip(keys, row)) for row in rows]


def warning_decisions(conn, grids, days=30, now=None):
    """Per grid over the last ``days`` days: ``[{grid, accepted, overridden}]``."""
    now = time.time() if now is None else now
    args = [now - days * DAY]
    where = grid_clause("grid", grids, args)
    rows = conn.execute(
        "SELECT grid, SUM(decision = 'accepted'), SUM(decision = 'overridden') FROM warnings "
        f"WHERE at >= ? AND {where} GROUP BY grid ORDER BY grid", args).fetchall()
    return [{"grid": g, "accepted": a or 0, "overridden": o or 0} for g, a, o in rows]
