"""Screenshots of the main screens in Chinese (issue 5, test 5).

They go to build/screenshots/ (``make screenshots``: docs/screenshots/) and are what a worker sees on a 1280×800
tablet (and on an 800×1280 one held upright): look at them after a change.
Each is checked to show what it is meant to show before it is taken.
"""

from tests.browser.conftest import PORTRAIT, SCREENSHOTS
from tests.browser.tablet_support import record_visit

RED = "household:g1:1-1-201"          # the demo's red household with an open request


def test_main_screens(server, tablets):
    tablet = tablets()
    page = tablet.page
    tablet.open("/login")
    page.fill("input[name=name]", "wangfang")
    tablet.shot("01-login")
    page.fill("input[name=password]", "demo-wangfang")
    page.click("#login-form button[type=submit]")
    tablet.set_pin()
    page.wait_for_selector(".grid-card")
    tablet.wait_synced()
    # The cards redraw a moment after the data lands: wait for the grids'
    # names and counts, not the "downloading" hint.
    page.wait_for_function("() => document.querySelectorAll('.grid-card').length === 2 && "
                           "!document.querySelector('.grid-card .hint') && "
                           "document.querySelector('#todo[data-visits]')", timeout=60000)
    assert "网格一" in page.inner_text("#grid-cards")
    tablet.shot("02-my-grids")

    tablet.go("/grid/g1")
    page.wait_for_selector(".building-card")
    tablet.shot("03-buildings")
    tablet.go("/grid/g1/all")
    page.wait_for_selector(".hh-row .badge.c-red")
    assert page.locator(".hh-row").count() == 24
    tablet.shot("04-households")
    page.fill("#q", "201")
    page.wait_for_selector("#results .hh-row")
    tablet.shot("05-search")

    tablet.go(f"/hh/{RED}")
    page.wait_for_selector(".request")
    tablet.shot("06-household")
    tablet.go(f"/hh/{RED}/edit")
    page.wait_for_selector(".member-edit")
    tablet.shot("07-household-edit")

    tablet.go(f"/hh/{RED}/visit")
    page.wait_for_selector("#visit-form")
    check = page.locator(".check").first
    check.locator("[name=temperature]").fill("44")
    check.locator("[name=bp_systolic]").fill("150")
    check.locator("[name=bp_diastolic]").fill("95")
    check.locator("[data-value=cough]").click()
    page.click("#add-need")
    page.click(".need [data-name=kind] [data-value=medicine]")
    page.fill(".need [name=detail]", "二甲双胍两盒，今天送到")
    page.click(".need [data-name=urgency] [data-value=urgent]")
    page.check(".need [name=request]")
    page.evaluate("window.scrollTo(0, 0)")
    tablet.shot("08-new-visit")
    page.fill("[name=colour_reason]", "")
    page.click("#save-visit")
    page.wait_for_selector("#errors:not([hidden])")
    assert "体温须在 34–43 °C 之间" in page.inner_text("#errors")
    assert "标为黄色或红色时须填写标色原因" in page.inner_text("#errors")
    tablet.shot("09-new-visit-errors")

    tablet.offline()
    check.locator("[name=temperature]").fill("38.2")
    page.fill("[name=colour_reason]", "低热咳嗽，降糖药将尽，明天复访")
    page.click(".warning[data-warning=fever] .warn-accept")       # the rules' early warning
    page.click("[data-days='1']")
    page.click("#save-visit")
    page.wait_for_selector(f"[data-household='{RED}']")
    page.wait_for_selector("#status [data-pending='3']")
    tablet.shot("10-offline-pending")

    tablet.offline(False)
    tablet.wait_synced()
    server.cli("unassign", "wangfang", "--grid", "g2")
    record_visit(tablet, "household:g2:1-1-102", temperature=36.5, notes="网格调整后走访")
    page.wait_for_selector("#status [data-refused='1']")
    tablet.go("/sync")
    page.wait_for_selector("#refused [data-reason]")
    tablet.shot("11-sync-refused")

    tablet.go("/settings")
    page.click("#logout")
    page.wait_for_selector(".dialog-card")
    tablet.shot("12-logout-warning")
    page.click(".dialog-card [data-answer=no]")

    upright = tablets(PORTRAIT)
    upright.login("liqiang")
    upright.go("/grid/g3/all")
    upright.page.wait_for_selector(".hh-row")
    upright.shot("13-households-portrait")
    first = upright.page.get_attribute(".hh-row", "data-id")
    upright.go(f"/hh/{first}/visit")
    upright.page.wait_for_selector("#visit-form")
    upright.shot("14-new-visit-portrait")

    names = sorted(p.name for p in SCREENSHOTS.glob("*.png"))
    assert len(names) >= 14, names
    assert all((SCREENSHOTS / n).stat().st_size > 10_000 for n in names)
