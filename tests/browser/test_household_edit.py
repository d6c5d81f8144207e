"""The household editor changes only what the worker touched (issue 14, item 1).

The household's ``notes`` once shared its input name with each member's notes,
so ``form.notes`` read a list and saved nothing — and an edit of the phone
alone deleted the household's notes, stamped, so the loss won every merge.
Each test here edits one field alone on a household with members, tags and
notes, and checks that every other field is unchanged and carries no new
stamp. Real Chromium against a real demo-seeded server; the edits are made
offline, as in a stairwell, and must reach the server as made.
"""

import pytest

HH = "household:g1:2-1-202"
# Fields every save rewrites: the revision and who saved it when.
BOOKKEEPING = {"_rev", "updated_at", "updated_by", "device", "stamps"}


def save(tablet):
    """Press save on the edit form and wait for the household page."""
    tablet.page.click("#save")
    tablet.page.wait_for_selector(f"[data-household='{HH}']")


def open_editor(tablet):
    """The household's edit form."""
    tablet.go(f"/hh/{HH}/edit")
    tablet.page.wait_for_selector("#hh-form")


def member_block(member_id):
    return f".member-edit[data-member='{member_id}']"


def new_stamps(before, after):
    """Stamp keys an edit added or renewed."""
    old = before.get("stamps", {})
    return {key for key, value in after.get("stamps", {}).items() if old.get(key) != value}


def body(doc):
    return {key: value for key, value in doc.items() if key not in BOOKKEEPING}


@pytest.fixture
def worker(server, tablets):
    """wangfang's tablet, offline, on a household given notes and a member note
    through the editor itself (the write the bug lost)."""
    tablet = tablets()
    tablet.login("wangfang")
    tablet.offline()
    start = tablet.local_doc(HH)
    members = start["members"]
    assert len(members) >= 2 and any(m.get("tags") for m in members), members
    first = members[0]["id"]
    open_editor(tablet)
    tablet.page.fill("#hh-fields [name=notes]", "独居老人，儿子在外地，周末回来")
    tablet.page.fill(f"{member_block(first)} [name=notes]", "耳背，敲门要用力")
    save(tablet)
    doc = tablet.local_doc(HH)
    assert doc["notes"] == "独居老人，儿子在外地，周末回来"
    assert doc["members"][0]["notes"] == "耳背，敲门要用力"
    assert {"notes", f"members.{first}.notes"} <= new_stamps(start, doc)
    return tablet


def household_edits(doc):
    """(name, action on the page, the doc as it should be after, stamp keys expected)."""
    first, second = doc["members"][0], doc["members"][1]
    tagged = next(m for m in doc["members"] if m.get("tags"))
    tag = tagged["tags"][0]
    other_colour = "red" if doc["colour"] != "red" else "yellow"

    def with_member(member_id, **fields):
        def change(d):
            for m in d["members"]:
                if m["id"] == member_id:
                    m.update(fields)
        return change

    def without_tag(d):
        next(m for m in d["members"] if m["id"] == tagged["id"])["tags"].remove(tag)

    return [
        ("phone", lambda p: p.fill("#hh-fields [name=phone]", "139 2222 3333"),
         lambda d: d.update(phone="139 2222 3333"), {"phone"}),
        ("notes", lambda p: p.fill("#hh-fields [name=notes]", "已留联系卡"),
         lambda d: d.update(notes="已留联系卡"), {"notes"}),
        ("colour_reason", lambda p: p.fill("#hh-fields [name=colour_reason]", "血压偏高，每周量一次"),
         lambda d: d.update(colour_reason="血压偏高，每周量一次"), {"colour_reason"}),
        ("colour", lambda p: p.click(f"#hh-fields [data-name=colour] [data-value={other_colour}]"),
         lambda d: d.update(colour=other_colour), {"colour", "colour.base"}),
        ("member name", lambda p: p.fill(f"{member_block(second['id'])} [name=name]", "王淑珍"),
         with_member(second["id"], name="王淑珍"), {f"members.{second['id']}.name"}),
        ("member birth year", lambda p: p.fill(f"{member_block(second['id'])} [name=birth_year]", "1950"),
         with_member(second["id"], birth_year=1950), {f"members.{second['id']}.birth_year"}),
        ("member notes", lambda p: p.fill(f"{member_block(first['id'])} [name=notes]", "助听器已配"),
         with_member(first["id"], notes="助听器已配"), {f"members.{first['id']}.notes"}),
        ("member tag", lambda p: p.click(f"{member_block(tagged['id'])} [data-name=tags] [data-value={tag}]"),
         without_tag, {f"members.{tagged['id']}.tags.{tag}"}),
    ]


def test_each_field_edited_alone_leaves_every_other_field_and_stamp(worker, server):
    tablet = worker
    for name, act, expect, stamps in household_edits(tablet.local_doc(HH)):
        before = tablet.local_doc(HH)
        open_editor(tablet)
        act(tablet.page)
        save(tablet)
        after = tablet.local_doc(HH)
        wanted = body(before)
        expect(wanted)
        assert body(after) == wanted, name
        assert new_stamps(before, after) == stamps, name
    tablet.offline(False)
    tablet.wait_synced()
    assert server.docs([HH])[HH] == tablet.local_doc(HH)


def test_saving_an_untouched_form_writes_nothing(worker):
    tablet = worker
    before = tablet.local_doc(HH)
    open_editor(tablet)
    save(tablet)
    assert tablet.local_doc(HH) == before


def test_adding_a_member_changes_only_the_members(worker):
    tablet = worker
    before = tablet.local_doc(HH)
    open_editor(tablet)
    page = tablet.page
    page.click("#add-member")
    page.fill(".member-edit:last-of-type [name=name]", "孙秀英")
    page.fill(".member-edit:last-of-type [name=birth_year]", "1942")
    save(tablet)
    after = tablet.local_doc(HH)
    added = after["members"][-1]
    assert added["name"] == "孙秀英" and added["birth_year"] == 1942
    assert after["members"][:-1] == before["members"]
    assert {k: v for k, v in body(after).items() if k != "members"} == \
        {k: v for k, v in body(before).items() if k != "members"}
    added_keys = {f"members.{added['id']}", f"members.{added['id']}.name",
                  f"members.{added['id']}.birth_year"}
    assert new_stamps(before, after) == added_keys
