"""Field-level merge of conflicting households and requests, and the
server resolving conflicts on write (rules/fieldmerge.py, sync/resolve.py)."""

import itertools
from datetime import datetime

from hypothesis import HealthCheck, given, settings, strategies as st

from sync import Store
from rules import ids, fieldmerge as merging
from rules.schemas import validate
from rules.stamps import stamp_edit
from tests import fielddocs as fd
from tests.merge_support import BASE, clock_at, edit
from tests.stores import make_store  # noqa: F401  (fixture)


def test_different_fields_both_survive():
    a = edit(BASE, clock_at("A"), phone="139 0000 0001")
    b = edit(BASE, clock_at("B"), notes="门口有台阶")
    body, decisions, flagged = merging.merge([("2-a", a), ("2-b", b)])
    assert body["phone"] == "139 0000 0001" and body["notes"] == "门口有台阶"
    assert not flagged
    assert {"field": "phone", "rule": "newest_stamp", "rev": "2-a"} in decisions


def test_same_field_newest_stamp_wins_whatever_the_rev_order():
    a = edit(BASE, clock_at("A", 1_795_000_000_000), phone="111111")
    b = edit(BASE, clock_at("B", 1_796_000_000_000), phone="222222")
    for leaves in ([("2-a", a), ("2-z", b)], [("2-z", a), ("2-a", b)]):
        assert merging.merge(leaves)[0]["phone"] == "222222"


def test_concurrent_colour_change_goes_most_severe_and_is_flagged():
    a = edit(BASE, clock_at("A", 1_796_000_000_000), colour="yellow", colour_reason="血压偏高")
    b = edit(BASE, clock_at("B", 1_795_000_000_000), colour="red", colour_reason="高烧不退")
    body, decisions, flagged = merging.merge([("2-a", a), ("2-b", b)])
    assert (body["colour"], body["colour_reason"], flagged) == ("red", "高烧不退", True)
    assert {"field": "colour", "rule": "most_severe", "rev": "2-b"} in decisions


def test_a_later_colour_change_is_not_a_conflict():
    a = edit(BASE, clock_at("A"), colour="red", colour_reason="高烧")
    a2 = edit(a, clock_at("A", 1_797_000_000_000), colour="green", colour_reason=None)
    b = edit(a, clock_at("B", 1_798_000_000_000), phone="333333")   # saw a's red, kept it
    body, _d, flagged = merging.merge([("3-a", a2), ("3-b", b)])
    assert body["colour"] == "green" and body["phone"] == "333333" and not flagged


def test_member_added_on_one_and_edited_on_the_other():
    members = BASE["members"]
    a = edit(BASE, clock_at("A"), members=members + [{"id": "m2", "name": "李小明",
                                                      "birth_year": 2015}])
    edited = [dict(members[0], tags=["over65", "chronic"], notes="高血压")]
    b = edit(BASE, clock_at("B"), members=edited)
    body, _d, _f = merging.merge([("2-a", a), ("2-b", b)])
    by_id = {m["id"]: m for m in body["members"]}
    assert set(by_id) == {"m1", "m2"}
    assert by_id["m1"]["tags"] == ["chronic", "over65"]          # b removed elderly_alone
    assert by_id["m1"]["notes"] == "高血压" and by_id["m2"]["name"] == "李小明"


def test_tags_merge_as_add_remove_sets():
    m1 = BASE["members"][0]
    a = edit(BASE, clock_at("A", 1_796_000_000_000), members=[dict(m1, tags=["over65"])])
    b = edit(BASE, clock_at("B", 1_795_000_000_000),
             members=[dict(m1, tags=["over65", "elderly_alone", "disabled"])])
    body, _d, _f = merging.merge([("2-a", a), ("2-b", b)])
    assert body["members"][0]["tags"] == ["disabled", "over65"]   # a removed one, b added one


