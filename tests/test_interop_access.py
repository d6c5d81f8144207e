"""Per-grid access control seen from real PouchDB tablets (node) and a real server.

Each test starts ``gridvisit serve`` in its own data directory, creates the
field database and the directory through the admin JSON API (street ``s``;
community ``c1`` with grids ``g1`` and ``g2``, community ``c2`` with grid
``g3``; workers ``w1`` on g1 and ``w2`` on g2), and loads valid field
documents as admin with ``_bulk_docs``.

A tablet is ``tests/interop/workers.js``: one node process holding one
PouchDB memory database, driven command by command (log in, pull, push,
live sync...), so that the same local database — and so the same
replication checkpoint — lives through the admin's changes between syncs.
Tablets log in with ``POST /api/login`` and send ``Authorization: Bearer``
through PouchDB's ``fetch`` option; w2 in the first test uses Basic
credentials in the URL instead.

What is covered:

1. two workers of different grids pull exactly their own grids' documents;
2. a push with a document of another grid and an invalid visit: both are
   ``denied`` (``doc_write_failures`` 2), the five good ones replicate, the
   two refused ones are in ``GET /api/quarantine`` with reasons naming the
   grid rule and the field and rule;
3. a grid newly assigned reaches the tablet on its next sync although its
   documents are older than the checkpoint; a grid taken away stops flowing
   (what stays on the tablet, and what a push of it does, is pinned here);
4. live two-way sync delivers an admin write in the worker's grid within
   seconds and never one in another grid;
5. a revoked device token (revoked by the community's supervisor):
   replication fails with 401, and a running live sync stops with a 401
   error instead of retrying; a new login gives a working token again.

Tablets normally send only their token. The last three tests let the
tablet keep cookies from ``POST /api/login``, as a browser does: revoking
the device, logging out, and naming the device in the quarantine must work
as with the token alone.
"""



from tests import fielddocs as fd
from tests.interop_access_support import (FIELD, PASSWORD, admin_write, api,
                                          api_base, assert_clean, changes_sinces, ok,
                                          server_ids, sign_in)
from tests.interop_access_support import field, tablets  # noqa: F401  (fixtures)

# -- 1. each worker pulls exactly their grids ---------------------------------

def test_two_workers_pull_exactly_their_own_grids(field, tablets):
    written = field.extra["written"]
    t1, t2 = tablets("w1"), tablets("w2")
    sign_in(field, t1, "w1", auth="bearer")
    sign_in(field, t2, "w2", auth="url")          # Basic credentials in the URL

    rep1, rep2 = t1.call("pull"), t2.call("pull")
    assert_clean(rep1, "w1 pull")
    assert_clean(rep2, "w2 pull")
    assert set(t1.call("ids")) == written["g1"]
    assert set(t2.call("ids")) == written["g2"]
    assert rep1["result"]["docs_written"] == len(written["g1"])
    # every request carried the credentials it was meant to
    assert {r["auth"] for r in rep1["requests"] if "/_changes" in r["url"]} == {"Bearer"}
    assert {r["auth"] for r in rep2["requests"] if "/_changes" in r["url"]} == {"Basic"}
    # (a request still in flight when the replication resolves has no status
    # yet: PouchDB's last database info, which it does not wait for)
    assert all(r["status"] < 400 for r in rep1["requests"] + rep2["requests"]
               if "/_local/" not in r["url"] and r["status"] is not None), \
        rep1["requests"] + rep2["requests"]

    # A direct read of another grid's document is 404, as if it did not exist.
    other = sorted(written["g2"])[0]
    assert t1.call("remote_get", id=other)["status"] == 404
    assert t2.call("remote_get", id=other)["status"] == 200
    again = t1.call("pull")                    # nothing new, nothing leaked since
    assert_clean(again, "w1 second pull")
    assert again["result"]["docs_written"] == 0
    assert set(t1.call("ids")) == written["g1"]


# -- 2. a forbidden write: denied, quarantined, the rest replicates -----------

