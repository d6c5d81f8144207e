"""Validation as you go (issue 14, item 10, in part).

Each field of the visit form is checked when the worker leaves it, by the
same rules the save uses (the twin of the server's schemas); an impossible
reading (50 °C) is refused before it can raise an early warning; in English
every string switches, the service presets included (stored in Chinese).
Real Chromium against a demo-seeded server, offline.
"""

from tests.tablet_work import elder_at_home, open_visit, ready_tablet


def test_an_impossible_reading_is_refused_on_leaving_it_and_raises_no_warning(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    tablet.offline()
    hh, elder = elder_at_home(server, "g1")
    open_visit(tablet, hh["_id"])
    block = page.locator(f".check[data-member='{elder['id']}']")
    block.locator(".include").check()
    block.locator("[name=temperature]").fill("50")
    assert block.locator(".warning").count() == 0                # no fever warning for a typo
    block.locator("[name=temperature]").press("Tab")             # leaving the field checks it
    error = block.locator("[data-field=temperature] .field-error")
    assert error.inner_text() == "体温须在 34–43 °C 之间"
    assert page.locator("#errors").is_hidden()                   # no summary before saving
    block.locator("[name=temperature]").fill("38.5")
    block.locator("[name=temperature]").press("Tab")
    assert block.locator("[data-field=temperature] .field-error").count() == 0
    assert block.locator(".warning").count() >= 1                # a real fever warns


def test_in_english_the_form_and_its_presets_switch(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    page.evaluate("localStorage.setItem('gv.lang', 'en')")
    hh, elder = elder_at_home(server, "g1")
    tablet.open(f"/hh/{hh['_id']}/visit")
    page.wait_for_selector("#visit-form")
    presets = page.eval_on_selector_all("[data-name=services] .choice", "bs => bs.map(b => b.textContent)")
    assert "Temperature taken" in presets and not any("测" in p for p in presets), presets
    assert page.inner_text("[data-name=channel] .choice[data-value=phone]").strip() == "phone"
    block = page.locator(f".check[data-member='{elder['id']}']")
    block.locator(".include").check()
    block.locator("[name=spo2]").fill("120")
    block.locator("[name=spo2]").press("Tab")
    text = block.locator("[data-field=spo2] .field-error").inner_text()
    assert "SpO2" in text and "100" in text, text
    page.click("[data-name=services] .choice[data-value='测量体温']")
    tablet.shot("41-visit-english")
