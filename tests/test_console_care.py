"""The console's side of the care loop (issue 9), in process (Flask test
client, real SQLite): referrals on the requests board, satisfaction,
notices and their read receipts, early warnings on a visit, and the rule
set's admin page — each with who may see and do what.

Same app as ``test_console.py``: community c1 (grids g1, g2) with
supervisor s1 and worker w1, community c2 (grid g3) with supervisor s2 and
worker w3.
"""

import json
import re
from datetime import datetime, timedelta

import pytest

from tests import fielddocs as fd
from tests.api import PASSWORD, Couch
from tests.console_client import browser_for, console_app, field_db, write  # noqa: F401
from tests.console_client import ago, audit_rows, notice_docs, publish_notice
from server.services import services


def referral(grid, hh, urgency, opened, target="hospital", by="w1", **extra):
    """A referral request opened ``opened`` (a timedelta) ago."""
    doc = fd.request_doc(grid, hh, by=by, kind="referral", status="referred", urgency=urgency,
                         target=target, detail="血氧偏低，建议转诊", sla="plan_2d",
                         opened_at=ago(seconds=opened.total_seconds()),
                         status_times={"referred": ago(seconds=opened.total_seconds())})
    doc.update(extra)
    return doc


def _board_ids(browser, query=""):
    return re.findall(r'data-id="(request:[^"]+)"', browser.text("/console/requests" + query))


# -- referrals ------------------------------------------------------------

def test_referrals_board_orders_open_referrals_by_urgency_then_age(console_app):
    docs = [referral("g1", "h1", "high", timedelta(hours=30)),
            referral("g1", "h1", "urgent", timedelta(hours=2), target="family_doctor",
                     target_name="王医生"),
            referral("g2", "h2", "urgent", timedelta(hours=20)),
            referral("g1", "h1", "low", timedelta(days=3)),
            referral("g3", "h3", "urgent", timedelta(hours=1), by="w3")]
    write(console_app, docs)
    s1 = browser_for(console_app, "s1")
    assert _board_ids(s1, "?kind=referral") == [docs[2]["_id"], docs[1]["_id"], docs[0]["_id"],
                                                 docs[3]["_id"]]
    page = s1.text("/console/requests?kind=referral")
    assert "家庭医生 · 王医生" in page and "医院" in page and "已等待" in page
    assert "已转诊" in page and "已接收" in page and "待受理" not in page   # referral statuses
    everything = _board_ids(s1)
    assert set(everything) > {d["_id"] for d in docs[:4]}                  # plus the g1 need
    assert not [i for i in everything if i.startswith("request:g3")]
    assert _board_ids(browser_for(console_app, "s2"), "?kind=referral") == [docs[4]["_id"]]
    assert _board_ids(s1, "?kind=nonsense") == everything                  # unknown: no filter
    csv = s1.get("/console/exports/requests.csv?kind=referral").get_data(as_text=True)
    assert csv.count("\n") == 5 and "王医生" in csv


