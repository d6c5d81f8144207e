"""Contact channel (issue 14, item 6): 入户 / 电话 / 微信 / 视频.

The door-knock campaigns work "线上+线下": a visit records how the household
was reached; on a remote contact the readings are optional (members start
unticked; a resident's own reading can still be entered), and the console's
dashboard counts the households reached in 30 days by each channel. Real
Chromium for tablet and console against a demo-seeded server.
"""

from tests.tablet_work import console_as, elder_at_home, eventually, open_visit, ready_tablet, saved_docs


def test_a_phone_contact_needs_no_readings_and_the_console_counts_it_by_channel(server, tablets, browser):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    tablet.offline()
    hh, elder = elder_at_home(server, "g1")
    open_visit(tablet, hh["_id"])
    block = page.locator(f".check[data-member='{elder['id']}']")
    assert block.locator(".include").is_checked()                # at the door: on
    assert page.locator("#remote-note").is_hidden()
    page.click("[data-name=channel] .choice[data-value=phone]")  # tap 1
    assert page.locator("#remote-note").is_visible()
    assert not block.locator(".include").is_checked()            # nothing typed: off on the phone
    tablet.shot("38-visit-phone")
    page.click("#save-visit")                                    # tap 2: reached, nothing to report
    page.wait_for_selector(f"[data-household='{hh['_id']}']")
    [visit] = saved_docs(tablet, hh["_id"], "visit:")
    assert visit["channel"] == "phone" and visit["outcome"] == "met" and "checks" not in visit
    assert page.locator(f"[data-visit='{visit['_id']}'] [data-channel=phone]").inner_text() == "电话"

    tablet.offline(False)
    tablet.wait_synced()
    eventually(lambda: server.docs([visit["_id"]])[visit["_id"]], what="the visit on the server")
    console = console_as(browser, server)
    cell = console.locator("#coverage td.channels[data-grid=g1] [data-channel=phone]")

    def counted():
        console.goto(server.base + "/console/dashboard")
        return cell.inner_text() == "电话 1"
    eventually(counted, what="the phone contact counted on the dashboard")
    door = console.locator("#coverage td.channels[data-grid=g1] [data-channel=door]").inner_text()
    assert door.startswith("入户 ")
    console.context.close()
