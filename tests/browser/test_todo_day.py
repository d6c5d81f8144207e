"""待办 is the day's work (issue 14, item 7).

One list holds everything waiting: visits sent back, documents the server
refused, unfinished visits, red households not visited for 48 hours,
follow-ups (复访) due today or overdue, open referrals and requests — each
with how long it has waited. The "red household 48 h" warning does not fire
inside the very visit that clears it, and a household shows the same "last
visited" age on every screen. Real Chromium against a demo-seeded server.
"""

import re

from tests.tablet_work import elder_at_home, open_visit, ready_tablet, visit_doc, write_unchecked


def test_todo_lists_the_days_work_with_one_age_per_household(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    hh, elder = elder_at_home(server, "g1")
    bad = write_unchecked(tablet, visit_doc(hh, "wangfang", [{"member": elder["id"], "temperature": 50}]))
    page.wait_for_selector("#status [data-refused='1']")
    other, _ = elder_at_home(server, "g2")
    open_visit(tablet, other["_id"])                             # a visit left unfinished
    page.fill("[name=notes]", "老人午睡，下午再来")
    page.click("#back")
    page.click("#dialog [data-answer=keep]")

    tablet.go("/todo")
    page.wait_for_selector("#todo-follow-ups .todo-row")
    assert page.locator(f"#todo-refused [data-refused-doc='{bad['_id']}']").count() == 1
    assert page.locator(f"#todo-drafts [data-draft-of='{other['_id']}']").count() == 1
    assert "已等" in page.inner_text("#todo-refused") and "已等" in page.inner_text("#todo-drafts")
    follow = page.locator("#todo-follow-ups .todo-row").first.inner_text()
    assert re.search(r"复访逾期\d+天|今天复访", follow), follow
    tablet.shot("37-todo-day")

    # One age per household: the 待办 row and the building's list say the same.
    due = page.locator("#todo-visits .todo-row[data-household]").last
    due_id = due.get_attribute("data-household")
    age = due.locator("[data-age]").inner_text()
    assert age.startswith("上次走访 "), age
    doc = tablet.local_doc(due_id)
    tablet.go(f"/grid/{doc['grid']}/b/{doc['building']}")
    listed = page.locator(f".hh-row[data-id='{due_id}'] .hh-days").inner_text()
    assert age == f"上次走访 {listed}", (age, listed)

    # The visit that clears "red, not visited for 48 h" does not raise it itself.
    tablet.go(f"/hh/{due_id}")
    page.wait_for_selector(".hh-head .due-visit[data-rule=red-not-visited]")
    open_visit(tablet, due_id)
    page.wait_for_selector("#rules-note", state="attached")
    page.click("[data-name=outcome] .choice[data-value=not_home]")
    assert page.locator(".warning[data-warning=red-not-visited]").count() == 0
