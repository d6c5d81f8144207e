"""Two gridvisit servers resolve the same conflict independently (DESIGN.md,
"Conflicts"), seen from real peers.

Each server receives the same conflicting pair of leaves (``_bulk_docs``
with ``new_edits=false``, as admin) and resolves it on its own; then
PouchDB replicates A → B and B → A, remote to remote
(``tests/interop/replicate_remotes.mjs``). The merged revision is derived
from its parents and body, so no new conflict appears: each server ends
with one live leaf, the same rev and body on both, and no second
resolution. Both servers get the base revision, and the leaves either in
the same batches or in different batches and order.

When only one server saw the base revision before the conflict, the two
merge the same leaves into different bodies and revs (the ancestor's
stamps decide whether a colour change was concurrent), so a new conflict
appears when they replicate; it is merged again and the servers converge.
"""


import copy

import pytest

from rules.schemas import validate
from tests.interop_access_support import FIELD, api, ok
from tests.interop_merge_support import conflicting_pair, server_doc, server_leaves
from tests.peers import run_node, start_gridvisit

# -- 2. two servers resolve the same conflict independently ---------------------

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
