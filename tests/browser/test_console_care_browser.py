"""The care loop in the console, in Debian's Chromium (Playwright), against a
real ``gridvisit serve`` holding the lived-in demo community
(``tests/console_data``).

1. 张伟 (zhangwei, supervisor) takes the urgent referral through 已接收 to
   closed, recording the resident's satisfaction, and publishes a notice
   to one grid; the server then holds the closed referral and one notice
   document.
2. The admin raises a rule's threshold in the JSON editor; the table shows
   it in words and the version goes up.
3. Screenshots of the new pages go to console-*.png (``make screenshots`` refreshes
   docs/screenshots/).
"""

import base64
import json
import urllib.request

from server.cli import demo

from tests.browser.console_support import console_server, page, shot, sign_in  # noqa: F401


def _get(server, path):
    req = urllib.request.Request(server.extra["base"] + path)
    token = base64.b64encode(b"root:root-secret").decode()
    req.add_header("Authorization", f"Basic {token}")
    with server.open(req) as resp:
        return json.loads(resp.read())


def test_a_referral_is_closed_with_satisfaction_and_a_notice_published(page, console_server):
    sign_in(page, "zhangwei")
    page.goto(page.base + "/console/requests?kind=referral")
    first = page.locator("#requests tbody tr[data-id]").first
    referral = first.get_attribute("data-id")
    assert "紧急" in first.inner_text() and "医院" in first.inner_text()
    shot(page, "referrals")
    first.locator("select[name=status]").select_option("accepted")
    first.locator("button[type=submit]").click()
    page.wait_for_selector(".flash.ok")
    row = page.locator(f"tr[data-id='{referral}']")
    row.locator("select[name=status]").select_option("closed")
    row.locator("details.close-with summary").click()
    row.locator("select[name=satisfaction]").select_option("satisfied")
    row.locator("input[name=satisfaction_comment]").fill("医院很快安排了检查")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".flash.ok")
    doc = _get(console_server, "/couch/field/" + urllib.request.quote(referral))
    assert (doc["status"], doc["satisfaction"], doc["satisfaction_comment"]) == (
        "closed", "satisfied", "医院很快安排了检查")
    assert set(doc["status_times"]) >= {"referred", "accepted", "closed"}

    page.goto(page.base + "/console/notices")
    page.fill("input[name=title]", "明早社区核酸点调整")
    page.fill("textarea[name=body]", "明早 8 点起核酸点改到社区活动中心，请转告行动不便的老人。")
    page.check("input[name=priority][value=important]")
    page.select_option("#f-audience", "grid:g1")
    page.click("#notice-submit")
    page.wait_for_selector(".flash.ok")
    assert "明早社区核酸点调整" in page.locator("#notices tbody tr").first.inner_text()
    rows = _get(console_server, "/couch/field/_all_docs?startkey=%22notice:%22"
                "&endkey=%22notice:%EF%BF%B0%22&include_docs=true")["rows"]
    mine = [r["doc"] for r in rows if r["doc"]["title"] == "明早社区核酸点调整"]
    assert [d["grid"] for d in mine] == ["g1"] and mine[0]["priority"] == "important"
    page.locator("#notices details").first.click()
    shot(page, "notices", full_page=True)
    page.goto(page.base + "/console/dashboard")
    page.locator("#satisfaction").scroll_into_view_if_needed()
    assert page.locator("#satisfaction-grid tbody tr[data-key]").count() == 3


def test_admin_edits_a_rule_and_the_version_goes_up(page, console_server):
    sign_in(page, "admin")
    page.goto(page.base + "/console/admin/rules")
    before = demo.demo_rules()["version"]                     # as the demo seeded it
    rules = json.loads(page.input_value("#rules-json"))
    spo2 = next(r for r in rules if r["id"] == "spo2-low")
    spo2["when"]["value"] = 94
    page.fill("#rules-json", json.dumps(rules, ensure_ascii=False, indent=2))
    page.click("#rules-save")
    page.wait_for_selector(".flash.ok")
    assert "血氧 < 94 %" in page.inner_text("tr[data-rule='spo2-low']")
    assert _get(console_server, "/couch/field/rules:warning")["version"] == before + 1
    shot(page, "rules", full_page=True)
    broken = json.loads(page.input_value("#rules-json"))
    broken[0]["colour"] = "purple"
    page.fill("#rules-json", json.dumps(broken, ensure_ascii=False, indent=2))
    page.click("#rules-save")
    page.wait_for_selector("#rules-errors")
    assert "第1条规则（spo2-low）" in page.inner_text("#rules-errors")


def test_a_visit_shows_its_warnings_beside_the_servers_evaluation(page, console_server):
    sign_in(page, "zhangwei")
    page.goto(page.base + "/console/reviews?grid=g1")
    for visit in page.eval_on_selector_all("#visits tbody tr[data-id]",
                                           "rows => rows.map(r => r.dataset.id)")[:6]:
        page.goto(page.base + f"/console/visits/{visit}")
        if page.locator("#warnings .decision.overridden").count():
            break
    assert "刚从室外回来" in page.inner_text("#warnings")
    assert page.locator("#server-check").count() == 1
    shot(page, "visit-warnings", full_page=True)
