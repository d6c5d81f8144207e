"""Queries of the derived index (see :mod:`.index`) behind the console's lists.

Each function takes the grids to look in (``None``: every grid, an empty set:
none) and reads only the index, with SQL that an index answers: no page
reads every document. ``VisitFilters`` is shared by the review queue and
the exports, so an export holds exactly the rows the queue was showing.
"""

import json
import math
import time
from dataclasses import asdict, dataclass, fields
from datetime import datetime, time as dtime, timedelta

from rules.schemas.request import KINDS, REFERRAL_STATUSES
from .common import grid_clause
from .times import epoch, parse_day
from rules.vocabulary import COLOURS, OPEN_STATUSES, OUTCOMES, REVIEW_STATES
from rules.vocabulary import CLOSED_STATUSES as DONE_STATUSES, REQUEST_STATUSES as LIFECYCLE

# A referral (转诊) moves referred → accepted → seen → closed; its clock stops
# when the doctor or hospital accepts it.
REFERRAL_LIFECYCLE = REFERRAL_STATUSES
REFERRAL_STOP = "accepted"
URGENCY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
# The status that stops each SLA clock: someone on site; the fix done; a plan given.
SLA_STOP = {"onsite_5m": "in_progress", "fix_20m": "resolved", "plan_2d": "in_progress"}
SLA_SETTING = {"onsite_5m": "SLA_ONSITE", "fix_20m": "SLA_FIX", "plan_2d": "SLA_PLAN"}

VISIT_COLUMNS = ("v.id, v.grid, v.household, v.worker, v.at, v.outcome, v.colour, "
                 "v.colour_reason, v.needs, v.review, v.follow_up_on, h.building, h.unit, "
                 "h.room, h.head")
VISIT_KEYS = ("id", "grid", "household", "worker", "at", "outcome", "colour",
              "colour_reason", "needs", "review", "follow_up_on", "building", "unit", "room",
              "head")


@dataclass
class VisitFilters:
    """The review queue's filters, read from a query string; bad values are dropped."""

    grid: str = ""
    worker: str = ""
    date_from: str = ""
    date_to: str = ""
    colour: str = ""
    outcome: str = ""
    review: str = ""

    @classmethod
    def from_args(cls, args):
        """Filters from ``request.args``; unknown choices and bad dates are ignored."""
        found = cls(**{f.name: (args.get(f.name) or "").strip()[:64] for f in fields(cls)})
        for name, allowed in (("colour", COLOURS), ("outcome", OUTCOMES),
                              ("review", REVIEW_STATES)):
            if getattr(found, name) not in allowed:
                setattr(found, name, "")
        for name in ("date_from", "date_to"):
            if parse_day(getattr(found, name)) is None:
                setattr(found, name, "")
        return found

    def args(self):
        """The filters that are set, as query-string arguments."""
        return {k: v for k, v in asdict(self).items() if v}

    def where(self, grids, tz, args):
        """The SQL condition over ``visits v`` (appends to ``args``)."""
        conds = [grid_clause("v.grid", grids, args)]
        for column, value in (("worker", self.worker), ("colour", self.colour),
                              ("outcome", self.outcome), ("review", self.review)):
            if value:
                conds.append(f"v.{column} = ?")
                args.append(value)
        if self.date_from:
            conds.append("v.at >= ?")
            args.append(_midnight(self.date_from, tz))
        if self.date_to:
            conds.append("v.at < ?")
            args.append(_midnight(self.date_to, tz, 1))
        return " AND ".join(conds)


def _midnight(day, tz, plus=0):
    moment = datetime.combine(parse_day(day) + timedelta(days=plus), dtime(0), tz)
    return moment.timestamp()


def count_queue(conn, filters, grids, tz):
    """How many submitted visits match ``filters``."""
    args = []
    where = filters.where(grids, tz, args)
    return conn.execute(f"SELECT COUNT(*) FROM visits v WHERE {where}", args).fetchone()[0]


def pending_ids(conn, filters, grids, tz):
    """Ids of the visits matching ``filters`` that still await a verdict
    (what "approve the whole filtered set" approves), newest first."""
    args = []
    where = filters.where(grids, tz, args)
    return [row[0] for row in conn.execute(
        f"SELECT v.id FROM visits v WHERE {where} AND v.review = 'pending' "
        "ORDER BY v.at DESC, v.rowid DESC", args)]


