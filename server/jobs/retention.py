"""Retention: visits older than ``VISIT_RETENTION_YEARS`` are anonymised.

An anonymised visit keeps what the statistics need — its grid, when, the
channel, the outcome, the colour after, its status — and loses what names or
describes a person: the household it was at, the worker, the member checks,
the needs' details, the notes and the photos (so an ID number written
there goes too; a visit has no field of its own for one). It is written as a new
revision, a child of the old one, and the older revisions are purged (as an
erasure of a member does, :mod:`server.jobs.erasure`), so the old bodies
leave the SQLite file; tablets and the hub take the new revision as an
ordinary edit. The nightly jobs run it (``gridvisit nightly``, or
``NIGHTLY_AT`` inside ``serve``); 0 years, the default, keeps visits.
"""

from datetime import datetime, timedelta, timezone

from server.jobs.erasure import rewrite_as_child
from server.services import services

KEPT = ("_id", "_rev", "type", "schema", "grid", "visited_at", "channel", "outcome",
        "colour_after", "status", "updated_at")


def cutoff(years, now=None):
    """The ISO time before which a visit is anonymised (``years`` × 365 days ago)."""
    now = now or datetime.now(timezone.utc)
    return (now - timedelta(days=365 * years)).isoformat(timespec="seconds")


def anonymised(doc):
    """The visit ``doc`` without what names or describes a person."""
    out = {key: doc[key] for key in KEPT if key in doc}
    out["anonymised"] = True
    out["updated_by"] = "retention"
    out["needs"] = [{"kind": n.get("kind")} for n in doc.get("needs") or [] if n.get("kind")]
    return out


def _older(visited_at, before):
    try:
        when = datetime.fromisoformat(str(visited_at).replace("Z", "+00:00"))
        limit = datetime.fromisoformat(before)
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when < limit


def anonymise_old_visits(app, years=None, now=None):
    """Anonymise every visit older than ``years`` (default: the setting); how many."""
    years = app.config["VISIT_RETENTION_YEARS"] if years is None else years
    if not years or years <= 0:
        return 0
    db = services(app).store.get(app.config["FIELD_DB"])
    before = cutoff(years, now)
    rows = db.all_docs(startkey="visit:", endkey="visit:\ufff0", include_docs=True)["rows"]
    done = 0
    for row in rows:
        doc = row.get("doc") or {}
        if doc.get("anonymised") or not _older(doc.get("visited_at"), before):
            continue
        rewrite_as_child(db, doc, anonymised(doc))
        done += 1
    if done:
        db.compact(wait=True)
        index = services(app).console_index
        if index is not None:
            index.refresh(db)
    return done
