"""Two ``gridvisit serve`` processes, each on its own port and data folder,
over one CouchDB (issue 22, "Any server answers any tablet"): a real
PouchDB tablet (node) that reaches a different server on every request
loses nothing and sees no other grid; when one server is lost the tablet
goes on with the other, and the lost one comes back knowing everything; a
longpoll on one server wakes for a write through the other; the two
merging one household at the same time write one merged revision.

pouchdb-server is the CouchDB in CI; a real Apache CouchDB too where
``GRIDVISIT_TEST_COUCHDB`` names one (``tests/stores.py``), the second
server then on ``GRIDVISIT_TEST_COUCHDB_OTHER``, another node of its
cluster, if named. Accounts, the directory and device tokens live in
CouchDB: the people, grids and assignments are made through A only, and B
knows them. The tablet signs in with a device token (either server checks
it) or with Basic credentials.
"""

import copy
import json
import threading
import time
import urllib.parse
import uuid

import pytest

from tests import fielddocs as fd
from tests.interop_access_support import (FIELD, GRIDS, PASSWORD, WORKERS, admin_write, api,
                                          api_base, assert_clean, changes_sinces, grid_docs, ok,
                                          set_up_directory)
from tests.interop_access_support import tablets  # noqa: F401  (fixture)
from tests.interop_merge_support import conflicting_pair, server_leaves
from tests.peers import Peer, free_port, serve_gridvisit, start_gridvisit
from tests.stores import couchdb_other_node, couchdb_url, drop_prefixed


@pytest.fixture(params=["pouchdb-server", "couchdb"])
def two_servers(request, tmp_path):
    """Servers A and B over one CouchDB: the directory and data in g1–g3
    made through A."""
    if request.param == "pouchdb-server":
        url = other = request.getfixturevalue("pouchdb_server").url()
    else:
        url = couchdb_url()
        if not url:
            pytest.skip("no Apache CouchDB here: set GRIDVISIT_TEST_COUCHDB to an admin URL")
        other = couchdb_other_node(url)
    prefix = f"gv2{uuid.uuid4().hex[:8]}_"
    peers = []
    try:
        for name, couch in (("a", url), ("b", other)):
            env = {"GRIDVISIT_COUCHDB_URL": couch, "GRIDVISIT_COUCHDB_PREFIX": prefix}
            if name == "a":              # (its admin is B's too)
                peer = start_gridvisit(tmp_path / name, env=env)
            else:
                (tmp_path / name).mkdir()
                peer = serve_gridvisit(tmp_path / name, free_port(), env=env)
            peer.extra["env"] = env
            peers.append(peer)
        one, two = peers
        set_up_directory(one, GRIDS, WORKERS)
        # (two households a grid: household:g1:h2 is the merge case's)
        written = {grid: admin_write(one, grid_docs(grid, households=2)) for grid in GRIDS}
        one.extra["written"] = {grid: set(revs) for grid, revs in written.items()}
        yield one, two
    finally:
        for peer in peers:
            peer.stop()
            peer.extra.get("again", peer).stop()
        drop_prefixed(url, prefix)


def eventually(check, seconds=5):
    """``check()``'s answer once it is true, trying for ``seconds`` (a change
    through one server reaches the other's copy within a second)."""
    deadline = time.monotonic() + seconds
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def as_user(peer, name):
    return Peer(name, peer.base, name, PASSWORD)


def ids_on(peer, name="admin"):
    status, body = (peer if name == "admin" else as_user(peer, name)).request(
        "GET", f"{FIELD}/_all_docs")
    assert status == 200, body
    return {row["id"] for row in body["rows"]}


def field_url(peer, name):
    """The field db on ``peer`` with ``name``'s Basic credentials in the URL."""
    parts = urllib.parse.urlsplit(peer.base)
    return parts._replace(netloc=f"{name}:{PASSWORD}@{parts.netloc}").geturl() + "/" + FIELD


def open_hopping(tablet, one, two, name, auth="url"):
    """Open the field db on ``one``, with Basic credentials or (``bearer``)
    a device token issued by ``one``; every request goes to the next of
    ``one``, ``two`` in turn."""
    other = urllib.parse.urlsplit(two.base)
    if auth == "bearer":
        login = tablet.call("login", api=api_base(one), name=name, password=PASSWORD,
                            device=f"tablet-{name}")
        assert login["has_token"], login
        url = f"{one.base}/{FIELD}"
    else:
        url = field_url(one, name)
    tablet.call("open", url=url, auth=auth, hop=[f"{other.scheme}://{other.netloc}"])