def test_request_status_follows_its_lifecycle():
    req = stamp_edit(None, fd.request_doc("g1", "h1"), clock_at("seed"))
    a = edit(req, clock_at("A", 1_797_000_000_000), status="assigned",
             status_times={"open": "2026-11-24T08:00:00+08:00",
                           "assigned": "2026-11-24T08:03:00+08:00"})
    b = edit(req, clock_at("B", 1_796_000_000_000), status="resolved",
             status_times={"open": "2026-11-24T08:00:00+08:00",
                           "resolved": "2026-11-24T08:15:00+08:00"})
    body, _d, _f = merging.merge([("2-a", a), ("2-b", b)])
    assert body["status"] == "resolved"
    assert list(body["status_times"]) == ["open", "assigned", "resolved"]


REFERRAL_FLOW = ["referred", "accepted", "seen", "closed"]


def referral(times):
    """A referral reached through ``times`` (statuses in order), stamped on device "seed"."""
    doc = dict(fd.request_doc("g1", "h1"), kind="referral", target="hospital",
               status=times[-1], status_times={s: f"2026-11-24T08:0{i}:00+08:00"
                                               for i, s in enumerate(times)})
    return stamp_edit(None, doc, clock_at("seed"))


def test_referral_status_follows_the_referral_lifecycle():
    base = referral(["referred"])
    seen = edit(base, clock_at("A", 1_796_000_000_000), status="seen",
                status_times={**base["status_times"], "accepted": "2026-11-24T09:00:00+08:00",
                              "seen": "2026-11-24T10:00:00+08:00"})
    accepted = edit(base, clock_at("B", 1_797_000_000_000), status="accepted",   # newer stamp
                    status_times={**base["status_times"],
                                  "accepted": "2026-11-24T08:30:00+08:00"})
    body, decisions, _f = merging.merge([("2-a", seen), ("2-b", accepted)])
    assert body["status"] == "seen"                  # furthest wins over the newest stamp
    assert body["status_times"] == {"referred": "2026-11-24T08:00:00+08:00",
                                    "accepted": "2026-11-24T08:30:00+08:00",
                                    "seen": "2026-11-24T10:00:00+08:00"}
    assert any(d["field"] == "status" and d["rule"] == "lifecycle" for d in decisions)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=len(REFERRAL_FLOW)), min_size=2, max_size=4))
def test_referral_merge_reaches_the_furthest_status_in_any_order(reached):
    base = referral(["referred"])
    leaves = [(f"2-{i}", edit(base, clock_at(f"D{i}", 1_796_000_000_000 + i),
                              status=REFERRAL_FLOW[n - 1],
                              status_times={s: f"2026-11-24T1{j}:00:00+08:00"
                                            for j, s in enumerate(REFERRAL_FLOW[:n])}))
              for i, n in enumerate(reached)]
    first = merging.merge(leaves)[0]
    assert first["status"] == REFERRAL_FLOW[max(reached) - 1]
    assert list(first["status_times"]) == REFERRAL_FLOW[:max(reached)]
    for perm in itertools.permutations(leaves):
        assert merging.merge(list(perm))[0] == first


def test_merge_is_idempotent_and_order_free():
    a = edit(BASE, clock_at("A"), phone="1", colour="yellow", colour_reason="x")
    b = edit(BASE, clock_at("B"), notes="n", colour="red", colour_reason="y")
    c = edit(BASE, clock_at("C"), head="王秀英")
    leaves = [("2-a", a), ("2-b", b), ("2-c", c)]
    first = merging.merge(leaves)[0]
    for perm in itertools.permutations(leaves):
        assert merging.merge(list(perm))[0] == first
    for leaf in leaves:
        assert merging.merge([("3-m", first), leaf])[0] == first


def leaves_of(db):
    """``BASE``'s leaves in ``db`` (``open_revs=all``), in rev order."""
    return sorted(db.open_revs(BASE["_id"], "all"), key=lambda leaf: leaf["ok"]["_rev"])


