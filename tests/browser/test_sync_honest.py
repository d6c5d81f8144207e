"""Honest in every failure (issue 14, item 8, in part): a server that fails
while the tablet is online is never shown as a green 在线 nor as plain 离线.

The status bar says 同步出错，将自动重试 with the last attempt and the next
one PouchDB has planned, and keeps counting what waits. Real Chromium; the
real server process is stopped under the tablet.
"""

import re

from tests.tablet_work import elder_at_home, open_visit, ready_tablet


def test_a_dead_server_while_online_shows_the_error_and_the_next_retry(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    hh, _ = elder_at_home(server, "g1")
    server.peer.stop()                                           # the server goes down; the tablet is online
    open_visit(tablet, hh["_id"])
    page.click("[data-name=outcome] .choice[data-value=not_home]")
    page.click("#save-visit")
    page.wait_for_selector(f"[data-household='{hh['_id']}']")
    error = page.wait_for_selector("#status [data-error]", timeout=60000)
    text = error.inner_text()
    assert text.startswith("同步出错，将自动重试"), text
    assert re.search(r"上次尝试 \d\d:\d\d，下次 \d\d:\d\d", text), text
    assert page.inner_text("#status .dot") == "同步出错"           # not 在线, not 离线
    assert page.locator("#status .dot-bad").count() == 1
    assert page.get_attribute("#status [data-pending]", "data-pending") == "1"
    assert page.locator("#status .pill-ok").count() == 0
    tablet.shot("40-sync-error")