def test_a_supervisor_moves_a_referral_forward_and_records_satisfaction(console_app):
    doc = referral("g1", "h1", "urgent", timedelta(hours=3))
    write(console_app, [doc])
    s1, url = browser_for(console_app, "s1"), f"/console/requests/{doc['_id']}/status"
    for status in ("accepted", "seen"):
        assert s1.post(url, {"status": status}).status_code == 302
    stored = field_db(console_app).get(doc["_id"])
    assert stored["status"] == "seen" and set(stored["status_times"]) == {
        "referred", "accepted", "seen"}
    assert stored["stamps"]["status"][1] == "console:s1" and stored["updated_by"] == "s1"
    back = s1.post(url, {"status": "accepted"})
    assert back.status_code == 400 and "status" in back.get_data(as_text=True)
    wrong = s1.post(url, {"status": "in_progress"})
    assert wrong.status_code == 400 and "status" in wrong.get_data(as_text=True)
    early = s1.post(url, {"status": "seen", "satisfaction": "satisfied"})
    assert early.status_code == 400 and "satisfaction" in early.get_data(as_text=True)
    bogus = s1.post(url, {"status": "closed", "satisfaction": "thrilled"})
    assert bogus.status_code == 400 and "satisfaction" in bogus.get_data(as_text=True)
    assert field_db(console_app).get(doc["_id"])["status"] == "seen"       # nothing changed
    done = s1.post(url, {"status": "closed", "satisfaction": "basically_satisfied",
                         "satisfaction_comment": "转诊及时，等候时间稍长"})
    assert done.status_code == 302
    stored = field_db(console_app).get(doc["_id"])
    assert (stored["status"], stored["satisfaction"], stored["satisfaction_comment"]) == (
        "closed", "basically_satisfied", "转诊及时，等候时间稍长")
    assert "closed" in stored["status_times"] and stored["satisfaction_at"]
    again = s1.post(url, {"status": "closed", "satisfaction": "dissatisfied"})
    assert again.status_code == 400 and "satisfaction" in again.get_data(as_text=True)
    entry = audit_rows(console_app, "request.status")[0]
    assert entry["detail"]["satisfaction"] == "basically_satisfied" and entry["user"] == "s1"
    done_page = s1.text("/console/requests?show=done&kind=referral")
    assert "基本满意" in done_page and doc["_id"] in done_page


def test_the_workers_satisfaction_is_kept_and_another_community_is_out_of_reach(console_app):
    mine = fd.request_doc("g1", "h1", by="w1", status="closed", satisfaction="satisfied",
                          satisfaction_at=ago(minutes=3),
                          status_times={"closed": ago(minutes=3)})
    theirs = referral("g3", "h3", "urgent", timedelta(hours=1), by="w3")
    write(console_app, [mine, theirs])
    s1 = browser_for(console_app, "s1")
    refused = s1.post(f"/console/requests/{mine['_id']}/status",
                      {"status": "closed", "satisfaction": "dissatisfied"})
    assert refused.status_code == 400
    assert field_db(console_app).get(mine["_id"])["satisfaction"] == "satisfied"
    before = field_db(console_app).info()["update_seq"]
    assert s1.post(f"/console/requests/{theirs['_id']}/status",
                   {"status": "accepted"}).status_code == 404
    assert field_db(console_app).info()["update_seq"] == before


def test_dashboard_shows_satisfaction_per_grid_and_kind_in_scope(console_app):
    answers = [("g1", "medicine", "satisfied"), ("g1", "medicine", "dissatisfied"),
               ("g1", "repair", "basically_satisfied"), ("g2", "medicine", "satisfied"),
               ("g1", "repair", None), ("g3", "medicine", "dissatisfied")]
    docs = []
    for grid, kind, answer in answers:
        extra = {"satisfaction": answer, "satisfaction_at": ago(minutes=2)} if answer else {}
        docs.append(fd.request_doc(grid, "h", by="w1", kind=kind, status="closed", **extra))
    write(console_app, docs)
    page = browser_for(console_app, "s1").text("/console/dashboard")
    section = page[page.index('id="satisfaction"'):]
    grid_rows = dict(re.findall(r'<tr data-key="(g\d)">(.*?)</tr>', section, re.S))
    assert set(grid_rows) == {"g1", "g2"}                                 # not g3
    cells = lambda row: re.findall(r'<td class="num[^"]*">([^<]*)</td>', row)  # noqa: E731
    assert cells(grid_rows["g1"]) == ["1", "1", "1", "1", "66.7%"]
    assert cells(grid_rows["g2"]) == ["1", "0", "0", "0", "100.0%"]
    kinds = section[section.index('id="satisfaction-kind"'):]
    medicine = re.search(r'<tr data-key="medicine">(.*?)</tr>', kinds, re.S).group(1)
    assert cells(medicine) == ["2", "0", "1", "0", "66.7%"]
    assert "满意率" in section


# -- notices ---------------------------------------------------------------