def ports_of(rep):
    return {urllib.parse.urlsplit(r["url"]).port for r in rep["requests"]}


@pytest.mark.parametrize("auth", ["bearer", "url"])
def test_a_tablet_hopping_between_two_servers_loses_nothing_and_sees_no_other_grid(
        two_servers, tablets, auth):
    one, two = two_servers
    written = one.extra["written"]
    t1 = tablets("w1")
    open_hopping(t1, one, two, "w1", auth)
    both = {one.extra["port"], two.extra["port"]}

    first = t1.call("pull")
    assert_clean(first, "first pull")
    assert ports_of(first) == both, first["requests"]
    assert set(t1.call("ids")) == written["g1"]

    mine = [fd.household("g1", "n1", by="w1"), fd.visit("g1", "n1", by="w1"),
            fd.request_doc("g1", "n1", by="w1")]
    t1.call("put", docs=mine)
    push = t1.call("push")
    assert_clean(push, "push")
    assert ports_of(push) == both, push["requests"]
    for peer in (one, two):
        assert {d["_id"] for d in mine} <= ids_on(peer)

    # Later writes through B, to g1 and to g2: the next pull resumes from the
    # checkpoint either server wrote, and brings g1's only.
    late = admin_write(two, [fd.household("g1", "late"), fd.household("g2", "late")])
    again = t1.call("pull")
    assert_clean(again, "second pull")
    assert all(since not in (0, "0") for since in changes_sinces(again)), \
        changes_sinces(again)
    assert again["result"]["docs_written"] == 1
    expected = written["g1"] | {d["_id"] for d in mine} | {"household:g1:late"}
    assert set(t1.call("ids")) == expected
    assert "household:g2:late" in late
    for peer in (one, two):
        assert ids_on(peer, "w1") == expected


def test_a_server_lost_mid_sync_loses_nothing_the_tablet_goes_on_with_the_other(
        two_servers, tablets):
    one, two = two_servers
    t1 = tablets("w1")
    open_hopping(t1, one, two, "w1")
    assert_clean(t1.call("pull"), "first pull")
    mine = [fd.household("g1", f"k{i}", by="w1") for i in range(30)]
    t1.call("put", docs=mine)
    two.stop()                                    # B is gone: its requests fail
    failed = t1.call("push")
    assert failed["error"] is not None, failed

    t1.call("open", url=field_url(one, "w1"), auth="url")   # it goes on with A alone
    assert_clean(t1.call("push"), "push through A")
    assert {d["_id"] for d in mine} <= ids_on(one)

    # B comes back on its data folder: it holds nothing of record, and
    # answers the tablet with everything, its checkpoints included.
    again = serve_gridvisit(two.extra["data_dir"], two.extra["port"], env=two.extra["env"])
    two.extra["again"] = again
    assert ids_on(again, "w1") == ids_on(one, "w1")
    t1.call("open", url=field_url(again, "w1"), auth="url")
    back = t1.call("pull")
    assert_clean(back, "pull through B again")
    assert back["result"]["docs_written"] == 0
    assert all(since not in (0, "0") for since in changes_sinces(back)), changes_sinces(back)


def test_a_longpoll_on_one_server_wakes_for_a_write_through_the_other(two_servers):
    one, two = two_servers
    w1 = as_user(one, "w1")
    status, page = w1.request("GET", f"{FIELD}/_changes")
    assert status == 200, page
    answer = {}

    def poll():
        answer["page"] = w1.request(
            "GET", f"{FIELD}/_changes?feed=longpoll&timeout=20000&since={page['last_seq']}")

    waiter = threading.Thread(target=poll)
    waiter.start()
    admin_write(two, [fd.household("g2", "other")])      # not w1's: no wake, no row
    waiter.join(1.5)
    assert waiter.is_alive(), answer
    admin_write(two, [fd.household("g1", "woken")])
    waiter.join(15)
    assert not waiter.is_alive()
    status, woken = answer["page"]
    assert status == 200, woken
    assert [row["id"] for row in woken["results"]] == ["household:g1:woken"]


