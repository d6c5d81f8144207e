"""The weekly report (周报) as a PDF for the street: A4, Chinese text, charts.

Written with ReportLab (platypus for the flowing pages, its own graphics
for the charts: no browser, no system library beyond a font). The Chinese
font is a TrueType collection (``REPORT_FONT``, Debian's
fonts-wqy-microhei by default) embedded as a subset, so the file prints
anywhere. Tables repeat their header row on each page and never split a
row.
"""

import io
from functools import cache

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from . import weekly
from .i18n import label, t

FONT = "GridvisitCJK"
BLUE = colors.HexColor("#1f4e8c")


@cache
def _font(path):
    """Register the Chinese font once per path.

    :raises OSError: when the font file cannot be read (a setting problem).
    """
    try:
        pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
    except TTFError as err:
        raise OSError(str(err)) from err
    return FONT


def _styles(font):
    base = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=13)
    return {"body": base,
            "title": ParagraphStyle("title", parent=base, fontSize=17, leading=22,
                                    textColor=BLUE, spaceAfter=4),
            "h2": ParagraphStyle("h2", parent=base, fontSize=12.5, leading=17, spaceBefore=10,
                                 spaceAfter=4, textColor=BLUE, keepWithNext=1),
            "muted": ParagraphStyle("muted", parent=base, fontSize=8, textColor=colors.grey)}


def _table(font, header, rows, widths):
    data = [header] + (rows or [[t("none")] + [""] * (len(header) - 1)])
    table = Table(data, colWidths=widths, repeatRows=1, splitByRow=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#b0bac5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("NOSPLIT", (0, 0), (-1, -1)),
    ]))
    return table


