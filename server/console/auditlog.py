"""The audit log page: every supervisor and admin action and failed sign-in,
for admins, with action names and targets in words and a date filter."""

from datetime import datetime, time, timedelta

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from rules import ids
from sync.errors import BadRequest, Forbidden

from .common import Pager, display_names, tz
from .i18n import WORDS, t
from .times import parse_day
from server.services import services

bp = Blueprint("audit", __name__)
ACCOUNT_ACTIONS = ("login", "logout", "user.", "assignment.")


def action_name(action):
    """The action in the session's language (the raw name when unknown)."""
    return t(f"action.{action}") if f"action.{action}" in WORDS else action


def describe_target(row, names, grids, devices):
    """``(words, link or None)`` naming an audit row's target for a person."""
    target, action = row["target"], row["action"]
    if not target:
        return "", None
    if action.startswith(ACCOUNT_ACTIONS):
        return f"{t('audit.account')} {names.get(target, target)}", None
    if action == "device.revoke":
        device = devices.get(target) or row["detail"].get("device") or target
        return f"{t('audit.device')} {device}", None
    if action == "export":
        return t(f"export.{target}") if f"export.{target}" in WORDS else target, None
    if action in ("grid.put", "community.put", "street.put"):
        return grids.get(target, target), None
    parsed = ids.parse(target)
    if parsed is None:
        return target, None
    kind, grid = parsed
    words = " · ".join(x for x in (t(f"doc.{kind}") if f"doc.{kind}" in WORDS else kind,
                                   grids.get(grid, grid) if grid != ids.SHARED else "") if x)
    link = None
    if kind == "visit":
        link = url_for("console.reviews.visit", visit_id=target)
    elif kind == "household":
        link = url_for("console.households.timeline", household_id=target)
    return words, link


def day_span(since_text, until_text):
    """Epoch bounds of local days ``since``..``until`` (both included).

    :raises BadRequest: for a date that is not year-month-day.
    """
    since, until = parse_day(since_text), parse_day(until_text)
    if (since_text and since is None) or (until_text and until is None):
        raise BadRequest(f"{t('audit.since')}/{t('audit.until')}: {t('audit.bad_date')}")
    start = datetime.combine(since, time(), tz()).timestamp() if since else None
    end = (datetime.combine(until + timedelta(days=1), time(), tz()).timestamp()
           if until else None)
    return start, end


@bp.get("/audit")
def log():
    """Actions newest first, filtered by user, action prefix and dates.

    :raises Forbidden: for anyone but an admin.
    """
    if not current_user.is_admin:
        raise Forbidden(t("error.forbidden"))
    user = request.args.get("user", "").strip()[:64]
    action = request.args.get("action", "").strip()[:64]
    since_text = request.args.get("since", "").strip()[:10]
    until_text = request.args.get("until", "").strip()[:10]
    since, until = day_span(since_text, until_text)
    audit = services().audit
    pager = Pager(audit.count(user, action, since, until))
    rows = audit.list(user, action, pager.size, pager.offset, since, until)
    names = display_names()
    grids = {g["id"]: g["name"] or g["id"] for g in services().directory.grids()}
    devices = {str(d["id"]): f"{d['device']} ({names.get(d['user'], d['user'])}, #{d['id']})"
               for d in services().tokens.list()}
    for row in rows:
        row["action_name"] = action_name(row["action"])
        row["target_words"], row["target_link"] = describe_target(row, names, grids, devices)
        row["user_name"] = names.get(row["user"], row["user"])
    return render_template("console/audit.html", rows=rows, pager=pager,
                           f={"user": user, "action": action, "since": since_text,
                              "until": until_text})
