"""Campaigns (专项摸排) in the per-user view: who sees a campaign and its form
versions, who may start one, and answers that are written once.

Community c1 (street s) has grids g1 and g2, community c2 (street s) has
g3. Worker w1 works g1, worker w3 works g3; supervisor s1 runs c1; hub h1
serves c1. Real SQLite, the Flask test client (tests.api).
"""

import pytest

from rules import ids
from server.services import services
from tests import campaign_docs as cd
from tests.api import ADMIN, PASSWORD, Couch, make_field_app


@pytest.fixture
def field(tmp_path):
    return make_field_app(tmp_path)


def client(app, name):
    return Couch(app, auth=ADMIN if name == "admin" else (name, PASSWORD))


def put(app, who, doc):
    return client(app, who).post("field/_bulk_docs", json={"docs": [doc]}).get_json()[0]


C1, C2, STREET, ALL = "community:c1", "community:c2", "street:s", ids.SHARED
SEES = {"w1": {C1, STREET, ALL}, "w3": {C2, STREET, ALL}, "s1": {C1, STREET, ALL},
        "h1": {C1, STREET, ALL}, "admin": {C1, C2, STREET, ALL}}


def test_a_campaign_id_names_its_place_and_never_a_grid():
    assert ids.parse("campaign:community:c1:winter") == ("campaign", C1)
    assert ids.parse("campaign:street:s:winter") == ("campaign", STREET)
    assert ids.parse("campaign:all:winter") == ("campaign", ALL)
    assert ids.parse("form:community:c1:winter:2") == ("form", C1)
    assert ids.parse("answer:g1:abc") == ("answer", "g1")
    assert ids.parse("campaign:g1:winter") is None            # a grid is no place
    assert ids.parse("form:community:c1:winter:0") is None    # versions start at 1
    assert ids.campaign_of_form("form:community:c1:winter:2") == "campaign:community:c1:winter"


@pytest.mark.parametrize("who", sorted(SEES))
def test_everyone_sees_the_campaigns_of_the_places_they_work_in(field, who):
    docs = []
    for place in (C1, C2, STREET, ALL):
        camp = cd.campaign(place, by="admin")
        docs += [camp, cd.form(camp["_id"], by="admin")]
    assert all("ok" in row for row in client(field, "admin").post(
        "field/_bulk_docs", json={"docs": docs}).get_json())
    c = client(field, who)
    changes = c.get("field/_changes").get_json()["results"]
    seen = {ids.grid_of(r["id"]) for r in changes if ids.doc_type(r["id"]) in ("campaign", "form")}
    assert seen == SEES[who]
    for place in (C1, C2):
        camp_id = f"campaign:{place}:winter"
        assert c.get(f"field/{camp_id}").status_code == (200 if place in SEES[who] else 404)


# (who, place, kind of document, allowed)
WRITES = [
    ("s1", C1, "campaign", True), ("s1", C1, "form", True),
    ("s1", C2, "campaign", False),                     # another community
    ("s1", STREET, "campaign", False), ("s1", ALL, "campaign", False),   # street-wide: not a supervisor's
    ("h1", STREET, "campaign", True), ("h1", ALL, "form", True),
    ("admin", C2, "campaign", True), ("admin", STREET, "form", True),
    ("w1", C1, "campaign", False), ("w1", C1, "form", False),
]


@pytest.mark.parametrize("who, place, kind, allowed", WRITES)
def test_who_may_start_a_campaign_and_publish_its_form(field, who, place, kind, allowed):
    camp = cd.campaign(place, by=who)
    if kind == "form":
        assert "ok" in put(field, "admin", camp)
    doc = camp if kind == "campaign" else cd.form(camp["_id"], by=who)
    row = put(field, who, doc)
    assert ("ok" in row) is allowed, row
    if not allowed:
        assert row["error"] == "forbidden"
        assert any(e["doc_id"] == doc["_id"] for e in services(field).quarantine.list())


def test_a_supervisor_refused_a_street_campaign_is_told_why_in_both_languages(field):
    row = put(field, "s1", cd.campaign(STREET))
    assert row["reason"].startswith("督导只能为本社区发起专项摸排")
    assert "their own communities only" in row["reason"].split(" / ")[1]


@pytest.fixture
def published(field):
    camp = cd.campaign(C1)
    form = cd.form(camp["_id"])
    assert "ok" in put(field, "s1", camp) and "ok" in put(field, "s1", form)
    return camp, form


def test_a_worker_answers_in_their_grid_once_and_never_again(field, published):
    camp, form = published
    answer = cd.answer("g1", camp["_id"], form["_id"])
    row = put(field, "w1", answer)
    assert "ok" in row
    again = dict(answer, _rev=row["rev"], values={"heating": "no"})
    refused = put(field, "w1", again)
    assert refused["error"] == "forbidden"
    assert refused["reason"].startswith("摸排答卷已提交，不能再修改")
    assert client(field, "w1").get(f"field/{answer['_id']}").get_json()["values"] == {"heating": "yes"}
    kept = [e for e in services(field).quarantine.list() if e["doc_id"] == answer["_id"]]
    assert len(kept) == 1                                     # the second answer is not lost


