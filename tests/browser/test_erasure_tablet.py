"""Erasure on request reaches the tablet (issue 21, item 6): an admin erases a
household on the server; the erasure notice replicates to the worker's
tablet, which purges the household and its visits from its PouchDB (no
tombstone left) and drops it from its lists. Real Chromium, real server."""

import json
import urllib.request

from tests.tablet_work import eventually, households, ready_tablet


def erase(server, household_id, member=None):
    """POST /api/erasures as root; the erasure's record."""
    body = {"household": household_id, "reason": "居民本人申请"}
    if member:
        body["member"] = member
    req = urllib.request.Request(f"{server.base}/api/erasures", method="POST",
                                 data=json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", "Basic cm9vdDpyb290LXNlY3JldA==")          # root
    with server.open(req, timeout=60) as resp:
        return json.loads(resp.read())


def test_an_erased_household_leaves_the_tablet(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    hh = households(server, "g1")[0]
    visits = [i for i in tablet.local_ids() if i.startswith("visit:g1:")
              and (tablet.local_doc(i) or {}).get("household") == hh["_id"]]
    assert tablet.local_doc(hh["_id"]) is not None
    record = erase(server, hh["_id"])
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


def test_an_erased_member_leaves_the_tablet_and_the_rest_of_the_household_stays(server, tablets):
    tablet = ready_tablet(tablets, "wangfang")
    hh = next(h for h in households(server, "g1") if len(h.get("members") or []) >= 2)
    gone = next(m for m in hh["members"] if m["name"] != hh.get("head"))    # not the head
    kept = [m for m in hh["members"] if m is not gone]
    before = tablet.local_doc(hh["_id"])
    assert before and gone["name"] in json.dumps(before, ensure_ascii=False)
    record = erase(server, hh["_id"], member=gone["id"])
    assert record["member"] == gone["id"] and hh["_id"] in record["rewritten"]
    eventually(lambda: tablet.local_doc(record["notice"]), what="the notice on the tablet")
    eventually(lambda: [m["id"] for m in (tablet.local_doc(hh["_id"]) or {}).get("members", [])]
               == [m["id"] for m in kept], what="the household without the member")
    after = tablet.local_doc(hh["_id"])
    for field in ("building", "unit", "room", "address", "phone", "colour", "colour_reason",
                  "notes", "head", "status"):     # the rest is untouched
        assert after.get(field) == hh.get(field), field
    assert [m["name"] for m in after["members"]] == [m["name"] for m in kept]
    # compacted: the revision that held the member keeps no body on the tablet
    old_body = tablet.page.evaluate("""([id, rev]) => window.gridvisit.db().get(id, {rev})
        .then(d => JSON.stringify(d)).catch(e => 'missing:' + e.status)""",
                                    [hh["_id"], before["_rev"]])
    eventually(lambda: tablet.page.evaluate("""([id, rev]) => window.gridvisit.db().get(id, {rev})
        .then(() => false).catch(() => true)""", [hh["_id"], before["_rev"]]),
               what=f"the old revision's body gone (was {old_body[:60]})")
    tablet.go(f"/hh/{hh['_id']}")
    tablet.page.wait_for_selector(".members li.member")
    page_text = tablet.page.inner_text("body")
    assert gone["name"] not in page_text and kept[0]["name"] in page_text
