"""A campaign's results on the console (issue 20, item 5): progress by grid
and worker, the answers as a table with one column per question and a
repeat's questions once per entry, the counts of select questions, and the
CSV/XLSX export with the exporters' safeguards; another community's
supervisor sees none of it, a bad format is a 400 naming it. Flask test
client, real SQLite, a form made with openpyxl (tests/xlsforms.py)."""

import csv
import io

import openpyxl

from tests.console_client import browser_for, console_app, write  # noqa: F401
from tests.fielddocs import stamp_time
from tests.xlsforms import EVERYTHING, book


def start(browser, name="冬季重点人群关爱摸排"):
    """Start a c1 campaign on the console; its id."""
    resp = browser.post("/console/campaigns", data={
        "name": name, "place": "community:c1", "start": "2026-12-01", "end": "2026-12-31"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return resp.headers["Location"].split("#", 1)[1]


def upload(browser, campaign_id, data):
    """Upload an XLSForm as the campaign's next form version."""
    return browser.post(f"/console/campaigns/{campaign_id}/forms",
                        data={"xlsform": (io.BytesIO(data), "winter.xlsx")},
                        content_type="multipart/form-data")


def answer(campaign_id, grid, key, values, household=None, worker="w1", channel="door"):
    """An answer document as a tablet writes it."""
    at = stamp_time(30)
    doc = {"_id": f"answer:{grid}:{key}", "type": "answer", "schema": 2, "grid": grid,
           "campaign": campaign_id, "form": "form:" + campaign_id[len("campaign:"):] + ":1",
           "channel": channel, "worker": worker, "answered_at": at, "values": values,
           "updated_at": at, "updated_by": worker, "device": "tablet-1"}
    if household:
        doc["household"] = household
    return doc


def campaign_with_answers(app):
    """A c1 campaign with its form and two answers (a household of g1 with two
    members, a phone contact in g2); its id."""
    s1 = browser_for(app, "s1")
    campaign_id = start(s1)
    assert upload(s1, campaign_id, book(EVERYTHING)).status_code == 302
    write(app, [
        answer(campaign_id, "g1", "a1", {
            "heating": "yes", "medicine_days": 5, "needs": ["medicine", "doctor"], "needs_count": "2",
            "contact_name": "=HYPERLINK(\"http://x\")",
            "members": [{"member_name": "高德明", "member_age": 81},
                        {"member_name": "李秀兰", "member_age": 78}]}, household="household:g1:h1"),
        answer(campaign_id, "g2", "a2", {"heating": "no", "why_cold": "暖气坏了", "medicine_days": 0,
                                         "contact_name": "王建"}, channel="phone", worker="w2"),
    ])
    return s1, campaign_id


def test_the_results_show_progress_the_answers_and_the_select_counts(console_app):
    s1, campaign_id = campaign_with_answers(console_app)
    page = s1.text(f"/console/campaigns/{campaign_id}/results")
    assert 'data-grid="g1" data-total="1" data-done="1"' in page
    assert 'data-grid="g2" data-total="1" data-done="0"' in page       # a contact is no household
    assert 'data-worker="w1"' in page and 'data-worker="w2"' in page
    assert page.count('class="answer"') == 2
    assert "家庭成员[1] 姓名" in page and "家庭成员[2] 姓名" in page and "李秀兰" in page
    assert '<figure class="select-count" data-question="needs">' in page
    assert 'data-choice="medicine" data-n="1"' in page
    assert 'data-question="heating"' in page
    assert f'href="/console/campaigns/{campaign_id}/results"' in s1.text("/console/campaigns")


def test_the_answers_export_as_csv_and_xlsx_with_formulas_neutralised(console_app):
    s1, campaign_id = campaign_with_answers(console_app)
    resp = s1.get(f"/console/campaigns/{campaign_id}/answers.csv")
    assert resp.status_code == 200 and resp.headers["X-Gridvisit-Exported-By"] == "s1"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    assert "家庭成员[2] 年龄" in header and len(rows) == 3
    first = dict(zip(header, rows[1]))
    assert first["姓名"].startswith("'=")                  # a typed formula stays text
    assert first["家庭成员[2] 年龄"] == "78"
    resp = s1.get(f"/console/campaigns/{campaign_id}/answers.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(resp.get_data())).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == header and len(values) == 3


def test_another_community_and_bad_input_get_clear_answers(console_app):
    _s1, campaign_id = campaign_with_answers(console_app)
    s2 = browser_for(console_app, "s2")
    assert s2.get(f"/console/campaigns/{campaign_id}/results").status_code == 404
    assert s2.get(f"/console/campaigns/{campaign_id}/answers.csv").status_code == 404
    admin = browser_for(console_app, "admin")
    resp = admin.get(f"/console/campaigns/{campaign_id}/answers.pdf")
    assert resp.status_code == 400 and "csv" in resp.get_data(as_text=True)
    resp = admin.get("/console/campaigns/not-a-campaign/results")
    assert resp.status_code == 404 and "campaign" in resp.get_data(as_text=True)


def test_the_weekly_report_lists_open_campaigns_with_their_progress(console_app):
    s1, campaign_id = campaign_with_answers(console_app)
    page = s1.text("/console/report?from=2026-12-01&to=2026-12-07")
    assert f'data-campaign="{campaign_id}" data-total="2" data-done="1"' in page
    resp = s1.get("/console/report.xlsx?from=2026-12-01&to=2026-12-07")
    book_ = openpyxl.load_workbook(io.BytesIO(resp.get_data()))
    assert [row[0].value for row in book_["进行中的专项摸排"].iter_rows()][1] == "冬季重点人群关爱摸排"
    assert "report-campaigns" not in s1.text("/console/report?from=2025-01-01&to=2025-01-07") or \
        'data-campaign=' not in s1.text("/console/report?from=2025-01-01&to=2025-01-07")