def test_forbidden_and_invalid_writes_are_denied_and_quarantined(field, tablets):
    t1 = tablets("w1")
    sign_in(field, t1, "w1")
    good = [fd.household("g1", "n1", by="w1"), fd.household("g1", "n2", by="w1"),
            fd.visit("g1", "n1", by="w1"), fd.visit("g1", "n2", by="w1"),
            fd.request_doc("g1", "n1", by="w1")]
    foreign = fd.household("g2", "n9", by="w1")                    # w1 has no g2
    invalid = fd.visit("g1", "n1", by="w1")
    invalid["checks"][0]["temperature"] = 45                       # max 43 °C
    written = t1.call("put", docs=good + [foreign, invalid])
    assert all("rev" in row for row in written), written           # PouchDB takes anything

    rep = t1.call("push")
    assert rep["error"] is None, rep["error"]
    result = rep["result"]
    assert result["status"] == "complete", result
    assert result["doc_write_failures"] == 2, result
    assert result["docs_written"] == 5, result
    refused = {foreign["_id"], invalid["_id"]}
    assert {d["id"] for d in rep["denied"]} == refused, rep["denied"]
    # (a per-document row carries no HTTP status; PouchDB makes it 500, as
    # it does for CouchDB's own validate_doc_update refusals)
    assert all(d["name"] == "forbidden" and d["error"] == "forbidden" and d["message"]
               for d in rep["denied"]), rep["denied"]
    assert {e["id"] for e in result["errors"]} == refused, result["errors"]

    on_server = server_ids(field)
    assert {d["_id"] for d in good} <= on_server
    assert not refused & on_server

    quarantine = ok(api(field, "GET", "quarantine"))
    kept = {row["doc_id"]: row for row in quarantine["rows"]}
    assert set(kept) == refused, quarantine
    assert quarantine["total"] == 2
    grid_row, bad_row = kept[foreign["_id"]], kept[invalid["_id"]]
    assert "outside your grids" in grid_row["reason"], grid_row
    assert [(e["field"], e["rule"]) for e in bad_row["errors"]] == [
        ("checks[0].temperature", "range")], bad_row
    assert bad_row["reason"].startswith("checks[0].temperature: "), bad_row
    assert "34" in bad_row["reason"] and "43" in bad_row["reason"], bad_row
    for row in (grid_row, bad_row):
        assert row["user"] == "w1", row
        assert row["doc"]["_id"] == row["doc_id"] and row["rev"], row  # the whole doc is kept

    # Pushing again neither fails again nor quarantines twice: the checkpoint
    # moved past them (PouchDB does not retry denied documents).
    again = t1.call("push")
    assert again["result"]["doc_write_failures"] == 0, again
    assert ok(api(field, "GET", "quarantine"))["total"] == 2


# -- 3. assigning and removing a grid ------------------------------------------

