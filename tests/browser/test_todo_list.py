"""The worker's to-do list (待办) on the tablet: every open referral and
request of their grids in one place, referrals first, most urgent then oldest.

Debian's Chromium against a real gridvisit server seeded with the demo
community: per grid, a hospital referral of a red household's elder that the
hospital has accepted (紧急) and an assigned medicine request of that
household (紧急). The supervisor 张伟 adds referrals over HTTP, as the
console would.
"""

import re
import uuid
from datetime import datetime, timedelta

from server.cli import demo, demo_campaign
from rules import ids
from rules.warning_rules import evaluate, household_rules
from tests.browser.conftest import PORTRAIT
from tests.browser.care_support import CST, RULES_HERE, elder_at_home, households, put_as

ROWS = "#view .todo-row[data-request]"
WORKER = ("wangfang", "demo-wangfang")
SUPERVISOR_ID = "zhangwei"


def shown(page):
    """The to-do rows on screen: [(request id, kind, urgency, status)]."""
    return page.eval_on_selector_all(
        ROWS, "rs => rs.map(r => [r.dataset.request, r.dataset.kind, r.dataset.urgency, "
              "r.dataset.status])")


def server_requests(server, grid):
    """The server's requests of grid."""
    rows = server.get(f"/couch/field/_all_docs?include_docs=true&startkey=%22request:{grid}:%22"
                      f"&endkey=%22request:{grid}:%EF%BF%B0%22")["rows"]
    return [r["doc"] for r in rows]


def referral(hh, member, grid, urgency, target, hours_ago, detail):
    """A supervisor's referral of member of household hh, opened hours_ago."""
    opened = datetime.now(CST) - timedelta(hours=hours_ago)
    return {"_id": f"request:{grid}:{uuid.uuid4()}", "type": "request", "schema": 2, "grid": grid,
            "updated_at": opened.isoformat(), "updated_by": "zhangwei", "household": hh["_id"],
            "kind": "referral", "target": target, "member": member["id"], "detail": detail,
            "urgency": urgency, "status": "referred",
            "status_times": {"referred": opened.isoformat()},
            "opened_at": opened.isoformat()}


