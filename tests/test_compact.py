"""Compaction as CouchDB answers it (issue 19, must 2), doing real work.

The answers follow docs.couchdb.org's API reference, "/{db}/_compact",
"/{db}/_compact/{ddoc}" and "/{db}/_view_cleanup": 202 ``{"ok": true}``,
415 without ``Content-Type: application/json``, admins only (see
test_purge). The work is checked in the SQLite file itself."""

import base64
import glob
import json
import sqlite3

import pytest

from server.services import services

BIG = bytes(range(256)) * 4096          # 1 MiB


@pytest.mark.parametrize("method, path, headers, status, answer", [
    ("POST", "db/_compact", {}, 202, {"ok": True}),
    ("POST", "db/_compact", {"Content-Type": "text/plain"}, 415, "bad_content_type"),
    ("POST", "db/_compact", {"Content-Type": ""}, 415, "bad_content_type"),
    ("GET", "db/_compact", {}, 405, "method_not_allowed"),
    ("POST", "db/_compact/visits", {}, 202, {"ok": True}),
    ("POST", "db/_compact/nothing", {}, 404, "not_found"),
    ("POST", "db/_compact/visits", {"Content-Type": "text/plain"}, 415, "bad_content_type"),
    ("POST", "db/_view_cleanup", {}, 202, {"ok": True}),
    ("POST", "db/_view_cleanup", {"Content-Type": "text/plain"}, 415, "bad_content_type"),
    ("POST", "nodb/_compact", {}, 404, "not_found"),
])
def test_compaction_endpoints_answer_as_couchdb(couch, method, path, headers, status, answer):
    couch.put("db/_design/visits", json={"views": {}})
    headers = dict({"Content-Type": "application/json"}, **headers)
    resp = couch.call(method, path, data=b"{}" if method == "POST" else None, headers=headers)
    assert resp.status_code == status, resp.get_json()
    body = resp.get_json()
    assert body == answer if isinstance(answer, dict) else body["error"] == answer
    services(couch.app).store.get("db").compact(wait=True) if status == 202 else None


def _raw(tmp_path):
    return sqlite3.connect(glob.glob(str(tmp_path / "dbs" / "db.sqlite"))[0])


def test_compaction_gives_back_the_space_of_deleted_attachments(couch, tmp_path):
    rev = couch.put("db/photo", json={"_attachments": {"door.jpg": {
        "content_type": "image/jpeg", "data": base64.b64encode(BIG).decode()}}}).get_json()["rev"]
    couch.put("db/keep", json={"_attachments": {"a.txt": {
        "content_type": "text/plain", "data": base64.b64encode(b"kept").decode()}}})
    couch.delete(f"db/photo?rev={rev}")
    before = couch.get("db").get_json()
    assert before["sizes"]["file"] > len(BIG) and before["compact_running"] is False
    done = services(couch.app).store.get("db").compact(wait=True)
    assert done["blobs"] == 1
    after = couch.get("db").get_json()
    assert after["sizes"]["file"] < before["sizes"]["file"] - len(BIG) // 2
    assert after["compact_running"] is False
    assert couch.get("db/keep/a.txt").data == b"kept"
    raw = _raw(tmp_path)
    assert raw.execute("PRAGMA auto_vacuum").fetchone() == (2,)     # incremental from now on
    assert raw.execute("SELECT COUNT(*) FROM blobs").fetchone() == (1,)


def test_compaction_drops_bodies_no_leaf_needs_and_stems_to_revs_limit(couch, tmp_path):
    rev = None
    for n in range(6):
        body = {"n": n} if rev is None else {"n": n, "_rev": rev}
        rev = couch.put("db/d", json=body).get_json()["rev"]
    first = couch.get("db/d?revs=true").get_json()["_revisions"]
    assert len(first["ids"]) == 6
    raw = _raw(tmp_path)
    old = f"{first['start'] - 1}-{first['ids'][1]}"
    raw.execute("INSERT INTO revs (doc_id, rev, deleted, body) VALUES ('d', ?, 0, '{}')", (old,))
    raw.execute("INSERT INTO revs (doc_id, rev, deleted, body) VALUES ('gone', '1-a', 0, '{}')")
    raw.commit()
    assert couch.put("db/_revs_limit", data=b"2",
                     headers={"Content-Type": "application/json"}).status_code == 200
    done = services(couch.app).store.get("db").compact(wait=True)
    assert (done["stemmed"], done["bodies"]) == (1, 2)
    assert couch.get("db/d?revs=true").get_json()["_revisions"] == {
        "start": first["start"], "ids": first["ids"][:2]}
    assert raw.execute("SELECT doc_id, rev FROM revs").fetchall() == [("d", rev)]
    assert couch.get("db/d").get_json()["n"] == 5
    assert json.loads(raw.execute("SELECT tree FROM docs").fetchone()[0]).keys() == {
        rev, old}


def test_compact_running_is_true_while_compaction_runs(couch):
    db = services(couch.app).store.get("db")
    with db.file.write_lock:                  # a write in progress holds it back
        assert couch.post("db/_compact", json={}).status_code == 202
        assert couch.get("db").get_json()["compact_running"] is True
        assert couch.post("db/_compact", json={}).status_code == 202     # once, not twice
    db.compact(wait=True)
    assert couch.get("db").get_json()["compact_running"] is False


def _index_files(couch):
    folder = services(couch.app).store.get("db").file.path
    return sorted({p.split("/")[-1].split(".")[0] for p in glob.glob(f"{folder}.views/*.sqlite")})


def test_view_cleanup_removes_the_indexes_no_design_document_uses(couch):
    couch.put("db/d1", json={"n": 1})
    view = {"map": "function (doc) { emit(doc.n, 1); }"}
    rev = couch.put("db/_design/v", json={"views": {"by_n": view}}).get_json()["rev"]
    assert couch.get("db/_design/v/_view/by_n").get_json()["total_rows"] == 1
    (old,) = _index_files(couch)
    changed = {"map": "function (doc) { emit([doc.n], 1); }"}
    couch.put("db/_design/v", json={"_rev": rev, "views": {"by_n": changed}})
    assert couch.get("db/_design/v/_view/by_n").get_json()["rows"][0]["key"] == [1]
    assert old in _index_files(couch) and len(_index_files(couch)) == 2
    assert couch.post("db/_view_cleanup", json={}).status_code == 202
    (kept,) = _index_files(couch)
    assert kept != old                                  # the old signature's file is gone
    assert couch.get("db/_design/v/_view/by_n").get_json()["rows"][0]["key"] == [1]


def test_compacting_a_design_document_keeps_its_index_answering(couch):
    for n in range(50):
        couch.put(f"db/d{n}", json={"n": n, "pad": "x" * 2000})
    couch.put("db/_design/v", json={"views": {"by_n": {
        "map": "function (doc) { emit(doc.n, doc.pad); }"}}})
    assert couch.get("db/_design/v/_view/by_n?limit=0").get_json()["total_rows"] == 50
    assert couch.post("db/_compact/v", json={}).status_code == 202
    assert couch.get("db/_design/v/_view/by_n?key=7").get_json()["rows"][0]["id"] == "d7"
