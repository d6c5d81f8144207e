"""Who sees and writes the care-loop documents (issue 9): the shared rule set,
notices and read receipts, from real PouchDB tablets against a real server.

The server, the directory (workers w1 on g1 and w2 on g2, supervisor s1 of
community c1 = g1 + g2; g3 is in c2) and the tablets (``workers.js``, one
PouchDB per node process) are those of ``tests/interop_access_support.py``.
A notice reaches a grid as one document per grid, all sharing one uuid.

What is covered:

1. a worker's first pull brings their grids and nothing shared while the
   shipped rule set is in force (the field app ships it); once an admin
   saves a rule set, ``rules:warning`` comes with every worker's pull, with
   the notices of their grids only;
2. a notice to a grid the worker is given later is backfilled on the next
   pull, although it is older than the tablet's checkpoint;
3. a worker's push: their own receipt is accepted; a receipt for another
   reader, a rule-set edit and a notice are refused, quarantined, and
   replication goes on;
4. a supervisor writes notices in their community's grids, not outside it,
   and cannot change the rule set.

The rule set as a document (none until saved, the fallback, who writes it)
is checked in-process with the Flask test client.
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


def save_rule_set(peer, version=2):
    """An admin saves a rule set of the community's own (the shipped rules)."""
    doc = dict(rules.shipped_rules(), version=version, updated_by="admin")
    admin_write(peer, [doc])
    return doc


# -- 1. the rule set and the worker's own notices -----------------------------

def test_a_first_pull_holds_the_workers_grid_and_nothing_shared_by_default(field, tablets):
    t1 = tablets("w1")
    sign_in(field, t1, "w1")
    rep = t1.call("pull")
    assert_clean(rep, "w1 pull")
    assert set(t1.call("ids")) == field.extra["written"]["g1"]
    assert rep["result"]["docs_written"] == len(field.extra["written"]["g1"])


def test_a_worker_pulls_the_saved_rule_set_and_only_their_grids_notices(field, tablets):
    notice = notices_everywhere(field)
    saved = save_rule_set(field)
    t1 = tablets("w1")
    sign_in(field, t1, "w1")
    assert_clean(t1.call("pull"), "w1 pull")
    held = set(t1.call("ids"))
    assert held == field.extra["written"]["g1"] | {rules.RULES_ID, notice["g1"]}
    assert not {notice["g2"], notice["g3"]} & held
    rule_set = t1.call("get", id=rules.RULES_ID)
    assert rule_set["version"] == 2 and rule_set["rules"] == saved["rules"]
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
    assert {notice["g1"], notice["g3"]} <= held
    assert notice["g2"] not in held
    assert field.extra["written"]["g3"] <= held


# -- 3. receipts: one's own only; no rules, no notices from a tablet -----------

def test_a_worker_pushes_their_own_receipt_and_nothing_else_of_the_care_loop(field, tablets):
    notice = notices_everywhere(field, grids=("g1",))["g1"]
    save_rule_set(field)
    t1 = tablets("w1")
    sign_in(field, t1, "w1")
    assert_clean(t1.call("pull"), "w1 pull")
    own = fd.receipt(notice, reader="w1")
    other = fd.receipt(notice, reader="w2")
    edited = dict(t1.call("get", id=rules.RULES_ID), version=3, updated_by="w1")
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
    assert status == 200 and kept_rules["version"] == 2            # unchanged
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
    status, body = put_as(field, dict(rules.shipped_rules(), version=2), "s1")
    assert status == 403 and "only admins" in body["reason"], body
    assert {f"notice:g2:{nid}"} == {i for i in server_ids(field) if i.startswith("notice:")}


# -- the rule set as a document (in-process) ----------------------------------

def test_the_field_database_holds_no_rule_set_until_one_is_saved(tmp_path):
    app = make_field_app(tmp_path / "a")
    db = services(app).store.get("field")
    with pytest.raises(NotFound):
        db.get(rules.RULES_ID)
    assert rules.current_rules(db) == rules.shipped_rules()
    validate(rules.shipped_rules())
    db.put(dict(rules.shipped_rules(), version=2, updated_by="admin"))
    assert rules.current_rules(db)["version"] == 2 and "_rev" in rules.current_rules(db)


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
    users = {name: Couch(app, auth=(name, PASSWORD)) for name in ("w1", "s1", "h1")}
    shipped = rules.shipped_rules()
    for name in ("w1", "s1"):                         # not even the first one
        assert users[name].put(f"field/{rules.RULES_ID}",
                               json=dict(shipped, version=2)).status_code == 403
    saved = admin.put(f"field/{rules.RULES_ID}", json=dict(shipped, version=2, updated_by="admin"))
    assert saved.status_code == 201
    for name, user in users.items():
        assert user.get(f"field/{rules.RULES_ID}").get_json()["version"] == 2, name
        if name != "h1":
            assert user.put(f"field/{rules.RULES_ID}", json=dict(
                shipped, _rev=saved.get_json()["rev"], version=3)).status_code == 403
    pulled = dict(shipped, _rev=saved.get_json()["rev"], version=3, updated_by="district")
    assert users["h1"].put(f"field/{rules.RULES_ID}", json=pulled).status_code == 201
    assert ids.grid_of(rules.RULES_ID) == ids.SHARED


def test_a_tablet_that_synced_before_the_rule_set_existed_gets_it_on_its_next_pull(tmp_path):
    """A tablet's checkpoint from before the upgrade names the grid set
    {g1} without the shared partition; its next pull must backfill
    ``rules:warning`` although the document is older than the checkpoint,
    exactly as for a newly assigned grid."""
    app = make_field_app(tmp_path)
    db = services(app).store.get("field")
    db.put(dict(rules.shipped_rules(), version=2, updated_by="admin"))
    before = services(app).directory.remember_set(frozenset({"g1"}))
    checkpoint = f"{db.update_seq()}-{db.epoch}-{before}"
    w1 = Couch(app, auth=("w1", PASSWORD))
    page = w1.get(f"field/_changes?since={checkpoint}").get_json()
    assert [row["id"] for row in page["results"]] == [rules.RULES_ID]
    again = w1.get(f"field/_changes?since={page['last_seq']}").get_json()
    assert again["results"] == []
