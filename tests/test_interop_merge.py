"""Conflicts merged on write, seen from real peers (DESIGN.md, "Conflicts").

1. Two field tablets — real PouchDB 9 in node (memory adapter), workers
   ``wa`` (device ``tab-A``) and ``wb`` (device ``tab-B``), both assigned
   grid ``g1`` on a real ``gridvisit serve`` — pull the same household, go
   offline and both edit it, stamping the edit with the field app's own
   helper (``fieldapp/js/rules/stamps.js`` ``stampEdit`` with a ``Clock`` of
   ``fieldapp/js/rules/hlc.js``). Then they sync, each a push then a pull, in the
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

   PouchDB's rev ids are random, so the tablet script makes both edits
   again (fresh pulls, same clocks) until the leaf order is the one a
   scenario asks for: the scenarios then do not depend on luck.

A tablet that edits again after the colour merge is pinned down in
``test_red_from_a_merge_survives_the_yellow_tablets_next_edit``; two
servers resolving the same conflict are in ``tests/test_interop_two_servers.py``.
"""

import copy

import pytest

from rules.schemas import validate
from tests import fielddocs as fd
from tests.interop_access_support import FIELD, PASSWORD, api, ok
from tests.interop_merge_support import (HH, MINUTE, NEW_MEMBER, server_doc, server_leaves,
                                         without)
from tests.interop_merge_support import field  # noqa: F401  (fixtures)
from tests.peers import run_node

# -- 1. two tablets, one household ----------------------------------------------

def edit_by(user, device, **changes):
    """A worker's changes; the tablet applies them over the pulled doc."""
    return dict(changes, updated_at=fd.stamp_time(0), updated_by=user, device=device)


M1 = fd.household("g1", "h1")["members"][0]

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
    tablet_rev = out["syncs"][2]["edit"]["rev"]
    assert tablet_rev.split("-")[0] == first_merge.split("-")[0]   # a tie on generation
    above = tablet_rev.split("-")[1] > first_merge.split("-")[1]
    assert above == tie.endswith("above_merged"), (tablet_rev, first_merge)
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
