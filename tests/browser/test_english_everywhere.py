"""In English every word of the field app switches (issue 14, item 10).

A worker switches the language on the settings screen, then walks the home
screen, a grid and a building, two households and their visits, the
new-visit form (with an error), 待办, notices and the sync screen in real
Chromium against a demo-seeded server. On each, the visible text and the
labels a screen reader reads (placeholder, aria-label, title) hold no Chinese
but data: a run of Chinese characters is data when it is part of a value the
tablet holds (its documents, its session: household heads, addresses, grid
names, reasons, services stored in Chinese, the worker's name). The one
other Chinese word allowed is 中文 on the language button, which names the
language it switches to.
"""

import re

from tests.tablet_work import elder_at_home, open_visit, ready_tablet

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+")
DATA = """async () => {
  const out = [];
  const walk = (x) => {
    if (typeof x === 'string') out.push(x);
    else if (Array.isArray(x)) x.forEach(walk);
    else if (x && typeof x === 'object') Object.values(x).forEach(walk);
  };
  const local = window.gridvisit.db();                // none before the first sign-in
  if (local) (await local.allDocs({ include_docs: true })).rows.forEach((r) => walk(r.doc));
  for (let i = 0; i < localStorage.length; i += 1) {
    const text = localStorage.getItem(localStorage.key(i));
    try { walk(JSON.parse(text)); } catch (e) { walk(text); }
  }
  return out;
}"""
SHOWN = """() => {
  const lang = document.getElementById('lang');
  const texts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || (lang && lang.contains(el)) || !el.checkVisibility()) continue;
    if (['SCRIPT', 'STYLE', 'TEMPLATE'].includes(el.tagName)) continue;
    texts.push(n.textContent);
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title]')) {
    if (!el.checkVisibility()) continue;
    for (const a of ['placeholder', 'aria-label', 'title']) if (el.getAttribute(a)) texts.push(el.getAttribute(a));
  }
  return texts;
}"""


HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def not_data(page):
    """Runs of Chinese on the page that are no part of a value the tablet holds.

    A run with a Chinese character is data when some value holds it; a run of
    punctuation alone (：、；（）) only when its whole text is part of a value,
    since a stray full-width colon after an English word is in some value too.
    """
    data = page.evaluate(DATA)
    found = set()
    for text in page.evaluate(SHOWN):
        whole = text.strip()
        for run in CJK.findall(text):
            probe = run if HAN.search(run) else whole
            if not any(probe in value for value in data):
                found.add(run)
    return sorted(found)


def test_in_english_no_screen_shows_chinese_but_data(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    tablet.go("/settings")
    page.wait_for_selector("#lang")
    assert "设置" in not_data(page)                     # in Chinese, the check sees the words
    with page.expect_navigation():
        page.click("#lang")
    tablet.wait_open()
    page.wait_for_selector("#lang")
    assert page.inner_text("#lang").endswith("中文") and page.inner_text("#title") == "Settings"
    assert not_data(page) == [], "settings"

    tablet.go("/")
    page.wait_for_selector(".grid-card")
    assert not_data(page) == [], "home"

    tablet.go("/grid/g1")
    page.wait_for_selector(".building-card")
    assert not_data(page) == [], "grid"
    page.click(".building-card >> nth=0")
    page.wait_for_selector("#new-household")
    assert not_data(page) == [], "building"

    hh, elder = elder_at_home(server, "g1")
    red = next(h for h in server.docs([f"household:g1:{b}-{u}-{r}" for b in (1, 2, 3)
                                       for u in (1, 2) for r in (101, 102, 201, 202)]).values()
               if h and h.get("colour") in ("red", "yellow") and h.get("colour_reason"))
    for household in (hh, red):
        tablet.go(f"/hh/{household['_id']}")
        page.wait_for_selector("#new-visit")
        assert CJK.search(page.inner_text("#view")), "the household's data stays Chinese"
        assert not_data(page) == [], household["_id"]
        if household is red:                        # the demo visited every red household
            page.click(".visit-row >> nth=0")
            page.wait_for_function("location.hash.startsWith('#/visit/')")
            page.wait_for_selector("#title:has-text('Visit')")
            assert not_data(page) == [], "a visit of " + household["_id"]

    open_visit(tablet, hh["_id"])
    page.click("[data-name=outcome] [data-value=met]")
    page.click("#add-need")
    block = page.locator(f".check[data-member='{elder['id']}']")
    block.locator(".include").check()
    block.locator("[name=temperature]").fill("50")
    block.locator("[name=temperature]").press("Tab")            # an error, in English
    page.wait_for_selector("[data-field=temperature] .field-error")
    assert not_data(page) == [], "visit form"

    tablet.open("/todo")                # afresh: leaving the form would ask about its draft
    page.wait_for_selector("#view .todo-row")
    assert page.inner_text("#title") == "To do" and not_data(page) == [], "todo"

    tablet.go("/notices")
    page.wait_for_selector("#notices-list, #view .empty", state="attached")
    assert not_data(page) == [], "notices"

    tablet.go("/sync")
    page.wait_for_selector("#sync-now")
    assert not_data(page) == [], "sync"
    assert tablet.errors == []


def test_in_english_signing_in_and_the_household_forms_show_no_chinese(server, tablets):
    tablet = tablets()
    page = tablet.page
    tablet.open("/login")
    page.evaluate("localStorage.setItem('gv.lang', 'en')")
    tablet.open("/login")
    page.wait_for_selector("#login-form")
    assert page.inner_text("#title") == "Sign in" and not_data(page) == [], "login"
    page.fill("input[name=name]", "wangfang")
    page.fill("input[name=password]", "wrong-password")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#login-error:not([hidden])")
    assert not_data(page) == [], "login refused"
    page.fill("input[name=password]", "demo-wangfang")
    page.click("#login-form button[type=submit]")
    page.wait_for_selector("#pin-form")
    assert not_data(page) == [], "set a PIN"
    tablet.set_pin()
    page.wait_for_selector(".grid-card")
    tablet.wait_synced()
    tablet.go("/grid/g1/new")
    page.wait_for_selector("form")
    assert not_data(page) == [], "new household"
    hh, _ = elder_at_home(server, "g1")
    tablet.go(f"/hh/{hh['_id']}/edit")
    page.wait_for_selector("form")
    assert not_data(page) == [], "household editor"
    assert tablet.errors == []
