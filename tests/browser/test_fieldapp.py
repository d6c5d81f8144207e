"""The field app on tablets (issue 5): offline work, merge, grids, refusals.

Every test drives Debian's Chromium against a real gridvisit server seeded
with the demo community; nothing is faked. Airplane mode is Playwright's
``context.set_offline(True)``: the app must then start from its service
worker's cache and keep working on IndexedDB.
"""

import time

from tests.browser.conftest import PORTRAIT
from tests.browser.tablet_support import big_png, record_visit

G1_HOUSEHOLDS = ["household:g1:1-1-101", "household:g1:1-1-102", "household:g1:1-2-101",
                 "household:g1:2-1-101", "household:g1:3-2-202"]


def pending_ids(tablet, user):
    """Ids the tablet still has to upload."""
    return tablet.page.evaluate(f"JSON.parse(localStorage.getItem('gv.pending.{user}') || '[]')")


# -- 1. offline for a day, then online: everything arrives -------------------

def test_offline_visits_reach_the_server(server, tablets):
    tablet = tablets()
    tablet.login("wangfang")
    tablet.offline()
    tablet.reload()                                   # from the service worker's cache
    tablet.page.wait_for_selector(".grid-card[data-grid=g1]")
    tablet.page.wait_for_selector("#status [data-online=false]")
    colours = {hh: doc["colour"] for hh, doc in server.docs(G1_HOUSEHOLDS).items()}
    turning_red = next(hh for hh in G1_HOUSEHOLDS if colours[hh] == "green")
    for n in range(20):
        hh = G1_HOUSEHOLDS[n % 5]
        if hh == turning_red and n >= 15:
            record_visit(tablet, hh, temperature=38.6, colour="red", reason="高烧不退，独自在家",
                         need=("medicine", "退烧药和口罩", "urgent"), follow_up=1)
        elif n % 4 == 1:
            record_visit(tablet, hh, outcome="not_home", notes=f"第{n}次：家中无人，已留联系卡")
        else:
            record_visit(tablet, hh, temperature=36.2 + n / 10, notes=f"第{n}次走访")
    ids = pending_ids(tablet, "wangfang")
    visits = [i for i in ids if i.startswith("visit:")]
    assert len(visits) == 20
    assert len([i for i in ids if i.startswith("request:")]) == 1
    assert turning_red in ids                               # the household turned red
    tablet.page.wait_for_selector("#status [data-pending='22']")
    assert not tablet.page.query_selector("#status .pill-ok")   # never "synced" offline
    assert server.docs(visits) == {v: None for v in visits}

    tablet.offline(False)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        on_server = server.docs(ids)
        if all(on_server.values()):
            break
        time.sleep(0.5)
    assert all(on_server.values()), [i for i, d in on_server.items() if d is None]
    for doc_id in ids:
        assert on_server[doc_id] == tablet.local_doc(doc_id), doc_id
    assert {d["status"] for d in on_server.values() if d["type"] == "visit"} == {"submitted"}
    assert on_server[turning_red]["colour"] == "red"
    request = next(d for d in on_server.values() if d["type"] == "request")
    assert (request["sla"], request["status"], request["household"]) == \
        ("onsite_5m", "open", turning_red)
    tablet.wait_synced(timeout=30000 - int(1000 * (time.monotonic() - deadline + 30)))
    assert tablet.page.get_attribute("#status [data-pending]", "data-pending") == "0"


# -- 2. two tablets edit one household offline: one merged household ---------

def edit_phone(tablet, hh_id, phone):
    """Change a household's phone on its edit screen."""
    tablet.go(f"/hh/{hh_id}/edit")
    tablet.page.fill("[name=phone]", phone)
    tablet.page.click("#save")
    tablet.page.wait_for_selector(f"[data-household='{hh_id}']")


def set_red_and_add_member(tablet, hh_id, name):
    """Mark a household red with a reason and add a member over 65."""
    page = tablet.page
    tablet.go(f"/hh/{hh_id}/edit")
    page.click("[data-name=colour] [data-value=red]")
    page.fill("[name=colour_reason]", "新搬来的老人行动不便，需要每天探视")
    page.click("#add-member")
    page.fill(".member-edit:last-of-type [name=name]", name)
    page.fill(".member-edit:last-of-type [name=birth_year]", "1942")
    page.click(".member-edit:last-of-type [data-name=tags] [data-value=over65]")
    page.click("#save")
    page.wait_for_selector(f"[data-household='{hh_id}']")


