"""The supervisor console in Debian's Chromium (Playwright), against a real
``gridvisit serve`` holding the lived-in demo community (``tests/console_data``).

1. 张伟 (zhangwei, supervisor) approves one of 王芳's visits and sends another
   back with a comment, by clicking through the console; then 王芳's tablet —
   a real PouchDB in node, signed in with a device token — replicates and
   holds both review documents, the comment included.
2. An XLSX export of a filtered review queue, downloaded by the browser,
   opens with openpyxl and holds exactly the filtered rows.
3. Screenshots of the main pages go to console-*.png (``make screenshots`` refreshes
   docs/screenshots/).
"""

import io
import json
import os
import re
import subprocess

from openpyxl import load_workbook

from tests import pdftext
from tests.browser.console_support import console_server, page, shot, sign_in  # noqa: F401
from tests.peers import ROOT

TABLET = r"""
const {PouchDB, local} = require('./tests/interop/_common');
(async () => {
  const input = JSON.parse(process.argv[1]);
  const res = await PouchDB.fetch(input.api + '/login', {method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({name: input.name, password: input.password, device: '平板-07'})});
  const {token} = await res.json();
  const remote = new PouchDB(input.db, {fetch: (url, opts) => {
    opts = opts || {};
    const headers = new Headers(opts.headers || {});
    headers.set('Authorization', 'Bearer ' + token);
    return PouchDB.fetch(url, Object.assign({}, opts, {headers}));
  }});
  const db = local('tablet');
  const result = await PouchDB.replicate(remote, db);
  const reviews = await db.allDocs({include_docs: true, startkey: 'review:',
                                    endkey: 'review:\ufff0'});
  console.log(JSON.stringify({ok: result.ok, docs: result.docs_written,
                              reviews: reviews.rows.map((r) => r.doc)}));
})().catch((err) => { console.error(err); process.exit(1); });
"""


# A tablet (real PouchDB in node, device token) records a visit with an
# impossible temperature and pushes it (refused); it then waits for a line on
# stdin, pulls, and reports its own copy of the visit.
REFUSED_TABLET = r"""
const {PouchDB, local} = require('./tests/interop/_common');
const readline = require('node:readline');
(async () => {
  const input = JSON.parse(process.argv[1]);
  const res = await PouchDB.fetch(input.api + '/login', {method: 'POST',
    headers: {'Content-Type': 'application/json'},
    body: JSON.stringify({name: input.name, password: input.password, device: '平板-09'})});
  const {token} = await res.json();
  const remote = new PouchDB(input.db, {fetch: (url, opts) => {
    opts = opts || {};
    const headers = new Headers(opts.headers || {});
    headers.set('Authorization', 'Bearer ' + token);
    return PouchDB.fetch(url, Object.assign({}, opts, {headers}));
  }});
  const db = local('tablet');
  const put = await db.put(input.doc);
  const pushed = await PouchDB.replicate(db, remote);
  console.log(JSON.stringify({rev: put.rev, written: pushed.docs_written,
                              failures: pushed.doc_write_failures}));
  const lines = readline.createInterface({input: process.stdin});
  for await (const _line of lines) break;
  const pulled = await PouchDB.replicate(remote, db);
  const doc = await db.get(input.doc._id, {conflicts: true});
  console.log(JSON.stringify({pulled: pulled.docs_written, doc}));
  process.exit(0);
})().catch((err) => { console.error(err); process.exit(1); });
"""


def queue_ids(page):
    return page.eval_on_selector_all("#visits tbody tr[data-id]",
                                     "rows => rows.map(r => r.dataset.id)")


def _node_tablet(server):
    """(base URL, environment) of a PouchDB tablet in node: node cannot map the LAN
    name to loopback as the browser does, so it asks by the address the certificate
    also names, trusting the community CA."""
    return server.loopback, dict(os.environ, NODE_EXTRA_CA_CERTS=str(server.ca_file))