def test_todo_lists_open_referrals_and_requests_of_my_grids(server, tablets):
    g1, g2, g3 = (server_requests(server, g) for g in ("g1", "g2", "g3"))
    def oldest_first(docs):
        return sorted(docs, key=lambda r: r["opened_at"])
    demo_referrals = oldest_first(r for r in g1 + g2 if r["kind"] == "referral")
    demo_requests = oldest_first(r for r in g1 + g2 if r["kind"] != "referral")
    assert [r["urgency"] for r in demo_referrals + demo_requests] == ["urgent"] * 4
    hh, elder = elder_at_home(server, "g2")
    high = referral(hh, elder, "g2", "high", "family_doctor", 30,
                    f"{elder['name']}：血压偏高，请家庭医生上门")
    put_as(server, high)
    theirs = referral(*elder_at_home(server, "g3"), "g3", "urgent", "hospital", 1,
                      "网格三的转诊")
    put_as(server, theirs)

    tablet = tablets()
    tablet.login("wangfang")
    page = tablet.page
    card = page.locator("#todo")
    page.wait_for_selector("#todo[data-count='5']", timeout=60000)
    assert "转诊 3 · 诉求 2" in card.inner_text()
    card.click()
    page.wait_for_selector(ROWS)
    assert page.inner_text("#title") == "待办"
    # Referrals first — urgent ones oldest first, then the high one — then requests;
    # nothing of grid g3 (李强's), which never reaches this tablet.
    expected = ([r["_id"] for r in demo_referrals] + [high["_id"]]
                + [r["_id"] for r in demo_requests])
    assert [row[0] for row in shown(page)] == expected
    assert [row[1:3] for row in shown(page)][:3] == \
        [["referral", "urgent"]] * 2 + [["referral", "high"]]
    assert not any(r["_id"] in {row[0] for row in shown(page)} for r in g3 + [theirs])

    first = page.locator(f"{ROWS}[data-request='{demo_referrals[0]['_id']}']")
    text = first.inner_text()
    home = server.docs([demo_referrals[0]["household"]])[demo_referrals[0]["household"]]
    member = next(m for m in home["members"] if m["id"] == demo_referrals[0]["member"])
    for part in (home["building"], home["room"], home["head"], member["name"],
                 "转诊至东城区第一人民医院",
                 "紧急", "已接收", "已等"):
        assert part in text, (part, text)
    waited = first.locator(".todo-waited").inner_text()             # opened yesterday
    assert re.fullmatch(r"已等 \d+(小时|天)", waited), waited
    request_row = page.locator(f"{ROWS}[data-request='{demo_requests[0]['_id']}']").inner_text()
    assert "药品" in request_row and "已派单" in request_row, request_row
    page.wait_for_timeout(300)
    tablet.shot("20-todo")

    # A referral the supervisor makes while the list is open appears without a reload.
    hh1, elder1 = elder_at_home(server, "g1")
    low = referral(hh1, elder1, "g1", "low", "community_health_centre", 0.5,
                   f"{elder1['name']}：复查血糖")
    put_as(server, low)
    page.locator(f"{ROWS}[data-request='{low['_id']}']").wait_for(timeout=60000)
    assert [row[0] for row in shown(page)][3] == low["_id"]   # after the high one, before requests
    tablet.wait_synced()

    # Offline: the urgent referral moves on to 已就诊 on its household page.
    tablet.offline()
    page.wait_for_selector("#status [data-online=false]")
    target = demo_referrals[0]
    page.locator(f"{ROWS}[data-request='{target['_id']}']").click()
    step = page.locator(f".request[data-request='{target['_id']}'] .req-step[data-to=seen]")
    step.click()
    page.locator(f".request[data-request='{target['_id']}'][data-status=seen]").wait_for()
    page.click("#back")                                              # back to the list
    page.locator(f"{ROWS}[data-request='{target['_id']}'][data-status=seen]").wait_for()
    assert "已就诊" in page.locator(f"{ROWS}[data-request='{target['_id']}']").inner_text()
    assert [row[0] for row in shown(page)][0] == target["_id"]      # still first

    # Closing the medicine request (with satisfaction) takes it off the list.
    done = demo_requests[0]
    page.locator(f"{ROWS}[data-request='{done['_id']}']").click()
    page.locator(f".request[data-request='{done['_id']}'] .req-step[data-to=closed]").click()
    page.locator(".dialog-card.satisfaction [data-value=satisfied]").click()
    page.locator(".dialog-card.satisfaction [data-answer=yes]").click()
    page.locator(f"#closed-requests [data-request='{done['_id']}']").wait_for()
    page.click("#back")
    page.wait_for_selector(ROWS)
    assert done["_id"] not in [row[0] for row in shown(page)]
    assert len(shown(page)) == 5
    tablet.go("/")
    page.wait_for_selector("#todo[data-count='5']")

    tablet.offline(False)
    tablet.wait_synced()
    on_server = server.docs([target["_id"], done["_id"]])
    assert on_server[target["_id"]]["status"] == "seen"
    assert on_server[done["_id"]]["status"] == "closed"


def test_todo_in_portrait_and_english_shows_every_part(server, tablets):
    tablet = tablets(PORTRAIT)
    tablet.login("wangfang")
    page = tablet.page
    page.evaluate("localStorage.setItem('gv.lang', 'en')")
    tablet.open("/todo")
    page.wait_for_selector(ROWS)
    assert page.inner_text("#title") == "To do"
    assert len(shown(page)) == 4
    row = page.locator(ROWS).first
    assert "Referred to" in row.inner_text() and "urgent" in row.inner_text()
    assert "waited" in row.inner_text()
    tablet.go("/")
    page.wait_for_selector("#todo[data-count='4']")
    assert "2 referrals · 2 requests" in page.inner_text("#todo")
    tablet.go("/todo")
    page.wait_for_selector(ROWS)
    for each in page.locator(ROWS).all():                           # no row runs off the screen
        box = each.bounding_box()
        assert box["x"] + box["width"] <= 800 and box["height"] >= 64, box