def review_queue(conn, filters, grids, tz, limit, offset):
    """One page of submitted visits matching ``filters``, newest first."""
    args = []
    where = filters.where(grids, tz, args)
    # Page over the index alone, then read the page's 50 rows and households.
    rows = conn.execute(
        f"SELECT {VISIT_COLUMNS} FROM (SELECT v.rowid AS r FROM visits v WHERE {where} "
        "ORDER BY v.at DESC, v.rowid DESC LIMIT ? OFFSET ?) AS page "
        "JOIN visits v ON v.rowid = page.r LEFT JOIN households h ON h.id = v.household "
        "ORDER BY v.at DESC, v.rowid DESC", args + [limit, offset]).fetchall()
    return [dict(zip(VISIT_KEYS, row)) for row in rows]


EXPORT_VISIT_KEYS = VISIT_KEYS + ("address", "services", "notes", "comment", "reviewer")


def export_visits(conn, filters, grids, tz):
    """Every visit matching ``filters``, newest first, with review comments."""
    args = []
    where = filters.where(grids, tz, args)
    cur = conn.execute(
        f"SELECT {VISIT_COLUMNS}, h.address, v.services, v.notes, r.comment, r.reviewer "
        "FROM visits v LEFT JOIN households h ON h.id = v.household "
        f"LEFT JOIN reviews r ON r.visit = v.id WHERE {where} ORDER BY v.at DESC, v.rowid DESC",
        args)
    for row in cur:
        yield dict(zip(EXPORT_VISIT_KEYS, row))


def amendments_of(conn, visit_id):
    """The visits that amend ``visit_id`` (sent back, 退回修改), oldest first: [(id, at, review)]."""
    return conn.execute("SELECT id, at, review FROM visits WHERE supersedes = ? ORDER BY at",
                        (visit_id,)).fetchall()


def visits_by_ids(conn, visit_ids, grids):
    """The visits among ``visit_ids`` inside ``grids`` (for bulk actions)."""
    if not visit_ids:
        return []
    args = list(visit_ids)
    where = grid_clause("grid", grids, args)
    rows = conn.execute(f"SELECT id, review FROM visits WHERE id IN "
                        f"({','.join('?' * len(visit_ids))}) AND {where}", args).fetchall()
    return rows


HOUSEHOLD_KEYS = ("id", "grid", "building", "unit", "room", "address", "head", "phone",
                  "colour", "colour_reason", "members", "tags", "updated_at",
                  "last_visit_at", "follow_up_on")


def households(conn, grids, colour, overdue, search, today, limit=None, offset=0, ids=None):
    """``(total, rows)`` of households (of ``ids`` only, when given): red
    first, then by address."""
    args = []
    conds = [grid_clause("grid", grids, args)]
    if ids is not None:
        conds.append("id IN (SELECT value FROM json_each(?))")
        args.append(json.dumps(list(ids)))
    if colour in COLOURS:
        conds.append("colour = ?")
        args.append(colour)
    if overdue:
        conds.append("follow_up_on IS NOT NULL AND follow_up_on < ?")
        args.append(today)
    if search:
        conds.append("(head LIKE ? OR address LIKE ? OR id LIKE ? OR building LIKE ?)")
        args.extend([f"%{search}%"] * 4)
    where = " AND ".join(conds)
    total = conn.execute(f"SELECT COUNT(*) FROM households WHERE {where}", args).fetchone()[0]
    sql = (f"SELECT {', '.join(HOUSEHOLD_KEYS)} FROM households WHERE {where} ORDER BY "
           "CASE colour WHEN 'red' THEN 0 WHEN 'yellow' THEN 1 ELSE 2 END, grid, building, "
           "unit, room, id")
    if limit is not None:
        sql, args = sql + " LIMIT ? OFFSET ?", args + [limit, offset]
    return total, [dict(zip(HOUSEHOLD_KEYS, row)) for row in conn.execute(sql, args)]


