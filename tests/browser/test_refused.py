"""Refused by the server (issue 14, item 4): never a dead end.

A document the server refused (the bar's 被拒收) opens on the tablet with the
reason in words — the member named, no field paths — and is either corrected
and sent again (the count goes down at once; the server then holds the
corrected revision under the same id) or discarded after a confirm (purged
from the tablet; the server never gets it). The refused documents are written
as a build whose validator lagged the server's would write them
(``write_unchecked``): the app's own validator refuses them before saving.
Real Chromium against a real demo-seeded server.
"""

from tests.browser.conftest import PORTRAIT
from tests.tablet_work import elder_at_home, eventually, ready_tablet, visit_doc, write_unchecked


def refused_visit(tablet, server, check, skip=()):
    """A visit with check on an elder's household that the server refuses:
    (household, elder, visit)."""
    hh, elder = elder_at_home(server, "g1", skip)
    visit = write_unchecked(tablet, visit_doc(hh, "wangfang", [{"member": elder["id"], **check}]))
    tablet.page.wait_for_selector("#status [data-refused='1']")
    return hh, elder, visit


def test_a_refused_visit_says_why_in_words_is_corrected_and_accepted(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    hh, elder, visit = refused_visit(tablet, server, {"temperature": 50})
    assert server.docs([visit["_id"]])[visit["_id"]] is None

    tablet.go(f"/hh/{hh['_id']}")
    flag = page.locator(f"[data-visit='{visit['_id']}'] [data-refused-flag]")
    assert flag.inner_text() == "被拒收"                         # not "被拒收  条"
    page.click(f"[data-visit='{visit['_id']}']")
    page.wait_for_selector("#problems")
    problems = page.locator("#problems li").all_inner_texts()
    assert problems == [f"{elder['name']}的体温须在 34–43 °C 之间"], problems
    assert "checks[" not in page.inner_text("#view")
    tablet.shot("34-refused-visit")

    page.click("#fix")
    page.wait_for_selector("#visit-form #errors:not([hidden])")
    assert f"{elder['name']}的体温须在 34–43 °C 之间" in page.inner_text("#errors")
    block = page.locator(f".check[data-member='{elder['id']}']")
    assert block.locator("[name=temperature]").input_value() == "50"
    block.locator("[name=temperature]").fill("37.9")
    warning = block.locator(".warning[data-warning]")
    if warning.count():                                          # 37.9 is a fever: decide it
        warning.locator(".warn-override").click()
        warning.locator("textarea").fill("刚喝过热水，复测正常")
    page.click("#save-visit")
    page.wait_for_selector(f"[data-household='{hh['_id']}']")
    assert page.locator(f"[data-visit='{visit['_id']}'] [data-refused-flag]").count() == 0
    tablet.wait_synced()                                         # the bar: nothing refused, nothing waiting
    assert page.locator("#status [data-refused]").count() == 0
    held = eventually(lambda: server.docs([visit["_id"]])[visit["_id"]], what="the corrected visit")
    assert held["checks"] == [{"member": elder["id"], "temperature": 37.9}]
    assert held["visited_at"] == visit["visited_at"]             # the same visit, corrected
    tablet.go(f"/refused/{visit['_id']}")
    page.wait_for_selector("#not-refused")


def test_a_refused_visit_is_discarded_only_after_a_confirm(server, tablets):
    tablet = ready_tablet(tablets, "wangfang", PORTRAIT)
    page = tablet.page
    hh, elder, visit = refused_visit(tablet, server, {"spo2": 20, "temperature": 36.5})
    page.click("#status [data-refused]")                         # from the bar's count
    page.wait_for_selector(f"#refused [data-doc='{visit['_id']}']")
    reason = page.inner_text(f"#refused [data-doc='{visit['_id']}'] [data-reason]")
    assert reason.startswith(f"{elder['name']}的血氧饱和度"), reason
    page.click(f"#refused [data-doc='{visit['_id']}'] a")
    page.wait_for_selector("#problems")
    page.click("#discard")
    page.click("#dialog [data-answer=no]")                       # not without a confirm
    assert tablet.local_doc(visit["_id"]) is not None
    page.click("#discard")
    page.click("#dialog [data-answer=yes]")
    page.wait_for_selector(f"[data-household='{hh['_id']}']")
    assert tablet.local_doc(visit["_id"]) is None
    assert page.locator(f"[data-visit='{visit['_id']}']").count() == 0
    tablet.wait_synced()
    assert server.docs([visit["_id"]])[visit["_id"]] is None
