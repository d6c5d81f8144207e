"""Campaigns on the tablet's 待办 (issue 20, item 5): the home screen's count
is what 待办 lists, the targeted households of open campaigns included; a
campaign the supervisor closes on the console leaves 待办, the home count
and the household page at the next sync and takes no new answers, while an
answer given before (offline) stays on the tablet and still reaches the
server. Real Chromium, demo-seeded server, the console in its own context."""

from tests.browser.campaign_support import (CAMPAIGN, answers_of, fill_household_of_two,
                                            home_count, household_of_two, open_form,
                                            set_status_on_console, settled_todo, todo_listed)
from tests.tablet_work import console_as, eventually, ready_tablet


def test_the_home_count_is_what_todo_lists_campaign_households_included(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    (count, asked), listed = settled_todo(tablet)
    assert asked > 2 and listed["asked"] == asked
    assert count == listed["rows"] + listed["asked"], (count, listed)
    tablet.go("/")
    assert f"摸排 {asked} 户" in tablet.page.inner_text("#todo")


def test_a_closed_campaign_leaves_todo_and_its_answer_still_syncs(server, tablets, browser):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    (count, asked), _listed = settled_todo(tablet)
    two = household_of_two(server)
    tablet.offline()
    form = open_form(tablet, two["_id"])
    fill_household_of_two(form, names=[m["name"] for m in two["members"]])
    form.tap("#save-answer")
    page.wait_for_selector("#household-campaigns .campaign-row[data-answered=yes]")
    [answer] = [a for a in answers_of(tablet) if a.get("household") == two["_id"]]

    console = console_as(browser, server)
    set_status_on_console(console, server, "closed")
    assert console.locator(f"section.campaign[id='{CAMPAIGN}'] [data-status-to=open]").count() == 1

    tablet.offline(False)
    tablet.wait_synced()
    eventually(lambda: (tablet.local_doc(CAMPAIGN) or {}).get("status") == "closed",
               what="the closed campaign on the tablet")
    assert eventually(lambda: server.docs([answer["_id"]])[answer["_id"]],
                      what="the answer given before the closing on the server")
    assert todo_listed(tablet)["asked"] == 0
    assert page.locator(".campaign-card").count() == 0
    assert home_count(tablet) == (count - asked, 0)
    tablet.go(f"/hh/{two['_id']}")
    page.wait_for_selector("#new-visit")
    assert page.locator("#household-campaigns").count() == 0
    tablet.go(f"/campaign/{CAMPAIGN}/hh/{two['_id']}")
    page.wait_for_selector("#campaign-closed")                 # its form takes no new answers
    kept = [a["_id"] for a in answers_of(tablet) if a.get("household") == two["_id"]]
    assert kept == [answer["_id"]]
