"""A campaign's results page (专项摸排结果) and its CSV/XLSX export: progress
by grid and by worker, the answers as a table (one column per question,
repeats expanded), the counts of each select question as bars drawn by the
server (no script, no CDN). Answers are read through the user's own view
(``writes.docs_of_kind``), so a supervisor sees their communities' only;
exports go through the exporters' safeguards (:mod:`.sheets`) and the
audit and access logs, like every export.
"""

from datetime import datetime

from flask import Blueprint, Response, render_template, stream_with_context
from flask_login import current_user

from rules import ids
from sync.errors import BadRequest, NotFound

from . import campaign_figures as figures
from . import queries, writes
from .common import audit, display_names, grids_in_scope, index, looked, scope, tz
from .exports import FORMATS, addresses, local_time
from .i18n import label, lang, t
from .sheets import Column, csv_body, xlsx_body

bp = Blueprint("campaign_results", __name__)


def _campaign(campaign_id):
    """The campaign document, if the user sees it.

    :raises NotFound: for a malformed id or a campaign the user does not see.
    """
    if ids.doc_type(campaign_id) != "campaign":
        raise NotFound(f"campaign: {t('campaign.not_found')}")
    found = [d for d in writes.docs_of_kind("campaign") if d["_id"] == campaign_id]
    if not found:
        raise NotFound(f"campaign: {t('campaign.not_found')}")
    return found[0]


def collect(campaign):
    """``(forms, answers, by grid, by worker)`` of ``campaign`` as the user sees it."""
    forms = [f for f in writes.docs_of_kind("form") if f.get("campaign") == campaign["_id"]]
    answers = sorted((a for a in writes.docs_of_kind("answer") if a.get("campaign") == campaign["_id"]),
                     key=lambda a: a.get("answered_at", ""))
    grids = {g["id"]: g for g in grids_in_scope()}
    _total, households = queries.households(index(), scope(), "", False, "", "")
    by_grid, by_worker = figures.progress(campaign, [dict(h) for h in households], grids, answers)
    return forms, answers, by_grid, by_worker


def open_campaigns(grids, span):
    """Campaigns open during ``span`` with their progress in ``grids`` (None:
    every grid the user sees): ``[{id, name, start, end, total, done, answers}]``
    (the weekly report's table)."""
    out = []
    for campaign in writes.docs_of_kind("campaign"):
        period = campaign.get("period") or {}
        if campaign.get("status") != "open" or not period or \
                period["end"] < span.start.isoformat() or period["start"] > span.end.isoformat():
            continue
        _forms, answers, by_grid, _worker = collect(campaign)
        rows = [r for r in by_grid if grids is None or r["grid"] in grids]
        out.append({"id": campaign["_id"], "name": campaign["name"], "start": period["start"],
                    "end": period["end"], "total": sum(r["total"] for r in rows),
                    "done": sum(r["done"] for r in rows),
                    "answers": sum(1 for a in answers if grids is None or a["grid"] in grids)})
    return sorted(out, key=lambda c: (c["end"], c["id"]))


@bp.get("/campaigns/<campaign_id>/results")
def results(campaign_id):
    """The results page of one campaign."""
    campaign = _campaign(campaign_id)
    forms, answers, by_grid, by_worker = collect(campaign)
    headers, rows = figures.table(forms, answers, lang())
    return render_template("console/campaign_results.html", c=campaign, by_grid=by_grid,
                           by_worker=by_worker, headers=headers, rows=rows,
                           counts=figures.select_counts(forms, answers, lang()),
                           names=display_names(), grids={g["id"]: g["name"] for g in grids_in_scope()},
                           homes=_homes(answers))


def _homes(answers):
    wanted = {a["household"] for a in answers if a.get("household")}
    return addresses(index(), wanted) if wanted else {}


@bp.get("/campaigns/<campaign_id>/answers.<fmt>")
def export(campaign_id, fmt):
    """The answers of one campaign as ``csv`` or ``xlsx``, one column per question.

    :raises BadRequest: for a format other than csv and xlsx.
    :raises NotFound: for a campaign the user does not see.
    """
    if fmt not in FORMATS:
        raise BadRequest(f"format: {t('campaign.bad_format')}")
    campaign = _campaign(campaign_id)
    forms, answers, _grid, _worker = collect(campaign)
    headers, rows = figures.table(forms, answers, lang())
    names, homes = display_names(), _homes(answers)
    grids = {g["id"]: g["name"] for g in grids_in_scope()}
    columns = [Column("ID", 22), Column(t("grid"), 12), Column(t("address"), 24),
               Column(t("worker"), 10), Column(t("campaign.answered_at"), 17),
               Column(t("campaign.channel"), 8), Column(t("campaign.form"), 8)]
    columns += [Column(h, 16) for h in headers]
    body = ([r["_id"], grids.get(r["grid"], r["grid"]), homes.get(r.get("household"), ""),
             names.get(r["worker"], r["worker"]), local_time(r.get("answered_at")),
             label("channel", r.get("channel")), r["form"].rsplit(":", 1)[-1], *r["cells"]]
            for r in rows)
    audit("export", "campaign_answers", format=fmt, campaign=campaign_id)
    looked("export", None, kind="campaign_answers", format=fmt, filters={"campaign": campaign_id})
    now = datetime.now(tz())
    by = f"{display_names().get(current_user.name, current_user.name)} ({current_user.name})"
    stream = (stream_with_context(csv_body(columns, body)) if fmt == "csv"
              else xlsx_body("answers", columns, body, exported=(by, now)))
    response = Response(stream, mimetype=FORMATS[fmt])
    key = campaign_id.rsplit(":", 1)[-1]
    response.headers["Content-Disposition"] = (
        f'attachment; filename="gridvisit-campaign-{key}-{now.strftime("%Y%m%d-%H%M")}-{current_user.name}.{fmt}"')
    response.headers["X-Gridvisit-Exported-By"] = current_user.name
    return response
