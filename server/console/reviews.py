"""The review queue: submitted visits newest first, filtered, paged; a visit's
page with its full record, its early warnings beside the server's own
evaluation with the current rules, and the review form; bulk approve.

A verdict is a ``review:{visit id}`` document written into the field
database, so it replicates to the worker's tablet: "needs fix" and
"rejected" carry the supervisor's comment to the worker.
"""

from flask import (Blueprint, Response, abort, flash, redirect, render_template, request,
                   url_for)

from sync.errors import BadRequest, Conflict, NotFound

from . import queries, writes
from .common import (Pager, audit, check_doc, display_names, field_db, grids_in_scope, index,
                     narrowed, safe_next, scope, tz, workers_in_scope)
from .forms import ActionForm, ReviewForm
from .i18n import t
from .ruleset import evaluate_visit
from .times import epoch

bp = Blueprint("reviews", __name__)
BULK_MAX = 500
FILTERED_MAX = 5000         # "approve all filtered": a few weeks of a community's visits


@bp.get("/reviews")
def queue():
    """The review queue with its filters."""
    filters = queries.VisitFilters.from_args(request.args)
    conn = index()
    grids = narrowed(filters.grid)
    pager = Pager(queries.count_queue(conn, filters, grids, tz()))
    rows = queries.review_queue(conn, filters, grids, tz(), pager.size, pager.offset)
    pending = len(queries.pending_ids(conn, filters, grids, tz()))
    return render_template("console/reviews.html", rows=rows, filters=filters, pager=pager,
                           pending=pending, filtered_max=FILTERED_MAX,
                           grid_names={g["id"]: g["name"] for g in grids_in_scope()},
                           workers=workers_in_scope(),
                           names=display_names(), form=ActionForm(),
                           colours=queries.COLOURS, outcomes=queries.OUTCOMES,
                           states=queries.REVIEW_STATES)


@bp.post("/reviews/approve")
def bulk_approve():
    """Approve every selected visit (in the user's grids) at once."""
    wanted = list(dict.fromkeys(request.form.getlist("visit")))[:BULK_MAX]
    found = queries.visits_by_ids(index(), wanted, scope())
    if len(found) != len(wanted):
        abort(404)                     # a visit of another community, or none such
    approved = 0
    for visit_id, state in found:
        if state != "approved":
            writes.save_review(visit_id, "approved", None)
            approved += 1
    audit("review.bulk_approve", None, visits=[v for v, _s in found], count=approved)
    flash(t("approved_n", n=approved), "ok")
    return redirect(safe_next(request.form.get("back"), "console.reviews.queue"))


@bp.post("/reviews/approve-filtered")
def approve_filtered():
    """Approve every visit of the filtered set still awaiting a verdict — all
    pages, not one; ``expected`` is the count the confirmation showed.

    :raises Conflict: when the set changed since the page was shown.
    """
    filters = queries.VisitFilters.from_args(request.form)
    found = queries.pending_ids(index(), filters, narrowed(filters.grid), tz())
    if str(len(found)) != request.form.get("expected", ""):
        raise Conflict(t("reviews.set_changed", n=len(found)))
    if len(found) > FILTERED_MAX:
        raise BadRequest(t("reviews.too_many", n=FILTERED_MAX))
    for visit_id in found:
        writes.save_review(visit_id, "approved", None)
    audit("review.bulk_approve", None, visits=found, count=len(found), filters=filters.args())
    flash(t("approved_n", n=len(found)), "ok")
    return redirect(safe_next(request.form.get("back"), "console.reviews.queue"))


@bp.get("/visits/<visit_id>/photos/<path:name>")
def photo(visit_id, name):
    """A visit's photo (full size; the page shows it scaled as a thumbnail).

    :raises NotFound: for another community's visit or no such photo.
    """
    check_doc(visit_id, "visit")
    db = field_db()
    if db is None:
        raise NotFound("no such photo")
    stub, data = db.get_attachment(visit_id, name)
    kind = stub.get("content_type") or "application/octet-stream"
    response = Response(data, mimetype=kind if kind.startswith("image/") else
                        "application/octet-stream")
    response.headers["Cache-Control"] = "private, max-age=3600"
    if not kind.startswith("image/"):
        response.headers["Content-Disposition"] = "attachment"
    return response


@bp.route("/visits/<visit_id>", methods=["GET", "POST"])
def visit(visit_id):
    """One visit's record, its household, its review and the review form."""
    check_doc(visit_id, "visit")
    doc = writes.read(visit_id)
    try:
        review = writes.read(f"review:{visit_id}")
    except NotFound:
        review = None
    form = ReviewForm(data={"state": (review or {}).get("state", "approved"),
                            "comment": (review or {}).get("comment", "")})
    if request.method == "POST":
        if not form.validate():
            if "comment" in form.errors:
                flash(t("review.comment_required"), "error")
            else:
                raise BadRequest("; ".join(f"{k}: {v}" for k, v in form.errors.items()))
        else:
            rev = writes.save_review(visit_id, form.state.data, form.comment.data)
            audit(f"review.{form.state.data}", visit_id, comment=form.comment.data or "",
                  rev=rev)
            flash(t("reviewed"), "ok")
            return redirect(safe_next(request.args.get("back"), "console.reviews.queue")
                            if request.args.get("back")
                            else url_for(".visit", visit_id=visit_id))
    try:
        household = writes.read(doc.get("household") or "household:-:-")
    except NotFound:             # the household may not have synced yet
        household = None
    status = 400 if request.method == "POST" else 200
    at = epoch(doc.get("visited_at"))
    checked = evaluate_visit(doc, household, None if at is None else queries.previous_visit_at(
        index(), doc.get("household"), at))
    people = {m.get("id"): m.get("name") for m in (household or {}).get("members") or []
              if isinstance(m, dict)}
    back = safe_next(request.args.get("back"), "console.reviews.queue")
    photos = [(name, stub.get("content_type", ""), stub.get("length"))
              for name, stub in sorted((doc.get("_attachments") or {}).items())]
    return render_template("console/visit.html", doc=doc, review=review, form=form,
                           photos=photos,
                           household=household, people=people, back=back,
                           names=display_names(), checked=checked, **_pair(doc)), status


def _pair(doc):
    """The sent-back visit this one amends (with its review) and the visits amending it."""
    amends, amends_review = None, None
    if doc.get("supersedes"):
        try:
            amends = writes.read(doc["supersedes"])
            amends_review = writes.read(f"review:{doc['supersedes']}")
        except NotFound:             # not synced yet, or another grid's: the id is shown
            pass
    return {"amends": amends, "amends_review": amends_review,
            "amended_by": queries.amendments_of(index(), doc["_id"])}
