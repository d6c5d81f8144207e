"""Conflicts resolved through the server: the sync API, the JSON API and
the ``resolve-conflicts`` command."""

from sync import Store
from tests import fielddocs as fd
from tests.api import PASSWORD, Couch, make_field_app
from tests.peers import gridvisit_cli
from tests.merge_support import BASE as SEEDED, clock_at, edit

BASE = dict(SEEDED, _id="household:g1:conflicted")


def _push_conflict(couch, a, b):
    rev1 = couch.put(f"field/{BASE['_id']}", json=dict(BASE)).get_json()["rev"]
    parent = rev1.split("-")[1]
    rows = couch.post("field/_bulk_docs", json={"new_edits": False, "docs": [
        dict(a, _rev="2-aaaa", _revisions={"start": 2, "ids": ["aaaa", parent]}),
        dict(b, _rev="2-bbbb", _revisions={"start": 2, "ids": ["bbbb", parent]})]}).get_json()
    assert rows == []


def test_a_pushed_conflict_is_merged_before_anyone_reads_it(tmp_path):
    app = make_field_app(tmp_path)
    worker, supervisor = Couch(app, auth=("w1", PASSWORD)), Couch(app, auth=("s1", PASSWORD))
    a = edit(BASE, clock_at("A"), phone="139 0000 0001", colour="yellow", colour_reason="咳嗽")
    b = edit(BASE, clock_at("B"), colour="red", colour_reason="高烧")
    _push_conflict(worker, a, b)
    doc = worker.get(f"field/{BASE['_id']}?conflicts=true").get_json()
    assert "_conflicts" not in doc and (doc["colour"], doc["phone"]) == ("red", "139 0000 0001")
    changes = worker.get("field/_changes?style=all_docs&conflicts=true&include_docs=true")
    row = next(r for r in changes.get_json()["results"] if r["id"] == BASE["_id"])
    assert "_conflicts" not in row["doc"]
    listed = supervisor.get("/api/resolutions?flagged=true").get_json()
    assert [r["doc_id"] for r in listed] == [BASE["_id"]]
    assert {"field": "colour", "rule": "most_severe", "rev": "2-bbbb"} in listed[0]["decisions"]
    assert set(listed[0]["leaf_bodies"]) == {"2-aaaa", "2-bbbb"}
    assert Couch(app, auth=("w3", PASSWORD)).get("/api/resolutions").status_code == 403
    rid = listed[0]["id"]
    override = edit(doc, clock_at("S", 1_799_000_000_000), colour="yellow", colour_reason="已退烧")
    new_rev = supervisor.put(f"field/{BASE['_id']}", json=override).get_json()["rev"]
    assert supervisor.post(f"/api/resolutions/{rid}/settle",
                           json={"override": new_rev}).status_code == 200
    settled = supervisor.get("/api/resolutions").get_json()[0]
    assert (settled["settled_by"], settled["override"]) == ("s1", new_rev)


def test_resolve_conflicts_command_sweeps_a_database(tmp_path):
    plain = Store(tmp_path).create("field")
    for n in range(3):
        doc = dict(BASE, _id=f"household:g1:c{n}")
        plain.bulk_docs([dict(edit(doc, clock_at("A")), phone=f"1{n}", _rev="1-aaaa"),
                         dict(edit(doc, clock_at("B")), notes=f"n{n}", _rev="1-bbbb")],
                        new_edits=False)
    plain.bulk_docs([dict(fd.visit("g1", "h1"), _rev="1-cccc"),
                     dict(fd.visit("g1", "h1", vid="same"), _rev="1-dddd")], new_edits=False)
    plain.close()
    out = gridvisit_cli(tmp_path, "resolve-conflicts")
    assert "merged 3 documents" in out.stdout
    again = Store(tmp_path).get("field")
    assert all("_conflicts" not in again.get(f"household:g1:c{n}", conflicts=True)
               for n in range(3))
    assert gridvisit_cli(tmp_path, "resolve-conflicts").stdout.count("merged 0") == 1
    bad = gridvisit_cli(tmp_path, "resolve-conflicts", "--db", "nope", check=False)
    assert bad.returncode == 1 and "nope" in bad.stderr