def test_reviews_reach_the_workers_tablet(page, console_server):
    sign_in(page, "zhangwei")
    page.goto(page.base + "/console/reviews")
    page.select_option("#f-grid", "g1")
    page.select_option("#f-review", "pending")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**grid=g1**")
    approve, send_back = queue_ids(page)[:2]
    page.check(f"input[name=visit][value='{approve}']")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.click("#bulk-approve")
    page.wait_for_selector(".flash.ok")
    assert questions == ["确定批准这 1 条走访？"]                # asked first, with the count
    assert approve not in queue_ids(page)                     # no longer pending
    page.click(f"tr[data-id='{send_back}'] a.button")
    page.check("input[name=state][value=needs_fix]")
    page.click("#review-submit")
    assert page.locator(".flash.error").count() == 1          # a comment is required
    page.check("input[name=state][value=needs_fix]")
    page.fill("textarea[name=comment]", "血压只测了一次，请复测后补充记录")
    page.click("#review-submit")
    page.wait_for_selector(".flash.ok")                       # back in the queue
    assert send_back not in queue_ids(page)
    page.goto(page.base + f"/console/visits/{send_back}")
    assert page.locator("blockquote").inner_text() == "血压只测了一次，请复测后补充记录"

    base, env = _node_tablet(console_server)
    payload = {"api": base + "/api", "db": base + "/couch/field", "name": "wangfang",
               "password": "demo-wangfang"}
    run = subprocess.run(["node", "-e", TABLET, json.dumps(payload)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    tablet = json.loads(run.stdout.strip().splitlines()[-1])
    reviews = {doc["visit"]: doc for doc in tablet["reviews"]}
    assert tablet["ok"] and reviews[approve]["state"] == "approved"
    assert reviews[send_back]["state"] == "needs_fix"
    assert reviews[send_back]["comment"] == "血压只测了一次，请复测后补充记录"
    assert reviews[send_back]["reviewer"] == "zhangwei"
    assert all(doc["grid"] in ("g1", "g2") for doc in tablet["reviews"])   # her grids only


def test_an_xlsx_export_holds_exactly_the_filtered_rows(page, console_server):
    sign_in(page, "zhangwei")
    page.goto(page.base + "/console/reviews")
    page.select_option("#f-grid", "g2")
    page.select_option("#f-colour", "red")
    page.select_option("#f-outcome", "met")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**colour=red**")
    assert "1 / 1" in page.inner_text(".pager")
    shown = queue_ids(page)
    visits = console_server.extra["summary"]["visits"]
    recent = [v["_id"] for v in visits if v["grid"] == "g2" and v["colour_after"] == "red"
              and v["outcome"] == "met"]
    assert set(recent) <= set(shown) and len(shown) >= len(recent) > 5
    with page.expect_download() as info:
        page.click("#export-xlsx")
    download = info.value
    assert re.fullmatch(r"gridvisit-visits-\d{8}-\d{4}-zhangwei\.xlsx",   # who exported
                        download.suggested_filename)
    with open(download.path(), "rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("ID", "网格", "地址")
    assert all(row[2] for row in rows[1:])                      # every visit has an address
    assert [row[0] for row in rows[1:]] == shown                # same rows, same order
    assert {row[7] for row in rows[1:]} == {"红色"} and {row[6] for row in rows[1:]} == {"见面"}


def test_a_refused_visit_fixed_in_the_quarantine_reaches_the_tablet(page, console_server):
    base, env = _node_tablet(console_server)
    visit = {"_id": "visit:g1:refused-on-tablet", "type": "visit", "schema": 2, "grid": "g1",
             "updated_at": "2026-12-01T09:00:00+08:00", "updated_by": "wangfang",
             "household": "household:g1:1-1-101", "visited_at": "2026-12-01T09:00:00+08:00",
             "worker": "wangfang", "outcome": "met", "colour_after": "green",
             "status": "submitted", "checks": [{"member": "m1", "temperature": 63.7}]}
    payload = {"api": base + "/api", "db": base + "/couch/field", "name": "wangfang",
               "password": "demo-wangfang", "doc": visit}
    tablet = subprocess.Popen(["node", "-e", REFUSED_TABLET, json.dumps(payload)], cwd=ROOT,
                              env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        pushed = json.loads(tablet.stdout.readline())
        assert pushed["failures"] == 1 and pushed["written"] == 0      # refused
        sign_in(page, "zhangwei")
        page.goto(page.base + "/console/quarantine")
        page.click(f"#quarantine tr:has-text('{visit['_id']}') a.button")
        field = "#release input[name='field:checks[0].temperature']"
        assert page.input_value(field) == "63.7"
        page.fill(field, "36.7")
        page.click("#release button[type=submit]")
        page.wait_for_selector(".flash.ok")
        out, err = tablet.communicate("go\n", timeout=120)
    finally:
        if tablet.poll() is None:
            tablet.kill()
    assert tablet.returncode == 0, err[-2000:]
    tablet_doc = json.loads(out.strip().splitlines()[-1])["doc"]
    assert tablet_doc["checks"][0]["temperature"] == 36.7
    assert tablet_doc["updated_by"] == "zhangwei" and tablet_doc["_rev"].startswith("2-")
    assert "_conflicts" not in tablet_doc                 # an update of its own revision


def test_screenshots_of_the_main_pages(page, console_server):
    page.goto(page.base + "/console/login")
    page.fill("input[name=name]", "zhangwei")
    shot(page, "login")
    page.fill("input[name=password]", "demo-zhangwei")
    page.click("button[type=submit]")
    page.wait_for_url("**/console/dashboard")
    page.wait_for_function("document.querySelector('#chart-workers').width > 0")
    assert page.locator("#coverage tbody tr").count() == 3
    shot(page, "dashboard", full_page=True)
    page.goto(page.base + "/console/reviews?grid=g1")
    assert page.locator("#visits tbody tr[data-id]").count() > 10
    shot(page, "reviews")
    page.goto(page.base + "/console/reviews?review=needs_fix")
    page.click("#visits tbody tr[data-id] a.button")
    page.wait_for_selector("#review-form blockquote, #review-form")
    shot(page, "visit")
    page.goto(page.base + "/console/conflicts")
    assert page.locator("#conflicts tbody tr[data-id]").count() == 1
    shot(page, "conflicts")
    page.click("#conflicts a.button")
    page.wait_for_selector("#sides tr.differs")
    shot(page, "conflict")
    page.goto(page.base + "/console/households?colour=red")
    shot(page, "households")
    flagged = console_server.extra["summary"]["flagged"]
    page.goto(page.base + f"/console/households/{flagged}")
    assert page.locator("#timeline li.merge").count() == 1
    shot(page, "household", full_page=True)
    page.goto(page.base + "/console/requests")
    assert page.locator("#requests tr.clock-overdue").count() >= 1
    shot(page, "requests")
    page.goto(page.base + "/console/devices")
    shot(page, "devices")
    page.click("#nav a[href='/console/replication'], nav a[href='/console/replication']")
    assert page.locator("#runs tbody tr").count() == 13       # a week of nights, and today's
    assert page.locator("#runs tr[data-status=failed]").count() == 1
    assert "hub.example unreachable" in page.inner_text("#runs tr[data-status=failed]")
    shot(page, "replication", full_page=True)
    page.goto(page.base + "/console/dashboard")
    page.click("#quarantined")                                # the tile opens 隔离区
    page.wait_for_url("**/console/quarantine")
    assert page.locator("#quarantine tbody tr[data-id]").count() == 1
    shot(page, "quarantine")
    page.click("#quarantine a.button")
    page.wait_for_selector("#release input[name='field:colour_reason']")
    assert "黄色或红色时必须填写原因" in page.inner_text("#reason")
    shot(page, "quarantine-entry", full_page=True)
    entry_url = page.url
    page.goto(page.base + "/console/lang/en?next=/console/quarantine")
    assert "Quarantine" in page.inner_text("h1")
    shot(page, "quarantine-en")
    page.goto(entry_url)
    shot(page, "quarantine-entry-en", full_page=True)
    page.goto(page.base + "/console/report")
    assert page.locator("#report-workers tbody tr").count() >= 1
    shot(page, "report-en", full_page=True)
    page.goto(page.base + "/console/lang/zh?next=/console/report")
    shot(page, "report", full_page=True)
    page.emulate_media(media="print")
    assert not page.locator("header.top").is_visible()           # printed without the nav
    page.emulate_media(media="screen")
    with page.expect_download() as info:                         # the PDF for the street
        page.click("#report-pdf")
    with open(info.value.path(), "rb") as handle:
        pdf = handle.read()
    pages = pdftext.page_count(pdf)
    shown = pdftext.text(pdf)
    assert 1 <= pages <= 4 and "周报" in shown and "网格一" in shown and "王芳" in shown
    for n in range(1, pages + 1):                                # each page as the viewer shows it
        page.set_viewport_size({"width": 900, "height": 1240})
        page.goto(page.base + f"/console/report.pdf?inline=1&p={n}#page={n}")
        page.wait_for_timeout(2500)
        shot(page, f"report-pdf-{n}")
    page.set_viewport_size({"width": 1360, "height": 860})
    page.goto(page.base + "/console/lang/en?next=/console/dashboard")
    page.wait_for_function("document.querySelector('#chart-workers').width > 0")
    assert "Dashboard" in page.inner_text("h1")
    shot(page, "dashboard-en", full_page=True)
    page.goto(page.base + "/console/lang/zh?next=/console/dashboard")

    page.click("header form button")                          # sign out
    sign_in(page, "admin")
    page.goto(page.base + "/console/admin/users")
    shot(page, "users")
    page.goto(page.base + "/console/admin/grids")
    shot(page, "grids", full_page=True)
    page.goto(page.base + "/console/audit")
    assert page.locator("#audit tbody tr").count() >= 3
    shot(page, "audit")
    page.goto(page.base + "/console/access")                  # who looked at whom
    shown = page.inner_text("#access")
    assert page.locator("#access tbody tr").count() >= 2 and "张伟" in shown, shown
    shot(page, "access-log")
