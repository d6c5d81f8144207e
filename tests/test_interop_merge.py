"""Conflicts merged on write, seen from real peers (DESIGN.md, "Conflicts").

1. Two field tablets — real PouchDB 9 in node (memory adapter), workers
   ``wa`` (device ``tab-A``) and ``wb`` (device ``tab-B``), both assigned
   grid ``g1`` on a real ``gridvisit serve`` — pull the same household, go
   offline and both edit it, stamping the edit with the field app's own
   helper (``fieldapp/js/stamps.js`` ``stampEdit`` with a ``Clock`` of
   ``fieldapp/js/hlc.js``). Then they sync, each a push then a pull, in the
   order A, B, A (``tests/interop/tablets_merge.mjs``). B's push makes the
   conflict on the server, which merges it on write. Afterwards both
   tablets and the server hold the same merged body, nobody has
   ``_conflicts``, and the supervisor's ``GET /api/resolutions`` shows the
   rule applied to each field. Scenarios:

   a. different fields (phone on A, notes on B): both survive;
   b. the same field (phone): the newest stamp wins, whether its leaf is
      CouchDB's winning leaf or the losing one;
   c. colour yellow on A (newer) and red on B (older, and on the losing
      leaf): red, by ``most_severe``, flagged;
   d. a member added on A while B edits another member's tags and notes.

   PouchDB's rev ids are random, so the tablet script makes B edit again
   (fresh pull, same clock) until the leaf order is the one a scenario asks
   for: the scenarios then do not depend on luck.

2. Two gridvisit servers each receive the same conflicting pair of leaves
   (``_bulk_docs`` with ``new_edits=false``, as admin) and each resolves it
   on its own; then PouchDB replicates A → B and B → A, remote to remote
   (``tests/interop/replicate_remotes.mjs``). The merged revision is derived
   from its parents and body, so no new conflict appears: each server ends
   with one live leaf, the same rev and body on both, and no second
   resolution. Both servers get the base revision, and the leaves either in
   the same batches or in different batches and order.

Two more tests pin down what those scenarios found (see their docstrings):

3. after the colour merge (red, flagged), tablet A — still showing its own
   yellow, not having pulled — edits only the phone and syncs: red must
   stay. It does when the tie between the two leaves' identical colour
   stamps falls to the merge's rev, and does not (yellow, unflagged) when it
   falls to the tablet's: the merged body carries A's yellow colour stamp
   on the red value.
4. two servers, only one of which saw the base revision before the
   conflict, merge the same two leaves into different bodies and revs (the
   ancestor's stamps decide whether a colour change was concurrent), so a
   new conflict appears when they replicate; it is merged again and the
   servers converge.
"""

import base64
import copy
import hashlib
import json
import urllib.error
import urllib.request

import pytest

from server.schemas import validate
from sync.hlc import Clock
from sync.stamps import stamp_edit
from tests import fielddocs as fd
from tests.peers import run_node, start_gridvisit

FIELD = "field"
PASSWORD = "password-123"
HH = "household:g1:h1"
MINUTE = 60_000


# -- the admin side -----------------------------------------------------------

def api(peer, method, path, body=None, auth=None):
    """One request to the JSON API: ``(status, json)``; as the admin unless
    ``auth=(name, password)``."""
    name, password = auth or (peer.username, peer.password)
    url = f"http://127.0.0.1:{peer.extra['port']}/api/{path.lstrip('/')}"
    req = urllib.request.Request(url, method=method,
                                 data=None if body is None else json.dumps(body).encode())
    req.add_header("Content-Type", "application/json")
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    req.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, json.loads(raw) if raw[:1] in (b"{", b"[") else raw


def ok(status_body):
    status, body = status_body
    assert status in (200, 201), (status, body)
    return body


def seeded_household():
    """``household:g1:h1`` as the office registered it, stamped."""
    return stamp_edit(None, fd.household("g1", "h1", by="admin"), Clock("office-pc"))


def server_doc(peer, doc_id):
    status, doc = peer.request("GET", f"{FIELD}/{doc_id}?conflicts=true&deleted_conflicts=true")
    assert status == 200, doc
    return doc