def test_two_tablets_edit_one_household_and_both_see_the_merge(server, tablets):
    server.cli("create-user", "zhaomin", "--role", "worker", stdin="demo-zhaomin\n")
    server.cli("assign", "zhaomin", "--grid", "g1")
    hh_id = "household:g1:2-2-201"
    a, b = tablets(), tablets()
    a.login("wangfang")
    b.login("zhaomin")
    a.offline()
    b.offline()
    edit_phone(a, hh_id, "139 0000 1111")
    set_red_and_add_member(b, hh_id, "孙秀英")
    a.offline(False)
    a.wait_synced()
    b.offline(False)
    b.wait_synced()
    merged = ("id => window.gridvisit.db().get(id).then(d => d.phone === '139 0000 1111'"
              " && d.colour === 'red' && d.members.some(m => m.name === '孙秀英'))")
    for tablet in (a, b):
        tablet.page.wait_for_function(merged, arg=hh_id, timeout=30000)
        tablet.go(f"/hh/{hh_id}")
        card = tablet.page.locator(f"[data-household='{hh_id}']")
        card.locator("[data-phone]").filter(has_text="139****1111").click()   # masked until tapped
        card.locator("[data-phone]").filter(has_text="139 0000 1111").wait_for()
        card.locator(".badge.c-red").wait_for()
        tablet.page.locator(".member", has_text="孙秀英").wait_for()
        conflicts = tablet.page.evaluate(
            "id => window.gridvisit.db().get(id, {conflicts: true}).then(d => d._conflicts || [])",
            hh_id)
        assert conflicts == []
    assert a.local_doc(hh_id) == b.local_doc(hh_id) == server.docs([hh_id])[hh_id]
    resolutions = server.get("/api/resolutions", "zhangwei", "demo-zhangwei")
    assert any(r["doc_id"] == hh_id for r in resolutions), resolutions


# -- 3. a worker never sees another grid, online or offline ------------------

def test_worker_sees_only_their_grids(server, tablets):
    tablet = tablets()
    tablet.login("liqiang")                                  # grid g3 only
    grids = tablet.page.eval_on_selector_all(".grid-card", "cs => cs.map(c => c.dataset.grid)")
    assert grids == ["g3"]
    ids = tablet.local_ids()
    theirs = (":g3:", ":community:shijia:")     # g3's documents, its community's campaign
    shared = ("grid:g3", "rules:warning")       # and the community's rule set (seed-demo saves one)
    assert ids and all(any(t in i for t in theirs) or i in shared for i in ids), ids
    assert not any(":g1:" in i or ":g2:" in i or i in ("grid:g1", "grid:g2") for i in ids), ids
    g1_phone = server.docs(["household:g1:1-1-101"])["household:g1:1-1-101"]["phone"]
    for offline in (False, True):
        tablet.offline(offline)
        tablet.open("/")
        tablet.page.fill("#q", g1_phone)
        tablet.page.wait_for_selector("#results .empty")
        tablet.open("/grid/g1/all")
        assert tablet.page.locator(".hh-row").count() == 0
        tablet.open("/hh/household:g1:1-1-101")
        tablet.page.wait_for_selector("#view .empty")
    tablet.offline(False)

    # A grid taken away leaves the tablet at the next start.
    other = tablets()
    other.login("wangfang")
    assert any(i.startswith("household:g2:") for i in other.local_ids())
    server.cli("unassign", "wangfang", "--grid", "g2")
    other.open("/")
    other.page.wait_for_function(
        "() => window.gridvisit.db().allDocs().then(r => !r.rows.some(x => x.id.includes(':g2')))")
    other.page.wait_for_function("document.querySelectorAll('.grid-card').length === 1")
    assert other.page.get_attribute(".grid-card", "data-grid") == "g1"


# -- 4. a refused visit is shown as refused, with the reason, and kept -------

def test_refused_visit_is_shown_with_its_reason_and_kept(server, tablets):
    tablet = tablets()
    tablet.login("wangfang")
    server.cli("unassign", "wangfang", "--grid", "g2")       # taken away while she works
    hh_id = "household:g2:1-1-101"
    record_visit(tablet, hh_id, temperature=36.8, notes="不知道网格已调整")
    visit_id = next(i for i in pending_ids(tablet, "wangfang") if i.startswith("visit:g2:"))
    tablet.page.wait_for_selector("#status [data-refused='1']")
    tablet.page.wait_for_selector("#status [data-pending='0']")
    assert not tablet.page.query_selector("#status .pill-ok")     # never "synced"
    tablet.page.click("#status [data-refused]")
    reason = tablet.page.locator(f"#refused [data-doc='{visit_id}'] [data-reason]").inner_text()
    assert "不在您负责的网格内" in reason
    tablet.go(f"/visit/{visit_id}")
    assert "不在您负责的网格内" in tablet.page.locator("[data-refused-reason]").inner_text()
    assert server.docs([visit_id])[visit_id] is None
    quarantine = server.get("/api/quarantine", "zhangwei", "demo-zhangwei")
    assert any(row["doc_id"] == visit_id and row["device"] for row in quarantine["rows"])
    # It stays on the tablet, also after a restart that drops the lost grid.
    tablet.open("/sync")
    tablet.page.wait_for_selector(f"#refused [data-doc='{visit_id}']")
    tablet.page.wait_for_function(
        "() => window.gridvisit.db().allDocs()"
        ".then(r => !r.rows.some(x => x.id.startsWith('household:g2:')))")
    assert tablet.local_doc(visit_id)["notes"] == "不知道网格已调整"
    tablet.page.wait_for_selector("#status [data-refused='1']")


# -- logout: warns about unsynced work, wipes on confirmation ----------------

