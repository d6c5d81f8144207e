"""The console's campaigns page (专项摸排): a supervisor starts a campaign for
their community and publishes its questions by uploading an XLSForm; a new
spreadsheet is a new version; a broken one is shown back at its sheet, row
and column with nothing written; another community's supervisor can do
nothing with it; a supervisor closes their community's campaign (and opens
it again), an admin any, and its answers and results stay. Flask test
client, real SQLite, spreadsheets made with openpyxl (tests/xlsforms.py)."""

import io
import re

from tests import campaign_docs as cd
from tests.api import PASSWORD, Couch
from tests.console_client import audit_rows, browser_for, console_app, field_db  # noqa: F401
from tests.xlsforms import EVERYTHING, book, q


def start(browser, name="冬季重点人群关爱摸排", place="community:c1"):
    resp = browser.post("/console/campaigns", data={
        "name": name, "place": place, "start": "2026-12-01", "end": "2026-12-31"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:300]
    return resp.headers["Location"].split("#", 1)[1]


def upload(browser, campaign_id, data, file_name="winter.xlsx"):
    return browser.post(f"/console/campaigns/{campaign_id}/forms",
                        data={"xlsform": (io.BytesIO(data), file_name)},
                        content_type="multipart/form-data")


def stored(app, doc_id):
    return field_db(app).get(doc_id)


def test_a_supervisor_starts_a_campaign_and_publishes_two_versions(console_app):
    s1 = browser_for(console_app, "s1")
    campaign_id = start(s1)
    assert re.fullmatch(r"campaign:community:c1:[0-9a-f]{12}", campaign_id)
    assert upload(s1, campaign_id, book(EVERYTHING)).status_code == 302
    form1 = stored(console_app, "form:" + campaign_id[len("campaign:"):] + ":1")
    assert form1["form_version"] == 1 and len(form1["questions"]) == 14
    assert stored(console_app, campaign_id)["form"] == form1["_id"]

    second = EVERYTHING + [q("select_one yn", "card_given", "已发放联系卡", "Contact card given", "yes")]
    assert upload(s1, campaign_id, book(second), "winter-v2.xlsx").status_code == 302
    form2 = stored(console_app, "form:" + campaign_id[len("campaign:"):] + ":2")
    assert form2["questions"][-1]["name"] == "card_given"
    assert stored(console_app, campaign_id)["form"] == form2["_id"]
    assert stored(console_app, form1["_id"])["questions"] == form1["questions"]   # v1 kept
    page = s1.text("/console/campaigns")
    assert "冬季重点人群关爱摸排" in page and "v1" in page and "v2 ✓" in page
    assert [r["target"] for r in audit_rows(console_app, "campaign.form")] == [
        form2["_id"], form1["_id"]]


def test_a_broken_spreadsheet_is_shown_at_its_place_and_nothing_is_written(console_app):
    s1 = browser_for(console_app, "s1")
    campaign_id = start(s1)
    broken = book([q("integer", "a", "甲"), q("text", "b", "乙", relevant="${zz} > 1")])
    resp = upload(s1, campaign_id, broken)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert 'data-sheet="survey" data-row="3" data-column="relevant"' in page
    assert "引用了不存在的题目“zz”" in page
    assert "form" not in stored(console_app, campaign_id)
    assert not [d for d in field_db(console_app).all_docs()["rows"] if d["id"].startswith("form:")]


def test_the_english_page_words_the_problem_in_english(console_app):
    s1 = browser_for(console_app, "s1")
    campaign_id = start(s1)
    s1.get("/console/lang/en")
    page = upload(s1, campaign_id, book([q("geopoint", "where", "位置")])).get_data(as_text=True)
    assert "unsupported question type" in page


def test_another_communitys_supervisor_cannot_see_or_upload(console_app):
    campaign_id = start(browser_for(console_app, "s1"))
    s2 = browser_for(console_app, "s2")
    assert campaign_id not in s2.text("/console/campaigns")
    assert upload(s2, campaign_id, book(EVERYTHING)).status_code == 404
    resp = s2.post("/console/campaigns", data={"name": "越权", "place": "community:c1",
                                               "start": "2026-12-01", "end": "2026-12-31"})
    assert resp.status_code == 400


def test_a_supervisor_may_not_start_a_campaign_for_everyone_but_an_admin_may(console_app):
    s1 = browser_for(console_app, "s1")
    resp = s1.post("/console/campaigns", data={"name": "全区", "place": "*",
                                               "start": "2026-12-01", "end": "2026-12-31"})
    assert resp.status_code == 400
    campaign_id = start(browser_for(console_app, "admin"), "全区摸排", "*")
    assert campaign_id.startswith("campaign:all:")
    assert campaign_id in s1.text("/console/campaigns")          # everyone sees it


def test_uploads_without_the_csrf_token_are_refused(console_app):
    s1 = browser_for(console_app, "s1")
    campaign_id = start(s1)
    resp = s1.post(f"/console/campaigns/{campaign_id}/forms", token=False,
                   data={"xlsform": (io.BytesIO(book(EVERYTHING)), "w.xlsx")},
                   content_type="multipart/form-data")
    assert resp.status_code == 400
    assert "form" not in stored(console_app, campaign_id)


def published(app):
    """A c1 campaign with its form version, written by s1 as a tablet would sync it."""
    camp = cd.campaign("community:c1", channels=["door", "phone"], description="入冬前摸排")
    form = cd.form(camp["_id"])
    camp["form"] = form["_id"]
    for doc in (form, camp):
        assert "ok" in Couch(app, auth=("s1", PASSWORD)).post(
            "field/_bulk_docs", json={"docs": [doc]}).get_json()[0]
    return camp, form


def set_status(browser, campaign_id, status, **kw):
    return browser.post(f"/console/campaigns/{campaign_id}/status", data={"status": status}, **kw)


UNTOUCHED = ("name", "description", "period", "targets", "channels", "status", "form",
             "created_by", "created_at", "grid")


def test_a_supervisor_closes_their_campaign_and_opens_it_again(console_app):
    camp, form = published(console_app)
    s1 = browser_for(console_app, "s1")
    assert 'data-status-to="closed"' in s1.text("/console/campaigns")
    resp = set_status(s1, camp["_id"], "closed")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("#" + camp["_id"])
    closed = stored(console_app, camp["_id"])
    assert closed["status"] == "closed" and closed["closed_by"] == "s1"
    assert closed["closed_at"] == closed["updated_at"] and closed["updated_by"] == "s1"
    assert {k: closed[k] for k in UNTOUCHED if k != "status"} == \
        {k: camp[k] for k in UNTOUCHED if k != "status"}
    page = s1.text("/console/campaigns")
    assert "已结束" in page and 'data-status-to="open"' in page and "s1 于" in page
    assert [r["target"] for r in audit_rows(console_app, "campaign.close")] == [camp["_id"]]

    assert set_status(s1, camp["_id"], "open").status_code == 302
    reopened = stored(console_app, camp["_id"])
    assert reopened["status"] == "open" and "closed_by" not in reopened \
        and "closed_at" not in reopened
    assert {k: reopened[k] for k in UNTOUCHED} == {k: camp[k] for k in UNTOUCHED}
    assert [r["target"] for r in audit_rows(console_app, "campaign.reopen")] == [camp["_id"]]


def test_a_closed_campaign_keeps_its_answers_results_and_export(console_app):
    camp, form = published(console_app)
    s1 = browser_for(console_app, "s1")
    assert set_status(s1, camp["_id"], "closed").status_code == 302
    # an answer given offline before the closing still syncs afterwards
    answer = cd.answer("g1", camp["_id"], form["_id"])
    row = Couch(console_app, auth=("w1", PASSWORD)).post(
        "field/_bulk_docs", json={"docs": [answer]}).get_json()[0]
    assert "ok" in row, row
    assert answer["_id"] in s1.text(f"/console/campaigns/{camp['_id']}/results")
    export = s1.get(f"/console/campaigns/{camp['_id']}/answers.csv")
    assert export.status_code == 200 and answer["_id"] in export.get_data(as_text=True)


def test_another_communitys_supervisor_may_not_close_it_and_is_told_why(console_app):
    camp, _form = published(console_app)
    s2 = browser_for(console_app, "s2")
    for campaign_id in (camp["_id"], "campaign:community:c1:nosuch"):   # same answer: nothing leaks
        resp = set_status(s2, campaign_id, "closed")
        assert resp.status_code == 403
        assert "只有本社区的督导或管理员可以结束或重新开启这项专项摸排" in resp.get_data(as_text=True)
    s2.get("/console/lang/en")
    assert "may close or reopen it" in \
        set_status(s2, camp["_id"], "closed").get_data(as_text=True)
    kept = stored(console_app, camp["_id"])
    assert kept == camp | {"_rev": kept["_rev"]} and kept["_rev"].startswith("1-")


def test_a_supervisor_may_not_close_a_campaign_for_everyone_but_an_admin_may(console_app):
    admin = browser_for(console_app, "admin")
    campaign_id = start(admin, "全区摸排", "*")
    s1 = browser_for(console_app, "s1")
    assert 'data-status-to' not in s1.text("/console/campaigns")
    assert set_status(s1, campaign_id, "closed").status_code == 403
    assert stored(console_app, campaign_id)["status"] == "open"
    assert set_status(admin, campaign_id, "closed").status_code == 302
    assert stored(console_app, campaign_id)["closed_by"] == "admin"
    camp, _form = published(console_app)
    assert set_status(admin, camp["_id"], "closed").status_code == 302   # and any community's
    assert stored(console_app, camp["_id"])["status"] == "closed"


def test_a_bad_status_or_a_missing_token_changes_nothing(console_app):
    camp, _form = published(console_app)
    s1 = browser_for(console_app, "s1")
    resp = set_status(s1, camp["_id"], "paused")
    assert resp.status_code == 400 and "status: 状态须为 open" in resp.get_data(as_text=True)
    assert set_status(s1, camp["_id"], "closed", token=False).status_code == 400
    assert set_status(s1, "household:g1:h1", "closed").status_code == 404
    assert set_status(s1, camp["_id"], "open").status_code == 302        # already open: no write
    assert stored(console_app, camp["_id"])["_rev"].startswith("1-")