def server_leaves(peer, doc_id):
    """open_revs=all on the server: ``[{rev, deleted, doc}]`` sorted by rev."""
    status, rows = peer.request("GET", f"{FIELD}/{doc_id}?open_revs=all")
    assert status == 200 and isinstance(rows, list), (status, rows)
    out = []
    for row in rows:
        assert "ok" in row, row                     # no missing leaf
        body = row["ok"]
        out.append({"rev": body["_rev"], "deleted": bool(body.get("_deleted")),
                    "doc": None if body.get("_deleted") else body})
    return sorted(out, key=lambda leaf: leaf["rev"])


def without(doc, *keys):
    return {k: v for k, v in doc.items() if k not in keys}


@pytest.fixture
def field(tmp_path):
    """A server with street s, community c1, grid g1, workers wa and wb on
    g1, supervisor s1 of c1, and the seeded household."""
    peer = start_gridvisit(tmp_path / "server")
    try:
        status, body = peer.request("PUT", FIELD)
        assert status == 201, body
        ok(api(peer, "POST", "streets", {"id": "s", "name": "朝阳门街道"}))
        ok(api(peer, "POST", "communities", {"id": "c1", "name": "史家社区", "parent": "s"}))
        ok(api(peer, "POST", "grids", {"id": "g1", "name": "g1 网格", "parent": "c1"}))
        for name in ("wa", "wb"):
            ok(api(peer, "POST", "users", {"name": name, "password": PASSWORD,
                                           "role": "worker", "display_name": f"网格员{name}"}))
            ok(api(peer, "POST", "assignments", {"user": name, "grid": "g1"}))
        ok(api(peer, "POST", "users", {"name": "s1", "password": PASSWORD,
                                       "role": "supervisor"}))
        ok(api(peer, "POST", "assignments", {"user": "s1", "community": "c1"}))
        base = seeded_household()
        status, rows = peer.request("POST", f"{FIELD}/_bulk_docs",
                                    {"docs": [fd.grid_doc("g1"), base]})
        assert status == 201 and all(r.get("ok") for r in rows), rows
        peer.extra["base"] = dict(base, _rev=rows[1]["rev"])
        yield peer
    finally:
        peer.stop()


# -- 1. two tablets, one household ----------------------------------------------

def edit_by(user, device, **changes):
    """A worker's changes; the tablet applies them over the pulled doc."""
    return dict(changes, updated_at=fd.stamp_time(0), updated_by=user, device=device)


M1 = fd.household("g1", "h1")["members"][0]
NEW_MEMBER = {"id": "m2", "name": "李小明", "birth_year": 2015, "gender": "male"}

# name: (A's changes, B's changes, A's clock offset, B's clock offset, winner)
SCENARIOS = {
    "different_fields": (dict(phone="139 0000 0001"),
                         dict(notes="门口有台阶，老人行动不便"), 0, 0, None),
    "same_field_newest_on_winning_leaf": (dict(phone="139 0000 0001"),
                                          dict(phone="139 0000 0002"), 0, MINUTE, "B"),
    "same_field_newest_on_losing_leaf": (dict(phone="139 0000 0001"),
                                         dict(phone="139 0000 0002"), 0, MINUTE, "A"),
    "colour": (dict(colour="yellow", colour_reason="血压偏高，需定期查看"),
               dict(colour="red", colour_reason="高烧不退，独居"), MINUTE, 0, "A"),
    "member_added_and_member_edited": (
        dict(members=[M1, NEW_MEMBER]),
        dict(members=[dict(M1, tags=["over65", "chronic"], notes="高血压，每日服药")]),
        0, 0, None),
}


def run_tablets(field, scenario, order=None):
    a_changes, b_changes, a_offset, b_offset, winner = SCENARIOS[scenario]
    tablets = {"A": {"user": "wa", "password": PASSWORD, "device": "tab-A",
                     "offset_ms": a_offset},
               "B": {"user": "wb", "password": PASSWORD, "device": "tab-B",
                     "offset_ms": b_offset}}
    return run_node("tablets_merge.mjs", {
        "url": f"{field.base}/{FIELD}", "doc_id": HH, "tablets": tablets,
        "edits": {"A": edit_by("wa", "tab-A", **a_changes),
                  "B": edit_by("wb", "tab-B", **b_changes)},
        "want_winner": winner, "order": order})


