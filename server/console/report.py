"""The weekly report page (周报) and its XLSX: for a date range and a
community (or every community the user sees), the visits by grid and
worker, coverage and outcomes, coverage by channel, colours, red households
and what was done, requests by SLA met or missed, referrals by status and
satisfaction, open campaigns (专项摸排) with their progress. The
figures are :mod:`.weekly`'s; the page prints on A4 (``@media print``)."""

from datetime import datetime, timedelta

from flask import Blueprint, Response, current_app, render_template, request

from sync.errors import BadRequest

from . import campaign_results, report_pdf, weekly
from .common import audit, display_names, grids_in_scope, index, scope, tz
from .i18n import label, t
from .sheets import Column, xlsx_book
from .times import parse_day, today

bp = Blueprint("report", __name__)
LONGEST = 92            # days: a quarter at most


def _choice():
    """``(span, place, grids, places)`` from the query string: ``place`` is
    ``("community" | "street", id)`` or None, ``places`` the choices.

    :raises BadRequest: for dates that are not year-month-day, or a span
        that ends before it starts or is longer than a quarter.
    """
    end_text, start_text = request.args.get("to", ""), request.args.get("from", "")
    end = parse_day(end_text) if end_text else today(tz())
    start = parse_day(start_text) if start_text else (end and end - timedelta(days=6))
    if start is None or end is None or end < start or (end - start).days >= LONGEST:
        raise BadRequest(f"from/to: {t('report.bad_span', n=LONGEST)}")
    visible = grids_in_scope()
    places = {"community": {}, "street": {}}
    for grid in visible:
        places["community"].setdefault(grid["community"], grid["community_name"])
        places["street"].setdefault(grid["street"], grid["street_name"])
    kind, _, wanted = request.args.get("place", "").partition(":")
    place = (kind, wanted) if kind in places and wanted else None
    grids = {g["id"] for g in visible if place is None or g[place[0]] == place[1]}
    if scope() is None and place is None:
        grids = None                  # an admin's whole server
    return weekly.Span(start, end, tz()), place, grids, places


def figures():
    """Everything the page and the XLSX show, for the current query string."""
    span, place, grids, places = _choice()
    conn = index()
    return {"span": span, "place": place, "places": places,
            "place_name": places[place[0]].get(place[1], place[1]) if place else "",
            "workers": weekly.visits_by_worker(conn, grids, span),
            "coverage": weekly.coverage(conn, grids, span),
            "channels": weekly.channel_coverage(conn, grids, span),
            "colours": weekly.colours(conn, grids, span),
            "red": weekly.red_households(conn, grids, span),
            "requests": weekly.requests(conn, grids, span, current_app.config),
            "campaigns": campaign_results.open_campaigns(grids, span),
            "names": display_names(),
            "grid_names": {g["id"]: g["name"] for g in grids_in_scope()}}


@bp.get("/report")
def page():
    """The weekly report for the chosen range and community."""
    return render_template("console/report.html", **figures(),
                           made=datetime.now(tz()).isoformat(timespec="minutes"))


def _sheets(f):
    names, grids = f["names"], f["grid_names"]
    yield t("report.by_worker"), [Column(t("grid"), 14), Column(t("worker"), 12),
                                  Column(t("report.visits"), 10), Column(t("outcome.met"), 10)], [
        [grids.get(r["grid"], r["grid"]), names.get(r["worker"], r["worker"] or ""),
         r["visits"], r["met"]] for r in f["workers"]]
    yield t("report.coverage"), [Column(t("grid"), 14), Column(t("report.households"), 10),
                                 Column(t("report.covered"), 10), Column("%", 6)] + [
        Column(label("outcome", o), 10) for o in weekly.OUTCOMES], [
        [grids.get(r["grid"], r["grid"]), r["households"], r["covered"], r["share"]]
        + [r["outcomes"][o] for o in weekly.OUTCOMES] for r in f["coverage"]]
    by_channel = f["channels"]
    yield t("report.channels"), [Column(t("grid"), 14)] + [
        Column(label("channel", c), 10) for c in weekly.CHANNELS], [
        [grids.get(r["grid"], r["grid"])] + [r["channels"][c] for c in weekly.CHANNELS]
        for r in by_channel["grids"]] + [
        [t("report.total")] + [by_channel["total"][c] for c in weekly.CHANNELS]]
    yield t("report.red"), [Column(t("grid"), 14), Column(t("address"), 24),
                            Column(t("head"), 10), Column(t("reason"), 24),
                            Column(t("report.visits"), 8), Column(t("services"), 30)], [
        [grids.get(r["grid"], r["grid"]), r["address"] or " ".join(
            x for x in (r["building"], r["unit"], r["room"]) if x), r["head"] or "",
         r["reason"] or "", r["visits"], r["services"]] for r in f["red"]]
    yield t("report.sla"), [Column(t("sla"), 16), Column(t("sla.met"), 10),
                            Column(t("clock.late"), 10), Column(t("clock.overdue"), 10),
                            Column(t("report.running"), 10)], [
        [label("slas", sla), c["met"], c["late"], c["overdue"], c["running"]]
        for sla, c in sorted(f["requests"]["by_sla"].items())]
    yield t("campaign.open_campaigns"), [Column(t("campaign.name"), 24), Column(t("campaign.start"), 12),
                                         Column(t("campaign.end"), 12), Column(t("campaign.targeted"), 12),
                                         Column(t("campaign.done"), 10), Column(t("campaign.answers"), 10)], [
        [c["name"], c["start"], c["end"], c["total"], c["done"], c["answers"]] for c in f["campaigns"]]


@bp.get("/report.pdf")
def printable():
    """The weekly report as an A4 PDF with charts, to send to the street.

    :raises BadRequest: naming REPORT_FONT when the font cannot be read.
    """
    f = figures()
    made = datetime.now(tz()).isoformat(timespec="minutes")
    try:
        body = report_pdf.pdf(f, current_app.config["REPORT_FONT"], made)
    except OSError as err:
        raise BadRequest(f"REPORT_FONT: 无法读取中文字体 / cannot read the Chinese font "
                         f"({err})")
    audit("export", "report", format="pdf", start=f["span"].start.isoformat(),
          end=f["span"].end.isoformat(), place=":".join(f["place"] or ()))
    response = Response(body, mimetype="application/pdf")
    how = "inline" if request.args.get("inline") == "1" else "attachment"
    response.headers["Content-Disposition"] = (
        f'{how}; filename="gridvisit-weekly-{f["span"].start}-{f["span"].end}.pdf"')
    return response


@bp.get("/report.xlsx")
def workbook():
    """The weekly report as XLSX, one sheet per table."""
    f = figures()
    audit("export", "report", format="xlsx", start=f["span"].start.isoformat(),
          end=f["span"].end.isoformat(), place=":".join(f["place"] or ()))
    response = Response(xlsx_book(list(_sheets(f))),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="gridvisit-weekly-{f["span"].start}-{f["span"].end}.xlsx"')
    return response