def test_a_supervisor_publishes_one_notice_document_per_grid(console_app):
    s1 = browser_for(console_app, "s1")
    resp = publish_notice(s1, "community:c1", expires_at=(datetime.now(fd.CST) + timedelta(days=2))
                    .strftime("%Y-%m-%dT%H:%M"))
    assert resp.status_code == 302
    docs = notice_docs(console_app)
    assert sorted(d["grid"] for d in docs) == ["g1", "g2"]
    assert len({d["_id"].rsplit(":", 1)[1] for d in docs}) == 1            # one shared uuid
    assert {d["audience"]["kind"] for d in docs} == {"community"}
    assert all(d["published_by"] == "s1" and d["priority"] == "urgent" and d["expires_at"]
               for d in docs)
    entry = audit_rows(console_app, "notice.publish")[0]
    assert entry["detail"]["grids"] == ["g1", "g2"] and entry["user"] == "s1"
    worker = Couch(console_app, auth=("w1", PASSWORD))
    pulled = [r["id"] for r in worker.get("field/_changes").get_json()["results"]]
    assert [i for i in pulled if i.startswith("notice:")] == [d["_id"] for d in docs
                                                              if d["grid"] == "g1"]
    assert publish_notice(s1, "everyone").status_code == 302
    assert publish_notice(s1, "grid:g2", priority="normal").status_code == 302
    by_uuid = {}
    for doc in notice_docs(console_app):
        by_uuid.setdefault(doc["_id"].rsplit(":", 1)[1], set()).add(doc["grid"])
    assert sorted(map(sorted, by_uuid.values())) == [["g1", "g2"], ["g1", "g2"], ["g2"]]


def test_a_notice_carries_the_publishers_display_name_for_the_tablets(console_app):
    ext = services(console_app)
    ext.accounts.create("s9", PASSWORD, "supervisor", "石佳")
    ext.directory.assign("s9", community="c1")
    assert publish_notice(browser_for(console_app, "s9"), "grid:g1").status_code == 302
    assert publish_notice(browser_for(console_app, "s1"), "grid:g1").status_code == 302
    names = {d["published_by"]: d.get("published_by_name") for d in notice_docs(console_app)}
    assert names == {"s9": "石佳", "s1": None}           # s1 has no display name


def test_an_admin_publishes_to_every_grid(console_app):
    admin = browser_for(console_app, "admin")
    assert publish_notice(admin, "everyone").status_code == 302
    assert sorted(d["grid"] for d in notice_docs(console_app)) == ["g1", "g2", "g3"]
    assert publish_notice(admin, "community:c2").status_code == 302
    assert sorted(d["grid"] for d in notice_docs(console_app)) == ["g1", "g2", "g3", "g3"]


@pytest.mark.parametrize("audience, status", [
    ("grid:g3", 403), ("community:c2", 403), ("grid:nope", 403), ("galaxy:far", 400),
    ("", 400), ("everyone:x", 400)])
def test_a_supervisor_cannot_publish_outside_their_communities(console_app, audience, status):
    resp = publish_notice(browser_for(console_app, "s1"), audience)
    assert resp.status_code == status
    assert "audience" in resp.get_data(as_text=True)
    assert notice_docs(console_app) == []


@pytest.mark.parametrize("fields, field", [
    ({"title": "  "}, "title"), ({"title": "长" * 101}, "title"), ({"body": ""}, "body"),
    ({"priority": "whenever"}, "priority"), ({"expires_at": "tomorrow"}, "expires_at"),
    ({"expires_at": "2020-01-01T08:00"}, "expires_at")])
def test_bad_notices_are_refused_naming_the_field(console_app, fields, field):
    resp = publish_notice(browser_for(console_app, "s1"), "grid:g1", **fields)
    assert resp.status_code == 400
    assert field in resp.get_data(as_text=True)
    assert notice_docs(console_app) == []