def check_converged(field, out):
    """Tablets and server hold one identical live revision, no conflicts;
    return ``(merged doc, its resolution record, {"A": rev, "B": rev})``
    with the revs of the two tablets' edits."""
    doc = server_doc(field, HH)
    assert "_conflicts" not in doc, doc
    leaves = server_leaves(field, HH)
    live = [leaf for leaf in leaves if not leaf["deleted"]]
    assert len(live) == 1 and live[0]["rev"] == doc["_rev"], leaves
    edits = {name: out["edits"][name]["rev"] for name in ("A", "B")}
    for name in ("A", "B"):
        final = out["final"][name]
        assert "_conflicts" not in final["doc"], (name, final["doc"])
        assert final["doc"] == without(doc, "_deleted_conflicts"), (name, final["doc"], doc)
        # the tablet's tree has the same leaves as the server's
        assert [(l["rev"], l["deleted"]) for l in final["leaves"]] == \
            [(l["rev"], l["deleted"]) for l in leaves], (name, final["leaves"], leaves)
    # the merged rev is a child of CouchDB's winner; the loser got a tombstone
    assert doc["_rev"].startswith("3-")
    assert len(leaves) == 2 and [l["rev"][:2] for l in leaves] == ["3-", "3-"], leaves
    # the merged document is still valid under the server's schemas
    validate(copy.deepcopy(doc))
    for name in ("A", "B"):
        validate(copy.deepcopy(out["edits"][name]["doc"]))

    listed = ok(api(field, "GET", "resolutions", auth=("s1", PASSWORD)))
    mine = [r for r in listed if r["doc_id"] == HH]
    assert len(mine) == 1, listed
    record = mine[0]
    assert sorted(record["leaves"]) == sorted(edits.values()), (record, edits)
    assert record["leaves"][0] == out["winner"]                  # winner first
    assert record["merged_rev"] == doc["_rev"]
    assert set(record["leaf_bodies"]) == set(edits.values())
    return doc, record, edits


def as_sets(members):
    return [dict(m, tags=sorted(m["tags"])) if "tags" in m else m for m in members]


def decision(record, field_name):
    found = [d for d in record["decisions"] if d["field"] == field_name]
    assert len(found) == 1, (field_name, record["decisions"])
    return found[0]


def test_different_fields_both_survive(field):
    out = run_tablets(field, "different_fields")
    doc, record, revs = check_converged(field, out)
    assert doc["phone"] == "139 0000 0001"
    assert doc["notes"] == "门口有台阶，老人行动不便"
    base = field.extra["base"]
    for key in ("colour", "head", "building", "room"):
        assert doc[key] == base[key], key
    assert as_sets(doc["members"]) == as_sets(base["members"])    # tags are a set
    assert record["flagged"] is False
    assert set(record["rules"]) <= {"newest_stamp", "winner", "tag_set"}, record["rules"]
    assert decision(record, "phone") == {"field": "phone", "rule": "newest_stamp",
                                         "rev": revs["A"]}
    assert decision(record, "notes") == {"field": "notes", "rule": "newest_stamp",
                                         "rev": revs["B"]}
    # each tablet's stamp survives for the field it changed
    assert doc["stamps"]["phone"][1] == "tab-A" and doc["stamps"]["notes"][1] == "tab-B"
    assert doc["stamps"]["colour"] == base["stamps"]["colour"]


@pytest.mark.parametrize("scenario", ["same_field_newest_on_winning_leaf",
                                      "same_field_newest_on_losing_leaf"])
def test_same_field_newest_stamp_wins(field, scenario):
    out = run_tablets(field, scenario)
    doc, record, revs = check_converged(field, out)
    newest = revs["B"]                               # B's clock runs a minute ahead
    assert (out["winner"] == newest) == scenario.endswith("winning_leaf"), out["winner"]
    stamps = {name: out["edits"][name]["doc"]["stamps"] for name in ("A", "B")}
    assert stamps["B"]["phone"] > stamps["A"]["phone"]
    assert doc["phone"] == "139 0000 0002"
    assert doc["stamps"]["phone"] == out["edits"]["B"]["doc"]["stamps"]["phone"]
    assert decision(record, "phone") == {"field": "phone", "rule": "newest_stamp", "rev": newest}
    assert record["flagged"] is False