def _conflict(db, left, right):
    """Two edits of the same household made on two replicas of rev 1."""
    rev1 = db.put(dict(BASE))["rev"]
    parent = rev1.split("-")[1]
    db.bulk_docs([dict(left, _rev="2-aaaa", _revisions={"start": 2, "ids": ["aaaa", parent]}),
                  dict(right, _rev="2-bbbb", _revisions={"start": 2, "ids": ["bbbb", parent]})],
                 new_edits=False)
    return rev1


def test_server_resolves_on_write_and_records_it(make_store):
    db = make_store(0, ids.grid_of, merging.resolve_field_doc).create("field")
    a = edit(BASE, clock_at("A"), phone="139 0000 0001")
    b = edit(BASE, clock_at("B"), colour="red", colour_reason="独居发烧")
    _conflict(db, a, b)
    doc = db.get(BASE["_id"], conflicts=True, deleted_conflicts=True)
    assert "_conflicts" not in doc and doc["_rev"].startswith("3-")
    assert doc["phone"] == "139 0000 0001" and doc["colour"] == "red"
    if make_store.kind != "pouchdb-server":      # PouchDB has no deleted_conflicts option
        assert sorted(doc["_deleted_conflicts"]) == sorted(
            r for r in doc["_deleted_conflicts"] if r.startswith("3-"))
    (record,) = db.resolutions()
    assert record["leaves"] == ["2-bbbb", "2-aaaa"] and record["merged_rev"] == doc["_rev"]
    assert "newest_stamp" in record["rules"]


def test_two_servers_resolve_the_same_conflict_identically(make_store):
    one = make_store(1, ids.grid_of, merging.resolve_field_doc).create("field")
    two = make_store(2, ids.grid_of, merging.resolve_field_doc).create("field")
    a = edit(BASE, clock_at("A"), phone="1", colour="yellow", colour_reason="x")
    b = edit(BASE, clock_at("B"), colour="red", colour_reason="y")
    for db in (one, two):
        _conflict(db, a, b)
    # the same leaves; CouchDB does not say in which order open_revs lists them
    assert leaves_of(one) == leaves_of(two)
    replicate(one, two)
    replicate(two, one)
    for db in (one, two):
        assert len([r for r in db.open_revs(BASE["_id"], "all")
                    if not r["ok"].get("_deleted")]) == 1


def test_sweep_resolves_conflicts_replicated_in_without_a_resolver(tmp_path):
    plain = Store(tmp_path / "plain").create("field")
    a = edit(BASE, clock_at("A"), phone="1")
    b = edit(BASE, clock_at("B"), notes="n")
    _conflict(plain, a, b)
    assert plain.get(BASE["_id"], conflicts=True)["_conflicts"]
    plain.close()
    db = Store(tmp_path / "plain", ids.grid_of, merging.resolve_field_doc).get("field")
    done = []
    assert db.resolve_all(progress=lambda n, total: done.append((n, total))) == 1
    assert done[-1] == (1, 1)
    merged = db.get(BASE["_id"], conflicts=True)
    assert "_conflicts" not in merged and merged["phone"] == "1" and merged["notes"] == "n"


def replicate(source, target):
    """One-shot replication between two stores (changes → revs_diff → open_revs)."""
    rows = source.changes(style="all_docs")["results"]
    wanted = {r["id"]: [c["rev"] for c in r["changes"]] for r in rows}
    missing = target.revs_diff(wanted)
    docs = [item["ok"] for doc_id, entry in missing.items()
            for item in source.open_revs(doc_id, entry["missing"], revs=True, attachments=True)
            if "ok" in item]
    if docs:
        target.bulk_docs(docs, new_edits=False)


EDITS = st.lists(st.tuples(st.integers(0, 4), st.sampled_from(
    ["phone", "notes", "colour", "head", "member", "tag"]), st.integers(0, 3)),
    min_size=1, max_size=8)
