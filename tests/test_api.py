"""The /couch API in process: real SQLite, Flask's test client."""

import base64
import json

from tests.api import Couch, basic
from server.services import services


def test_welcome_and_up_need_no_login(app):
    client = Couch(app, auth=None)
    body = client.get("/").get_json()
    assert body["couchdb"] == "Welcome" and body["vendor"]["name"] == "gridvisit"
    assert client.get("_up").get_json() == {"status": "ok", "seeds": {}}


def test_anonymous_and_wrong_password_get_401(couch):
    anon = Couch(couch.app, auth=None)
    resp = anon.get("db")
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "unauthorized"
    wrong = Couch(couch.app, auth=("admin", "nope-nope"))
    resp = wrong.get("db")
    assert resp.status_code == 401
    assert "incorrect" in resp.get_json()["reason"]


def test_only_admins_create_and_delete_databases(couch):
    services(couch.app).accounts.create("wang", "worker-pass", "worker")
    worker = Couch(couch.app, auth=("wang", "worker-pass"))
    assert worker.put("other").status_code == 403
    assert worker.delete("db").status_code == 403
    assert worker.get("db").status_code == 403           # only the field db is open to them
    assert couch.put("db").status_code == 412
    assert couch.get("_all_dbs").get_json() == ["db"]
    assert couch.delete("db").status_code == 200
    assert couch.get("db").status_code == 404


def test_session_cookie_login(couch):
    client = Couch(couch.app, auth=None)
    resp = client.post("_session", json={"name": "admin", "password": "admin-secret"})
    assert resp.status_code == 200 and resp.get_json()["roles"] == ["_admin"]
    assert client.get("db").status_code == 200           # cookie carries the session
    assert client.get("_session").get_json()["userCtx"]["name"] == "admin"
    client.delete("_session")
    assert client.get("db").status_code == 401


def test_document_lifecycle(couch):
    resp = couch.put("db/h1", json={"type": "household", "room": "301"})
    assert resp.status_code == 201
    rev1 = resp.get_json()["rev"]
    assert rev1.startswith("1-") and len(rev1) == 34
    assert resp.headers["ETag"] == f'"{rev1}"'
    assert couch.put("db/h1", json={"room": "302"}).status_code == 409
    rev2 = couch.put("db/h1", json={"_rev": rev1, "room": "302"}).get_json()["rev"]
    doc = couch.get("db/h1?revs=true&revs_info=true").get_json()
    assert doc["room"] == "302" and doc["_revisions"]["ids"][1] == rev1[2:]
    assert doc["_revs_info"][1] == {"rev": rev1, "status": "missing"}
    assert couch.delete(f"db/h1?rev={rev1}").status_code == 409
    resp = couch.delete(f"db/h1?rev={rev2}")
    assert resp.status_code == 200
    assert couch.get("db/h1").get_json() == {"error": "not_found", "reason": "deleted"}
    rev3 = resp.get_json()["rev"]
    assert couch.get(f"db/h1?rev={rev3}").get_json()["_deleted"] is True
    recreated = couch.put("db/h1", json={"room": "303"}).get_json()["rev"]
    assert recreated.startswith("4-")


def test_post_creates_with_generated_id(couch):
    resp = couch.post("db", json={"a": 1})
    assert resp.status_code == 201
    body = resp.get_json()
    assert couch.get(f"db/{body['id']}").get_json()["a"] == 1


def test_conflicts_follow_couchdb_winner_rules(couch):
    docs = [{"_id": "x", "_rev": "2-aaa", "_revisions": {"start": 2, "ids": ["aaa", "root"]}, "v": "a"},
            {"_id": "x", "_rev": "2-bbb", "_revisions": {"start": 2, "ids": ["bbb", "root"]}, "v": "b"},
            {"_id": "x", "_rev": "3-ccc", "_deleted": True,
             "_revisions": {"start": 3, "ids": ["ccc", "zzz", "root"]}}]
    resp = couch.post("db/_bulk_docs", json={"docs": docs, "new_edits": False})
    assert resp.status_code == 201 and resp.get_json() == []
    doc = couch.get("db/x?conflicts=true&deleted_conflicts=true").get_json()
    assert doc["_rev"] == "2-bbb" and doc["_conflicts"] == ["2-aaa"]
    assert doc["_deleted_conflicts"] == ["3-ccc"]
    leaves = couch.get('db/x?open_revs=all&revs=true').get_json()
    assert sorted(item["ok"]["_rev"] for item in leaves) == ["2-aaa", "2-bbb", "3-ccc"]
    again = couch.post("db/_bulk_docs", json={"docs": docs, "new_edits": False})
    assert again.get_json() == []                       # idempotent
    changes = couch.get("db/_changes?style=all_docs").get_json()
    assert len(changes["results"]) == 1
    assert [c["rev"] for c in changes["results"][0]["changes"]] == ["2-bbb", "2-aaa", "3-ccc"]


