"""The campaign form engine on the tablet (issue 20, foundation of item 3):
the demo campaign's form version reaches the worker's tablet with sync, and
ODK Web Forms — served from node_modules with Vue through the import map,
precached by the service worker — renders it in airplane mode, in Chinese,
with its skip logic working. Real Chromium, demo-seeded server.

What is not here yet: the campaign screen inside a household's visit,
drafts and the answer written from the form (see the issue's closing note).
"""

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
