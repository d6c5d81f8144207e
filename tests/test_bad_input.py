"""Bad input gets a CouchDB-shaped 4xx with a clear reason; never a 500,
never half a batch written."""

import pytest

from tests.api import make_app, Couch

JSON = {"Content-Type": "application/json"}


def _error(resp, status, error=None, mentions=None):
    assert resp.status_code == status, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error", "reason"} and body["reason"]
    if error:
        assert body["error"] == error
    if mentions:
        assert mentions in body["reason"]
    return body


@pytest.mark.parametrize("raw", [b"{", b"[1,2", b"{'a':1}", b"\xff\xfe{}", b"{\"a\": NaN}",
                                 b"[" * 100000 + b"]" * 100000, b""])
def test_malformed_json_is_400(couch, raw):
    _error(couch.call("POST", "db/_bulk_docs", data=raw, headers=JSON), 400, "bad_request")
    _error(couch.call("PUT", "db/doc", data=raw, headers=JSON), 400, "bad_request")


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x"])
def test_wrong_content_type_is_415(couch, ctype):
    resp = couch.call("POST", "db/_bulk_docs", data=b'{"docs": []}', headers={"Content-Type": ctype})
    _error(resp, 415, "bad_content_type", "application/json")


@pytest.mark.parametrize("path,body", [
    ("db/_bulk_docs", []), ("db/_bulk_docs", {"docs": {}}), ("db/_bulk_docs", {"docs": [1]}),
    ("db/_bulk_docs", {"docs": [], "new_edits": "no"}),
    ("db/_revs_diff", []), ("db/_revs_diff", {"a": "1-x"}), ("db/_revs_diff", {"a": ["bad"]}),
    ("db/_bulk_get", {"docs": "x"}), ("db/_all_docs", {"keys": "a"}),
    ("db/_all_docs", {"keys": [1, 2]}), ("db/_changes?filter=_doc_ids", {"doc_ids": "a"}),
])
def test_wrong_shapes_are_400(couch, path, body):
    _error(couch.post(path, json=body), 400)


@pytest.mark.parametrize("rev", ["abc", "1-", "-abc", "0-abc", "1-abc def", "x-1", "1-abc\n"])
def test_invalid_revs_are_400(couch, rev):
    _error(couch.put("db/doc", json={"_rev": rev}), 400, "bad_request", "rev")
    _error(couch.get("db/doc", query_string={"rev": rev}), 400)
    _error(couch.get("db/doc", query_string={"open_revs": f'["{rev}"]'}), 400)
    _error(couch.post("db/_bulk_docs", json={"new_edits": False, "docs": [
        {"_id": "a", "_rev": rev}]}), 400)


@pytest.mark.parametrize("doc_id", ["_foo", "_users", "_design/", "_local"])
def test_reserved_ids_are_refused(couch, doc_id):
    _error(couch.post("db/_bulk_docs", json={"docs": [{"_id": doc_id}]}), 400, "illegal_docid")
    _error(couch.post("db", json={"_id": doc_id}), 400, "illegal_docid")


def test_design_and_local_ids_are_allowed(couch):
    assert couch.put("db/_design/app", json={"x": 1}).status_code == 201
    assert couch.put("db/_local/cp", json={"x": 1}).status_code == 201


def test_unknown_special_field_is_400(couch):
    _error(couch.put("db/doc", json={"_secret": 1}), 400, "bad_request", "_secret")


def test_a_bad_document_refuses_the_whole_batch(couch):
    docs = [{"_id": "good1"}, {"_id": "good2"}, {"_id": "bad", "_rev": "nope"}]
    body = _error(couch.post("db/_bulk_docs", json={"docs": docs}), 400)
    assert "docs[2]" in body["reason"]
    assert couch.get("db").get_json()["doc_count"] == 0


def test_per_document_conflict_does_not_stop_the_batch(couch):
    couch.put("db/a", json={})
    rows = couch.post("db/_bulk_docs", json={"docs": [{"_id": "a"}, {"_id": "b"}]}).get_json()
    assert rows[0]["error"] == "conflict" and rows[1]["ok"] is True


def test_stub_without_data_is_412_per_document(couch):
    rows = couch.post("db/_bulk_docs", json={"docs": [
        {"_id": "a", "_attachments": {"x": {"stub": True, "digest": "md5-AAAA"}}},
        {"_id": "b"}]}).get_json()
    assert rows[0]["error"] == "precondition_failed" and rows[1]["ok"] is True


def test_bad_base64_attachment_is_refused(couch):
    resp = couch.put("db/a", json={"_attachments": {"x": {"data": "%%%"}}})
    _error(resp, 400, "bad_request", "base64")


@pytest.mark.parametrize("query", ["limit=abc", "limit=-1", "since=garbage", "feed=bogus",
                                   "heartbeat=abc", "descending=maybe", "timeout=x",
                                   "style=weird", "filter=mine", "include_docs=2"])
def test_bad_changes_parameters_are_400(couch, query):
    _error(couch.get(f"db/_changes?{query}"), 400)


@pytest.mark.parametrize("query", ["limit=x", "skip=-2", "startkey=[1]", "descending=nah",
                                   "keys=5"])
def test_bad_all_docs_parameters_are_400(couch, query):
    _error(couch.get(f"db/_all_docs?{query}"), 400)


def test_bad_open_revs_value_is_400(couch):
    couch.put("db/a", json={})
    _error(couch.get("db/a?open_revs=5"), 400, mentions="open_revs")


def test_unknown_parameters_are_ignored(couch):
    assert couch.get("db/_all_docs?frobnicate=%5B").status_code == 200


def test_body_over_the_limit_is_413(tmp_path):
    couch = Couch(make_app(tmp_path, MAX_REQUEST_BYTES=1000))
    couch.put("db")
    resp = couch.post("db/_bulk_docs", json={"docs": [{"_id": "a", "pad": "x" * 2000}]})
    _error(resp, 413, "too_large")
    assert couch.get("db").get_json()["doc_count"] == 0


def test_bad_database_names(couch):
    _error(couch.put("Bad"), 400, "illegal_database_name")
    _error(couch.put("1abc"), 400, "illegal_database_name")
    _error(couch.get("nosuchdb"), 404, "not_found")
    _error(couch.get("nosuchdb/doc"), 404, "not_found")


def test_wrong_method_is_405(couch):
    _error(couch.call("PATCH", "db/doc"), 405)


def test_doc_id_mismatch_is_400(couch):
    _error(couch.put("db/a", json={"_id": "b"}), 400, mentions="does not match")
