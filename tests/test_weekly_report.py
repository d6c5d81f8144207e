"""The weekly report (周报): for a date range and a community, visits by grid
and worker, coverage, colours, red households and what was done, requests
by SLA met or missed, referrals by status and satisfaction, coverage by
channel (met visits not rejected, a household once per channel) — a page, an
XLSX opened with openpyxl, a PDF, never another community's figures; every console
page prints without its navigation."""

import io
import re
from datetime import datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook

from server.services import services
from tests import fielddocs as fd, pdftext
from tests.api import PASSWORD
from tests.console_client import browser_for, console_app, write  # noqa: F401


def seeded(app):
    ext = services(app)
    ext.directory.put_grid("g1", "一网格", "c1")
    ext.accounts.create("w7", PASSWORD, "worker", display_name="李娜")
    ext.directory.assign("w7", grid="g1")
    past = (datetime.now(fd.CST) - timedelta(hours=3)).isoformat(timespec="seconds")
    write(app, [fd.household("g1", "r1", colour="red"),
                fd.visit("g1", "r1", by="w7", colour_after="red",
                         colour_reason="独居老人，需要关注", services=["送药上门"]),
                fd.visit("g1", "h1", by="w7", outcome="not_home", checks=[]),
                fd.request_doc("g1", "h1", by="w7", opened_at=past),
                fd.request_doc("g1", "h1", by="w7", kind="referral", status="referred",
                               target="family_doctor", sla="plan_2d"),
                fd.request_doc("g1", "h1", by="w7", status="closed", satisfaction="satisfied",
                               satisfaction_at=fd.stamp_time(2))])
    return browser_for(app, "s1")


def test_the_weekly_report_page_holds_the_communitys_figures(console_app):
    s1 = seeded(console_app)
    page = s1.text("/console/report?place=community:c1")
    coverage = page.split('id="report-coverage"')[1].split("</section>")[0]
    assert "一网格" in coverage and "g3" not in coverage
    workers = page.split('id="report-workers"')[1].split("</section>")[0]
    assert re.search(r"<td>一网格</td><td>李娜</td><td>2</td><td>1</td>", workers)
    red = page.split('id="report-red"')[1].split("</section>")[0]
    assert "3号楼 2单元 r1" in red and "送药上门" in red
    sla = page.split('data-sla="fix_20m"')[1].split("</tr>")[0]
    assert re.findall(r"<td>(\d+)</td>", sla)[2] == "1"                # overdue
    assert "已转诊 1" in page and "满意 1" in page
    assert "演乐社区" not in page.split('name="place"')[1].split("</select>")[0]


def test_the_weekly_report_xlsx_opens_with_one_sheet_per_table(console_app):
    s1 = seeded(console_app)
    resp = s1.get("/console/report.xlsx?place=community:c1")
    assert resp.status_code == 200 and "gridvisit-weekly-" in resp.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames == ["按网格和网格员的走访", "走访覆盖与结果", "按联系方式覆盖（户）",
                               "红色住户及处置", "诉求时限（期间内受理）", "进行中的专项摸排"]
    rows = list(book["按网格和网格员的走访"].iter_rows(values_only=True))
    assert rows[0] == ("网格", "网格员", "走访次数", "见面") and ("一网格", "李娜", 2, 1) in rows
    assert book["走访覆盖与结果"].freeze_panes == "A2"
    assert services(console_app).audit.list(action="export")[0]["target"] == "report"


def test_the_report_refuses_bad_spans_and_other_communities(console_app):
    s1 = seeded(console_app)
    for query in ("from=2026-13-01", "from=2026-12-10&to=2026-12-01",
                  "from=2026-01-01&to=2026-12-31"):
        resp = s1.get(f"/console/report?{query}")
        assert resp.status_code == 400 and "from/to" in resp.get_data(as_text=True), query
    admin = browser_for(console_app, "admin")
    street = admin.text("/console/report?place=street:s")
    assert "李娜" in street and "朝阳门街道" in street.split("<h1>")[1].split("</h1>")[0]
    s2 = browser_for(console_app, "s2")
    assert "李娜" not in s2.text("/console/report")
    assert "李娜" not in s2.text("/console/report?place=community:c1")


def test_every_console_page_prints_without_navigation():
    css = (Path(__file__).resolve().parents[1] / "server/static/console/console.css").read_text()
    printing = css.split("@media print")[1]
    assert "header.top" in printing and "display: none" in printing
    assert "thead { display: table-header-group; }" in printing and "size: A4" in css


def test_the_weekly_report_pdf_is_a4_with_chinese_text_and_charts(console_app):
    s1 = seeded(console_app)
    resp = s1.get("/console/report.pdf?place=community:c1")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert resp.data.startswith(b"%PDF") and b"/MediaBox [ 0 0 595.2756 841.8898 ]" in resp.data
    shown = pdftext.text(resp.data)
    for words in ("周报", "走访覆盖与结果", "一网格", "李娜", "3号楼 2单元 r1", "送药上门",
                  "已转诊 1", "满意 1", "20分钟解决"):
        assert words in shown, words
    assert "g3" not in shown and 1 <= pdftext.page_count(resp.data) <= 3
    inline = s1.get("/console/report.pdf?inline=1")
    assert inline.headers["Content-Disposition"].startswith("inline;")
    assert inline.headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    console_app.config["REPORT_FONT"] = "/nonexistent/font.ttc"
    missing = s1.get("/console/report.pdf")
    assert missing.status_code == 400 and "REPORT_FONT" in missing.get_data(as_text=True)


def _channel_row(page, grid):
    part = page.split('id="report-channels"')[1].split("</section>")[0]
    row = part.split(f'data-grid="{grid}"')[1].split("</tr>")[0]
    return [int(n) for n in re.findall(r"<t[dh]>(\d+)</t[dh]>", row)]


def test_coverage_by_channel_counts_met_visits_per_channel_apart(console_app):
    s1 = seeded(console_app)             # h1 (w1) and r1 (w7) met at the door already
    write(console_app, [fd.visit("g1", "h2", by="w7", channel="phone"),
                        fd.visit("g1", "h2", by="w7", channel="phone"),
                        fd.visit("g1", "h2", by="w7", channel="door"),
                        fd.visit("g1", "h3", by="w7", channel="wechat", outcome="not_home",
                                 checks=[]),
                        fd.visit("g1", "h4", by="w7", channel="video", vid="v4")])
    write(console_app, [fd.review("visit:g1:v4", state="rejected")])
    page = s1.text("/console/report?place=community:c1")
    # door: h1, r1 and h2; phone: h2 once for two calls; the not-home WeChat
    # call and the rejected video call cover nobody.
    assert _channel_row(page, "g1") == [3, 1, 0, 0]
    assert _channel_row(page, "") == [3, 1, 0, 0]
    assert "未被驳回" in page.split('id="report-channel-rule"')[1].split("</p>")[0]
    book = load_workbook(io.BytesIO(s1.get("/console/report.xlsx?place=community:c1").data))
    rows = list(book["按联系方式覆盖（户）"].iter_rows(values_only=True))
    assert rows[0] == ("网格", "入户", "电话", "微信", "视频")
    assert ("一网格", 3, 1, 0, 0) in rows and rows[-1] == ("合计", 3, 1, 0, 0)
    shown = pdftext.text(s1.get("/console/report.pdf?place=community:c1").data)
    assert "按联系方式覆盖（户）" in shown and "电话" in shown
    whole = browser_for(console_app, "admin").text("/console/report")   # grids add up
    assert _channel_row(whole, "g3") == [1, 0, 0, 0] and _channel_row(whole, "") == [4, 1, 0, 0]