def test_grid_assignment_backfills_and_removal_stops_the_flow(field, tablets):
    written = field.extra["written"]
    t1 = tablets("w1")
    sign_in(field, t1, "w1")
    first = t1.call("pull")
    assert_clean(first, "first pull")
    assert set(t1.call("ids")) == written["g1"]
    checkpoint = first["result"]["last_seq"]
    assert isinstance(checkpoint, str) and checkpoint not in ("0", "")

    # A newer g1 document, so that g3's documents are all older than the
    # tablet's checkpoint when g3 is assigned.
    newer_g1 = admin_write(field, [fd.household("g1", "late")])
    ok(api(field, "POST", "assignments", {"user": "w1", "grid": "g3"}))

    second = t1.call("pull")
    assert_clean(second, "pull after assignment")
    assert changes_sinces(second)[0] == checkpoint      # resumed, not restarted from 0
    assert set(t1.call("ids")) == written["g1"] | set(newer_g1) | written["g3"]
    assert second["result"]["docs_written"] == len(written["g3"]) + 1

    # Take g3 away; the admin then writes a new g3 document and a g1 one.
    ok(api(field, "DELETE", "assignments", {"user": "w1", "grid": "g3"}))
    admin_write(field, [fd.household("g3", "after"), fd.household("g1", "after")])
    third = t1.call("pull")
    assert_clean(third, "pull after removal")
    held = set(t1.call("ids"))
    assert "household:g3:after" not in held
    assert "household:g1:after" in held                 # the worker's own grid goes on
    assert third["result"]["docs_written"] == 1
    # What happens on the tablet: the g3 documents it already has stay there.
    # The server never tells a tablet to drop them (no deletion is sent for a
    # grid taken away), so they stay readable offline until the app clears
    # its database.
    assert written["g3"] <= held

    # And what a push of them does: the tablet never pushed them (they came
    # by pull); a push now offers them, and _revs_diff says the server has
    # those revisions already, so nothing is sent, denied or quarantined.
    push = t1.call("push")
    assert push["error"] is None, push
    assert push["denied"] == [], push
    assert push["result"]["doc_write_failures"] == 0
    assert push["result"]["docs_written"] == 0
    assert ok(api(field, "GET", "quarantine"))["rows"] == []
    # the server's copies are untouched by it
    status, doc = field.request("GET", f"{FIELD}/{sorted(written['g3'])[0]}")
    assert status == 200 and doc["_rev"].startswith("1-"), doc


# -- 4. live sync delivers only the worker's grids ----------------------------

def test_live_sync_delivers_own_grid_only(field, tablets):
    t1 = tablets("w1")
    sign_in(field, t1, "w1")
    # (a short heartbeat only so that the server notices the cancelled
    # longpoll soon and stops quickly after the test)
    started = t1.call("live_start", retry=True, heartbeat=1000)
    assert started["idle"], started
    # (idle is the first pause of either side: the push side, with nothing
    # to send, may pause while the first pull is still writing)
    for doc_id in sorted(field.extra["written"]["g1"]):
        assert t1.call("live_wait", id=doc_id, timeout_ms=10_000, timeout=30)["arrived"]
    assert set(t1.call("ids")) == field.extra["written"]["g1"]

    other = fd.household("g2", "live")
    mine = fd.household("g1", "live")
    admin_write(field, [other])                  # first: a change w1 must not see
    admin_write(field, [mine])
    arrived = t1.call("live_wait", id=mine["_id"], timeout_ms=10_000, timeout=30)
    assert arrived["arrived"], arrived
    assert arrived["ms"] < 10_000
    # g2's write came first in the feed: had it leaked, it would be here now.
    waited = t1.call("live_wait", id=other["_id"], timeout_ms=1_500, timeout=30)
    assert not waited["arrived"], waited

    # The tablet's own write goes up through the same live sync.
    mine2 = fd.visit("g1", "live", by="w1")
    t1.call("put", docs=[mine2])
    for _ in range(100):
        status, _doc = field.request("GET", f"{FIELD}/{mine2['_id']}")
        if status == 200:
            break
        t1.call("sleep", ms=100)
    assert status == 200

    state = t1.call("live_state")
    assert state["errors"] == [] and state["denied"] == [], state
    stopped = t1.call("live_stop")
    assert stopped["finished"], stopped


# -- 5. a revoked device token ------------------------------------------------

def wait_for_live_error(tablet, tries=100):
    for _ in range(tries):
        state = tablet.call("live_state")
        if state["errors"]:
            return state
        tablet.call("sleep", ms=100)
    return state