def test_a_published_form_version_is_never_changed(field, published):
    _, form = published
    rev = client(field, "s1").get(f"field/{form['_id']}").get_json()["_rev"]
    row = put(field, "s1", dict(form, _rev=rev, title="改过的"))
    assert row["error"] == "forbidden" and "upload a new version" in row["reason"]


@pytest.mark.parametrize("who, grid, by, allowed", [
    ("w1", "g1", "w1", True),
    ("w1", "g3", "w1", False),            # another grid
    ("w1", "g1", "w3", False),            # in another worker's name
    ("s1", "g1", "s1", False),            # supervisors read answers, workers give them
])
def test_who_may_write_an_answer(field, published, who, grid, by, allowed):
    camp, form = published
    row = put(field, who, cd.answer(grid, camp["_id"], form["_id"], by=by))
    assert ("ok" in row) is allowed, row


def test_an_answer_is_replicated_again_without_a_refusal(field, published):
    camp, form = published
    answer = cd.answer("g1", camp["_id"], form["_id"])
    row = put(field, "w1", answer)
    stored = client(field, "w1").get(f"field/{answer['_id']}?revs=true").get_json()
    again = client(field, "w1").post("field/_bulk_docs",
                                      json={"docs": [stored], "new_edits": False})
    assert again.status_code == 201 and again.get_json() == []
    assert row["ok"]


@pytest.mark.parametrize("doc, field_path, rule", [
    (cd.campaign(C1, period={"start": "2026-12-05", "end": "2026-12-01"}), "period.end",
     "not_before_start"),
    (cd.campaign(C1, targets={"kind": "tags", "values": ["rich"]}), "targets.values[0]", "enum"),
    (cd.campaign(C1, targets={"kind": "grids"}), "targets.values", "required"),
    (cd.campaign(C1, targets={"kind": "all", "values": ["g1"]}), "targets.values", "only_when"),
    (cd.campaign(C1, status="paused"), "status", "enum"),
    (cd.campaign(C1, closed_by="s1"), "closed_by", "only_when"),
    (cd.campaign(C1, status="closed", closed_at="yesterday"), "closed_at", "format"),
    (cd.campaign(C1, form="form:community:c1:other:1"), "form", "format"),
    (cd.form("campaign:community:c1:winter", form_version=2), "form_version", "matches_id"),
    (cd.form("campaign:community:c1:winter",
             questions=[{"name": "q", "path": "/data/q", "type": "select_one"}]),
     "questions[0].list", "required"),
    (cd.form("campaign:community:c1:winter",
             questions=[{"name": "q", "path": "/data/q", "type": "geopoint"}]),
     "questions[0].type", "enum"),
])
def test_campaign_documents_that_break_the_schema_are_refused_naming_the_field(
        field, doc, field_path, rule):
    if doc["type"] == "form":
        put(field, "s1", cd.campaign(C1))
    row = put(field, "s1", doc)
    assert row["error"] == "forbidden"
    entry = [e for e in services(field).quarantine.list() if e["doc_id"] == doc["_id"]][-1]
    assert (field_path, rule) in {(e["field"], e["rule"]) for e in entry["errors"]}


@pytest.mark.parametrize("answer_change, field_path, rule", [
    ({"form": "form:community:c1:spring:1"}, "form", "format"),
    ({"household": "household:g3:h3"}, "household", "same_grid"),
    ({"channel": "carrier_pigeon"}, "channel", "enum"),
    ({"values": ["yes"]}, "values", "type"),
])
def test_answers_that_break_the_schema_are_refused_naming_the_field(
        field, published, answer_change, field_path, rule):
    camp, form = published
    doc = dict(cd.answer("g1", camp["_id"], form["_id"]), **answer_change)
    row = put(field, "w1", doc)
    assert row["error"] == "forbidden"
    entry = [e for e in services(field).quarantine.list() if e["doc_id"] == doc["_id"]][-1]
    assert (field_path, rule) in {(e["field"], e["rule"]) for e in entry["errors"]}


def test_the_nightly_job_pulls_campaigns_and_their_forms_with_the_rule_set():
    from server.jobs.nightly import REFERENCE_FILTERS
    pull = ids.IdFilter.parse(REFERENCE_FILTERS)
    assert pull.accept("campaign:street:s:winter") and pull.accept("form:all:winter:3")
    assert pull.accept("rules:warning") and pull.accept("grid:g1")
    assert not pull.accept("answer:g1:abc") and not pull.accept("household:g1:h1")
