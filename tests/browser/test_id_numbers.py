"""Resident ID numbers on the tablet (issue 21, items 1 and 4): entered on the
household form and checked as the worker leaves the field (the server's
rules and words), saved as a stamped edit of that field alone; a whole number
finds its household, shown masked, part of one finds nothing; the household
page shows it masked until a deliberate tap; and it is nowhere in clear in
the tablet's IndexedDB. Real Chromium against a demo-seeded server."""

from rules.idnumber import check_digit, mask
from tests.browser.security_support import dump, text_of
from tests.tablet_work import households, ready_tablet



def id_number(year):
    """A valid made-up ID number ending in X of someone born on 18 June ``year``."""
    first = next(f for f in (f"110101{year}0618{n:03d}" for n in range(1000))
                 if check_digit(f) == "X")
    return first + "X"


def test_an_id_number_is_checked_saved_alone_found_whole_and_shown_masked(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    hh = next(h for h in households(server, "g1") if len(h["members"]) >= 2)
    member = hh["members"][1]
    assert "id_number" not in member and member["birth_year"]
    number = id_number(member["birth_year"] + 1)               # a year off: warned, not refused
    wrong = number[:17] + ("1" if number[17] != "1" else "2")
    before = tablet.local_doc(hh["_id"])
    tablet.offline()

    tablet.go(f"/hh/{hh['_id']}/edit")
    block = page.locator(f".member-edit[data-member='{member['id']}']")
    field = block.locator("[name=id_number]")
    field.fill(wrong)
    field.press("Tab")                                          # leaving the field checks it
    assert block.locator("[data-field=id_number] .field-error").inner_text().startswith(
        "身份证号校验位不正确")
    field.fill(id_number(member["birth_year"]))
    field.press("Tab")
    assert block.locator("[data-field=id_number] .field-error").count() == 0
    assert block.locator("[data-id-birth-year]").count() == 0   # the years agree
    field.fill(number[:6] + " " + number[6:14] + " " + number[14:].lower())   # typed "…x"
    field.press("Tab")
    assert block.locator("[data-field=id_number] .field-error").count() == 0
    assert str(member["birth_year"] + 1) in block.locator("[data-id-birth-year]").inner_text()
    page.click("#save")
    page.wait_for_selector(f"[data-household='{hh['_id']}']")

    after = tablet.local_doc(hh["_id"])
    saved = next(m for m in after["members"] if m["id"] == member["id"])
    assert saved == dict(member, id_number=number)             # capital X, no spaces
    renewed = {k for k, v in after["stamps"].items() if before["stamps"].get(k) != v}
    assert renewed == {f"members.{member['id']}.id_number"}
    assert [m for m in after["members"] if m["id"] != member["id"]] == \
        [m for m in before["members"] if m["id"] != member["id"]]

    # Search: the whole number finds the household, its member shown masked.
    tablet.go("/")
    page.fill("#q", number.lower())
    row = page.locator(f"#results .hh-row[data-id='{hh['_id']}']")
    row.wait_for()
    assert row.locator("[data-masked-idno]").inner_text() == f"{member['name']} {mask(number)}"
    assert number not in page.content()
    page.fill("#q", number[:14])                                # part of one finds nothing
    page.wait_for_function("() => !document.querySelector('#results [data-masked-idno]')")
    assert page.locator(f"#results .hh-row[data-id='{hh['_id']}']").count() == 0

    # The household page: masked until the deliberate tap.
    tablet.go(f"/hh/{hh['_id']}")
    button = page.locator("li.member [data-id-number] button[data-idno]").filter(
        has_text=mask(number))
    assert button.inner_text() == mask(number)
    assert number not in page.content()                         # not even hidden in the DOM
    button.click()
    assert page.locator("li.member [data-id-number] .revealed").filter(
        has_text=number).count() == 1

    # Encrypted at rest: neither the number nor the field's name is in clear.
    idb = text_of(dump(tablet)["idb"])
    assert '"sealed"' in idb
    for clear in (number, number[:14], '"id_number"', mask(number)):
        assert clear not in idb
    heads = [m["id_number"] for h in households(server, "g1") for m in h["members"]
             if m.get("id_number")]
    assert heads and [n for n in heads if n in idb or n[:14] in idb] == []

    tablet.offline(False)
    tablet.wait_synced()
    on_server = server.docs([hh["_id"]])[hh["_id"]]
    assert next(m for m in on_server["members"] if m["id"] == member["id"])["id_number"] == number