def _coverage_chart(font, coverage, grid_names):
    """Bars: share of households covered per grid (%)."""
    drawing = Drawing(170 * mm, 60 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 10 * mm, 150 * mm, 44 * mm
    chart.data = [[r["share"] for r in coverage] or [0]]
    chart.categoryAxis.categoryNames = [grid_names.get(r["grid"], r["grid"])
                                        for r in coverage] or ["—"]
    chart.categoryAxis.labels.fontName = font
    chart.valueAxis.labels.fontName = font
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0, 100, 20
    chart.valueAxis.labelTextFormat = "%d"
    chart.bars[0].fillColor = colors.HexColor("#5b8def")
    drawing.add(chart)
    drawing.add(String(12 * mm, 56 * mm, t("report.coverage") + " (%)", fontName=font,
                       fontSize=9))
    return drawing


def _sla_chart(font, by_sla):
    """Grouped bars per SLA: met, late, overdue."""
    drawing = Drawing(170 * mm, 55 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 12 * mm, 10 * mm, 150 * mm, 38 * mm
    slas = sorted(by_sla) or ["—"]
    chart.data = [[by_sla.get(s, {}).get(key, 0) for s in slas]
                  for key in ("met", "late", "overdue")]
    chart.categoryAxis.categoryNames = [label("slas", s) for s in slas]
    chart.categoryAxis.labels.fontName = font
    chart.valueAxis.labels.fontName = font
    highest = max([n for row in chart.data for n in row] + [1])
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = 0, highest
    chart.valueAxis.valueStep = max(1, -(-highest // 5))       # whole requests on the axis
    chart.valueAxis.labelTextFormat = "%d"
    for n, colour in enumerate(("#2e9d5b", "#e0a800", "#d93025")):
        chart.bars[n].fillColor = colors.HexColor(colour)
    drawing.add(chart)
    legend = " · ".join(f"{word}" for word in (t("sla.met"), t("clock.late"),
                                                 t("clock.overdue")))
    drawing.add(String(12 * mm, 51 * mm, f"{t('report.sla')}: {legend}", fontName=font,
                       fontSize=9))
    return drawing


def pdf(f, font_path, made):
    """The report ``f`` (see ``report.figures``) as PDF bytes.

    :raises OSError: when the font at ``font_path`` cannot be read.
    """
    font = _font(font_path)
    style = _styles(font)
    names, grids = f["names"], f["grid_names"]
    span = f["span"]
    story = [Paragraph(f"{t('report.title')} · {span.start} — {span.end}"
                       + (f" · {f['place_name']}" if f["place"] else ""), style["title"]),
             Paragraph(f"{t('report.made')} {made} · {t('report.rule')}", style["muted"]),
             Paragraph(t("report.coverage"), style["h2"]),
             _coverage_chart(font, f["coverage"], grids),
             _table(font, [t("grid"), t("report.households"), t("report.covered"), "%"]
                    + [label("outcome", o) for o in weekly.OUTCOMES],
                    [[grids.get(r["grid"], r["grid"]), r["households"], r["covered"],
                      f"{r['share']}%"] + [r["outcomes"][o] for o in weekly.OUTCOMES]
                     for r in f["coverage"]], [30 * mm] + [18 * mm] * 7),
             Paragraph(t("report.channels"), style["h2"]),
             Paragraph(t("report.channel_rule"), style["muted"]),
             _table(font, [t("grid")] + [label("channel", c) for c in weekly.CHANNELS],
                    [[grids.get(r["grid"], r["grid"])]
                     + [r["channels"][c] for c in weekly.CHANNELS]
                     for r in f["channels"]["grids"]]
                    + [[t("report.total")]
                       + [f["channels"]["total"][c] for c in weekly.CHANNELS]],
                    [40 * mm] + [25 * mm] * 4),
             Paragraph(t("report.by_worker"), style["h2"]),
             _table(font, [t("grid"), t("worker"), t("report.visits"), label("outcome", "met")],
                    [[grids.get(r["grid"], r["grid"]), names.get(r["worker"], r["worker"] or ""),
                      r["visits"], r["met"]] for r in f["workers"]],
                    [40 * mm, 40 * mm, 30 * mm, 30 * mm]),
             Paragraph(t("report.colours"), style["h2"]),
             _table(font, [t("colour"), t("report.visits_recorded"), t("report.households_now")],
                    [[label("colour", c), n["visits"], n["households"]]
                     for c, n in f["colours"].items()], [30 * mm, 40 * mm, 40 * mm]),
             Paragraph(t("report.red"), style["h2"]),
             _table(font, [t("grid"), t("address"), t("head"), t("reason"), t("report.visits"),
                           t("services")],
                    [[grids.get(r["grid"], r["grid"]),
                      Paragraph(r["address"] or " ".join(x for x in (r["building"], r["unit"],
                                                                     r["room"]) if x),
                                style["body"]),
                      r["head"] or "", Paragraph(r["reason"] or "", style["body"]), r["visits"],
                      Paragraph(r["services"], style["body"])] for r in f["red"]],
                    [20 * mm, 45 * mm, 16 * mm, 45 * mm, 14 * mm, 40 * mm]),
             Paragraph(t("report.sla"), style["h2"]),
             _sla_chart(font, f["requests"]["by_sla"]),
             _table(font, [t("sla"), t("sla.met"), t("clock.late"), t("clock.overdue"),
                           t("report.running")],
                    [[label("slas", s), c["met"], c["late"], c["overdue"], c["running"]]
                     for s, c in sorted(f["requests"]["by_sla"].items())],
                    [40 * mm] + [25 * mm] * 4),
             Spacer(1, 4 * mm),
             Paragraph(t("report.referrals") + "：" + ("，".join(
                 f"{label('rstatus', s)} {n}" for s, n in sorted(
                     f["requests"]["referrals"].items())) or t("none")), style["body"]),
             Paragraph(t("satisfaction") + "：" + "，".join(
                 f"{label('satisfaction', s)} {f['requests']['satisfaction'].get(s, 0)}"
                 for s in ("satisfied", "basically_satisfied", "dissatisfied")), style["body"])]
    out = io.BytesIO()

    def footer(canvas, doc):
        canvas.setFont(font, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawRightString(A4[0] - 12 * mm, 8 * mm, f"{t('report.title')} · {doc.page}")

    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=12 * mm, rightMargin=12 * mm,
                                 topMargin=14 * mm, bottomMargin=14 * mm,
                                 title=f"{t('report.title')} {span.start} — {span.end}",
                                 author="gridvisit", invariant=1)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
