"""The campaign screen on the tablet (issue 20, item 3 and the tablet's half
of item 5): the demo campaign's targeted households on 待办 with progress per
grid; inside a household the worker fills the form ODK Web Forms draws
offline, a draft kept on every change and resumed after the app was killed;
saved, the answer is an answer:* document tied to its form version that the
server accepts; a phone contact is answered on its own. Real Chromium,
demo-seeded server."""

from tests.browser.campaign_support import (CAMPAIGN, FormFiller, answers_of,
                                            fill_household_of_two, household_of_two, open_form,
                                            targeted_by_tags)
from tests.tablet_work import eventually, households, ready_tablet

FORM = "form:community:shijia:winter2026:1"


def test_targeted_households_are_on_todo_with_progress_per_grid(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    tablet.go("/todo")
    card = page.wait_for_selector(f".campaign-card[data-campaign='{CAMPAIGN}']")
    assert "冬季重点人群关爱摸排" in card.inner_text()
    targeted = [hh for hh in households(server, "g1") if targeted_by_tags(hh)]
    g1 = page.locator(".campaign-card .campaign-grid[data-grid=g1]")
    assert g1.get_attribute("data-total") == str(len(targeted)) and len(targeted) > 2
    assert g1.get_attribute("data-done") == "0"
    listed = page.locator(".campaign-grid[data-grid=g1] [data-campaign-household]")
    assert listed.count() == min(8, len(targeted))
    assert listed.first.get_attribute("data-campaign-household") in {hh["_id"] for hh in targeted}
    # a household the campaign does not target has no campaign card
    other = next(hh for hh in households(server, "g1") if not targeted_by_tags(hh))
    tablet.go(f"/hh/{other['_id']}")
    page.wait_for_selector("#new-visit")
    assert page.locator("#household-campaigns").count() == 0
    tablet.go(f"/hh/{targeted[0]['_id']}")
    page.wait_for_selector("#household-campaigns .campaign-row[data-answered=no] [data-fill-answer]")


def test_a_worker_answers_offline_with_a_draft_resumed_after_a_restart(server, tablets):
    hh = household_of_two(server)
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    tablet.offline()
    form = open_form(tablet, hh["_id"])
    form.choose("家中取暖方式", "无取暖")                 # skip logic: the heating problem is asked
    form.type("取暖有什么困难", "没有暖气，家里很冷")
    page.wait_for_timeout(600)                            # the draft is kept a moment after a change
    tablet.reload()                                       # the app killed and opened again, offline
    page.wait_for_selector("#engine-host .odk-form")     # on the form again, the draft put back
    page.evaluate("() => { location.hash = '#/todo'; }")
    page.click("#dialog [data-answer=keep]")             # leaving asks: the draft is kept
    page.click(f"#todo-drafts [data-draft-of='answer|{CAMPAIGN}|{hh['_id']}']")
    page.wait_for_selector("#engine-host .odk-form")
    assert FormFiller(page).question("取暖有什么困难").locator("input").input_value() == "没有暖气，家里很冷"
    form = FormFiller(page)
    form.type("常用药还够用几天", 3)                      # under a week: which medicine is asked
    form.tap("#save-answer")                              # not finished: nothing is saved
    page.wait_for_selector("#answer-errors:not([hidden])")
    assert answers_of(tablet) == [] or all(a.get("household") != hh["_id"] for a in answers_of(tablet))
    form.type("需要代购或续方的药品", "降压药")
    form.choose("是否有紧急联系人", "否")
    form.type("姓名", hh["members"][0]["name"])
    form.choose("身体状况", "需关注")
    form.type("需要关注的情况", "独居，腿脚不便")
    form.choose("已发放一人一专班联系卡 / 爱心告知书", "是")
    form.tap("#save-answer")
    page.wait_for_url(f"**/app/#/hh/{hh['_id'].replace(':', '%3A')}")
    [answer] = [a for a in answers_of(tablet) if a.get("household") == hh["_id"]]
    assert answer["form"] == FORM and answer["channel"] == "door" and answer["worker"] == "wangfang"
    assert answer["values"] == {
        "heating": "none", "heating_problem": "没有暖气，家里很冷", "medicine_days": 3,
        "medicine_needed": "降压药", "has_contact": "no", "needs_count": "0",
        "members": [{"member_name": hh["members"][0]["name"], "member_condition": "watch",
                     "member_note": "独居，腿脚不便"}],
        "card_given": "yes"}
    assert page.evaluate("() => import('./js/drafts.js').then(m => m.drafts())") == {}
    page.wait_for_selector("#household-campaigns .campaign-row[data-answered=yes]")
    tablet.offline(False)
    tablet.wait_synced()
    stored = eventually(lambda: server.docs([answer["_id"]])[answer["_id"]], what="the answer on the server")
    assert stored["values"] == answer["values"]


def test_a_phone_contact_is_answered_on_its_own(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    tablet.go("/todo")
    page.click(".campaign-card [data-contact-answer=g2]")
    page.wait_for_selector("#engine-host .odk-form")
    form = FormFiller(page)
    assert page.locator("[data-name=channel] .choice[aria-pressed=true]").get_attribute("data-value") == "phone"
    fill_household_of_two(form, names=("孙国华", "孙秀英"))
    form.tap("#save-answer")
    page.wait_for_url("**/app/#/todo")
    [answer] = [a for a in answers_of(tablet) if "household" not in a]
    assert answer["grid"] == "g2" and answer["channel"] == "phone"
    assert [m["member_name"] for m in answer["values"]["members"]] == ["孙国华", "孙秀英"]
    tablet.wait_synced()
    assert eventually(lambda: server.docs([answer["_id"]])[answer["_id"]], what="the answer on the server")