SYNCS = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4)), max_size=10)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(replicas=st.integers(2, 5), edits=EDITS, syncs=SYNCS, data=st.data())
def test_random_histories_converge(tmp_path_factory, replicas, edits, syncs, data):
    root = tmp_path_factory.mktemp("converge")
    dbs = [Store(root / str(i), ids.grid_of, merging.resolve_field_doc).create("field")
           for i in range(replicas)]
    clocks = [clock_at(f"d{i}", 1_795_000_000_000 + i) for i in range(replicas)]
    dbs[0].put(dict(BASE))
    for i in range(1, replicas):
        replicate(dbs[0], dbs[i])
    colours = ["green", "yellow", "red"]
    for who, field, value in edits:
        db, clock = dbs[who % replicas], clocks[who % replicas]
        doc = db.get(BASE["_id"])
        body = {k: v for k, v in doc.items() if k != "_rev"}
        if field == "colour":
            colour = colours[value % 3]
            change = {"colour": colour, "colour_reason": None if colour == "green" else "变化"}
        elif field == "member":
            change = {"members": doc["members"] + [{"id": f"x{value}{who}", "name": "新成员"}]
                      if all(m["id"] != f"x{value}{who}" for m in doc["members"]) else doc["members"]}
        elif field == "tag":
            tags = ["over65", "chronic", "disabled", "pregnant"]
            change = {"members": [dict(doc["members"][0], tags=sorted({tags[value]}))]
                      + doc["members"][1:]}
        else:
            change = {field: f"{field}-{who}-{value}"}
        new = edit(body, clock, **change)
        db.put(dict(new, _rev=doc["_rev"]))
        for a, b in syncs[:data.draw(st.integers(0, len(syncs)))]:
            replicate(dbs[a % replicas], dbs[b % replicas])
    for _ in range(3):                          # everyone meets everyone
        for a in range(replicas):
            for b in range(replicas):
                if a != b:
                    replicate(dbs[a], dbs[b])
    bodies = [db.get(BASE["_id"], conflicts=True) for db in dbs]
    assert all("_conflicts" not in body for body in bodies)
    assert all(body == bodies[0] for body in bodies)


def test_conflicting_rule_sets_settle_on_the_higher_version(tmp_path):
    """The district's rule set (version 3) meets a community edit (version 2)
    made since both had version 1: the higher version wins whole, on write,
    and two edits claiming one version are flagged for a person to look at."""
    db = Store(tmp_path, ids.grid_of, merging.resolve_field_doc).create("field")
    base = {"_id": "rules:warning", "type": "rules", "version": 1, "rules": [{"id": "a"}]}
    district = dict(base, version=3, rules=[{"id": "district"}], updated_at="2026-11-20T00:00:00Z")
    community = dict(base, version=2, rules=[{"id": "local"}], updated_at="2026-11-23T00:00:00Z")
    parent = db.put(dict(base))["rev"].split("-")[1]
    db.bulk_docs([dict(edit, _rev=f"2-{tag}", _revisions={"start": 2, "ids": [tag, parent]})
                  for edit, tag in ((district, "aaaa"), (community, "bbbb"))], new_edits=False)
    doc = db.get("rules:warning", conflicts=True)
    assert "_conflicts" not in doc and doc["version"] == 3 and doc["rules"] == [{"id": "district"}]
    (record,) = db.resolutions()
    assert record["rules"] == ["highest_version"] and record["flagged"] is False

    same = [dict(base, version=4, rules=[{"id": name}]) for name in ("x", "y")]
    body, decisions, flagged = merging.newest_rule_set([("5-aaaa", same[0]), ("5-bbbb", same[1])])
    assert flagged is True and body["rules"] == [{"id": "y"}] and decisions[0]["rev"] == "5-bbbb"


