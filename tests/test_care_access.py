"""Who sees and writes the care-loop documents (issue 9): the shared rule set,
notices and read receipts, from real PouchDB tablets against a real server.

The server, the directory (workers w1 on g1 and w2 on g2, supervisor s1 of
community c1 = g1 + g2; g3 is in c2) and the tablets (``workers.js``, one
PouchDB per node process) are those of ``tests/interop_access_support.py``.
A notice reaches a grid as one document per grid, all sharing one uuid.

What is covered:

1. a worker's pull brings ``rules:warning`` (seeded when the field database
   was created) and the notices of their grids only;
2. a notice to a grid the worker is given later is backfilled on the next
   pull, although it is older than the tablet's checkpoint;
3. a worker's push: their own receipt is accepted; a receipt for another
   reader, a rule-set edit and a notice are refused, quarantined, and
   replication goes on;
4. a supervisor writes notices in their community's grids, not outside it,
   and cannot change the rule set.

The rule set as a document (seeding, the fallback, the same revision on
every server) is checked in-process with the Flask test client.
"""

import uuid

import pytest

from rules import warning_rules as rules
from rules.schemas import validate
from rules import ids
from sync.errors import NotFound
from tests import fielddocs as fd
from tests.api import ADMIN, Couch, basic, make_app, make_field_app
# the running server and the tablets, as the access tests set them up
from tests.interop_access_support import (FIELD, PASSWORD, admin_write, api, assert_clean,
                                          ok, server_ids, sign_in)
from tests.interop_access_support import field, tablets  # noqa: F401  (fixtures)
from server.services import services


def notices_everywhere(peer, grids=("g1", "g2", "g3")):
    """One notice published to ``grids``: a document per grid, one uuid."""
    nid = uuid.uuid4().hex
    docs = [fd.notice(grid, nid, by="admin", audience={"kind": "everyone"}) for grid in grids]
    admin_write(peer, docs)
    return {grid: doc["_id"] for grid, doc in zip(grids, docs)}


def put_as(peer, doc, name):
    """PUT ``doc`` into the field database as ``name``: ``(status, body)``."""
    return peer.request("PUT", f"{FIELD}/{doc['_id']}", doc, auth=False,
                        headers=basic(name, PASSWORD))


# -- 1. the rule set and the worker's own notices -----------------------------

def test_a_worker_pulls_the_rule_set_and_only_their_grids_notices(field, tablets):
    notice = notices_everywhere(field)
    t1 = tablets("w1")
    sign_in(field, t1, "w1")
    assert_clean(t1.call("pull"), "w1 pull")
    held = set(t1.call("ids"))
    assert held == field.extra["written"]["g1"] | {rules.RULES_ID, notice["g1"]}
    assert not {notice["g2"], notice["g3"]} & held
    rule_set = t1.call("get", id=rules.RULES_ID)
    assert rule_set["version"] == 1 and rule_set["rules"] == rules.shipped_rules()["rules"]
    assert t1.call("remote_get", id=notice["g3"])["status"] == 404


# -- 2. a grid given later brings its older notices ---------------------------

def test_a_notice_to_a_grid_gained_later_is_backfilled(field, tablets):
    notice = notices_everywhere(field)
    t1 = tablets("w1")
    sign_in(field, t1, "w1")
    assert_clean(t1.call("pull"), "w1 first pull")
    assert notice["g3"] not in set(t1.call("ids"))
    ok(api(field, "POST", "assignments", {"user": "w1", "grid": "g3"}))
    rep = t1.call("pull")
    assert_clean(rep, "w1 pull after gaining g3")
    held = set(t1.call("ids"))
    assert {notice["g1"], notice["g3"], rules.RULES_ID} <= held
    assert notice["g2"] not in held
    assert field.extra["written"]["g3"] <= held


# -- 3. receipts: one's own only; no rules, no notices from a tablet -----------