def _receipt(app, notice_id, reader, minutes_ago):
    grid = notice_id.split(":")[1]
    doc = {"_id": f"receipt:{grid}:{reader}{minutes_ago}", "type": "receipt", "schema": 2,
           "grid": grid, "updated_at": ago(minutes=minutes_ago), "updated_by": reader,
           "notice": notice_id, "reader": reader, "read_at": ago(minutes=minutes_ago)}
    resp = Couch(app, auth=(reader, PASSWORD)).post("field/_bulk_docs", json={"docs": [doc]})
    assert "ok" in resp.get_json()[0], resp.get_json()


def test_notice_list_shows_who_read_it_once_at_their_earliest_time(console_app):
    s1 = browser_for(console_app, "s1")
    assert publish_notice(s1, "community:c1").status_code == 302
    g1_doc = next(d for d in notice_docs(console_app) if d["grid"] == "g1")
    _receipt(console_app, g1_doc["_id"], "w1", 30)
    _receipt(console_app, g1_doc["_id"], "w1", 5)                          # a second tablet
    page = s1.text("/console/notices")
    key = g1_doc["_id"].rsplit(":", 1)[1]
    row = re.search(rf'<tr data-uuid="{key}".*?</tr>', page, re.S).group(0)
    assert "寒潮预警" in row and "2个网格" in row and "紧急" in row
    assert re.search(r"<b>1</b> / 1 人已读", row)
    first = datetime.fromisoformat(ago(minutes=30)).strftime("%H:%M")
    assert row.count("<li>") == 1 and first in row
    assert key not in browser_for(console_app, "s2").text("/console/notices")


def test_expired_notices_are_shown_as_such(console_app):
    admin = browser_for(console_app, "admin")
    assert publish_notice(admin, "grid:g1").status_code == 302
    doc = notice_docs(console_app)[0]
    doc.update(published_at=ago(days=3), expires_at=ago(days=1))
    write(console_app, [doc])
    row = re.search(r'<tr data-uuid="[^"]+" class="expired">.*?</tr>',
                    browser_for(console_app, "s1").text("/console/notices"), re.S)
    assert row and "已过期" in row.group(0)


def test_withdraw_deletes_the_notice_only_for_whoever_covers_it(console_app):
    s1, s2 = browser_for(console_app, "s1"), browser_for(console_app, "s2")
    assert publish_notice(s1, "community:c1").status_code == 302
    key = notice_docs(console_app)[0]["_id"].rsplit(":", 1)[1]
    assert s2.post(f"/console/notices/{key}/withdraw").status_code == 404
    assert s1.post("/console/notices/no:such/withdraw").status_code == 404
    assert len(notice_docs(console_app, key)) == 2
    assert s1.post(f"/console/notices/{key}/withdraw").status_code == 302
    assert notice_docs(console_app, key) == []
    assert key not in s1.text("/console/notices")
    assert audit_rows(console_app, "notice.withdraw")[0]["detail"]["grids"] == ["g1", "g2"]
    admin = browser_for(console_app, "admin")
    assert publish_notice(admin, "everyone").status_code == 302
    wide = notice_docs(console_app)[0]["_id"].rsplit(":", 1)[1]
    assert s1.post(f"/console/notices/{wide}/withdraw").status_code == 403
    assert len(notice_docs(console_app, wide)) == 3
    assert admin.post(f"/console/notices/{wide}/withdraw").status_code == 302
    assert notice_docs(console_app, wide) == []


def test_workers_have_no_console_and_supervisors_no_rules_page(console_app):
    from tests.console_client import Browser
    assert Browser(console_app).login("w1").status_code == 401
    s1 = browser_for(console_app, "s1")
    assert s1.get("/console/admin/rules").status_code == 403
    assert s1.post("/console/admin/rules", {"rules": "[]", "version": "1"}).status_code == 403
    assert "预警规则" not in s1.text("/console/notices")                   # no nav link


# -- early warnings on a visit ------------------------------------------------

REASON = "血氧饱和度低于 93%，有重症倾向，建议尽快转诊"