def test_the_merged_household_tells_what_it_replaced_and_who_wrote_it():
    a = edit(dict(BASE, updated_by="wangfang"), clock_at("tab-a", 1_796_000_000_000),
             colour="yellow", colour_reason="血压偏高")
    b = edit(dict(BASE, updated_by="lina"), clock_at("tab-b", 1_795_000_000_000),
             colour="red", colour_reason="高烧不退", phone="139 0000 0002")
    body, _d, _f = merging.merge([("2-a", a), ("2-b", b)])
    by_field = {e["field"]: e for e in body["merge"]["fields"]}
    assert set(by_field) == {"colour", "colour_reason"}        # phone replaced nothing a wrote
    colour = by_field["colour"]
    assert (colour["rule"], colour["value"], colour["user"], colour["device"]) == (
        "most_severe", "red", "lina", "tab-b")
    assert colour["lost"] == [{"value": "yellow", "user": "wangfang", "device": "tab-a"}]
    assert by_field["colour_reason"]["lost"][0]["value"] == "血压偏高"
    validate(dict(body, updated_at="2026-11-24T09:15:00+08:00"),
             datetime.fromisoformat("2026-11-24T12:00:00+08:00"))      # raises if invalid


def test_a_members_replaced_field_is_recorded_with_the_member_after_the_households():
    member = dict(BASE["members"][0])
    a = edit(dict(BASE, updated_by="wangfang"), clock_at("tab-a", 1_795_000_000_000),
             phone="111111", members=[dict(member, birth_year=1950, notes="耳背")])
    b = edit(dict(BASE, updated_by="lina"), clock_at("tab-b", 1_796_000_000_000),
             phone="222222", members=[dict(member, birth_year=1951, gender="female")])
    body, _d, _f = merging.merge([("2-a", a), ("2-b", b)])
    assert body["members"][0]["birth_year"] == 1951 and body["members"][0]["notes"] == "耳背"
    fields = body["merge"]["fields"]
    assert [e["field"] for e in fields] == ["phone", "members.m1.birth_year"]   # not notes
    year = fields[1]
    assert (year["rule"], year["value"], year["user"], year["device"]) == (
        "newest_stamp", "1951", "lina", "tab-b")
    assert year["lost"] == [{"value": "1950", "user": "wangfang", "device": "tab-a"}]
    validate(dict(body, updated_at="2026-11-24T09:15:00+08:00"),
             datetime.fromisoformat("2026-11-24T12:00:00+08:00"))
    again, _d, _f = merging.merge([("3-m", body), ("2-a", a)])
    assert again["merge"] == body["merge"]                      # told once, kept as it is


def test_a_merge_of_edits_to_different_fields_records_nothing():
    a = edit(BASE, clock_at("A"), phone="139 0000 0001")
    b = edit(BASE, clock_at("B"), notes="门口有台阶")
    assert "merge" not in merging.merge([("2-a", a), ("2-b", b)])[0]


def test_the_newest_edit_of_one_field_records_the_older_value_it_replaced():
    a = edit(BASE, clock_at("A", 1_795_000_000_000), phone="111111")
    b = edit(BASE, clock_at("B", 1_796_000_000_000), phone="222222")
    record = merging.merge([("2-a", a), ("2-b", b)])[0]["merge"]
    assert record["fields"] == [{"field": "phone", "rule": "newest_stamp", "value": "222222",
                                 "user": b["updated_by"], "device": "B",
                                 "lost": [{"value": "111111", "user": a["updated_by"],
                                           "device": "A"}]}]


