"""A lost tablet leaks nothing (issue 21, items 1 and 2), in Chromium.

Encrypted at rest: after a day's work — a visit with notes, a reading and a
photo, a half-typed draft — no resident's name, phone or note and no
personal field name is in clear anywhere in the tablet's IndexedDB or
localStorage, and no JPEG either; Python's ``cryptography`` opens a record
and the photo the browser sealed with the key it derives from the password
(the known-answer check of docs/tablet_encryption.md). Sync still carries
plaintext: the server and a second tablet get the visit and its photo whole.

App lock: idle → locked → unlocked offline by the PIN; wrong PINs counted
across a restart; past the limit the full password online (then a new PIN)
or, where the community chose it, a wipe. A tablet from before sealing is
sealed at its next sign-in with its unsent visit and its draft kept.
"""

import base64
import json
import urllib.request

import pytest

from tests import seal_reference as ref
from tests.browser.conftest import PIN, Tablet, start_server
from tests.browser.security_support import binaries, dump, personal_strings, text_of
from tests.browser.tablet_support import big_png, record_visit
from tests.peers import gridvisit_cli

HH = "household:g1:1-1-101"
NOTES = "王奶奶独居，右腿疼，女儿电话在门口"
DRAFT_NOTES = "草稿：老人说最近睡不好"
FIELD_NAMES = ['"phone"', '"head"', '"members"', '"notes"', '"temperature"', '"checks"',
               '"id_number"']


@pytest.fixture
def lock_server(tmp_path, request, lan_tls):
    """A demo server whose app lock is request.param (settings as env)."""
    data_dir = tmp_path / "server"
    gridvisit_cli(data_dir, "seed-demo")
    env = {f"GRIDVISIT_{k}": str(v) for k, v in request.param.items()}
    served = start_server(data_dir, lan_tls, env)
    yield served
    served.peer.stop()


def attachment(server, doc_id, name):
    """The bytes of an attachment on the server, read as root."""
    req = urllib.request.Request(f"{server.base}/couch/field/{urllib.request.quote(doc_id)}/{name}")
    req.add_header("Authorization", "Basic " + base64.b64encode(b"root:root-secret").decode())
    with server.open(req) as resp:
        return resp.read()


def visit_with_photo(tablet):
    """Record a visit to HH with notes, a temperature and a photo; returns its id."""
    page = tablet.page
    tablet.go(f"/hh/{HH}/visit")
    page.wait_for_selector("#visit-form")
    page.click("[data-name=outcome] [data-value=met]")
    first = page.locator(".check").first
    first.locator(".include").check()
    first.locator("[name=temperature]").fill("36.7")
    page.fill("[name=notes]", NOTES)
    page.set_input_files("input[name=photo]", files=[
        {"name": "door.png", "mimeType": "image/png", "buffer": big_png(320, 240)}])
    page.wait_for_selector("#photo-preview:not([hidden])")
    page.click("#save-visit")
    page.wait_for_selector(f"[data-household='{HH}']")
    return next(i for i in tablet.local_ids() if i.startswith("visit:g1:")
                and tablet.local_doc(i).get("notes") == NOTES)


def raw_record(tablet, doc_id):
    """doc_id as stored (no key: a second PouchDB on the same IndexedDB), its photo's stored bytes."""
    return tablet.page.evaluate("""async (id) => {
      const raw = new PouchDB('gridvisit-wangfang-sealed', { adapter: 'indexeddb' });
      const doc = await raw.get(id);
      const blob = await raw.getAttachment(id, 'photo-1.jpg');
      const a = new Uint8Array(await blob.arrayBuffer());
      let s = ''; for (const b of a) s += String.fromCharCode(b);
      return [doc, btoa(s)];
    }""", doc_id)


