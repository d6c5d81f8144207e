"""Household forms keep drafts (issue 14, item 2): the household editor and the
new-household form keep every change as a draft (``_local/drafts``, keys
``edit:{household}`` and ``new:{grid}``), come back as typed after the app is
killed, are listed under 未完成 on the household page, the home screen and
待办 with resume and discard, and ask before leaving with unsaved input.
Real Chromium against a real demo-seeded server, offline."""

from tests.tablet_work import draft_kept, eventually, households, ready_tablet


def offline_tablet(tablets):
    """wangfang's tablet in airplane mode, restarted from its cache."""
    tablet = ready_tablet(tablets, "wangfang")
    tablet.offline()
    tablet.reload()
    tablet.page.wait_for_selector("#status [data-online=false]")
    return tablet


def test_a_household_edit_survives_a_restart_and_is_resumed_from_the_lists(server, tablets):
    tablet = offline_tablet(tablets)
    page = tablet.page
    hh = next(h for h in households(server, "g1") if h.get("colour") == "green")
    hid = hh["_id"]
    tablet.go(f"/hh/{hid}/edit")
    page.fill("#hh-fields [name=phone]", "139 2222 3333")
    page.click("#hh-fields [data-name=colour] [data-value=yellow]")
    page.fill("#hh-fields [name=colour_reason]", "独居老人，腿脚不便")
    page.click("#add-member")
    page.fill(".member-edit:last-of-type [name=name]", "赵秀兰")
    page.click(".member-edit:last-of-type [data-name=tags] [data-value=over65]")
    eventually(lambda: (d := draft_kept(tablet, f"edit:{hid}"))
               and d["form"]["members"][-1]["fields"]["name"] == "赵秀兰",
               what="the edit's draft")

    tablet.open(f"/hh/{hid}/edit")                              # the app killed and opened again
    page.wait_for_selector("#hh-form")
    assert page.input_value("#hh-fields [name=phone]") == "139 2222 3333"
    assert page.input_value("#hh-fields [name=colour_reason]") == "独居老人，腿脚不便"
    yellow = "#hh-fields [data-name=colour] [data-value=yellow]"
    assert page.get_attribute(yellow, "aria-pressed") == "true"
    added = page.locator(".member-edit:last-of-type")
    assert added.locator("[name=name]").input_value() == "赵秀兰"
    over65 = added.locator("[data-name=tags] [data-value=over65]")
    assert over65.get_attribute("aria-pressed") == "true"

    page.click("#hh-form .actions a.btn")                       # 取消: asks first; stay
    page.click("#dialog [data-answer=stay]")
    page.wait_for_selector("#hh-form")
    tablet.go(f"/hh/{hid}")                                      # asks again: keep the draft and go
    page.click("#dialog [data-answer=keep]")
    page.wait_for_selector(f"[data-household='{hid}']")
    row = page.locator(f"#drafts [data-draft='edit:{hid}']")
    assert row.locator("[data-draft-kind=edit]").inner_text() == "未保存的住户修改"
    tablet.go("/")
    page.locator(f"#drafts [data-draft='edit:{hid}']").wait_for()
    tablet.go("/todo")
    page.locator(f"#todo-drafts [data-draft-of='edit:{hid}']").wait_for()
    tablet.go("/")
    page.click(f"#drafts [data-draft='edit:{hid}'] .resume-draft")
    page.wait_for_selector("#hh-form")
    assert page.input_value("#hh-fields [name=phone]") == "139 2222 3333"
    page.click("#save")
    page.wait_for_selector(f"[data-household='{hid}']")
    assert page.locator("#drafts").count() == 0
    assert draft_kept(tablet, f"edit:{hid}") is None
    saved = tablet.local_doc(hid)
    assert (saved["phone"], saved["colour"]) == ("139 2222 3333", "yellow")
    assert any(m["name"] == "赵秀兰" and m.get("tags") == ["over65"] for m in saved["members"])


def test_a_new_household_draft_is_kept_discarded_after_a_confirm_and_saved_whole(server, tablets):
    tablet = offline_tablet(tablets)
    page = tablet.page
    tablet.go("/grid/g1/new")
    page.fill("#hh-fields [name=building]", "9号楼")
    page.fill("#hh-fields [name=room]", "902")
    page.fill("#hh-fields [name=head]", "钱大爷")
    eventually(lambda: (d := draft_kept(tablet, "new:g1"))
               and d["form"]["fields"]["head"] == "钱大爷", what="the new household's draft")
    tablet.open("/grid/g1/new")                                  # reloaded: back as typed
    page.wait_for_selector("#hh-new")
    assert page.input_value("#hh-fields [name=head]") == "钱大爷"
    assert page.input_value("#hh-fields [name=building]") == "9号楼"

    tablet.go("/")                                               # leaving asks: keep it
    page.click("#dialog [data-answer=keep]")
    row = page.locator("#drafts [data-draft='new:g1']")
    assert "9号楼 902" in row.inner_text() and "未保存的新住户" in row.inner_text()
    row.locator(".discard-draft").click()                        # discard asks first: no
    page.click("#dialog [data-answer=no]")
    assert draft_kept(tablet, "new:g1") is not None
    row.locator(".discard-draft").click()
    page.click("#dialog [data-answer=yes]")
    page.locator("#drafts [data-draft='new:g1']").wait_for(state="detached")
    assert draft_kept(tablet, "new:g1") is None

    tablet.go("/grid/g1/new")                                    # a fresh form, then saved
    assert page.input_value("#hh-fields [name=head]") == ""
    page.fill("#hh-fields [name=building]", "9号楼")
    page.fill("#hh-fields [name=room]", "903")
    page.fill("#hh-fields [name=head]", "孙阿姨")
    eventually(lambda: draft_kept(tablet, "new:g1"), what="the draft")
    page.click("#save")
    page.locator("[data-household]").filter(has_text="孙阿姨").wait_for()
    assert draft_kept(tablet, "new:g1") is None
    assert page.locator("#drafts").count() == 0
