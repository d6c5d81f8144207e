"""Erasure on request reaches the tablet (issue 21, item 6): an admin erases a
household on the server; the erasure notice replicates to the worker's
tablet, which purges the household and its visits from its PouchDB (no
tombstone left) and drops it from its lists. Real Chromium, real server."""

import json
import urllib.request

from tests.tablet_work import eventually, households, ready_tablet


def test_an_erased_household_leaves_the_tablet(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    hh = households(server, "g1")[0]
    visits = [i for i in tablet.local_ids() if i.startswith("visit:g1:")
              and (tablet.local_doc(i) or {}).get("household") == hh["_id"]]
    assert tablet.local_doc(hh["_id"]) is not None
    req = urllib.request.Request(f"{server.base}/api/erasures", method="POST",
                                 data=json.dumps({"household": hh["_id"],
                                                  "reason": "居民本人申请"}).encode())
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Basic cm9vdDpyb290LXNlY3JldA==")          # root
    with urllib.request.urlopen(req, timeout=60) as resp:
        record = json.loads(resp.read())
    assert record["notice"].startswith("erasure:g1:") and hh["_id"] in record["purged"]
    eventually(lambda: tablet.local_doc(record["notice"]), what="the notice on the tablet")
    eventually(lambda: tablet.local_doc(hh["_id"]) is None, what="the household purged")
    assert tablet.local_doc(record["notice"]) is not None          # the notice itself stays
    for visit_id in visits:
        assert tablet.local_doc(visit_id) is None
    # purged, not deleted: no leaf, not even a tombstone, is left in the local database
    left = tablet.page.evaluate("""id => window.gridvisit.db().get(id, {open_revs: 'all'})
        .then(r => r.filter(x => x.ok).length).catch(() => 0)""", hh["_id"])
    assert left == 0
    tablet.go(f"/grid/g1/all")
    tablet.page.wait_for_selector(".hh-row")
    assert tablet.page.locator(f".hh-row[data-id='{hh['_id']}']").count() == 0
    assert server.docs([hh["_id"]])[hh["_id"]] is None
