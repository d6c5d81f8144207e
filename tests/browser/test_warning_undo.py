"""Taking back an accepted early warning on the new-visit form.

Accepting a warning raises colour after and adds its reason to the colour
reason. When the reading is corrected (a typo: SpO2 90 for 97) or the warning
is overridden instead, that is undone — unless the worker has picked a colour
by hand since. Debian's Chromium against a real demo-seeded gridvisit server,
as in ``test_care_loop.py``.
"""

from tests.browser.care_support import elder_at_home, open_visit, ready_tablet, saved_docs

SPO2_LOW = "血氧饱和度低于 93%"
FEVER = "发热 37.3 °C 以上"


def pressed_colour(page):
    """The colour-after buttons pressed, as their values."""
    return page.eval_on_selector_all(
        "[data-name=colour_after] .choice[aria-pressed=true]", "bs => bs.map(b => b.dataset.value)")


def elder_check(tablet, server, grid):
    """A new visit to a green household of grid with its elder's check on:
    (household, elder, the elder's check block)."""
    hh, elder = elder_at_home(server, grid)
    open_visit(tablet, hh["_id"])
    block = tablet.page.locator(f".check[data-member='{elder['id']}']")
    block.locator(".include").check()
    return hh, elder, block


def save(tablet, hh):
    """Save the visit and return the tablet's stored copy of it."""
    tablet.page.click("#save-visit")
    tablet.page.wait_for_selector(f"[data-household='{hh['_id']}']")
    [visit] = saved_docs(tablet, hh["_id"], "visit:")
    return visit


def test_correcting_the_reading_takes_back_the_accepted_colour_and_reason(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    tablet.offline()
    tablet.reload()                                              # from the service worker's cache
    page.wait_for_selector("#status [data-online=false]")
    hh, elder, block = elder_check(tablet, server, "g1")
    assert pressed_colour(page) == ["green"]                   # the household's colour
    assert page.input_value("[name=colour_reason]") == ""
    page.fill("[name=colour_reason]", "独居，子女在外地")       # the worker's own words stay

    block.locator("[name=spo2]").fill("90")
    warning = block.locator(".warning[data-warning=spo2-low]")
    warning.locator(".warn-accept").click()
    assert pressed_colour(page) == ["red"]
    reason = page.input_value("[name=colour_reason]")
    assert reason.startswith("独居，子女在外地；") and f"{elder['name']}：{SPO2_LOW}" in reason, reason

    block.locator("[name=spo2]").fill("97")                    # the typo corrected
    assert warning.count() == 0
    assert pressed_colour(page) == ["green"]
    assert page.input_value("[name=colour_reason]") == "独居，子女在外地"
    assert page.locator("#warn-pending").is_hidden()

    visit = save(tablet, hh)
    assert visit.get("warnings", []) == []
    assert visit["colour_after"] == "green"
    assert visit["colour_reason"] == "独居，子女在外地"
    assert {"member": elder["id"], "spo2": 97} in visit["checks"]
    assert [d for d in saved_docs(tablet, hh["_id"], "request:") if d["kind"] == "referral"] == []


def test_overriding_an_accepted_warning_leaves_the_other_accepted_one(server, tablets):
    tablet = ready_tablet(tablets, "liqiang")
    page = tablet.page
    hh, elder, block = elder_check(tablet, server, "g3")
    block.locator("[name=temperature]").fill("37.8")
    block.locator("[name=spo2]").fill("90")
    fever = block.locator(".warning[data-warning=fever]")
    spo2 = block.locator(".warning[data-warning=spo2-low]")
    fever.locator(".warn-accept").click()
    assert pressed_colour(page) == ["yellow"]
    spo2.locator(".warn-accept").click()
    assert pressed_colour(page) == ["red"]
    assert page.input_value("[name=colour_reason]") == \
        f"{elder['name']}：{FEVER}，请明天复访；{elder['name']}：{SPO2_LOW}，有重症倾向，建议尽快转诊"

    spo2.locator(".warn-override").click()                     # back to the fever's yellow
    assert pressed_colour(page) == ["yellow"]
    assert page.input_value("[name=colour_reason]") == f"{elder['name']}：{FEVER}，请明天复访"
    spo2.locator("textarea").fill("血氧仪未夹好，重测 97%")
    fever.locator(".warn-override").click()                    # and then to green
    fever.locator("textarea").fill("刚从室外回来")
    assert pressed_colour(page) == ["green"]
    assert page.input_value("[name=colour_reason]") == ""

    visit = save(tablet, hh)
    assert [(w["rule"], w["decision"]) for w in visit["warnings"]] == \
        [("fever", "overridden"), ("spo2-low", "overridden")]
    assert (visit["colour_after"], visit.get("colour_reason", "")) == ("green", "")
    assert saved_docs(tablet, hh["_id"], "request:") == []


def test_a_colour_picked_by_hand_after_accepting_is_kept(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    hh, elder, block = elder_check(tablet, server, "g1")
    block.locator("[name=spo2]").fill("90")
    block.locator(".warning[data-warning=spo2-low] .warn-accept").click()
    assert pressed_colour(page) == ["red"]
    page.click("[data-name=colour_after] [data-value=yellow]")  # the worker's own judgement
    block.locator("[name=spo2]").fill("97")
    assert block.locator(".warning").count() == 0
    assert pressed_colour(page) == ["yellow"]                  # theirs, not taken back
    assert page.input_value("[name=colour_reason]") == ""      # the warning's reason is

    page.fill("[name=colour_reason]", "家中老人近日咳嗽")
    visit = save(tablet, hh)
    assert visit.get("warnings", []) == []
    assert (visit["colour_after"], visit["colour_reason"]) == ("yellow", "家中老人近日咳嗽")