def test_open_revs_list_latest_and_missing(couch):
    couch.post("db/_bulk_docs", json={"new_edits": False, "docs": [
        {"_id": "y", "_rev": "3-c", "_revisions": {"start": 3, "ids": ["c", "b", "a"]}}]})
    got = couch.get('db/y?open_revs=["2-b","9-nope"]&latest=true').get_json()
    assert got[0]["ok"]["_rev"] == "3-c" and got[1] == {"missing": "9-nope"}
    assert couch.get('db/y?open_revs=["2-b"]').get_json() == [{"missing": "2-b"}]
    assert couch.get("db/nothing?open_revs=all").status_code == 404


def test_changes_since_limit_and_every_seq_is_a_since(couch):
    for i in range(5):
        couch.put(f"db/d{i}", json={"i": i})
    couch.put("db/d1", json={"_rev": couch.get("db/d1").get_json()["_rev"], "i": 10})
    feed = couch.get("db/_changes").get_json()
    assert [r["id"] for r in feed["results"]] == ["d0", "d2", "d3", "d4", "d1"]
    for index, row in enumerate(feed["results"]):
        rest = couch.get(f"db/_changes?since={row['seq']}").get_json()
        assert [r["id"] for r in rest["results"]] == [r["id"] for r in feed["results"][index + 1:]]
    page = couch.get("db/_changes?limit=2").get_json()
    assert len(page["results"]) == 2 and page["pending"] == 3
    assert page["last_seq"] == page["results"][1]["seq"]
    ids = couch.post("db/_changes?filter=_doc_ids", json={"doc_ids": ["d3", "d1"]}).get_json()
    assert [r["id"] for r in ids["results"]] == ["d3", "d1"]
    assert couch.get("db/_changes?since=now").get_json()["results"] == []


def test_since_from_an_earlier_incarnation_restarts(couch):
    couch.put("db/a", json={})
    old_seq = couch.get("db/_changes").get_json()["last_seq"]
    couch.delete("db")
    couch.put("db")
    couch.put("db/b", json={})
    couch.put("db/c", json={})
    rows = couch.get(f"db/_changes?since={old_seq}").get_json()["results"]
    assert [r["id"] for r in rows] == ["b", "c"]


def test_longpoll_returns_on_timeout_with_no_change(couch):
    resp = couch.get("db/_changes?feed=longpoll&since=now&timeout=200")
    body = json.loads(resp.get_data())
    assert body["results"] == []


def test_continuous_feed_lists_rows_then_last_seq(couch):
    couch.put("db/a", json={})
    couch.put("db/b", json={})
    resp = couch.get("db/_changes?feed=continuous&timeout=100")
    lines = [json.loads(line) for line in resp.get_data().splitlines() if line.strip()]
    assert [line.get("id") for line in lines[:2]] == ["a", "b"]
    assert "last_seq" in lines[-1]


def test_revs_diff_and_bulk_get(couch):
    rev = couch.put("db/a", json={"v": 1}).get_json()["rev"]
    diff = couch.post("db/_revs_diff", json={"a": [rev, "2-x"], "b": ["1-y"]}).get_json()
    assert diff == {"a": {"missing": ["2-x"], "possible_ancestors": [rev]},
                    "b": {"missing": ["1-y"]}}
    got = couch.post("db/_bulk_get?revs=true", json={"docs": [
        {"id": "a", "rev": rev}, {"id": "a"}, {"id": "zz", "rev": "1-q"}]}).get_json()
    first, latest, missing = got["results"]
    assert first["docs"][0]["ok"]["_revisions"]["start"] == 1
    assert latest["docs"][0]["ok"]["_rev"] == rev
    assert missing["docs"][0]["error"]["error"] == "not_found"