def test_two_servers_merging_one_household_at_once_write_one_merged_revision(two_servers):
    one, two = two_servers
    base, (a, b) = conflicting_pair()
    for peer in (one, two):
        status, rows = peer.request("POST", f"{FIELD}/_bulk_docs",
                                    {"docs": [copy.deepcopy(base)], "new_edits": False})
        assert status == 201 and rows == [], rows
    go = threading.Barrier(2)
    results = [None, None]

    def push(index, peer, leaves):
        go.wait()
        results[index] = peer.request("POST", f"{FIELD}/_bulk_docs",
                                      {"docs": leaves, "new_edits": False})

    # Each server gets both leaves, in its own order, at the same moment.
    threads = [threading.Thread(target=push, args=(0, one, [copy.deepcopy(a), copy.deepcopy(b)])),
               threading.Thread(target=push, args=(1, two, [copy.deepcopy(b), copy.deepcopy(a)]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [(201, []), (201, [])], results

    seen = [server_leaves(peer, a["_id"]) for peer in (one, two)]
    assert seen[0] == seen[1]
    live = [leaf for leaf in seen[0] if not leaf["deleted"]]
    assert len(live) == 1, json.dumps(seen[0])[:2000]          # no new conflict
    assert live[0]["rev"].startswith("3-") and live[0]["doc"]["colour"] == "red"
    for peer in (one, two):
        records = ok(api(peer, "GET", "resolutions"))
        assert [(sorted(r["leaves"]), r["merged_rev"]) for r in records] == [
            (sorted([a["_rev"], b["_rev"]]), live[0]["rev"])], records   # recorded once


def test_a_seq_from_one_server_resumes_on_the_other_after_a_new_grid_set(two_servers):
    one, two = two_servers
    written = one.extra["written"]
    status, page = as_user(one, "w1").request("GET", f"{FIELD}/_changes")
    assert status == 200, page
    assert {row["id"] for row in page["results"]} == written["g1"]
    ok(api(one, "POST", "assignments", {"user": "w1", "grid": "g2"}))

    # B never served w1: the seq names each grid's position in CouchDB (no
    # grid set to look up), so B sends the newly given grid's documents and
    # nothing already sent.
    status, later = as_user(two, "w1").request("GET", f"{FIELD}/_changes?since={page['last_seq']}")
    assert status == 200, later
    assert {row["id"] for row in later["results"]} == written["g2"]
    status, rest = as_user(one, "w1").request("GET", f"{FIELD}/_changes?since={later['last_seq']}")
    assert status == 200, rest
    assert rest["results"] == []


def test_an_account_made_through_one_server_signs_in_on_the_other_and_its_new_password_holds_on_both(
        two_servers):
    one, two = two_servers
    ok(api(one, "POST", "users", {"name": "w9", "password": PASSWORD, "role": "worker",
                                  "display_name": "网格员九"}))
    ok(api(one, "POST", "assignments", {"user": "w9", "grid": "g3"}))
    assert eventually(lambda: ids_on(two, "w9") == one.extra["written"]["g3"])
    listed = {u["name"]: u for u in ok(api(two, "GET", "users"))}
    assert listed["w9"]["display_name"] == "网格员九" and listed["w9"]["role"] == "worker"

    new = "another-password-9"
    ok(api(one, "PATCH", "users/w9", {"password": new}))
    assert eventually(lambda: as_user(two, "w9").request("GET", f"{FIELD}/_all_docs")[0] == 401)
    assert Peer("w9", two.base, "w9", new).request("GET", f"{FIELD}/_all_docs")[0] == 200
    status, body = api(two, "POST", "users", {"name": "w9", "password": PASSWORD,
                                             "role": "worker"})
    assert status == 400 and "name" in json.dumps(body, ensure_ascii=False), body


def test_an_assignment_changed_through_one_server_changes_what_the_tablet_pulls_from_the_other(
        two_servers, tablets):
    one, two = two_servers
    written = one.extra["written"]
    t1 = tablets("w1")
    t1.call("open", url=field_url(two, "w1"), auth="url")
    assert_clean(t1.call("pull"), "first pull")
    assert set(t1.call("ids")) == written["g1"]

    ok(api(one, "POST", "assignments", {"user": "w1", "grid": "g2"}))
    ok(api(one, "DELETE", "assignments", {"user": "w1", "grid": "g1"}))
    assert eventually(lambda: ids_on(two, "w1") == written["g2"])
    again = t1.call("pull")
    assert_clean(again, "pull after the change")
    assert set(t1.call("ids")) == written["g1"] | written["g2"]   # (nothing unsent is lost)
    assert again["result"]["docs_written"] == len(written["g2"])