def test_concurrent_colour_change_goes_red_and_is_flagged(field):
    out = run_tablets(field, "colour")
    doc, record, revs = check_converged(field, out)
    # red is on CouchDB's losing leaf and carries the older stamp: neither
    # recency nor the winner rule would pick it
    assert out["winner"] == revs["A"]
    stamps = {name: out["edits"][name]["doc"]["stamps"] for name in ("A", "B")}
    assert stamps["A"]["colour"] > stamps["B"]["colour"]
    assert (doc["colour"], doc["colour_reason"]) == ("red", "高烧不退，独居")
    assert record["flagged"] is True
    assert "most_severe" in record["rules"]
    assert decision(record, "colour") == {"field": "colour", "rule": "most_severe",
                                          "rev": revs["B"]}
    assert decision(record, "colour_reason") == {"field": "colour_reason",
                                                 "rule": "most_severe", "rev": revs["B"]}
    flagged = ok(api(field, "GET", "resolutions?flagged=true", auth=("s1", PASSWORD)))
    assert [r["id"] for r in flagged] == [record["id"]]
    assert ok(api(field, "GET", "resolutions?flagged=false", auth=("s1", PASSWORD))) == []
    # both leaves are kept side by side for the supervisor
    bodies = record["leaf_bodies"]
    assert bodies[revs["A"]]["colour"] == "yellow" and bodies[revs["B"]]["colour"] == "red"


def test_member_added_on_one_tablet_and_edited_on_the_other(field):
    out = run_tablets(field, "member_added_and_member_edited")
    doc, record, revs = check_converged(field, out)
    by_id = {m["id"]: m for m in doc["members"]}
    assert set(by_id) == {"m1", "m2"}, doc["members"]
    assert by_id["m2"] == NEW_MEMBER
    assert by_id["m1"]["notes"] == "高血压，每日服药"
    # B added "chronic" and removed "elderly_alone"; A touched neither
    assert sorted(by_id["m1"]["tags"]) == ["chronic", "over65"]
    assert by_id["m1"]["name"] == M1["name"] and by_id["m1"]["birth_year"] == M1["birth_year"]
    assert record["flagged"] is False
    assert decision(record, "members.m2.name") == {"field": "members.m2.name",
                                                   "rule": "newest_stamp", "rev": revs["A"]}
    assert decision(record, "members.m1.notes") == {"field": "members.m1.notes",
                                                    "rule": "newest_stamp", "rev": revs["B"]}
    assert "tag_set" in record["rules"]
    stamps = doc["stamps"]
    assert stamps["members.m2"][1] == "tab-A" and stamps["members.m1.notes"][1] == "tab-B"
    assert stamps["members.m1.tags.chronic"][1] == "tab-B"
    assert stamps["members.m1.tags.elderly_alone"][1] == "tab-B"