def test_visit_page_shows_warnings_decisions_and_the_servers_evaluation(console_app):
    agreed = fd.visit("g1", "h1", by="w1", vid="warned", colour_after="red",
                      colour_reason="血氧偏低", rules_version=1,
                      checks=[{"member": "m1", "temperature": 36.6, "spo2": 90}],
                      warnings=[{"rule": "spo2-low", "member": "m1", "colour": "red",
                                 "referral": "hospital", "reason": REASON,
                                 "decision": "accepted"}])
    differs = fd.visit("g1", "h1", by="w1", vid="fever", colour_after="yellow",
                       colour_reason="发热", rules_version=1,
                       checks=[{"member": "m1", "temperature": 39.4}],
                       warnings=[{"rule": "fever", "member": "m1", "colour": "yellow",
                                  "reason": "发热 37.3 °C 以上，请明天复访",
                                  "decision": "overridden",
                                  "override_reason": "刚运动完，十分钟后复测正常"}])
    write(console_app, [agreed, differs])
    s1 = browser_for(console_app, "s1")
    page = s1.text(f"/console/visits/{agreed['_id']}")
    assert "预警提示" in page and "采纳" in page and REASON in page
    assert 'id="warnings-agree"' in page and 'id="warnings-differ"' not in page
    page = s1.text(f"/console/visits/{differs['_id']}")
    assert "不采纳" in page and "刚运动完，十分钟后复测正常" in page
    note = re.search(r'<p class="note" id="warnings-differ">.*?</p>', page, re.S).group(0)
    assert "high-fever-at-risk" in note and "平板未记录" in note
    plain = s1.text("/console/visits/visit:g1:v1")
    assert "平板未记录预警提示" in plain and 'id="warnings-agree"' in plain


# -- the rule set ----------------------------------------------------------------

def _rules_form(browser):
    page = browser.text("/console/admin/rules")
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    return page, version


def test_admin_sees_every_rule_in_words(console_app):
    page, version = _rules_form(browser_for(console_app, "admin"))
    rows = re.findall(r'<tr data-rule="([^"]+)">', page)
    assert rows[:3] == ["spo2-low", "high-fever-at-risk", "fever"] and len(rows) == 6
    assert "血氧 &lt; 93 %" in page
    assert "体温 ≥ 39 °C 且 （年龄 &gt; 65 或 重点人群标签包含慢性病）" in page
    assert "住户颜色 = 红色" in page and "医院" in page and version.isdigit()


def test_saving_rules_checks_them_and_raises_the_version(console_app):
    admin = browser_for(console_app, "admin")
    page, version = _rules_form(admin)
    rules = json.loads(re.search(r'<textarea name="rules"[^>]*>(.*?)</textarea>', page,
                                 re.S).group(1).replace("&#34;", '"').replace("&quot;", '"')
                       .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    broken = admin.post("/console/admin/rules", {"rules": "[{", "version": version})
    assert broken.status_code == 400 and "JSON" in broken.get_data(as_text=True)
    bad = json.loads(json.dumps(rules))
    bad[1]["when"]["all"][0]["op"] = "~"
    bad[2]["colour"] = "purple"
    resp = admin.post("/console/admin/rules", {"rules": json.dumps(bad), "version": version})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "第2条规则（high-fever-at-risk）" in text and "op" in text
    assert "第3条规则（fever）" in text and "colour" in text
    rules[2]["when"]["value"] = 37.5
    resp = admin.post("/console/admin/rules", {"rules": json.dumps(rules), "version": version})
    assert resp.status_code == 302
    saved = field_db(console_app).get("rules:warning")
    assert saved["version"] == int(version) + 1 and saved["rules"][2]["when"]["value"] == 37.5
    assert saved["updated_by"] == "admin"
    assert audit_rows(console_app, "rules.save")[0]["detail"]["version"] == saved["version"]
    stale = admin.post("/console/admin/rules", {"rules": json.dumps(rules), "version": version})
    assert stale.status_code == 409
    page, now = _rules_form(admin)
    assert now == str(saved["version"]) and "37.5 °C" in page
    worker = Couch(console_app, auth=("w1", PASSWORD))
    assert worker.get("field/rules:warning").get_json()["version"] == saved["version"]
