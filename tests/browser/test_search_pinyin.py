"""Finding people (issue 14, item 9): pinyin and initials, offline.

"gdm" and "guodeming" find 高德明-style names (here the demo's 郭德明), by the
head or any member, with pinyin-match served from node_modules like PouchDB
(precached by the service worker, so it works in airplane mode); each
result names its grid and building. Real Chromium, demo-seeded server.
"""

from tests.tablet_work import ready_tablet

HH = "household:g1:1-2-102"          # head 郭德明, member 郭淑珍 (the demo)


def results(page, q):
    """Household ids the home search lists for q."""
    page.fill("#q", q)
    page.wait_for_selector("#results:not([hidden])")
    return page.eval_on_selector_all("#results .hh-row", "rs => rs.map(r => r.dataset.id)")


def test_pinyin_and_initials_find_people_offline_with_grid_and_building(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    assert tablet.local_doc(HH)["head"] == "郭德明"
    tablet.offline()
    tablet.reload()
    page.wait_for_selector("#status [data-online=false]")
    assert HH in results(page, "gdm")
    assert HH in results(page, "guodeming")
    assert HH in results(page, "GDM")
    assert HH in results(page, "gsz")                            # a member, 郭淑珍
    assert HH not in results(page, "zzz")
    assert HH in results(page, "郭德")                            # characters still work
    text = page.inner_text(f"#results .hh-row[data-id='{HH}'] .hh-addr")
    assert text.startswith("网格一 · 1号楼"), text
    results(page, "gdm")
    tablet.shot("42-search-pinyin")