def _red_copy(server, grid, room, user=SUPERVISOR_ID):
    """A new red household of grid, copied from a demo one (another room)."""
    source = households(server, grid)[0]
    hh = {k: v for k, v in source.items() if not k.startswith("_") and k != "stamps"}
    hh.update(_id=f"household:{grid}:9-9-{room}", building="9号楼", unit="9单元", room=str(room),
              colour="red", colour_reason="独居老人发热", updated_by=user)
    return hh


def _visit(hh, worker, at):
    """A submitted visit of hh by worker at ``at`` (a datetime)."""
    return {"_id": f"visit:{hh['grid']}:{uuid.uuid4()}", "type": "visit", "schema": 2,
            "grid": hh["grid"], "household": hh["_id"], "worker": worker,
            "visited_at": at.isoformat(), "updated_at": at.isoformat(), "updated_by": worker,
            "outcome": "met", "checks": [], "needs": [], "services": [],
            "colour_after": "red", "colour_reason": "独居老人发热", "status": "submitted"}


def _demo_due(grids, now):
    """The demo's households of grids due a visit by the demo's rules, as
    the server evaluates them: [(last visit, id)]."""
    docs = demo.documents()
    last = {}
    for doc in docs:
        if doc["type"] == "visit":
            last[doc["household"]] = max(last.get(doc["household"], ""), doc["visited_at"])
    rules = household_rules(demo.demo_rules())
    return sorted((last[d["_id"]], d["_id"]) for d in docs
                  if d["type"] == "household" and d["grid"] in grids
                  and evaluate(rules, None, {**d, "last_visit_at": last.get(d["_id"])}, now)["warnings"])


