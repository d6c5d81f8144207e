"""Sent back (退回修改, issue 14 item 3): the supervisor's comment reaches 待办,
and the worker amends the visit as a new one.

A submitted visit never changes: the amendment is a new visit naming the one
it supersedes. The console shows the pair, and approving the amendment closes
the "needs fix" review of the original (``closed_by``), which the tablet then
shows. Real Chromium for the tablet and the console, against a real
demo-seeded server.
"""

from tests.tablet_work import (console_as, elder_at_home, eventually, open_visit, ready_tablet,
                               review_on_console, saved_docs)

COMMENT = "血压没有测，请入户复测血压后补充"


def test_a_sent_back_visit_is_amended_as_a_new_visit_and_its_review_closes(server, tablets, browser):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    hh, elder = elder_at_home(server, "g1")
    open_visit(tablet, hh["_id"])
    block = page.locator(f".check[data-member='{elder['id']}']")
    block.locator(".include").check()
    block.locator("[name=temperature]").fill("36.6")
    page.fill("[name=notes]", "老人精神不错")
    page.click("#save-visit")
    page.wait_for_selector(f"[data-household='{hh['_id']}']")
    [original] = saved_docs(tablet, hh["_id"], "visit:")
    tablet.wait_synced()

    console = console_as(browser, server)
    eventually(lambda: server.docs([original["_id"]])[original["_id"]], what="the visit on the server")
    review_on_console(console, server, original["_id"], "needs_fix", COMMENT)

    tablet.go("/")                                               # the home card counts it
    page.wait_for_selector("#todo .todo-count", timeout=60000)
    tablet.go("/todo")
    row = page.locator(f"[data-sent-back='{original['_id']}']")
    row.wait_for(timeout=60000)
    assert COMMENT in row.inner_text() and "已等" in row.inner_text()
    tablet.shot("35-todo-sent-back")
    row.click()
    page.wait_for_selector("#visit-form")
    assert COMMENT in page.inner_text("#sent-back-comment")
    block = page.locator(f".check[data-member='{elder['id']}']")
    assert block.locator("[name=temperature]").input_value() == "36.6"
    assert page.input_value("[name=notes]") == "老人精神不错"
    block.locator("[name=bp_systolic]").fill("135")
    block.locator("[name=bp_diastolic]").fill("85")
    tablet.shot("36-visit-amend")
    page.click("#save-visit")
    page.wait_for_selector(f"[data-household='{hh['_id']}']")
    assert page.locator(f"[data-visit='{original['_id']}'] [data-amended]").count() == 1
    visits = saved_docs(tablet, hh["_id"], "visit:")
    [amendment] = [v for v in visits if v.get("supersedes") == original["_id"]]
    assert amendment["_id"] != original["_id"]
    assert {"member": elder["id"], "temperature": 36.6, "bp_systolic": 135, "bp_diastolic": 85} \
        in amendment["checks"]
    assert tablet.local_doc(original["_id"])["_rev"] == original["_rev"]   # never changed
    tablet.go("/todo")
    page.wait_for_selector("#view[data-route='todo']")
    assert page.locator(f"[data-sent-back='{original['_id']}']").count() == 0
    tablet.wait_synced()

    # The console shows the pair; approving the amendment closes the original's review.
    eventually(lambda: server.docs([amendment["_id"]])[amendment["_id"]], what="the amendment")
    review_on_console(console, server, amendment["_id"], "approved")
    assert COMMENT in console.inner_text("#amends")
    console.goto(server.base + f"/console/visits/{original['_id']}")
    assert console.locator("#review-closed").count() == 1
    assert console.locator("#amended-by a").count() == 1
    closed = server.docs([f"review:{original['_id']}"])[f"review:{original['_id']}"]
    assert closed["state"] == "needs_fix" and closed["closed_by"] == amendment["_id"]
    tablet.go(f"/visit/{original['_id']}")
    page.wait_for_selector("#review-closed", timeout=60000)
    console.context.close()