def test_logout_warns_about_unsynced_work_and_wipes(server, tablets):
    tablet = tablets(PORTRAIT)
    tablet.login("liqiang")
    tablet.offline()
    record_visit(tablet, "household:g3:1-1-101", outcome="refused", colour="yellow",
                 reason="拒绝开门，需社区民警陪同复访")
    tablet.go("/settings")
    tablet.page.click("#logout")
    dialog = tablet.page.locator(".dialog-card")
    assert "还有 2 条记录没有上传" in dialog.inner_text()
    tablet.page.click(".dialog-card [data-answer=no]")
    assert tablet.local_ids()
    tablet.page.click("#logout")
    tablet.page.click(".dialog-card [data-answer=yes]")
    tablet.page.wait_for_selector("#login-form")
    tablet.page.wait_for_function("window.gridvisit && window.gridvisit.ready")
    assert tablet.page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))") == []
    assert tablet.page.evaluate("localStorage.getItem('gv.session')") is None


# -- a photo is compressed on the tablet and reaches the server as JPEG ------

def test_photo_is_compressed_on_the_tablet(server, tablets):
    tablet = tablets()
    tablet.login("liqiang")
    hh_id = "household:g3:1-1-102"
    page = tablet.page
    tablet.go(f"/hh/{hh_id}/visit")
    page.wait_for_selector("#visit-form")
    page.set_input_files("input[name=photo]", files=[
        {"name": "door.png", "mimeType": "image/png", "buffer": big_png(2400, 1600)}])
    page.wait_for_selector("#photo-preview:not([hidden])")
    assert page.inner_text("#photo-size").startswith("1280×853")
    page.click("#save-visit")
    page.wait_for_selector(f"[data-household='{hh_id}']")
    tablet.wait_synced()
    visit_id = next(i for i in tablet.local_ids() if i.startswith("visit:g3:")
                    and tablet.local_doc(i).get("household") == hh_id)
    stub = server.docs([visit_id])[visit_id]["_attachments"]["photo-1.jpg"]
    assert stub["content_type"] == "image/jpeg" and 1000 < stub["length"] < 400_000
    import urllib.request
    req = urllib.request.Request(f"{server.base}/couch/field/{visit_id}/photo-1.jpg")
    req.add_header("Authorization", "Basic cm9vdDpyb290LXNlY3JldA==")      # root:root-secret
    with server.open(req) as resp:
        assert resp.read(3) == b"\xff\xd8\xff"                         # a JPEG


# -- a supervisor's review reaches the worker's tablet ------------------------

def test_review_sent_back_shows_on_the_tablet(server, tablets):
    import json
    import urllib.request
    tablet = tablets()
    tablet.login("wangfang")
    hh_id = "household:g1:1-1-201"
    rows = server.get("/couch/field/_all_docs?include_docs=true&startkey=%22visit:g1:%22"
                      "&endkey=%22visit:g1:%EF%BF%B0%22")["rows"]
    visit_id = next(r["id"] for r in rows if r["doc"]["household"] == hh_id)
    review = {"_id": f"review:{visit_id}", "type": "review", "schema": 2, "grid": "g1",
              "updated_at": "2026-01-05T10:00:00+08:00", "updated_by": "zhangwei",
              "visit": visit_id, "state": "needs_fix", "comment": "血压请复测后补充",
              "reviewer": "zhangwei", "reviewed_at": "2026-01-05T10:00:00+08:00"}
    req = urllib.request.Request(f"{server.base}/couch/field/{review['_id']}", method="PUT",
                                 data=json.dumps(review).encode())
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Basic emhhbmd3ZWk6ZGVtby16aGFuZ3dlaQ==")  # zhangwei
    with server.open(req) as resp:
        assert resp.status == 201
    tablet.go(f"/hh/{hh_id}")
    tablet.page.wait_for_selector(f"[data-visit='{visit_id}'] [data-review=needs_fix]",
                                  timeout=30000)
    tablet.go(f"/visit/{visit_id}")
    assert "血压请复测后补充" in tablet.page.inner_text(".review-card")


# -- a revoked token: the status bar says so, and signing in again resumes ---

def test_an_unknown_token_is_reported_and_signing_in_again_resumes(server, tablets):
    # A token the server no longer knows (its data folder restored from a
    # backup older than the sign-in): the work waits for a new sign-in. A
    # revoked token makes the tablet wipe itself instead (test_remote_wipe).
    import sqlite3
    tablet = tablets()
    tablet.login("liqiang")
    with sqlite3.connect(server.data_dir / "gridvisit.sqlite") as conn:
        conn.execute("DELETE FROM device_tokens")
    record_visit(tablet, "household:g3:2-1-101", outcome="not_home", notes="门上留了联系卡")
    error = tablet.page.wait_for_selector("#status [data-error]", timeout=30000)
    assert "登录已失效" in error.inner_text()
    assert tablet.page.get_attribute("#status [data-pending]", "data-pending") == "1"
    error.click()
    tablet.page.fill("input[name=password]", "demo-liqiang")
    tablet.page.click("#login-form button[type=submit]")
    tablet.set_pin()
    tablet.wait_synced()
