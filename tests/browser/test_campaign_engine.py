"""The campaign form engine on the tablet (issue 20, foundation of item 3):
the demo campaign's form version reaches the worker's tablet with sync, and
ODK Web Forms — served from node_modules with Vue through the import map,
precached by the service worker — renders it in airplane mode, in Chinese,
with its skip logic working. Real Chromium, demo-seeded server.

The engine's own words (its "required" message, a repeat's add and remove,
a date question's picker) follow the tablet's language. The campaign screen, drafts and answers are
tested in tests/browser/test_campaign_tablet.py.
"""

import re

from tests.browser.campaign_support import household_of_two, open_form
from tests.tablet_work import ready_tablet

FORM = "form:community:shijia:winter2026:1"

MOUNT = """async (formId) => {
  const form = await window.gridvisit.db().get(formId);
  const { createApp } = await import('vue');
  const { OdkWebForm, webFormsPlugin } = await import('./vendor/web-forms/index.js');
  const host = document.createElement('div');
  host.id = 'engine-host';
  document.body.replaceChildren(host);
  createApp(OdkWebForm, {
    formXml: form.xform,
    fetchFormAttachment: () => Promise.resolve(new Response('', { status: 404 })),
  }).use(webFormsPlugin).mount(host);
  return form.questions.length;
}"""


def test_the_demo_campaign_form_renders_offline_from_the_precache(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    assert tablet.local_doc(FORM)["campaign"] == "campaign:community:shijia:winter2026"
    tablet.offline()
    tablet.reload()
    page.wait_for_selector("#status [data-online=false]")
    assert page.evaluate(MOUNT, FORM) == 21
    page.get_by_text("家中取暖方式").first.wait_for()
    page.get_by_text("常用药还够用几天").first.wait_for()
    # skip logic: the heating problem is asked only once there is no heating
    assert page.get_by_text("取暖有什么困难").count() == 0
    page.get_by_text("无取暖", exact=True).first.click()
    page.get_by_text("取暖有什么困难").first.wait_for()
    tablet.shot("50-campaign-form-offline", full_page=True)


ENGINE_ENGLISH = re.compile(r"\b(Add|Remove|Send|Repeat Item|Condition not satisfied)\b")


def test_the_engines_own_words_follow_the_tablets_language(server, tablets):
    """The words ODK Web Forms draws itself — the "required" message of a
    question left empty, a repeat's add and remove — read in Chinese on a
    zh-CN tablet and in English once the worker switches to English."""
    hh = household_of_two(server)
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    form = open_form(tablet, hh["_id"])
    form.tap("#save-answer")                                  # nothing answered yet
    page.wait_for_selector("#answer-errors:not([hidden])")
    assert "此题必须回答" in form.question("家中取暖方式").inner_text()
    assert page.inner_text("#engine-host .button-add-instance").strip().startswith("添加")
    page.click("#engine-host .button-menu")                  # the repeat block's menu
    menu = page.wait_for_selector("[data-pc-name=menu] .p-menu-item")
    assert menu.inner_text().strip() == "删除这一组"
    shown = page.inner_text("#engine-host") + page.inner_text("[data-pc-name=menu]")
    assert not ENGINE_ENGLISH.search(shown), ENGINE_ENGLISH.findall(shown)
    page.keyboard.press("Escape")

    page.evaluate("localStorage.setItem('gv.lang', 'en')")
    tablet.reload()
    form = open_form(tablet, hh["_id"])
    form.tap("#save-answer")
    page.wait_for_selector("#answer-errors:not([hidden])")
    assert "This question needs an answer" in page.inner_text("#engine-host")
    assert page.inner_text("#engine-host .button-add-instance").strip().startswith("Add")
    assert "此题必须回答" not in page.inner_text("#engine-host")


DATE_FORM = """<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
    xmlns:jr="http://openrosa.org/javarosa" xmlns:odk="http://www.opendatakit.org/xforms">
  <h:head><h:title>日期</h:title>
    <model odk:xforms-version="1.0.0">
      <instance><data id="dates"><day/><meta><instanceID/></meta></data></instance>
      <bind nodeset="/data/day" type="date" required="true()"/>
      <bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
    </model></h:head>
  <h:body><input ref="/data/day"><label>走访日期</label></input></h:body>
</h:html>"""

MOUNT_OURS = """async (xform) => {
  const { mountForm } = await import('./js/campaign_engine.js');
  const host = document.createElement('div');
  host.id = 'engine-host';
  document.body.replaceChildren(host);
  await mountForm(host, { xform, questions: [], root: 'data' }, { lang: 'zh' });
}"""


def test_the_date_picker_of_a_date_question_speaks_chinese(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    page.evaluate(MOUNT_OURS, DATE_FORM)
    page.click("#engine-host input")
    panel = page.wait_for_selector(".p-datepicker-panel")
    words = panel.inner_text()
    assert "今天" in words and "清除" in words and "月" in words, words
    assert not re.search(r"Today|Clear|January|February|March|April|May|June|July|August|"
                         r"September|October|November|December|\bSu\b|\bMo\b", words), words