def test_all_docs_ranges_keys_and_paging(couch):
    for name in ["a", "b", "c", "d"]:
        couch.put(f"db/{name}", json={"n": name})
    rev_d = couch.get("db/d").get_json()["_rev"]
    couch.delete(f"db/d?rev={rev_d}")
    body = couch.get("db/_all_docs").get_json()
    assert body["total_rows"] == 3 and [r["id"] for r in body["rows"]] == ["a", "b", "c"]
    body = couch.get('db/_all_docs?startkey="b"&include_docs=true').get_json()
    assert [r["doc"]["n"] for r in body["rows"]] == ["b", "c"] and body["offset"] == 1
    body = couch.get('db/_all_docs?descending=true&limit=2').get_json()
    assert [r["id"] for r in body["rows"]] == ["c", "b"]
    body = couch.get('db/_all_docs?endkey="b"&inclusive_end=false').get_json()
    assert [r["id"] for r in body["rows"]] == ["a"]
    body = couch.post("db/_all_docs", json={"keys": ["c", "zz", "d"]}).get_json()
    assert body["rows"][0]["id"] == "c"
    assert body["rows"][1] == {"key": "zz", "error": "not_found"}
    assert body["rows"][2]["value"]["deleted"] is True
    assert couch.get("db/_all_docs?skip=1&limit=1").get_json()["rows"][0]["id"] == "b"


def test_attachments_inline_in_stub_out_raw_get(couch):
    raw = bytes(range(256))
    doc = {"_attachments": {"photo.jpg": {"content_type": "image/jpeg",
                                          "data": base64.b64encode(raw).decode()}}}
    rev = couch.put("db/v1", json=doc).get_json()["rev"]
    stub = couch.get("db/v1").get_json()["_attachments"]["photo.jpg"]
    assert stub["stub"] is True and stub["length"] == 256 and stub["digest"].startswith("md5-")
    resp = couch.get("db/v1/photo.jpg")
    assert resp.data == raw and resp.content_type == "image/jpeg"
    inline = couch.get("db/v1?attachments=true").get_json()["_attachments"]["photo.jpg"]
    assert base64.b64decode(inline["data"]) == raw
    rev2 = couch.put("db/v1", json={"_rev": rev, "note": "x",
                                     "_attachments": {"photo.jpg": stub}}).get_json()["rev"]
    assert couch.get(f"db/v1/photo.jpg?rev={rev2}").data == raw
    since = couch.get(f'db/v1?attachments=true&atts_since=["{rev}"]').get_json()
    assert since["_attachments"]["photo.jpg"].get("stub") is True
    resp = couch.put(f"db/v1/note.txt?rev={rev2}", data=b"hello",
                     headers={"Content-Type": "text/plain"})
    assert resp.status_code == 201
    assert couch.get("db/v1/note.txt").data == b"hello"


def test_local_docs_are_versioned_and_not_in_changes(couch):
    resp = couch.put("db/_local/cp", json={"last_seq": "3"})
    assert resp.status_code == 201 and resp.get_json()["rev"] == "0-1"
    assert couch.put("db/_local/cp", json={"last_seq": "4"}).status_code == 409
    assert couch.put("db/_local/cp", json={"_rev": "0-1", "last_seq": "4"}).get_json()["rev"] == "0-2"
    assert couch.get("db/_local/cp").get_json()["last_seq"] == "4"
    assert couch.get("db/_changes").get_json()["results"] == []
    assert couch.get("db/_all_docs").get_json()["rows"] == []
    assert couch.delete("db/_local/cp?rev=0-2").status_code == 200
    assert couch.get("db/_local/cp").status_code == 404


def test_revs_limit_stems_history(couch):
    assert couch.get("db/_revs_limit").get_json() == 1000
    assert couch.put("db/_revs_limit", data="3",
                     headers={"Content-Type": "application/json"}).status_code == 200
    rev = None
    for i in range(6):
        body = {"i": i} if rev is None else {"_rev": rev, "i": i}
        rev = couch.put("db/s", json=body).get_json()["rev"]
    doc = couch.get("db/s?revs=true").get_json()
    assert doc["_revisions"]["start"] == 6 and len(doc["_revisions"]["ids"]) == 3