def household(conn, household_id):
    """One household's row, or None."""
    row = conn.execute(f"SELECT {', '.join(HOUSEHOLD_KEYS)} FROM households WHERE id = ?",
                       (household_id,)).fetchone()
    return None if row is None else dict(zip(HOUSEHOLD_KEYS, row))


def household_events(conn, household_id):
    """The household's visits (with reviews) and requests, newest first."""
    events = []
    for row in conn.execute(
            "SELECT v.id, v.at, v.worker, v.outcome, v.colour, v.colour_reason, v.needs, "
            "v.review, r.comment, r.reviewer, r.reviewed_at FROM visits v LEFT JOIN reviews r "
            "ON r.visit = v.id WHERE v.household = ? ORDER BY v.at DESC", (household_id,)):
        events.append(dict(zip(("id", "at", "worker", "outcome", "colour", "colour_reason",
                                "needs", "review", "comment", "reviewer", "reviewed_at"), row),
                           kind="visit"))
    for row in conn.execute("SELECT id, opened_at, kind, detail, status, sla, assignee "
                            "FROM requests WHERE household = ?", (household_id,)):
        events.append(dict(zip(("id", "at", "need", "detail", "status", "sla", "assignee"),
                               row), kind="request"))
    return events


REQUEST_COLUMNS = ("id", "grid", "household", "visit", "kind", "detail", "urgency", "sla",
                   "status", "assignee", "opened_at", "status_times", "updated_at", "target",
                   "target_name", "member", "rule", "satisfaction", "satisfaction_comment",
                   "satisfaction_at")
REQUEST_KEYS = REQUEST_COLUMNS + ("head", "building", "unit", "room")
REQUEST_SELECT = (f"SELECT r.{', r.'.join(REQUEST_COLUMNS)}, h.head, h.building, h.unit, "
                  "h.room FROM requests r LEFT JOIN households h ON h.id = r.household")


def lifecycle(kind, status=None):
    """The statuses a request of ``kind`` moves through, in order.

    A referral's own statuses unless ``status`` is one only the other
    lifecycle has (a referral recorded before referrals had their own).
    """
    found = REFERRAL_LIFECYCLE if kind == "referral" else LIFECYCLE
    if status is not None and status not in found:
        other = LIFECYCLE if found is REFERRAL_LIFECYCLE else REFERRAL_LIFECYCLE
        return other if status in other else found
    return found


def _clock(row, config, now):
    """Add the SLA clock to a request row: due, state (running/overdue/met/late)."""
    limit = config.get(SLA_SETTING.get(row["sla"], "SLA_PLAN"))
    row["due"] = (row["opened_at"] or 0) + limit
    order = lifecycle(row["kind"], row["status"])
    stop = SLA_STOP.get(row["sla"], "in_progress") if order is LIFECYCLE else REFERRAL_STOP
    times = json.loads(row["status_times"] or "{}")
    row["status_times"] = times
    row["statuses"] = order
    row["age"] = now - (row["opened_at"] or now)
    reached = row["status"] in order and order.index(row["status"]) >= order.index(stop)
    if reached:
        # When the clock stopped: the stop status's time, else the first later
        # status's, else the last edit (old tablets kept no status times).
        later = [epoch(times.get(s)) for s in order[order.index(stop):]]
        stopped = next((at for at in later if at), None) or epoch(row["updated_at"]) or now
        row["clock"] = "met" if stopped <= row["due"] else "late"
        row["remaining"] = row["due"] - stopped
    else:
        row["clock"] = "overdue" if now > row["due"] else "running"
        row["remaining"] = row["due"] - now
    return row


def is_overdue(row):
    """The one meaning of "overdue" (dashboard tile, board, exports): the SLA
    clock still runs (the stop status not reached) and the due time passed.
    A request that reached its stop status late is "late" (SLA missed), not
    overdue."""
    return row["clock"] == "overdue"


def kind_filter(args):
    """The request kind a query string asks for, or "" (every kind)."""
    kind = args.get("kind", "")
    return kind if kind in KINDS else ""