def test_red_households_due_a_visit_lead_the_list_until_visited(server, tablets):
    """The rule set's household rule (as shipped: red, not visited for 48
    hours or never) puts households on the 待办 list with the rule's reason,
    in the order the server's own evaluation gives; a visit taking one off
    arrives live."""
    never, stale, fresh = (_red_copy(server, "g1", room) for room in (901, 902, 903))
    for hh in (never, stale, fresh):
        put_as(server, hh)
    now = datetime.now(CST)
    stale_visit = _visit(stale, "wangfang", now - timedelta(days=3))
    put_as(server, stale_visit, WORKER)
    put_as(server, _visit(fresh, "wangfang", now - timedelta(hours=5)), WORKER)
    demo_due = _demo_due({"g1", "g2"}, now)
    assert len(demo_due) == 2                                # one per grid, seen 3 days ago
    # Never visited first, then the longest unvisited.
    expected = [never["_id"]] + [i for _at, i in sorted(
        demo_due + [(stale_visit["visited_at"], stale["_id"])],
        key=lambda pair: datetime.fromisoformat(pair[0]))]

    tablet = tablets()
    tablet.login("wangfang")
    page = tablet.page
    page.wait_for_function(RULES_HERE, timeout=60000)
    card = page.locator("#todo")
    page.wait_for_selector(f"#todo[data-visits='{len(expected)}'][data-count='4']",
                           timeout=60000)
    follow = int(card.get_attribute("data-follow"))               # 复访 due (the demo has some)
    assert follow > 0
    assert f"需走访 {len(expected)} · 复访 {follow} · 转诊 2 · 诉求 2" in card.inner_text()
    asked = int(card.get_attribute("data-campaigns"))        # the demo campaign's households
    assert card.locator(".todo-count").inner_text() == str(len(expected) + follow + 4 + asked)
    per_grid = {g: page.get_attribute(f".grid-card[data-grid={g}]", "data-due") for g in ("g1", "g2")}
    assert per_grid == {"g1": str(len(expected) - 1), "g2": "1"}, per_grid
    assert "需走访 1" in page.inner_text(".grid-card[data-grid=g2] .flag-due")
    card.click()
    page.wait_for_selector("#todo-visits")
    assert page.locator("#todo-follow-ups .todo-row").count() == follow
    due = page.eval_on_selector_all("#todo-visits .todo-row", "rs => rs.map(r => r.dataset.household)")
    assert due == expected
    rows = page.locator("#todo-visits .todo-row")
    first = rows.first.inner_text()
    assert "红色户 48 小时未走访" in first and "未走访" in first
    mine = page.locator(f"#todo-visits .todo-row[data-household='{stale['_id']}']").inner_text()
    assert re.search(r"上次走访 3天前", mine), mine
    assert fresh["_id"] not in due
    assert [row[1] for row in shown(page)] == ["referral", "referral", "medicine", "medicine"]
    tablet.shot("21-todo-due-visits")

    # A visit recorded (here over HTTP, as another tablet of hers would) takes it off.
    put_as(server, _visit(never, "wangfang", now - timedelta(minutes=10)), WORKER)
    page.wait_for_function(
        "n => document.querySelectorAll('#todo-visits .todo-row').length === n",
        arg=len(expected) - 1, timeout=60000)
    assert page.eval_on_selector_all("#todo-visits .todo-row",
                                     "rs => rs.map(r => r.dataset.household)") == expected[1:]
    page.locator(f"#todo-visits .todo-row[data-household='{stale['_id']}']").click()
    page.wait_for_function("room => document.querySelector('#title').textContent.includes(room)",
                           arg=stale["room"], timeout=30000)
    flag = page.locator(".hh-head .due-visit")
    assert flag.get_attribute("data-rule") == "red-not-visited"
    assert "红色户 48 小时未走访" in flag.inner_text()
    page.click("#back")
    page.locator(f"#todo-visits .todo-row[data-household='{fresh['_id']}']").wait_for(
        state="detached")                                    # never listed
    tablet.go(f"/hh/{fresh['_id']}")
    page.wait_for_function("room => document.querySelector('#title').textContent.includes(room)",
                           arg=fresh["room"], timeout=30000)
    assert page.locator(".hh-head .due-visit").count() == 0   # seen 5 hours ago


def test_a_campaign_answer_with_no_emergency_contact_puts_the_household_on_the_list(server,
                                                                                     tablets):
    """The demo's rule set reads the winter campaign (no emergency contact →
    yellow): a green household whose answer, given on another tablet, says
    so is due a visit on 待办 with the rule's reason once the answer syncs."""
    hh = next(d for d in households(server, "g2") if d["colour"] == "green")
    campaign = demo.NO_CONTACT["when"]["answer"]
    at = (datetime.now(CST) - timedelta(minutes=5)).isoformat(timespec="seconds")
    values = {k: v for k, v in demo_campaign.VALUES.items() if not k.startswith("contact_")}
    answer = {"_id": f"answer:g2:{uuid.uuid4().hex}", "type": "answer", "schema": 2, "grid": "g2",
              "campaign": campaign, "form": ids.form_id(campaign, 1), "household": hh["_id"],
              "channel": "phone", "worker": "wangfang", "answered_at": at,
              "values": {**values, "has_contact": "no"}, "updated_at": at,
              "updated_by": "wangfang", "device": "tablet-2"}
    tablet = tablets()
    tablet.login("wangfang")
    page = tablet.page
    page.wait_for_function(RULES_HERE, timeout=60000)
    tablet.wait_synced()
    tablet.go("/todo")
    page.wait_for_selector("#todo-visits, #todo-campaigns", timeout=60000)
    row = page.locator(f"#todo-visits .todo-row[data-household='{hh['_id']}']")
    assert row.count() == 0                                     # green, nothing due yet
    put_as(server, answer, WORKER)
    row.wait_for(timeout=60000)                                 # 待办 redraws as the answer syncs
    assert "无紧急联系人" in row.inner_text()
