"""Data minimisation on screen (issue 21, item 4): a household's phone number
is masked in lists and search results (search by its digits still finds it)
and on the household's page until a deliberate tap; the full number is not
in the page before the tap; photos offer no save or drag. Real Chromium."""

import re

from tests.tablet_work import households, ready_tablet


def test_phone_masked_in_search_and_on_the_page_until_tapped(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    hh = next(h for h in households(server, "g1") if h.get("phone"))
    digits = re.sub(r"\D", "", hh["phone"])
    masked = f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
    page.fill("#q", digits[-6:])                                   # search by the phone's digits
    row = page.locator(f"#results .hh-row[data-id='{hh['_id']}']")
    row.wait_for()
    assert row.locator("[data-masked-phone]").inner_text() == masked
    assert digits not in re.sub(r"\D", "", page.inner_text("#results").replace(masked, ""))

    tablet.go(f"/hh/{hh['_id']}")
    button = page.locator(f"[data-household='{hh['_id']}'] button[data-phone]")
    assert button.inner_text() == masked
    assert hh["phone"] not in page.content()                       # not even hidden in the DOM
    button.click()                                                 # the deliberate tap
    link = page.locator(f"[data-household='{hh['_id']}'] a[data-phone]")
    assert link.inner_text() == hh["phone"]
    assert link.get_attribute("href") == "tel:" + hh["phone"].replace(" ", "")
    tablet.go("/")
    tablet.go(f"/hh/{hh['_id']}")                                  # masked again on the next visit
    assert page.locator(f"[data-household='{hh['_id']}'] button[data-phone]").inner_text() == masked


def test_photos_offer_no_save_menu_and_no_download_link(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    blocked = page.evaluate("""() => {
        const holder = document.createElement('div'); holder.id = 'photos';
        const img = document.createElement('img'); img.className = 'photo'; holder.append(img);
        document.body.append(holder);
        const menu = new MouseEvent('contextmenu', {bubbles: true, cancelable: true});
        const drag = new DragEvent('dragstart', {bubbles: true, cancelable: true});
        const out = [!img.dispatchEvent(menu), !img.dispatchEvent(drag),
                     getComputedStyle(img).webkitUserDrag || 'none'];
        holder.remove();
        return out;
    }""")
    assert blocked == [True, True, "none"]
    assert page.locator("a[download]").count() == 0