def test_the_record_is_the_latest_merge_only_and_an_edit_after_it_drops_it():
    a = edit(BASE, clock_at("A"), colour="yellow", colour_reason="x")
    b = edit(BASE, clock_at("B"), colour="red", colour_reason="y")
    merged = merging.merge([("2-a", a), ("2-b", b)])[0]
    assert merging.merge([("3-m", merged), ("2-a", a)])[0]["merge"] == merged["merge"]
    later = edit(merged, clock_at("C", 1_797_000_000_000), notes="n")
    assert "merge" not in later["stamps"]
    c = edit(merged, clock_at("D", 1_797_500_000_000), phone="333333")
    c.pop("merge")                                   # a tablet's edit drops the record
    again = merging.merge([("4-c", c), ("4-d", dict(merged, phone="555555", stamps=dict(
        merged["stamps"], phone=["1797600000000-0000", "F"])))])[0]
    assert [e["field"] for e in again["merge"]["fields"]] == ["phone"]   # colour's is gone


def test_two_servers_make_the_same_merged_revision_with_its_record(tmp_path):
    a = edit(BASE, clock_at("A", 1_796_000_000_000), colour="yellow", colour_reason="血压偏高")
    b = edit(BASE, clock_at("B", 1_795_000_000_000), colour="red", colour_reason="高烧不退")
    revs = []
    for name in ("one", "two"):
        db = Store(tmp_path / name, ids.grid_of, merging.resolve_field_doc).create("field")
        _conflict(db, a, b)
        doc = db.get(BASE["_id"])
        assert doc["merge"]["fields"][0]["lost"][0]["value"] == "yellow"
        revs.append(doc["_rev"])
    assert revs[0] == revs[1]


ID_A, ID_B = "110101194803120010", "110101194803120037"


def test_an_id_number_edited_alone_is_stamped_alone_and_merges_by_its_own_stamp():
    with_id = edit(BASE, clock_at("seed", 1_791_000_000_000),
                   members=[dict(BASE["members"][0], id_number=ID_A)])
    with_id = edit(with_id, clock_at("seed", 1_792_000_000_000), notes="门口有台阶")
    a = edit(with_id, clock_at("A", 1_796_000_000_000),
             members=[dict(with_id["members"][0], id_number=ID_B)])
    new_keys = {k for k in a["stamps"] if a["stamps"][k] != with_id["stamps"].get(k)}
    assert new_keys == {"members.m1.id_number"}                 # name, year, tags untouched
    b = edit(with_id, clock_at("B", 1_795_000_000_000),
             members=[dict(with_id["members"][0], notes="耳背", birth_year=1949)])
    assert b["stamps"]["members.m1.id_number"] == with_id["stamps"]["members.m1.id_number"]
    assert b["members"][0]["id_number"] == ID_A                  # another field's edit keeps it
    for leaves in ([("3-a", a), ("3-b", b)], [("3-b", b), ("3-a", a)]):
        body, decisions, flagged = merging.merge(leaves)
        m1 = body["members"][0]
        assert (m1["id_number"], m1["notes"], m1["birth_year"], m1["name"]) == (
            ID_B, "耳背", 1949, "张桂兰")
        assert not flagged and "merge" not in body              # different fields: nothing lost
        assert {"field": "members.m1.id_number", "rule": "newest_stamp", "rev": "3-a"} \
            in decisions


def test_a_replaced_id_number_is_recorded_masked():
    member = BASE["members"][0]
    a = edit(dict(BASE, updated_by="wangfang"), clock_at("tab-a", 1_795_000_000_000),
             members=[dict(member, id_number=ID_A)])
    b = edit(dict(BASE, updated_by="lina"), clock_at("tab-b", 1_796_000_000_000),
             members=[dict(member, id_number=ID_B)])
    body, _d, _f = merging.merge([("2-a", a), ("2-b", b)])
    assert body["members"][0]["id_number"] == ID_B
    entry = next(e for e in body["merge"]["fields"] if e["field"] == "members.m1.id_number")
    assert (entry["value"], entry["lost"][0]["value"]) == ("1101**********0037",
                                                           "1101**********0010")
    assert ID_A not in str(body["merge"]) and ID_B not in str(body["merge"])
    validate(dict(body, updated_at="2026-11-24T09:15:00+08:00"),
             datetime.fromisoformat("2026-11-24T12:00:00+08:00"))