@pytest.mark.parametrize("tie", ["tablet_rev_below_merged", "tablet_rev_above_merged"])
def test_red_from_a_merge_survives_the_yellow_tablets_next_edit(field, tie):
    """The colour scenario, then tablet A — which has not pulled the merge
    and still shows its own yellow — edits the phone offline and syncs.

    The server merged red (most severe) but gave the merged body the newest
    colour *stamp*, which is A's yellow stamp. A's next leaf carries that
    same stamp on yellow, and the new conflict's common ancestor is A's own
    leaf (the merge is a child of CouchDB's winner, A's leaf here), so
    nothing looks like a concurrent colour change: both leaves hold the
    identical colour stamp and the tie goes to the higher rev hash. Red must
    stay whatever that hash is: A never saw red, so it did not overrule it.
    """
    follow_up = {"tablet": "A", "edit": edit_by("wa", "tab-A", phone="139 0000 0009"),
                 "rev_vs_server": "above" if tie.endswith("above_merged") else "below"}
    out = run_tablets(field, "colour", order=["A", "B", follow_up, "A", "B"])
    revs = {name: out["edits"][name]["rev"] for name in ("A", "B")}
    assert out["winner"] == revs["A"]
    first_merge = out["syncs"][2]["edit"]["server_rev"]
    doc = server_doc(field, HH)
    assert "_conflicts" not in doc, doc
    live = [leaf for leaf in server_leaves(field, HH) if not leaf["deleted"]]
    assert [leaf["rev"] for leaf in live] == [doc["_rev"]], live
    for name in ("A", "B"):
        assert out["final"][name]["doc"] == without(doc, "_deleted_conflicts"), name
    assert doc["phone"] == "139 0000 0009"                 # A's later edit arrived
    listed = [r for r in ok(api(field, "GET", "resolutions", auth=("s1", PASSWORD)))
              if r["doc_id"] == HH]
    assert len(listed) == 2, listed
    second, first = listed                                  # newest first
    assert first["merged_rev"] == first_merge and first["flagged"] is True
    assert (doc["colour"], doc["colour_reason"]) == ("red", "高烧不退，独居"), (
        f"the merge's red was reverted to {doc['colour']!r} by tablet A's unrelated phone "
        f"edit; second resolution: flagged={second['flagged']}, colour decision "
        f"{decision(second, 'colour')}; merged colour stamp was "
        f"{second['leaf_bodies'][first_merge]['stamps']['colour']} (A's yellow stamp: "
        f"{out['edits']['A']['doc']['stamps']['colour']})")


# -- 2. two servers resolve the same conflict independently ---------------------

def rev_hash(*parts):
    return hashlib.md5(":".join(map(str, parts)).encode()).hexdigest()


def ticking(device, start):
    ms = iter(range(start, start + 10**9, 1000))
    return Clock(device, now_ms_fn=lambda: next(ms))


def conflicting_pair(colour_changed_on_one_leaf_only=False):
    """The base revision and two leaves made on two replicas of it, each
    with its ``_revisions`` history, ready for ``new_edits=false``.

    By default both leaves change the colour (yellow and red), plus other
    fields and members. With ``colour_changed_on_one_leaf_only`` the base
    is yellow, A turns it green and B changes only the notes: a later colour
    change, not a concurrent one — which only a server that knows the base's
    stamps can tell.
    """
    seed = fd.household("g1", "h2", by="admin")
    if colour_changed_on_one_leaf_only:
        seed.update(colour="yellow", colour_reason="独居老人，需定期查看")
    base = stamp_edit(None, seed, ticking("office-pc", 1_790_000_000_000))
    base_hash = rev_hash(base["_id"], "base")
    base_doc = dict(base, _rev=f"1-{base_hash}", _revisions={"start": 1, "ids": [base_hash]})
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    if colour_changed_on_one_leaf_only:
        a.update(colour="green", phone="139 0000 0007")
        a.pop("colour_reason")
        b.update(notes="子女已接回同住")
    else:
        a.update(phone="139 0000 0007", colour="yellow", colour_reason="血压偏高",
                 members=base["members"] + [dict(NEW_MEMBER)])
        b.update(notes="独居，子女在外地", colour="red", colour_reason="高烧不退",
                 members=[dict(base["members"][0], tags=["over65"], notes="行动不便")])
    a.update(updated_at=fd.stamp_time(2), updated_by="wa", device="tab-A")
    b.update(updated_at=fd.stamp_time(1), updated_by="wb", device="tab-B")
    a = stamp_edit(base, a, ticking("tab-A", 1_796_000_000_000))
    b = stamp_edit(base, b, ticking("tab-B", 1_795_000_000_000))
    leaves = []
    for name, body in (("a", a), ("b", b)):
        digest = rev_hash(body["_id"], name)
        leaves.append(dict(body, _rev=f"2-{digest}",
                           _revisions={"start": 2, "ids": [digest, base_hash]}))
    return base_doc, leaves


@pytest.fixture
def two_servers(tmp_path):
    peers = []
    try:
        for name in ("A", "B"):
            peer = start_gridvisit(tmp_path / f"server{name}")
            peers.append(peer)
            status, body = peer.request("PUT", FIELD)
            assert status == 201, body
        yield peers
    finally:
        for peer in peers:
            peer.stop()


def replicate(step_pairs):
    steps = [{"source": src.url(FIELD), "target": dst.url(FIELD)} for src, dst in step_pairs]
    return run_node("replicate_remotes.mjs", {"steps": steps})["results"]


