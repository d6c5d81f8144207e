"""``_local`` documents answer as CouchDB's do (issue 19, must 6).

The table follows docs.couchdb.org's API reference, "Local (non-replicating)
Documents" (``/{db}/_local/{docid}``, ``/{db}/_local_docs``), and PouchDB's
local_docs suite ("put then get w/ revisions": no ``_revisions``)."""

import pytest

from tests.api import PASSWORD, Couch, make_field_app

# (step, method, path, body, status, expected answer or a predicate); run in order
STEPS = [
    ("create", "PUT", "_local/cp", {"n": 1}, 201,
     {"ok": True, "id": "_local/cp", "rev": "0-1"}),
    ("read", "GET", "_local/cp", None, 200, {"_id": "_local/cp", "_rev": "0-1", "n": 1}),
    ("no history with revs=true", "GET", "_local/cp?revs=true", None, 200,
     {"_id": "_local/cp", "_rev": "0-1", "n": 1}),
    ("no history with revs_info", "GET", "_local/cp?revs_info=true&conflicts=true", None, 200,
     {"_id": "_local/cp", "_rev": "0-1", "n": 1}),
    ("update with its rev", "PUT", "_local/cp", {"_rev": "0-1", "n": 2}, 201,
     {"ok": True, "id": "_local/cp", "rev": "0-2"}),
    ("update with ?rev=", "PUT", "_local/cp?rev=0-2", {"n": 3}, 201,
     {"ok": True, "id": "_local/cp", "rev": "0-3"}),
    ("stale rev conflicts", "PUT", "_local/cp", {"_rev": "0-1", "n": 9}, 409,
     {"error": "conflict"}),
    ("no rev conflicts when it exists", "PUT", "_local/cp", {"n": 9}, 409, {"error": "conflict"}),
    ("the failed writes changed nothing", "GET", "_local/cp", None, 200,
     {"_id": "_local/cp", "_rev": "0-3", "n": 3}),
    ("delete without rev conflicts", "DELETE", "_local/cp", None, 409, {"error": "conflict"}),
    ("delete with a stale rev conflicts", "DELETE", "_local/cp?rev=0-2", None, 409,
     {"error": "conflict"}),
    ("delete", "DELETE", "_local/cp?rev=0-3", None, 200,
     {"ok": True, "id": "_local/cp", "rev": "0-0"}),
    ("gone", "GET", "_local/cp", None, 404, {"error": "not_found"}),
    ("delete again", "DELETE", "_local/cp?rev=0-3", None, 404, {"error": "not_found"}),
    ("made again from 0-1", "PUT", "_local/cp", {"n": 4}, 201,
     {"ok": True, "id": "_local/cp", "rev": "0-1"}),
    ("deleted by a _deleted put", "PUT", "_local/cp", {"_rev": "0-1", "_deleted": True}, 200,
     {"ok": True, "id": "_local/cp", "rev": "0-0"}),
    ("a sent-back history is not kept", "PUT", "_local/h",
     {"n": 5, "_revisions": {"start": 1, "ids": ["abc"]}}, 201,
     {"ok": True, "id": "_local/h", "rev": "0-1"}),
    ("nor read again", "GET", "_local/h?revs=true", None, 200,
     {"_id": "_local/h", "_rev": "0-1", "n": 5}),
    ("gone again", "DELETE", "_local/h?rev=0-1", None, 200,
     {"ok": True, "id": "_local/h", "rev": "0-0"}),
    ("not in _all_docs", "GET", "_all_docs", None, 200,
     {"total_rows": 0, "offset": 0, "rows": []}),
]


def _matches(answer, expected):
    return all(answer.get(k) == v for k, v in expected.items())


def test_local_documents_follow_couchdbs_table(couch):
    for step, method, path, body, status, expected in STEPS:
        resp = couch.call(method, "db/" + path, json=body)
        answer = resp.get_json()
        assert resp.status_code == status or (status == 200 and resp.status_code == 201), \
            (step, resp.status_code, answer)
        if expected.get("error"):
            assert answer["error"] == expected["error"], step
        else:
            assert answer == expected, step
    assert couch.get("db/_changes").get_json()["results"] == []


@pytest.fixture
def three(couch):
    for name, n in (("b", 2), ("a", 1), ("c/3", 3)):
        assert couch.put(f"db/_local/{name.replace('/', '%2F')}", json={"n": n}).status_code == 201
    couch.put("db/_local/a", json={"_rev": "0-1", "n": 1.5})
    return couch


def _ids(resp):
    assert resp.status_code == 200, resp.get_json()
    return [row.get("id", row.get("key")) for row in resp.get_json()["rows"]]


@pytest.mark.parametrize("query, ids", [
    ("", ["_local/a", "_local/b", "_local/c/3"]),
    ("?descending=true", ["_local/c/3", "_local/b", "_local/a"]),
    ('?startkey="_local/b"', ["_local/b", "_local/c/3"]),
    ('?endkey="_local/b"', ["_local/a", "_local/b"]),
    ('?endkey="_local/b"&inclusive_end=false', ["_local/a"]),
    ('?start_key="_local/b"&descending=true', ["_local/b", "_local/a"]),
    ("?limit=2", ["_local/a", "_local/b"]),
    ("?skip=1&limit=1", ["_local/b"]),
    ('?key="_local/b"', ["_local/b"]),
    ('?keys=["_local/c/3","_local/zz"]', ["_local/c/3", "_local/zz"]),
])
def test_local_docs_lists_them_as_all_docs_lists_documents(three, query, ids):
    assert _ids(three.get("db/_local_docs" + query)) == ids


def test_local_docs_answers_in_couchdbs_shape(three):
    answer = three.get("db/_local_docs?include_docs=true&limit=1").get_json()
    assert answer == {"total_rows": None, "offset": None, "rows": [
        {"id": "_local/a", "key": "_local/a", "value": {"rev": "0-2"},
         "doc": {"_id": "_local/a", "_rev": "0-2", "n": 1.5}}]}
    posted = three.post("db/_local_docs", json={"keys": ["_local/b", "_local/none"]})
    assert posted.get_json()["rows"] == [
        {"id": "_local/b", "key": "_local/b", "value": {"rev": "0-1"}},
        {"key": "_local/none", "error": "not_found"}]


@pytest.mark.parametrize("query, named", [
    ("?limit=-1", "limit"), ("?skip=x", "skip"), ("?descending=maybe", "descending"),
    ('?startkey=1', "startkey"), ("?keys=[1]", "keys"),
])
def test_bad_local_docs_parameters_are_400_naming_them(couch, query, named):
    resp = couch.get("db/_local_docs" + query)
    assert resp.status_code == 400 and named in resp.get_json()["reason"]


def test_each_user_lists_and_reads_only_their_own_local_documents(tmp_path):
    app = make_field_app(tmp_path)
    w1, w3 = Couch(app, ("w1", PASSWORD)), Couch(app, ("w3", PASSWORD))
    assert w1.put("field/_local/checkpoint", json={"seq": "w1"}).status_code == 201
    assert w3.put("field/_local/checkpoint", json={"seq": "w3"}).status_code == 201
    assert w1.get("field/_local/checkpoint").get_json()["seq"] == "w1"
    assert w1.get("field/_local_docs?include_docs=true").get_json()["rows"] == [
        {"id": "_local/checkpoint", "key": "_local/checkpoint", "value": {"rev": "0-1"},
         "doc": {"_id": "_local/checkpoint", "_rev": "0-1", "seq": "w1"}}]
    assert _ids(Couch(app).get("field/_local_docs")) == []          # the admin has none
