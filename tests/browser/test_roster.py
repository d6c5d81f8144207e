"""The roster at the door (issue 14, item 5, in part): a household added
offline, and its address and head edited.

A new household's id is ``household:{grid}:n-{20 random hex}``, so two
tablets adding the same flat offline never collide (they make two documents
the supervisor can merge, never one overwriting the other). Its fields are
stamped as new and later edits merge field by field as every household edit
does. Real Chromium against a demo-seeded server.
"""

import re

from tests.tablet_work import eventually, ready_tablet

NEW_ID = re.compile(r"^household:g1:n-[0-9a-f]{20}$")


def member(page, name, year, tag=None):
    """Add a member on the open household form."""
    page.click("#add-member")
    block = page.locator(".member-edit").last
    block.locator("[name=name]").fill(name)
    block.locator("[name=birth_year]").fill(str(year))
    if tag:
        block.locator(f"[data-name=tags] .choice[data-value={tag}]").click()


def test_a_household_added_offline_with_two_members_reaches_the_server_and_edits_merge(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    other = ready_tablet(tablets, "wangfang")
    page = tablet.page
    tablet.offline()
    other.offline()
    tablet.go("/grid/g1/b/1号楼")
    page.click("#new-household")
    page.wait_for_selector("#hh-new")
    assert page.input_value("#hh-fields [name=building]") == "1号楼"
    page.click("#save")                                          # no room: said, not a 500
    assert "房号" in page.inner_text("#errors")
    page.fill("#hh-fields [name=unit]", "3单元")
    page.fill("#hh-fields [name=room]", "501")
    page.fill("#hh-fields [name=head]", "赵德顺")
    page.fill("#hh-fields [name=phone]", "139 0000 1111")
    member(page, "赵德顺", 1950, "over65")
    member(page, "钱秀英", 1953)
    tablet.shot("39-household-new")
    page.click("#save")
    page.wait_for_selector("[data-household^='household:g1:n-']")
    hh_id = page.get_attribute("[data-household]", "data-household")
    assert NEW_ID.match(hh_id), hh_id
    doc = tablet.local_doc(hh_id)
    assert [m["name"] for m in doc["members"]] == ["赵德顺", "钱秀英"]
    assert {"room", "head", "phone"} <= set(doc["stamps"])
    assert any(key.startswith("members.") for key in doc["stamps"])

    # The same flat added on her second tablet gets another id.
    other.go("/grid/g1/new")
    other.page.fill("#hh-fields [name=building]", "1号楼")
    other.page.fill("#hh-fields [name=room]", "501")
    other.page.click("#save")
    other.page.wait_for_selector("[data-household^='household:g1:n-']")
    assert other.page.get_attribute("[data-household]", "data-household") != hh_id

    # The room was wrong: edited alone, only it is stamped anew.
    tablet.go(f"/hh/{hh_id}/edit")
    page.fill("#hh-fields [name=room]", "502")
    page.click("#save")
    page.wait_for_selector(f"[data-household='{hh_id}']")
    edited = tablet.local_doc(hh_id)
    assert edited["room"] == "502"
    assert {k for k, v in edited["stamps"].items() if doc["stamps"].get(k) != v} == {"room"}

    tablet.offline(False)
    tablet.wait_synced()
    held = eventually(lambda: server.docs([hh_id])[hh_id], what="the new household on the server")
    assert held["room"] == "502" and len(held["members"]) == 2 and held["head"] == "赵德顺"


def test_moved_out_and_deceased_are_marked_never_deleted(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    tablet.offline()
    hh_id = "household:g1:1-2-102"
    start = tablet.local_doc(hh_id)
    first, second = start["members"][0], start["members"][1]
    tablet.go(f"/hh/{hh_id}/edit")
    page.wait_for_selector("#hh-form")
    assert page.locator(".member-edit .remove-member").count() == 0   # no hard deletes
    page.click(f".member-edit[data-member='{second['id']}'] [data-name=status] .choice[data-value=deceased]")
    page.click(f".member-edit[data-member='{first['id']}'] [data-name=status] .choice[data-value=moved]")
    page.click("#hh-fields [data-name=status] .choice[data-value=moved_out]")
    tablet.shot("43-household-moved-out")
    page.click("#save")
    page.wait_for_selector(f"[data-household='{hh_id}'] #moved-out")
    doc = tablet.local_doc(hh_id)
    assert doc["status"] == "moved_out"
    assert [m.get("status") for m in doc["members"]] == ["moved", "deceased"]
    assert [m["name"] for m in doc["members"]] == [first["name"], second["name"]]   # both kept
    assert {"status", f"members.{first['id']}.status", f"members.{second['id']}.status"} <= set(doc["stamps"])
    assert page.locator("[data-member-status=deceased]").count() == 1
    page.click("#new-visit")
    page.wait_for_selector("#visit-form")
    assert page.locator(".check").count() == 0                   # nobody left to check
    tablet.go("/grid/g1/b/1号楼")
    assert page.locator(f".hh-row[data-id='{hh_id}'] [data-moved-out]").count() == 1
    tablet.offline(False)
    tablet.wait_synced()
    held = eventually(lambda: (d := server.docs([hh_id])[hh_id]) and d.get("status") == "moved_out" and d,
                      what="the move on the server")
    assert [m.get("status") for m in held["members"]] == ["moved", "deceased"]