def assert_nothing_personal(tablet, personal, photo=True):
    """No personal string, no personal field name, no JPEG in clear in the tablet's storage."""
    data = dump(tablet)
    text = text_of(data)
    assert [p for p in personal if p in text] == []
    idb = text_of(data["idb"])
    assert [f for f in FIELD_NAMES if f in idb] == []
    assert '"/9j/' not in idb                                   # no base64 JPEG
    blobs = [base64.b64decode(b) for b in binaries(data["idb"])]
    assert [b[:3] for b in blobs if b[:3] == b"\xff\xd8\xff"] == []
    if photo:
        assert any(b[:4] == b"GV1\0" for b in blobs) or '"R1YxA' in idb   # the photo, sealed
    assert '"sealed"' in idb and '"grid": "g1"' in idb          # sealed records, grid readable
    return data


def test_nothing_personal_in_clear_while_sync_carries_plaintext_both_ways(server, tablets):
    a = tablets()
    a.login("wangfang")
    visit_id = visit_with_photo(a)
    a.wait_synced()
    # A visit begun at another door and left half-typed: its draft is sealed too.
    a.go("/hh/household:g1:1-1-102/visit")
    a.page.wait_for_selector("#visit-form")
    a.page.fill("[name=notes]", DRAFT_NOTES)
    a.page.wait_for_function("""() => window.gridvisit.db().get('_local/drafts')
        .then(d => Boolean(d.sealed)).catch(() => false)""")

    on_server = server.docs([visit_id])[visit_id]
    assert on_server["notes"] == NOTES and "sealed" not in on_server
    photo = attachment(server, visit_id, "photo-1.jpg")
    assert photo[:3] == b"\xff\xd8\xff"
    households = server.get("/couch/field/_all_docs?include_docs=true")["rows"]
    personal = personal_strings([r["doc"] for r in households
                                 if r["id"].startswith(("household:g1:", "household:g2:"))])
    assert len(personal) > 20                                   # the check looks for something
    assert len([p for p in personal if p.startswith("110101") and len(p) == 18]) >= 24  # ID numbers
    data = assert_nothing_personal(a, personal | {NOTES, DRAFT_NOTES})

    # The device token is sealed too: a copy of the storage cannot sync the grid.
    kept = json.loads(data["localStorage"]["gv.session"])
    assert "token" not in kept and "gv_" not in text_of(data["localStorage"])
    assert set(kept["token_sealed"]) == {"v", "iv", "ct"}

    # Python opens what Chromium sealed, with the key it derives from the password.
    keys = json.loads(data["localStorage"]["gv.keys.wangfang"])
    assert keys["password"]["iterations"] >= 600000 and keys["fails"] == 0
    data_key = ref.unwrap(keys["password"], "demo-wangfang")
    assert ref.unwrap(keys["pin"], PIN) == data_key
    stored, stored_photo = raw_record(a, visit_id)
    assert set(stored) == {"_id", "_rev", "_attachments", "grid", "sealed"}
    opened = ref.open_doc(data_key, stored)
    assert {k: v for k, v in opened.items() if not k.startswith("_")} \
        == {k: v for k, v in on_server.items() if not k.startswith("_")}
    assert opened["_rev"] == on_server["_rev"]                  # the same revision, not a new edit
    assert ref.open_bytes(data_key, visit_id, "photo-1.jpg", base64.b64decode(stored_photo)) == photo
    token = ref.open_doc(data_key, {"_id": "gv.session", "sealed": kept["token_sealed"]})["token"]
    req = urllib.request.Request(f"{server.base}/api/me", headers={"Authorization": f"Bearer {token}"})
    with server.open(req) as resp:
        assert json.loads(resp.read())["name"] == "wangfang"     # the sealed token is the live one

    # A second tablet of the same worker gets it whole, and keeps it sealed.
    b = tablets()
    b.login("wangfang")
    b.page.wait_for_function("id => window.gridvisit.db().get(id).then(() => true, () => false)",
                             arg=visit_id)
    assert b.local_doc(visit_id)["notes"] == NOTES
    b.go(f"/visit/{visit_id}")
    b.page.wait_for_function("() => { const i = document.querySelector('#photos img');"
                             " return i && i.complete && i.naturalWidth > 0; }")
    assert_nothing_personal(b, personal | {NOTES})

    # The second tablet's edit reaches the first as plaintext through the server.
    record_visit(b, "household:g1:1-1-102", outcome="not_home", notes="第二台平板的走访")
    b.wait_synced()
    a.page.wait_for_function("""() => window.gridvisit.db().allDocs({ include_docs: true })
        .then(r => r.rows.some(x => x.doc.notes === '第二台平板的走访'))""")


