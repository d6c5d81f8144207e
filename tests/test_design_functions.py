"""Design documents' functions on writes and feeds (Flask test client, real
SQLite, real QuickJS): ``_changes`` filters (``ddoc/name``, ``_view``,
``_design``) and ``validate_doc_update`` on PUT, deletes and ``_bulk_docs``,
refused per document as CouchDB does. Views and handlers are in
tests/test_design_views.py."""

import pytest

from tests.design_cases import DOCS


# -- filters -------------------------------------------------------------------

FILTER_DDOC = {"filters": {
    "by_tag": "function (doc, req) { return doc.tag === req.query.tag; }",
    "mine": "function (doc, req) { return req.userCtx.name === 'admin' && doc.n > 10; }",
    "boom": "function (doc) { throw new Error('x'); }"},
    "views": {"odd": {"map": "function (doc) { if (doc.n % 2) emit(doc.n); }"}}}


@pytest.mark.parametrize("query, ids", [
    ("filter=f/by_tag&tag=c", ["d02", "d05", "d08", "d11"]),
    ("filter=f/mine", ["d11"]),
    ("filter=f/boom", []),
    ("filter=_view&view=f/odd", ["d01", "d03", "d05", "d07", "d09", "d11"]),
    ("filter=_design", ["_design/f"]),
    ("filter=f/by_tag&tag=c&limit=2", ["d02", "d05"]),
])
def test_changes_filters_from_design_documents(couch, query, ids):
    couch.post("db/_bulk_docs", json={"docs": DOCS})
    couch.put("db/_design/f", json=FILTER_DDOC)
    resp = couch.get(f"db/_changes?{query}")
    assert resp.status_code == 200, resp.get_json()
    assert [row["id"] for row in resp.get_json()["results"]] == ids


@pytest.mark.parametrize("query, status, words", [
    ("filter=f/nope", 404, "nope"),
    ("filter=nope/x", 404, "missing"),
    ("filter=_view", 400, "view="),
    ("filter=_view&view=odd", 400, "ddoc/name"),
    ("filter=_view&view=f/none", 404, "missing_named_view"),
    ("filter=bogus", 400, "unsupported filter"),
])
def test_bad_filters_are_refused_naming_the_rule(couch, query, status, words):
    couch.put("db/_design/f", json=FILTER_DDOC)
    resp = couch.get(f"db/_changes?{query}")
    assert resp.status_code == status and words in resp.get_json()["reason"]


# -- validate_doc_update -------------------------------------------------------

VDU = {"validate_doc_update": """function (newDoc, oldDoc, userCtx, secObj) {
    if (newDoc.locked_out) throw({unauthorized: 'locked out'});
    if (newDoc.n < 0) throw({forbidden: 'n must not be negative'});
    if (oldDoc && oldDoc.frozen && !newDoc._deleted) throw({forbidden: 'frozen by ' + oldDoc._id});
    if (newDoc.who && newDoc.who !== userCtx.name + ':' + userCtx.roles.join(','))
        throw({forbidden: 'who is ' + userCtx.name + ':' + userCtx.roles.join(',')});
    if (newDoc.sec && !secObj.members) throw({forbidden: 'no secObj'});
    if (newDoc.oops) throw new Error('plain error');
}"""}


@pytest.mark.parametrize("doc, status, error, reason", [
    ({"n": 1}, 201, None, None),
    ({"n": -1}, 403, "forbidden", "n must not be negative"),
    ({"locked_out": True}, 401, "unauthorized", "locked out"),
    ({"who": "admin:_admin"}, 201, None, None),
    ({"who": "someone:else"}, 403, "forbidden", "who is admin:_admin"),
    ({"sec": 1}, 201, None, None),
    ({"oops": 1}, 403, "forbidden", "plain error"),
])
def test_validate_doc_update_runs_on_put(couch, doc, status, error, reason):
    couch.put("db/_design/v", json=VDU)
    resp = couch.put("db/x", json=doc)
    assert resp.status_code == status, resp.get_json()
    if error:
        assert resp.get_json()["error"] == error and reason in resp.get_json()["reason"]


def test_validate_doc_update_sees_the_old_document_and_guards_deletes(couch):
    rev = couch.put("db/ice", json={"frozen": True}).get_json()["rev"]
    couch.put("db/_design/v", json=VDU)
    resp = couch.put("db/ice", json={"_rev": rev, "frozen": False})
    assert resp.status_code == 403 and "frozen by ice" in resp.get_json()["reason"]
    couch.put("db/_design/d", json={"validate_doc_update":
                                    "function (n) { if (n._deleted) throw({forbidden: 'keep'}); }"})
    resp = couch.delete(f"db/ice?rev={rev}")
    assert resp.status_code == 403 and resp.get_json()["reason"] == "keep"


def test_every_design_documents_validation_runs(couch):
    couch.put("db/_design/a", json={"validate_doc_update":
                                    "function (n) { if (!n.a) throw({forbidden: 'needs a'}); }"})
    couch.put("db/_design/b", json={"validate_doc_update":
                                    "function (n) { if (!n.b) throw({forbidden: 'needs b'}); }"})
    rows = couch.post("db/_bulk_docs", json={"docs": [
        {"_id": "1", "a": 1}, {"_id": "2", "b": 1}, {"_id": "3", "a": 1, "b": 1}]}).get_json()
    assert rows[0]["reason"] == "needs b" and rows[1]["reason"] == "needs a"
    assert rows[2]["ok"] is True


def test_bulk_docs_refuse_per_document_and_write_the_rest(couch):
    couch.put("db/_design/v", json=VDU)
    rows = couch.post("db/_bulk_docs", json={"docs": [
        {"_id": "a", "n": 1}, {"_id": "b", "n": -5}, {"_id": "c", "locked_out": 1}]}).get_json()
    assert rows[0]["ok"] is True
    assert rows[1] == {"id": "b", "error": "forbidden", "reason": "n must not be negative"}
    assert rows[2]["error"] == "unauthorized"
    replicated = couch.post("db/_bulk_docs", json={"new_edits": False, "docs": [
        {"_id": "r1", "_rev": "1-aaa", "n": 1}, {"_id": "r2", "_rev": "1-bbb", "n": -1}]})
    assert replicated.get_json() == [{"id": "r2", "rev": "1-bbb", "error": "forbidden",
                                      "reason": "n must not be negative"}]
    assert couch.get("db/r1").status_code == 200 and couch.get("db/r2").status_code == 404


def test_design_documents_themselves_are_not_validated_by_it(couch):
    couch.put("db/_design/v", json={"validate_doc_update":
                                    "function () { throw({forbidden: 'nothing'}); }"})
    assert couch.put("db/_design/w", json={"views": {}}).status_code == 201