def test_ensure_full_commit_and_info(couch):
    couch.put("db/a", json={})
    resp = couch.post("db/_ensure_full_commit")
    assert resp.status_code == 201 and resp.get_json()["ok"] is True
    info = couch.get("db").get_json()
    assert info["db_name"] == "db" and info["doc_count"] == 1
    assert isinstance(info["update_seq"], str)


def test_cors_with_credentials_for_configured_origins(tmp_path):
    from tests.api import make_app
    app = make_app(tmp_path, CORS_ORIGINS="http://tablet.local")
    client = app.test_client()
    pre = client.options("/couch/db", headers={"Origin": "http://tablet.local",
                                                "Access-Control-Request-Method": "PUT"})
    assert pre.status_code == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "http://tablet.local"
    assert pre.headers["Access-Control-Allow-Credentials"] == "true"
    other = client.get("/couch/", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    ok = client.get("/couch/", headers={"Origin": "http://tablet.local", **basic("admin", "admin-secret")})
    assert ok.headers["Access-Control-Allow-Origin"] == "http://tablet.local"


def test_database_urls_with_a_trailing_slash(couch):
    assert couch.get("db/").get_json()["db_name"] == "db"
    assert couch.put("other/").status_code == 201
    assert couch.post("db/", json={"a": 1}).status_code == 201


def test_gzip_request_bodies_are_inflated(couch):
    import gzip
    body = gzip.compress(json.dumps({"docs": [{"_id": "z", "名": "张三"}]}).encode())
    resp = couch.call("POST", "db/_bulk_docs", data=body,
                      headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert resp.status_code == 201
    assert couch.get("db/z").get_json()["名"] == "张三"
    bad = couch.call("POST", "db/_bulk_docs", data=b"not gzip",
                     headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_request"


def test_gzip_bomb_is_413(tmp_path):
    import gzip
    from tests.api import make_app
    couch = Couch(make_app(tmp_path, MAX_REQUEST_BYTES=10_000))
    couch.put("db")
    bomb = gzip.compress(b'{"docs": [{"pad": "' + b"x" * 1_000_000 + b'"}]}')
    assert len(bomb) < 10_000
    resp = couch.call("POST", "db/_bulk_docs", data=bomb,
                      headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert resp.status_code == 413 and resp.get_json()["error"] == "too_large"


def test_normal_changes_feed_has_one_row_per_line(couch):
    couch.put("db/a", json={})
    couch.put("db/b", json={})
    lines = couch.get("db/_changes").get_data(as_text=True).splitlines()
    assert lines[0] == '{"results":['
    assert json.loads(lines[1].rstrip(","))["id"] == "a"
    assert json.loads(lines[2])["id"] == "b"


def test_head_reads_and_never_writes(couch):
    rev = couch.put("db/a", json={"v": 1}).get_json()["rev"]
    couch.put(f"db/a/att.txt?rev={rev}", data=b"hi", headers={"Content-Type": "text/plain"})
    rev2 = couch.get("db/a").get_json()["_rev"]
    for path in ["db/a", f"db/a?rev={rev2}", "db/a/att.txt", "db", "db/_local/none"]:
        couch.call("HEAD", path)
    doc = couch.get("db/a").get_json()
    assert doc["_rev"] == rev2 and "att.txt" in doc["_attachments"]
    head = couch.call("HEAD", "db/a")
    assert head.status_code == 200 and head.headers["ETag"] == f'"{rev2}"'
    assert couch.call("HEAD", "db/nope").status_code == 404


def test_session_is_answered_at_the_root_too(couch):
    client = couch.app.test_client()
    resp = client.post("/_session", data={"name": "admin", "password": "admin-secret"})
    assert resp.status_code == 200 and resp.get_json()["ok"] is True
    assert client.get("/couch/db").status_code == 200


def test_server_uuid_is_the_same_for_every_process(tmp_path):
    from tests.api import make_app
    first = Couch(make_app(tmp_path)).get("/").get_json()["uuid"]
    second = Couch(create_app_again(tmp_path)).get("/").get_json()["uuid"]
    assert first == second and len(first) == 32


def create_app_again(path):
    from server import create_app
    return create_app({"DATA_DIR": str(path)})