def test_revoked_device_token_gets_401(field, tablets):
    t1 = tablets("w1")
    login = sign_in(field, t1, "w1")
    assert_clean(t1.call("pull"), "pull before revocation")
    supervisor = ("s1", PASSWORD)                         # s1 runs c1, w1's community
    devices = ok(api(field, "GET", "devices", auth=supervisor))
    assert any(d["id"] == login["token_id"] and d["user"] == "w1" and d["revoked"] is None
               for d in devices), devices

    # A live sync runs while the supervisor revokes the lost tablet.
    assert t1.call("live_start", retry=True)["idle"]
    revoked = ok(api(field, "DELETE", f"devices/{login['token_id']}", auth=supervisor))
    assert revoked == {"ok": True, "revoked": True}

    # Pulls now fail with 401 device_revoked; a push still goes through, so
    # the lost tablet's unsent work is not lost by the revocation (remote wipe)
    pull = t1.call("pull")
    assert pull["result"] is None and pull["error"]["status"] == 401, pull
    t1.call("put", docs=[fd.household("g1", "lost")])
    assert_clean(t1.call("push"), "the pending push of a revoked tablet")
    assert "household:g1:lost" in server_ids(field)
    # once the tablet reports it wiped itself, its token is dead: 401 both ways
    assert t1.call("wiped", api=api_base(field))["status"] == 200
    t1.call("put", docs=[fd.household("g1", "after-wipe")])
    push = t1.call("push")
    assert push["error"] and push["error"]["status"] == 401, push
    assert "household:g1:after-wipe" not in server_ids(field)
    assert t1.call("wiped", api=api_base(field))["status"] == 401     # once only

    # The live sync learns it on its next request (a change wakes its
    # longpoll) and stops with the 401 instead of retrying forever.
    admin_write(field, [fd.household("g1", "wake")])
    state = wait_for_live_error(t1)
    assert any(e.get("status") == 401 for e in state["errors"]), state
    assert t1.call("get", id="household:g1:wake") is None
    stopped = t1.call("live_stop")
    assert stopped["finished"], stopped

    # Signing in again gives the tablet a new, working token.
    sign_in(field, t1, "w1")
    assert_clean(t1.call("pull"), "pull with a new token")
    assert t1.call("get", id="household:g1:wake") is not None


# A tablet that logs in like a browser keeps whatever cookie POST /api/login
# sets (PouchDB's node fetch has a cookie jar, as a browser has) and sends it
# with its token on every sync request. A session cookie from a device login
# would win over the token: the token would never be looked at, so revoking
# the device, logging out and naming the device in the quarantine would all
# silently fail. (They did, until /api/login stopped setting a session
# cookie when it issues a device token; these three tests guard that.)

def test_revoking_a_device_locks_out_a_tablet_that_keeps_the_login_cookie(field, tablets):
    t1 = tablets("w1")
    login = sign_in(field, t1, "w1", cookies=True)
    assert_clean(t1.call("pull"), "pull before revocation")
    ok(api(field, "DELETE", f"devices/{login['token_id']}"))
    pull = t1.call("pull")
    assert pull["result"] is None and (pull["error"] or {}).get("status") == 401, (
        "a revoked tablet still syncs with the session cookie of its login: "
        f"{pull['result']}")


def test_quarantine_names_the_device_of_a_tablet_that_keeps_the_login_cookie(field, tablets):
    t1 = tablets("w1")
    sign_in(field, t1, "w1", cookies=True)
    t1.call("put", docs=[fd.household("g2", "cookie", by="w1")])
    assert t1.call("push")["result"]["doc_write_failures"] == 1
    rows = ok(api(field, "GET", "quarantine"))["rows"]
    assert [(r["doc_id"], r["user"], r["device"]) for r in rows] == [
        ("household:g2:cookie", "w1", "tablet-w1")], rows


def test_logout_of_a_tablet_that_keeps_the_login_cookie_revokes_its_token(field, tablets):
    t1 = tablets("w1")
    login = sign_in(field, t1, "w1", cookies=True)
    out = t1.call("logout", api=api_base(field), cookies=True)
    assert out["status"] == 200, out
    devices = ok(api(field, "GET", "devices"))
    mine = [d for d in devices if d["id"] == login["token_id"]]
    assert mine and mine[0]["revoked"] is not None, (
        f"POST /api/logout left the tablet's token live: {mine}")