@pytest.mark.parametrize("lock_server", [{"LOCK_IDLE_SECONDS": 5, "PIN_MAX_TRIES": 3,
                                          "PIN_LOCKOUT": "password"}], indirect=True)
def test_idle_lock_unlocks_offline_and_wrong_pins_need_the_password_online(lock_server, browser):
    tablet = Tablet(browser, lock_server)
    try:
        page = tablet.page
        tablet.login("wangfang")
        tablet.offline()
        page.wait_for_selector("#lock-form", timeout=30000)      # 5 s without a touch
        tablet.shot("lock-screen")
        assert "已锁定" in page.inner_text("#lock")
        page.fill("#lock-form input[name=pin]", "000000")
        page.click("#lock-form button[type=submit]")
        page.wait_for_selector("#lock-error:not([hidden])")
        assert "还可尝试 2 次" in page.inner_text("#lock-error")
        tablet.unlock()                                          # offline
        record_visit(tablet, HH, outcome="not_home", notes="锁屏后离线记录")

        # A restart offline: locked at once. The good PIN reset the count:
        # two wrong ones leave one, and closing the app does not reset it.
        page.reload()
        page.wait_for_selector("#lock-form")
        for left in (2, 1):
            page.fill("#lock-form input[name=pin]", "111111")
            page.click("#lock-form button[type=submit]")
            page.wait_for_function("n => document.querySelector('#lock-error:not([hidden])')"
                                   " && document.querySelector('#lock-error').textContent.includes(n)",
                                   arg=f"{left} 次")
        page.reload()                                            # closing the app does not reset it
        page.fill("#lock-form input[name=pin]", "222222")
        page.click("#lock-form button[type=submit]")
        page.wait_for_selector("#relogin-form")
        assert "错误次数过多" in page.inner_text("#lock-reason")
        keys = json.loads(page.evaluate("localStorage.getItem('gv.keys.wangfang')"))
        assert keys["pin"] is None and keys["password"]          # no PIN left to guess
        page.reload()
        page.wait_for_selector("#relogin-form")                  # nor after a restart
        page.fill("#relogin-form input[name=password]", "demo-wangfang")
        page.click("#relogin-form button[type=submit]")
        page.wait_for_selector("#relogin-form .error[role=alert]:not([hidden])")
        assert "没有网络" in page.inner_text("#relogin-form .error[role=alert]")   # online only
        tablet.offline(False)
        page.click("#relogin-form button[type=submit]")
        tablet.pin = "864200"
        tablet.set_pin()
        page.wait_for_selector("#lock", state="detached")
        page.wait_for_function("window.gridvisit && window.gridvisit.ready")
        tablet.wait_synced()
        visits = lock_server.get("/couch/field/_all_docs?include_docs=true")["rows"]
        assert any(r["doc"].get("notes") == "锁屏后离线记录" for r in visits)
        tablet.offline()
        tablet.reload()                                          # the new PIN, offline
        page.wait_for_selector(f"[data-household='{HH}']")       # the household, as left
        assert tablet.errors == []
    finally:
        tablet.close()


@pytest.mark.parametrize("lock_server", [{"PIN_MAX_TRIES": 2, "PIN_LOCKOUT": "wipe"}],
                         indirect=True)
