"""Closing the care loop on the tablet (issue 9): early warnings, referrals,
satisfaction, notices and read receipts.

Debian's Chromium against a real gridvisit server seeded with the demo
community, whose rule set (the shipped one and a rule reading the winter
campaign's answers) replicates to the tablet; the server evaluates with the
same. Supervisors' documents (notices, a referral) are written
over HTTP as the supervisor 张伟 would; nothing is faked.
"""

import uuid
from datetime import datetime, timedelta

from rules.warning_rules import evaluate
from server.cli import demo
from tests.browser.care_support import (CST, elder_at_home, eventually, open_visit, page_as,
                                         put_as, ready_tablet, saved_docs)
from tests.browser.conftest import PORTRAIT


# -- (a) offline: SpO2 90 % → warning, red, referral; the supervisor sees it ---

def test_offline_warning_is_accepted_and_the_referral_reaches_the_supervisor(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    hh, elder = elder_at_home(server, "g1")
    rules = demo.demo_rules()                        # the shipped set and the demo's answer rule
    assert server.docs(["rules:warning"])["rules:warning"]["version"] == rules["version"]
    page = tablet.page
    tablet.offline()
    tablet.reload()                                              # from the service worker's cache
    page.wait_for_selector("#status [data-online=false]")
    open_visit(tablet, hh["_id"])
    assert page.locator("#rules-note").is_hidden()             # the rules are here
    block = page.locator(f".check[data-member='{elder['id']}']")
    block.locator(".include").check()
    block.locator("[name=spo2]").fill("90")
    warning = block.locator(".warning[data-warning=spo2-low]")
    warning.wait_for()                                         # at once, no save needed
    text = warning.inner_text()
    assert elder["name"] in text and "血氧饱和度低于 93%" in text and "医院" in text, text
    assert warning.locator(".badge.c-red").count() == 1
    assert page.locator("#warn-pending").inner_text() == "还有 1 条预警待处理"
    page.evaluate("document.querySelector('.warning').scrollIntoView({block: 'center'})")
    tablet.shot("15-visit-warning")

    page.click("#save-visit")                                  # not before it is decided
    page.wait_for_selector("#errors:not([hidden])")
    assert "请处理预警" in page.inner_text("#errors")
    assert saved_docs(tablet, hh["_id"], "visit:") == []

    warning.locator(".warn-accept").click()
    page.wait_for_selector("[data-name=colour_after] [data-value=red][aria-pressed=true]")
    assert "血氧饱和度低于 93%" in page.input_value("[name=colour_reason]")
    assert page.locator("#warn-pending").is_hidden()
    page.click("#save-visit")
    page.wait_for_selector(f"[data-household='{hh['_id']}']")

    [visit] = saved_docs(tablet, hh["_id"], "visit:")
    [referral] = [d for d in saved_docs(tablet, hh["_id"], "request:") if d["kind"] == "referral"]
    assert visit["warnings"] == [{
        "rule": "spo2-low", "member": elder["id"], "colour": "red", "referral": "hospital",
        "reason": rules["rules"][0]["reason"]["zh"], "decision": "accepted"}]
    assert visit["rules_version"] == rules["version"]
    assert visit["colour_after"] == "red"
    assert {k: referral[k] for k in ("target", "urgency", "status", "member", "rule", "visit",
                                     "household")} == {
        "target": "hospital", "urgency": "urgent", "status": "referred", "member": elder["id"],
        "rule": "spo2-low", "visit": visit["_id"], "household": hh["_id"]}
    assert set(referral["status_times"]) == {"referred"} and referral["opened_at"]
    assert {"status", "target", "kind"} <= set(referral["stamps"])
    page.locator(f".request[data-request='{referral['_id']}'][data-status=referred]").wait_for()

    tablet.offline(False)
    tablet.wait_synced()
    on_server = server.docs([visit["_id"], referral["_id"]])
    assert on_server[visit["_id"]]["warnings"] == visit["warnings"]
    assert on_server[referral["_id"]]["status"] == "referred"
    board = page_as(server, "/console/requests?kind=referral")
    assert referral["_id"] in board or referral["detail"] in board
    # The server's own evaluator, on the same visit and household, warns the same.
    at = datetime.fromisoformat(visit["visited_at"])
    mine = evaluate(rules, on_server[visit["_id"]], hh, now=at)["warnings"]
    assert [(w["rule"], w["member"]) for w in mine] == \
        [(w["rule"], w.get("member")) for w in visit["warnings"]]


# -- (b) an override is kept with its reason ----------------------------------

def test_overridden_warning_is_kept_with_its_reason(server, tablets):
    tablet = ready_tablet(tablets, "liqiang", PORTRAIT)
    hh, elder = elder_at_home(server, "g3")
    page = tablet.page
    open_visit(tablet, hh["_id"])
    block = page.locator(f".check[data-member='{elder['id']}']")
    block.locator(".include").check()
    block.locator("[name=temperature]").fill("37.8")
    warning = block.locator(".warning[data-warning=fever]")
    warning.wait_for()
    assert warning.locator(".badge.c-yellow").count() == 1
    warning.locator(".warn-override").click()
    page.click("#save-visit")                                  # an override needs a reason
    page.wait_for_selector("#errors:not([hidden])")
    assert "不采纳预警须填写原因" in page.inner_text("#errors")
    warning.locator("textarea").fill("刚从室外回来，十分钟后复测 36.9 °C")
    block.locator("[name=temperature]").fill("37.9")           # typing on keeps the decision
    assert warning.locator("textarea").input_value().startswith("刚从室外回来")
    page.evaluate("document.querySelector('.warning').scrollIntoView({block: 'center'})")
    tablet.shot("19-visit-warning-portrait")
    page.click("#save-visit")
    page.wait_for_selector(f"[data-household='{hh['_id']}']")
    [visit] = saved_docs(tablet, hh["_id"], "visit:")
    assert visit["colour_after"] == "green"                    # the suggestion was not taken
    assert saved_docs(tablet, hh["_id"], "request:") == []
    tablet.wait_synced()
    [kept] = server.docs([visit["_id"]])[visit["_id"]]["warnings"]
    assert (kept["rule"], kept["decision"], kept["override_reason"], kept["colour"]) == \
        ("fever", "overridden", "刚从室外回来，十分钟后复测 36.9 °C", "yellow")
    tablet.go(f"/visit/{visit['_id']}")
    shown = page.locator("#visit-warnings [data-decision=overridden]").inner_text()
    assert "未采纳" in shown and "刚从室外回来" in shown


# -- (c) a notice reaches only its grid; opening it sends a receipt -----------

def notice(grid, title, priority, published, expires=None, body="请各网格员今晚前完成独居老人电话回访。"):
    """A supervisor's notice document to one grid."""
    doc = {"_id": f"notice:{grid}:{uuid.uuid4()}", "type": "notice", "schema": 2, "grid": grid,
           "updated_at": published.isoformat(), "updated_by": "zhangwei", "title": title,
           "body": body, "priority": priority, "audience": {"kind": "grid", "id": grid},
           "published_by": "zhangwei", "published_at": published.isoformat()}
    if expires:
        doc["expires_at"] = expires.isoformat()
    return doc


def test_notice_reaches_only_its_grid_and_opening_it_sends_a_receipt(server, tablets):
    now = datetime.now(CST)
    older = notice("g1", "本周四下午社区卫生服务中心义诊", "normal", now - timedelta(hours=3),
                   body="周四14:00–17:00在社区活动室义诊，请通知行动不便的老人可预约上门。")
    urgent = notice("g1", "寒潮预警：今晚逐户确认独居老人取暖", "urgent", now - timedelta(minutes=5),
                    body="今晚气温降至零下12度。\n请逐户确认独居老人家中暖气正常，发现异常立即上报。")
    urgent["published_by_name"] = "张伟"
    gone = notice("g1", "已过期的通知", "important", now - timedelta(days=3),
                  expires=now - timedelta(days=1))
    theirs = notice("g3", "网格三：楼道杂物清理", "important", now - timedelta(hours=1))
    for doc in (older, urgent, gone, theirs):
        put_as(server, doc)

    worker = ready_tablet(tablets, "wangfang")
    other = ready_tablet(tablets, "liqiang", PORTRAIT)
    page = worker.page
    page.wait_for_selector("#notices[data-unread='2'] #notice-count:not([hidden])", timeout=60000)
    assert page.inner_text("#notice-count") == "2"
    page.click("#notices")
    page.wait_for_selector("#notices-list .notice-row")
    rows = page.eval_on_selector_all("#notices-list .notice-row",
                                     "rs => rs.map(r => r.dataset.notice)")
    # newest first; the demo's community notice, read yesterday, is last
    assert rows == [urgent["_id"].split(":")[2], older["_id"].split(":")[2], demo.NOTICE_KEY]
    assert page.get_attribute(f"[data-notice='{demo.NOTICE_KEY}']", "data-unread") == "false"
    first = page.locator("#notices-list .notice-row").first
    assert first.locator(".pill-bad[data-priority=urgent]").inner_text() == "紧急"
    assert first.get_attribute("data-unread") == "true"
    worker.shot("16-notices")

    first.click()
    page.wait_for_selector(".notice .notice-body")
    assert "零下12度" in page.inner_text(".notice-body")
    assert "张伟" in page.inner_text(".notice") and "zhangwei" not in page.inner_text(".notice")
    worker.shot("17-notice")
    page.wait_for_selector("#notices[data-unread='1']")
    worker.wait_synced()

    def receipts():
        """The server's receipts of the urgent notice."""
        rows = server.get("/couch/field/_all_docs?include_docs=true&startkey=%22receipt:g1:%22"
                          "&endkey=%22receipt:g1:%EF%BF%B0%22")["rows"]
        return [r["doc"] for r in rows if r["doc"]["notice"] == urgent["_id"]]
    [receipt] = eventually(receipts, what="the receipt on the server")
    assert receipt["reader"] == "wangfang" and receipt["read_at"]
    worker.go("/notices")                                      # opened again: no second receipt
    page.locator(f"[data-notice='{urgent['_id'].split(':')[2]}'][data-unread=false]").click()
    page.wait_for_selector(".notice .notice-body")
    worker.wait_synced()
    assert len(receipts()) == 1

    # 李强 (grid g3) gets his grid's notice and never grid g1's.
    other.page.wait_for_selector("#notices[data-unread='1']", timeout=60000)
    other.page.click("#notices")
    other.page.wait_for_selector("#notices-list .notice-row")
    titles = other.page.eval_on_selector_all("#notices-list .notice-row strong",
                                             "ss => ss.map(s => s.textContent)")
    assert titles[0] == "网格三：楼道杂物清理" and len(titles) == 2     # + the demo's, read
    assert not [i for i in other.local_ids() if i.startswith("notice:g1:")]


# -- (d) closing a referral (and a request) records the resident's satisfaction

def test_closing_a_referral_records_satisfaction(server, tablets):
    hh, elder = elder_at_home(server, "g1")
    opened = datetime.now(CST) - timedelta(hours=2)
    referral = {"_id": f"request:g1:{uuid.uuid4()}", "type": "request", "schema": 2, "grid": "g1",
                "updated_at": opened.isoformat(), "updated_by": "zhangwei", "household": hh["_id"],
                "kind": "referral", "target": "family_doctor", "member": elder["id"],
                "detail": f"{elder['name']}：血压偏高，请家庭医生上门", "urgency": "high",
                "status": "referred", "status_times": {"referred": opened.isoformat()},
                "opened_at": opened.isoformat()}
    put_as(server, referral)
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    tablet.go(f"/hh/{hh['_id']}")
    row = page.locator(f".request[data-request='{referral['_id']}']")
    row.wait_for(timeout=30000)
    assert "转诊至家庭医生" in row.inner_text() and "已转诊" in row.inner_text()
    for status in ("accepted", "seen"):
        row.locator(f".req-step[data-to={status}]").click()
        page.locator(f".request[data-request='{referral['_id']}'][data-status={status}]").wait_for()
    row.locator(".req-step[data-to=closed]").click()
    dialog = page.locator(".dialog-card.satisfaction")
    dialog.locator("[data-answer=yes]").click()                # a satisfaction is required
    assert dialog.locator("#satisfaction-error").is_visible()
    dialog.locator("[data-value=basically_satisfied]").click()
    dialog.locator("textarea").fill("医生来得及时，希望能再来复查一次")
    tablet.shot("18-close-satisfaction")
    dialog.locator("[data-answer=yes]").click()
    page.locator(f"#closed-requests [data-request='{referral['_id']}'] "
                 "[data-satisfaction=basically_satisfied]").wait_for()
    tablet.wait_synced()
    done = server.docs([referral["_id"]])[referral["_id"]]
    assert done["status"] == "closed"
    assert (done["satisfaction"], done["satisfaction_comment"]) == \
        ("basically_satisfied", "医生来得及时，希望能再来复查一次")
    assert set(done["status_times"]) == {"referred", "accepted", "seen", "closed"}
    assert done["satisfaction_at"] == done["status_times"]["closed"]
    assert {"status", "satisfaction", "satisfaction_at"} <= set(done["stamps"])

    # The demo's open request of a red household closes straight away, 满意.
    rows = server.get("/couch/field/_all_docs?include_docs=true&startkey=%22request:g1:%22"
                      "&endkey=%22request:g1:%EF%BF%B0%22")["rows"]
    demo = next(r["doc"] for r in rows if r["doc"]["kind"] != "referral")
    tablet.go(f"/hh/{demo['household']}")
    row = page.locator(f".request[data-request='{demo['_id']}']")
    assert row.locator(".req-step").count() == 1               # a request only closes
    row.locator(".req-step[data-to=closed]").click()
    page.locator(".dialog-card.satisfaction [data-value=satisfied]").click()
    page.locator(".dialog-card.satisfaction [data-answer=yes]").click()
    page.locator(f"#closed-requests [data-request='{demo['_id']}']").wait_for()
    tablet.wait_synced()
    closed = server.docs([demo["_id"]])[demo["_id"]]
    assert (closed["status"], closed["satisfaction"]) == ("closed", "satisfied")
    assert "satisfaction_comment" not in closed
