"""Remote wipe (issue 21, item 3), as a lost tablet lives it: a visit
recorded offline, the supervisor revokes the tablet meanwhile; at its next
contact the tablet pushes the visit, erases its databases, caches and
keys, says so (zh-CN first), and the server records it wiped. Real Chromium,
real server process."""

import json
import urllib.request

from tests.tablet_work import SUPERVISOR, basic, elder_at_home, eventually, open_visit, ready_tablet


def _as_supervisor(server, method, path):
    req = urllib.request.Request(server.base + path, method=method)
    req.add_header("Authorization", basic(SUPERVISOR))
    with server.open(req) as resp:
        return json.loads(resp.read())


def test_revoked_tablet_pushes_pending_work_then_erases_everything(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    page = tablet.page
    hh, _ = elder_at_home(server, "g1")
    tablet.offline()
    open_visit(tablet, hh["_id"])
    page.click("[data-name=outcome] .choice[data-value=not_home]")
    page.click("#save-visit")
    page.wait_for_selector(f"[data-household='{hh['_id']}']")
    visit_ids = [i for i in tablet.local_ids() if i.startswith("visit:g1:")]
    on_server = server.docs(visit_ids)
    mine = [i for i in visit_ids if on_server[i] is None
            and (tablet.local_doc(i) or {}).get("household") == hh["_id"]]
    assert mine, "the offline visit is on the tablet only"
    [device] = [d for d in _as_supervisor(server, "GET", "/api/devices") if d["user"] == "wangfang"]
    _as_supervisor(server, "DELETE", f"/api/devices/{device['id']}")       # the tablet is lost

    tablet.offline(False)                                                  # its next contact
    page.wait_for_selector("#wiped", timeout=90000)
    assert page.inner_text("#wiped h1") == "本机数据已清除"
    assert "未上传的走访记录已先上传到服务器" in page.inner_text("#wiped")
    assert all(server.docs(mine).values()), "the visit recorded offline reached the server"
    left = page.evaluate("""async () => ({
        idb: (await indexedDB.databases()).map(d => d.name),
        caches: await caches.keys(),
        storage: Object.keys(localStorage),
        workers: (await navigator.serviceWorker.getRegistrations()).length,
    })""")
    assert left == {"idb": [], "caches": [], "storage": [], "workers": 0}, left
    wiped = eventually(lambda: [d for d in _as_supervisor(server, "GET", "/api/devices")
                                if d["id"] == device["id"] and d["wiped"]], what="wiped reported")
    assert wiped[0]["wiped"] >= wiped[0]["revoked"]
    tablet.shot("60-remote-wipe")