def test_a_worker_pushes_their_own_receipt_and_nothing_else_of_the_care_loop(field, tablets):
    notice = notices_everywhere(field, grids=("g1",))["g1"]
    t1 = tablets("w1")
    sign_in(field, t1, "w1")
    assert_clean(t1.call("pull"), "w1 pull")
    own = fd.receipt(notice, reader="w1")
    other = fd.receipt(notice, reader="w2")
    edited = dict(t1.call("get", id=rules.RULES_ID), version=2, updated_by="w1")
    edited["rules"] = edited["rules"][:1]
    published = fd.notice("g1", by="w1")
    t1.call("put", docs=[own, other, edited, published])

    rep = t1.call("push")
    assert rep["error"] is None, rep["error"]
    result = rep["result"]
    assert result["status"] == "complete" and result["docs_written"] == 1, result
    refused = {other["_id"], rules.RULES_ID, published["_id"]}
    assert {d["id"] for d in rep["denied"]} == refused, rep["denied"]

    on_server = server_ids(field)
    assert own["_id"] in on_server and not {other["_id"], published["_id"]} & on_server
    status, kept_rules = field.request("GET", f"{FIELD}/{rules.RULES_ID}")
    assert status == 200 and kept_rules["version"] == 1            # unchanged
    quarantine = {row["doc_id"]: row["reason"]
                  for row in ok(api(field, "GET", "quarantine"))["rows"]}
    assert set(quarantine) == refused
    assert "own read receipts" in quarantine[other["_id"]] and "本人" in quarantine[other["_id"]]
    assert "only admins" in quarantine[rules.RULES_ID]
    assert "may not write notice" in quarantine[published["_id"]]


# -- 4. supervisors publish notices in their own communities -------------------

def test_a_supervisor_writes_notices_in_their_community_only(field):
    nid = uuid.uuid4().hex
    status, body = put_as(field, fd.notice("g2", nid, by="s1"), "s1")
    assert status == 201, body
    status, body = put_as(field, fd.notice("g3", nid, by="s1"), "s1")
    assert status == 403 and "outside your grids" in body["reason"], body
    status, current = field.request("GET", f"{FIELD}/{rules.RULES_ID}")
    status, body = put_as(field, dict(current, version=2), "s1")
    assert status == 403 and "only admins" in body["reason"], body
    assert {f"notice:g2:{nid}"} == {i for i in server_ids(field) if i.startswith("notice:")}


# -- the rule set as a document (in-process) ----------------------------------

def test_the_field_database_is_seeded_once_with_the_shipped_rule_set(tmp_path):
    app = make_field_app(tmp_path / "a")
    db = services(app).store.get("field")
    seeded = db.get(rules.RULES_ID)
    validate(seeded)
    assert seeded["updated_by"] == "system" and seeded["version"] == 1
    assert rules.current_rules(db) == seeded
    assert rules.seed_rules(db) is False                 # there already: left alone
    other = services(make_field_app(tmp_path / "b")).store.get("field")
    assert other.get(rules.RULES_ID)["_rev"] == seeded["_rev"]   # hub and community agree


def test_current_rules_falls_back_to_the_shipped_set(tmp_path):
    app = make_app(tmp_path)                             # no field database yet
    assert rules.current_rules(None) == rules.shipped_rules()
    db = services(app).store.create("other")     # not the field database
    with pytest.raises(NotFound):
        db.get(rules.RULES_ID)
    assert rules.current_rules(db) == rules.shipped_rules()


def test_only_admins_and_the_hub_write_the_rule_set_and_every_role_reads_it(tmp_path):
    app = make_field_app(tmp_path)
    admin = Couch(app, auth=ADMIN)
    current = admin.get(f"field/{rules.RULES_ID}").get_json()
    for name in ("w1", "s1", "h1"):
        user = Couch(app, auth=(name, PASSWORD))
        assert user.get(f"field/{rules.RULES_ID}").status_code == 200
        if name != "h1":
            assert user.put(f"field/{rules.RULES_ID}",
                            json=dict(current, version=2)).status_code == 403
    saved = admin.put(f"field/{rules.RULES_ID}", json=dict(current, version=2, updated_by="admin"))
    assert saved.status_code == 201
    hub = Couch(app, auth=("h1", PASSWORD))            # the district's rule set comes in
    pulled = dict(current, _rev=saved.get_json()["rev"], version=3, updated_by="district")
    assert hub.put(f"field/{rules.RULES_ID}", json=pulled).status_code == 201
    assert ids.grid_of(rules.RULES_ID) == ids.SHARED


def test_a_tablet_that_synced_before_the_rule_set_existed_gets_it_on_its_next_pull(tmp_path):
    """A tablet's checkpoint from before the upgrade names the grid set
    {g1} without the shared partition; its next pull must backfill
    ``rules:warning`` although the document is older than the checkpoint,
    exactly as for a newly assigned grid."""
    app = make_field_app(tmp_path)
    db = services(app).store.get("field")
    before = services(app).directory.remember_set(frozenset({"g1"}))
    checkpoint = f"{db.update_seq()}-{db.epoch}-{before}"
    w1 = Couch(app, auth=("w1", PASSWORD))
    page = w1.get(f"field/_changes?since={checkpoint}").get_json()
    assert [row["id"] for row in page["results"]] == [rules.RULES_ID]
    again = w1.get(f"field/_changes?since={page['last_seq']}").get_json()
    assert again["results"] == []