def push_replicated(peer, docs):
    status, rows = peer.request("POST", f"{FIELD}/_bulk_docs",
                                {"docs": docs, "new_edits": False})
    assert status == 201 and rows == [], (status, rows)


def state(peer, doc_id):
    leaves = server_leaves(peer, doc_id)
    live = [leaf for leaf in leaves if not leaf["deleted"]]
    return leaves, live


DELIVERIES = {
    # how each server receives the base and the two leaves: a list of batches
    "same_batches": ([["base"], ["a", "b"]], [["base"], ["a", "b"]]),
    "one_by_one_other_order": ([["base", "a", "b"]], [["base"], ["b"], ["a"]]),
}


@pytest.mark.parametrize("delivery", sorted(DELIVERIES))
def test_two_servers_resolve_independently_and_replicate_without_new_conflict(
        two_servers, delivery):
    one, two = two_servers
    base, (a, b) = conflicting_pair()
    named = {"base": base, "a": a, "b": b}
    for peer, batches in zip(two_servers, DELIVERIES[delivery]):
        for batch in batches:
            push_replicated(peer, [copy.deepcopy(named[n]) for n in batch])

    before = []
    for peer in two_servers:
        leaves, live = state(peer, a["_id"])
        assert len(live) == 1, leaves                    # each resolved on its own
        assert len(peer_resolutions(peer)) == 1
        before.append(leaves)
    first, second = before
    assert first == second, (first, second)               # the same revisions, bodies
    merged = first[[l["deleted"] for l in first].index(False)]["doc"]
    assert merged["colour"] == "red" and merged["phone"] == "139 0000 0007"
    validate(copy.deepcopy(merged))

    results = replicate([(one, two), (two, one)])
    for res in results:
        assert res["doc_write_failures"] == 0 and res["errors"] == [], res

    after = [state(peer, a["_id"]) for peer in two_servers]
    for (leaves, live), peer in zip(after, two_servers):
        assert len(live) == 1, leaves                     # no new conflict
        assert "_conflicts" not in server_doc(peer, a["_id"])
        assert len(peer_resolutions(peer)) == 1           # nothing more to resolve
    assert after[0] == after[1]
    assert after[0][1][0]["rev"] == merged["_rev"] and after[0][1][0]["doc"] == merged


def peer_resolutions(peer):
    return ok(api(peer, "GET", "resolutions"))


def test_base_known_to_one_server_only(two_servers):
    """Server A saw the base revision before the conflict; server B gets
    only the two leaves (their history names the base; its body never came,
    as when B first hears of the household through replication of an
    already conflicted document). A knows the common ancestor's stamps, B
    does not.

    Here A turned the colour from yellow to green and B changed only the
    notes. A, knowing the base, sees one colour change: green, by newest
    stamp. B cannot tell and takes the safe side: yellow, flagged. The two
    merged bodies differ, so do their revs, and replicating the two servers
    makes a new conflict (which the next write resolves again)."""
    one, two = two_servers
    base, (a, b) = conflicting_pair(colour_changed_on_one_leaf_only=True)
    push_replicated(one, [copy.deepcopy(base)])
    push_replicated(one, [copy.deepcopy(a), copy.deepcopy(b)])
    push_replicated(two, [copy.deepcopy(a), copy.deepcopy(b)])
    merged = [state(peer, a["_id"])[1] for peer in two_servers]
    assert all(len(live) == 1 for live in merged), merged
    colours = [(live[0]["doc"]["colour"], peer_resolutions(peer)[0]["flagged"])
               for live, peer in zip(merged, two_servers)]
    replicate([(one, two), (two, one)])
    after = [state(peer, a["_id"]) for peer in two_servers]
    assert all(len(live) == 1 for _leaves, live in after), after
    assert after[0] == after[1]
    assert merged[0][0]["rev"] == merged[1][0]["rev"], (
        "the two servers merged the same two leaves into different revisions: "
        f"{merged[0][0]['rev']} (base known) vs {merged[1][0]['rev']} (base unknown); "
        f"colour, flagged: {colours}; resolutions after replication: "
        f"{[len(peer_resolutions(p)) for p in two_servers]}")