def requests(conn, grids, group, config, now=None, limit=None, offset=0, kind=""):
    """``(total, rows)`` of requests with SLA clocks, of one ``kind`` if given.

    ``group`` "open": unfinished requests, overdue first, then by due time
    (open referrals: most urgent first, then oldest first); "done": resolved
    and closed ones, newest first.
    """
    now = time.time() if now is None else now
    statuses = OPEN_STATUSES if group == "open" else DONE_STATUSES
    args = list(statuses)
    where = (f"r.status IN ({','.join('?' * len(statuses))}) AND "
             + grid_clause("r.grid", grids, args))
    if kind:
        where += " AND r.kind = ?"
        args.append(kind)
    rows = [_clock(dict(zip(REQUEST_KEYS, row)), config, now)
            for row in conn.execute(f"{REQUEST_SELECT} WHERE {where}", args)]
    if group == "open" and kind == "referral":
        rows.sort(key=lambda r: (-URGENCY_RANK.get(r["urgency"], 0), r["opened_at"] or 0,
                                 r["id"]))
    elif group == "open":
        rows.sort(key=lambda r: (r["clock"] != "overdue", r["due"], r["id"]))
    else:
        rows.sort(key=lambda r: (-(r["opened_at"] or 0), r["id"]))
    total = len(rows)
    return total, rows[offset:offset + limit] if limit is not None else rows[offset:]


def request_row(conn, request_id, config, now=None):
    """One request with its SLA clock, or None."""
    row = conn.execute(f"{REQUEST_SELECT} WHERE r.id = ?", (request_id,)).fetchone()
    return None if row is None else _clock(dict(zip(REQUEST_KEYS, row)), config,
                                           time.time() if now is None else now)


NOTICE_KEYS = ("uuid", "title", "body", "priority", "audience", "published_by", "published_at",
               "expires_at", "grids")


def count_notices(conn, grids):
    """How many notices reach at least one of ``grids``."""
    args = []
    where = grid_clause("grid", grids, args)
    return conn.execute(f"SELECT COUNT(DISTINCT uuid) FROM notices WHERE {where}",
                        args).fetchone()[0]


def notices(conn, grids, limit, offset):
    """One page of notices reaching ``grids``, newest first, each with the
    grids (of ``grids``) it reached."""
    args = []
    where = grid_clause("grid", grids, args)
    rows = conn.execute(
        "SELECT uuid, MAX(title), MAX(body), MAX(priority), MAX(audience), MAX(published_by), "
        "MAX(published_at), MAX(expires_at), GROUP_CONCAT(grid) FROM notices "
        f"WHERE {where} GROUP BY uuid ORDER BY MAX(published_at) DESC, uuid LIMIT ? OFFSET ?",
        args + [limit, offset]).fetchall()
    found = []
    for row in rows:
        notice = dict(zip(NOTICE_KEYS, row))
        notice["audience"] = json.loads(notice["audience"] or "{}")
        notice["grids"] = sorted(notice["grids"].split(","))
        found.append(notice)
    return found


def notice_grids(conn, key):
    """``{grid: notice id}`` of every document of notice ``key``, in any grid."""
    return dict(conn.execute("SELECT grid, id FROM notices WHERE uuid = ?", (key,)).fetchall())


def notice_readers(conn, keys, grids):
    """``{uuid: [(reader, read_at)]}``: who read each notice (in ``grids``),
    once each at their earliest time, first reader first."""
    if not keys:
        return {}
    args = list(keys)
    where = grid_clause("r.grid", grids, args)
    earliest = {}
    for key, reader, read_at in conn.execute(
            "SELECT n.uuid, r.reader, r.read_at FROM receipts r JOIN notices n "
            f"ON n.id = r.notice WHERE n.uuid IN ({','.join('?' * len(keys))}) AND {where}",
            args):
        at = epoch(read_at)
        if at is not None and at < earliest.get((key, reader), math.inf):
            earliest[key, reader] = at
    found = {}
    for (key, reader), at in sorted(earliest.items(), key=lambda item: item[1]):
        found.setdefault(key, []).append((reader, at))
    return found


def previous_visit_at(conn, household_id, before):
    """Epoch of the household's latest submitted visit before ``before``, or None."""
    return conn.execute("SELECT MAX(at) FROM visits WHERE household = ? AND at < ?",
                        (household_id, before)).fetchone()[0]
