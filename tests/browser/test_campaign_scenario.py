"""Issue 20's scenario end to end in Chromium: the supervisor uploads the demo
XLSForm on the console as the campaign's next form version; the worker's
tablet receives it on its next sync, fills it offline for two targeted
households (one of two members, a repeat block each; one where no
emergency contact skips the contact questions), syncs; the console's
results page shows the answers and exports them. Screenshots of the tablet
form and the console results; the taps of the household of two are
printed (docs/campaign-forms.md records them). Tablet and console reach the
server by its LAN name over HTTPS, as every browser test does (conftest.py)."""

import io
from pathlib import Path

import openpyxl

from tests.browser.campaign_support import (CAMPAIGN, answers_of, fill_household_of_two,
                                            household_of_two, open_form, targeted_single)
from tests.browser.console_support import shot as console_shot
from tests.tablet_work import console_as, eventually, ready_tablet

XLSFORM = Path(__file__).resolve().parents[2] / "docs" / "campaign-winter.xlsx"
FORM2 = "form:community:shijia:winter2026:2"


def test_upload_fill_offline_sync_and_export(server, tablets, browser):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    console = console_as(browser, server)
    console.goto(server.base + "/console/campaigns")
    section = console.locator(f"section.campaign[id='{CAMPAIGN}']")
    section.locator("input[name=xlsform]").set_input_files(str(XLSFORM))
    section.locator("button[data-upload]").click()
    console.wait_for_selector(".flash.ok")

    eventually(lambda: tablet.local_doc(FORM2), what="form version 2 on the tablet")
    tablet.offline()
    two, one = household_of_two(server), targeted_single(server)
    form = open_form(tablet, two["_id"])
    assert page.get_attribute("#campaign-form", "data-form") == FORM2
    fill_household_of_two(form, names=[m["name"] for m in two["members"]])
    tablet.shot("campaign-form-tablet", full_page=True, upright=False)
    form.tap("#save-answer")
    page.wait_for_selector("#household-campaigns .campaign-row[data-answered=yes]")
    taps = form.taps
    print(f"TAPS household of two: {taps}")

    form = open_form(tablet, one["_id"])
    form.choose("家中取暖方式", "自采暖（电、燃气）")
    form.choose("室内温度是否适宜", "是")
    form.type("常用药还够用几天", 20)
    form.choose("是否有紧急联系人", "否")                  # skip logic: no contact questions
    assert form.question("联系人姓名").count() == 0
    form.type("姓名", one["members"][0]["name"])
    form.choose("身体状况", "良好")
    form.choose("已发放一人一专班联系卡 / 爱心告知书", "是")
    form.tap("#save-answer")
    page.wait_for_selector("#household-campaigns .campaign-row[data-answered=yes]")
    mine = {a["household"]: a for a in answers_of(tablet) if a.get("household") in (two["_id"], one["_id"])}
    assert {a["form"] for a in mine.values()} == {FORM2}
    assert len(mine[two["_id"]]["values"]["members"]) == 2
    assert "contact_name" not in mine[one["_id"]]["values"]

    tablet.offline(False)
    tablet.wait_synced()
    eventually(lambda: all(server.docs(list(a["_id"] for a in mine.values())).values()),
               what="both answers on the server")
    console.goto(server.base + f"/console/campaigns/{CAMPAIGN}/results")
    for answer in mine.values():
        console.wait_for_selector(f"tr.answer[data-answer='{answer['_id']}']")
    assert console.locator("#campaign-answers th", has_text="重点人员（每人一组）[2] 姓名").count() == 1
    console_shot(console, "campaign-results", full_page=True)
    with console.expect_download() as download:
        console.click("#answers-xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    exported = {row[0].value for row in sheet.iter_rows(min_row=2)}
    assert {a["_id"] for a in mine.values()} <= exported
    assert taps > 10
