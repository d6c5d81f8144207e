"""Unfinished visits (issue 14, item 2): a visit form keeps itself as a draft.

Every change on the new-visit form is kept as the household's draft in a
PouchDB local document (``_local/drafts``), which never replicates: a reload
(the app killed, a dead battery) brings the form back as it was, warnings
decided included; the household page and the home screen offer 未完成走访 —
resume, or discard after a confirm; leaving the form with unsaved input asks.
Real Chromium against a real demo-seeded server, offline as in a stairwell.
"""

from tests.browser.conftest import PORTRAIT
from tests.tablet_work import draft_kept, elder_at_home, eventually, open_visit, ready_tablet, saved_docs


def offline_tablet(tablets, viewport=None):
    """wangfang's tablet with the rule set, in airplane mode, restarted from its cache."""
    tablet = ready_tablet(tablets, "wangfang", viewport)
    tablet.offline()
    tablet.reload()
    tablet.page.wait_for_selector("#status [data-online=false]")
    return tablet


def test_a_visit_interrupted_by_a_restart_resumes_as_typed_and_saves_whole(server, tablets):
    tablet = offline_tablet(tablets)
    page = tablet.page
    hh, elder = elder_at_home(server, "g1")
    open_visit(tablet, hh["_id"])
    block = page.locator(f".check[data-member='{elder['id']}']")
    block.locator(".include").check()
    block.locator("[name=temperature]").fill("38.6")
    warning = block.locator(".warning[data-warning]")
    warning.wait_for()
    rule = warning.get_attribute("data-warning")
    warning.locator(".warn-accept").click()
    colour = page.eval_on_selector("[data-name=colour_after] [aria-pressed=true]", "b => b.dataset.value")
    reason = page.input_value("[name=colour_reason]")
    page.click("#add-need")
    page.click(".need [data-name=kind] .choice >> nth=0")
    page.fill(".need [name=detail]", "想请家庭医生上门")
    page.fill("[name=notes]", "老人说昨晚咳嗽，已叮嘱多喝水")
    draft = eventually(lambda: (d := draft_kept(tablet, hh["_id"])) and d["form"]["notes"] and d,
                       what="the draft")
    assert draft["form"]["checks"][0]["member"]
    assert page.locator("#draft-state").inner_text().startswith("草稿已自动保存")

    tablet.open(f"/hh/{hh['_id']}/visit")                      # the app killed and opened again
    page.wait_for_selector("#visit-form")
    block = page.locator(f".check[data-member='{elder['id']}']")
    assert block.locator(".include").is_checked()
    assert block.locator("[name=temperature]").input_value() == "38.6"
    restored = block.locator(f".warning[data-warning='{rule}']")
    assert restored.locator(".warn-accept").get_attribute("aria-pressed") == "true"
    assert page.locator("#warn-pending").is_hidden()           # its decision came back too
    assert page.eval_on_selector("[data-name=colour_after] [aria-pressed=true]", "b => b.dataset.value") == colour
    assert page.input_value("[name=colour_reason]") == reason
    assert page.input_value(".need [name=detail]") == "想请家庭医生上门"
    assert page.input_value("[name=notes]") == "老人说昨晚咳嗽，已叮嘱多喝水"

    tablet.go(f"/hh/{hh['_id']}")                              # asks: keep the draft and go
    page.click("#dialog [data-answer=keep]")
    page.wait_for_selector(f"[data-household='{hh['_id']}']")
    assert page.locator("#drafts").get_attribute("data-count") == "1"
    assert page.inner_text("#new-visit") == "继续未完成的走访"
    tablet.shot("31-household-draft")
    tablet.go("/")
    page.wait_for_selector("#drafts .draft-row")
    assert hh["head"] in page.inner_text("#drafts")
    page.click(f"#drafts [data-draft='{hh['_id']}'] .resume-draft")
    page.wait_for_selector("#visit-form")
    assert page.input_value("[name=notes]") == "老人说昨晚咳嗽，已叮嘱多喝水"
    page.click("#save-visit")
    page.wait_for_selector(f"[data-household='{hh['_id']}']")
    assert page.locator("#drafts").count() == 0
    assert draft_kept(tablet, hh["_id"]) is None
    [visit] = saved_docs(tablet, hh["_id"], "visit:")
    assert visit["notes"] == "老人说昨晚咳嗽，已叮嘱多喝水" and visit["status"] == "submitted"
    assert {"member": elder["id"], "temperature": 38.6} in visit["checks"]
    assert [w["decision"] for w in visit["warnings"]] == ["accepted"]
    assert visit["needs"][0]["detail"] == "想请家庭医生上门"

    tablet.offline(False)                                      # only the saved visit travels
    tablet.wait_synced()
    on_server = server.docs([visit["_id"]])[visit["_id"]]
    assert on_server and on_server["notes"] == visit["notes"]
    assert not any(i.startswith("_local") for i in tablet.local_ids())


def test_leaving_a_form_with_input_asks_and_a_draft_is_discarded_only_after_a_confirm(server, tablets):
    tablet = offline_tablet(tablets, PORTRAIT)
    page = tablet.page
    hh, _ = elder_at_home(server, "g1")
    open_visit(tablet, hh["_id"])
    page.click("#back")                                        # nothing typed: no question
    page.wait_for_selector(f"[data-household='{hh['_id']}']")
    assert page.locator("#dialog").is_hidden()

    open_visit(tablet, hh["_id"])
    page.fill("[name=notes]", "敲门无人应答，邻居说去女儿家了")
    page.click("#back")
    page.wait_for_selector("#dialog [data-answer=stay]")
    tablet.shot("32-visit-leave-asks")
    page.click("#dialog [data-answer=stay]")
    assert page.locator("#visit-form").count() == 1
    assert page.input_value("[name=notes]") == "敲门无人应答，邻居说去女儿家了"
    assert page.evaluate("location.hash").endswith("/visit")

    page.click("#visit-form .actions a.btn")                   # 取消
    page.click("#dialog [data-answer=keep]")
    page.wait_for_selector("#drafts")
    page.click("#drafts .discard-draft")
    page.click("#dialog [data-answer=no]")                     # changed their mind
    assert page.locator("#drafts").count() == 1
    assert draft_kept(tablet, hh["_id"])["form"]["notes"] == "敲门无人应答，邻居说去女儿家了"
    tablet.go("/")
    page.wait_for_selector("#drafts .draft-row")
    tablet.shot("33-home-drafts")
    page.click("#drafts .discard-draft")
    page.click("#dialog [data-answer=yes]")
    page.wait_for_function("!document.querySelector('#drafts')")
    assert draft_kept(tablet, hh["_id"]) is None

    open_visit(tablet, hh["_id"])                              # a fresh form
    assert page.input_value("[name=notes]") == ""
    page.fill("[name=notes]", "临时写错了")
    page.click("#back")
    page.click("#dialog [data-answer=discard]")                # discarding from the question
    page.wait_for_selector(f"[data-household='{hh['_id']}']")
    assert page.locator("#drafts").count() == 0
    assert draft_kept(tablet, hh["_id"]) is None
    assert saved_docs(tablet, hh["_id"], "visit:") == []