def test_too_many_wrong_pins_wipe_the_tablet_where_the_community_chose_it(lock_server, browser):
    tablet = Tablet(browser, lock_server)
    try:
        page = tablet.page
        tablet.login("wangfang")
        tablet.offline()
        page.reload()
        page.wait_for_selector("#lock-form")
        page.fill("#lock-form input[name=pin]", "000001")
        page.click("#lock-form button[type=submit]")
        page.wait_for_selector("#lock-error:not([hidden])")
        assert "还可尝试 1 次" in page.inner_text("#lock-error")
        page.fill("#lock-form input[name=pin]", "000002")
        page.click("#lock-form button[type=submit]")
        page.wait_for_selector("#login-notice")
        assert "本机数据已清除" in page.inner_text("#login-notice")
        assert page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))") == []
        left = page.evaluate("Object.keys(localStorage)")
        assert [k for k in left if k.startswith(("gv.keys", "gv.session", "gv.pending"))] == []
    finally:
        tablet.close()


# Runs in the page of a signed-out app: makes the state a tablet of the app
# before sealing left — the session with its token in localStorage, the
# plaintext database synced with the server, one visit not yet sent (marked
# pending) and a draft. Written with PouchDB directly, as that app wrote them
# (the app of before is not served here; its storage layout is what matters).
OLD_TABLET = """async ([notes, draft]) => {
  const r = await fetch('../api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name: 'wangfang', password: 'demo-wangfang', device: 'tab-old' }) });
  const body = await r.json();
  localStorage.setItem('gv.device', 'tab-old');
  localStorage.setItem('gv.session', JSON.stringify({ token: body.token, user: body.user,
    field_db: body.field_db, device: 'tab-old' }));
  const db = new PouchDB('gridvisit-wangfang', { adapter: 'indexeddb' });
  const remote = new PouchDB(new URL('../couch/field', location.href).href, { fetch(url, opts) {
    opts.headers.set('Authorization', `Bearer ${body.token}`); return PouchDB.fetch(url, opts); } });
  await db.replicate.from(remote);
  const { rows } = await db.allDocs({ include_docs: true, startkey: 'visit:g1:', endkey: 'visit:g1:\\uffff' });
  const { _id, _rev, _attachments, ...old } = rows.find((x) => !x.doc._attachments).doc;
  const visit = { ...old, _id: `visit:g1:${crypto.randomUUID()}`, notes, visited_at: new Date().toISOString() };
  await db.put(visit);
  localStorage.setItem('gv.pending.wangfang', JSON.stringify([visit._id]));
  await db.put({ _id: '_local/drafts', drafts: { 'household:g1:1-1-102':
    { saved_at: new Date().toISOString(), form: { notes: draft } } } });
  return visit._id;
}"""


def test_a_plaintext_tablet_is_sealed_at_its_next_sign_in_with_unsent_work_kept(server, tablets):
    tablet = tablets()
    page = tablet.page
    tablet.open("/login")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    visit_id = page.evaluate(OLD_TABLET, ["搬迁前的未上传走访：老人咳嗽", DRAFT_NOTES])
    # Offline it works on as before (no password to seal with yet).
    tablet.offline()
    tablet.open()
    page.wait_for_selector(".grid-card[data-grid=g1]")
    assert tablet.local_doc(visit_id)["notes"].startswith("搬迁前")
    # Online, it asks for the password once, then the PIN, and seals.
    tablet.offline(False)
    tablet.open()
    page.wait_for_selector("#login-notice")
    assert "加密" in page.inner_text("#login-notice")
    page.fill("input[name=password]", "demo-wangfang")
    page.click("#login-form button[type=submit]")
    tablet.set_pin()
    page.wait_for_selector(".grid-card[data-grid=g1]")
    tablet.wait_synced()
    assert server.docs([visit_id])[visit_id]["notes"].startswith("搬迁前")
    names = page.evaluate("indexedDB.databases().then(d => d.map(x => x.name))")
    assert [n for n in names if "wangfang" in n and "sealed" not in n] == [], names
    drafts = page.evaluate("import('./js/drafts.js').then(m => m.drafts())")
    assert drafts["household:g1:1-1-102"]["form"]["notes"] == DRAFT_NOTES
    households = server.get("/couch/field/_all_docs?include_docs=true")["rows"]
    personal = personal_strings([r["doc"] for r in households if r["id"].startswith("household:g1:")])
    assert_nothing_personal(tablet, personal | {"搬迁前的未上传走访：老人咳嗽", DRAFT_NOTES},
                            photo=False)
