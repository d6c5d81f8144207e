"""The merge notice on the household page (issue 14, item 8): two tablets
change one household's colour and one member's birth year offline; the
server merges the colours to the most severe and keeps the newer birth
year, and the tablet whose yellow became red and whose birth year was
replaced is told what changed (the member by name), by whom and which rule
decided. Real server, real Chromium."""

HH = "household:g1:1-2-101"


def set_colour(tablet, colour, reason, member=None, birth_year=None):
    """Give the household a colour and reason (and ``member`` a birth year)
    on its edit screen and save."""
    tablet.go(f"/hh/{HH}/edit")
    tablet.page.click(f"[data-name=colour] [data-value={colour}]")
    tablet.page.fill("#hh-fields [name=colour_reason]", reason)
    if member:
        tablet.page.fill(f".member-edit[data-member='{member}'] [name=birth_year]",
                         str(birth_year))
    tablet.page.click("#save")
    tablet.page.wait_for_selector(f"[data-household='{HH}']")


def test_the_tablet_whose_colour_lost_the_merge_sees_what_changed(server, tablets):
    server.cli("create-user", "zhaomin", "--role", "worker", stdin="demo-zhaomin\n")
    server.cli("assign", "zhaomin", "--grid", "g1")
    before = server.docs([HH])[HH]
    assert before["colour"] == "green"
    member = before["members"][0]
    a, b = tablets(), tablets()
    a.login("wangfang")
    b.login("zhaomin")
    a.offline()
    b.offline()
    set_colour(a, "yellow", "血压偏高，需要复查", member["id"], 1950)
    set_colour(b, "red", "高烧不退，独自在家", member["id"], 1951)      # the later edit
    assert not a.page.query_selector("#merge-notice")
    a.offline(False)
    a.wait_synced()
    b.offline(False)
    b.wait_synced()
    merged = "id => window.gridvisit.db().get(id).then(d => d.colour === 'red' && !!d.merge)"
    for tablet in (a, b):
        tablet.page.wait_for_function(merged, arg=HH, timeout=30000)
        tablet.go(f"/hh/{HH}")
        tablet.page.locator(f"[data-household='{HH}'] .badge.c-red").wait_for()

    notice = a.page.locator("#merge-notice")
    colour = notice.locator("[data-merge-field=colour]")
    assert colour.get_attribute("data-merge-rule") == "most_severe"
    assert colour.locator("[data-merge-lost]").inner_text() == "黄"
    assert colour.locator("[data-merge-kept]").inner_text() == "红"
    assert "取最严重颜色" in colour.inner_text() and "zhaomin" in colour.inner_text()
    reason = notice.locator("[data-merge-field=colour_reason]")
    assert reason.locator("[data-merge-lost]").inner_text() == "血压偏高，需要复查"
    assert reason.locator("[data-merge-kept]").inner_text() == "高烧不退，独自在家"
    year = notice.locator(f"[data-merge-field='members.{member['id']}.birth_year']")
    assert year.get_attribute("data-merge-rule") == "newest_stamp"
    assert f"{member['name']}的出生年份" in year.inner_text()
    assert year.locator("[data-merge-lost]").inner_text() == "1950"
    assert year.locator("[data-merge-kept]").inner_text() == "1951"
    assert server.docs([HH])[HH]["members"][0]["birth_year"] == 1951
    assert b.page.locator("#merge-notice").count() == 0        # zhaomin's edits were kept

    a.page.evaluate("localStorage.setItem('gv.lang', 'en')")
    a.reload()
    a.page.locator("#merge-notice [data-merge-field=colour]").filter(
        has_text="most severe colour").wait_for()

    # Their next edit of the household says they saw it: the record goes.
    a.go(f"/hh/{HH}/edit")
    a.page.fill("#hh-fields [name=notes]", "已电话确认：红色")
    a.page.click("#save")
    a.page.wait_for_selector(f"[data-household='{HH}']")
    assert a.page.locator("#merge-notice").count() == 0
    a.wait_synced()
    assert "merge" not in a.local_doc(HH)
