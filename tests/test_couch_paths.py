"""Ids and database names that need escaping reach every /couch endpoint
(issue 19, must 1): CouchDB routes on the raw path, so ``a%2Fb%2Fc`` is the
document ``a/b/c``, never document ``a`` with attachment ``b/c``.

In process through Flask's test client (werkzeug's test client gives
``RAW_URI`` too), over werkzeug's own server, and through ``gridvisit
serve`` (gunicorn) with real PouchDB in node, beside pouchdb-server."""

import json
import threading
import urllib.parse
import urllib.request

import pytest
from werkzeug.serving import make_server

from server.couch.rawpath import routing_path
from tests.api import ADMIN, basic
from tests.peers import run_node

IDS = ["a/b/c", "a+b", "100%", "with space", "网格/一号", "%2F", "a%2Fb", "x/", "?#&="]
DB_NAMES = ["a/b", "odd+db", "a/b+c/d_$()-"]


def q(text):
    return urllib.parse.quote(text, safe="")


@pytest.mark.parametrize("doc_id", IDS)
def test_every_document_endpoint_reads_an_escaped_id_as_one_id(couch, doc_id):
    url = "db/" + q(doc_id)
    put = couch.put(url, json={"label": doc_id})
    assert put.status_code == 201 and put.get_json()["id"] == doc_id
    rev = put.get_json()["rev"]
    assert couch.get(url).get_json() == {"_id": doc_id, "_rev": rev, "label": doc_id}
    # attachment: PUT raw bytes, GET them back
    att = couch.put(f"{url}/{q('照片 1.txt')}?rev={rev}", data="门牌".encode(),
                    headers={"Content-Type": "text/plain"})
    assert att.status_code == 201, att.get_json()
    rev = att.get_json()["rev"]
    got = couch.get(f"{url}/{q('照片 1.txt')}")
    assert got.status_code == 200 and got.data == "门牌".encode()
    # open_revs, as JSON and as multipart/mixed
    revs = couch.get(f'{url}?open_revs=all&revs=true', headers={"Accept": "application/json"})
    assert [row["ok"]["_id"] for row in revs.get_json()] == [doc_id]
    mixed = couch.get(f'{url}?open_revs=["{rev}"]', headers={"Accept": "multipart/mixed"})
    assert mixed.status_code == 200 and mixed.mimetype == "multipart/mixed"
    assert json.dumps(doc_id)[1:-1].encode() in mixed.data or doc_id.encode() in mixed.data
    # multipart/related with attachments=true
    related = couch.get(f"{url}?attachments=true", headers={"Accept": "multipart/related"})
    assert related.mimetype == "multipart/related" and "门牌".encode() in related.data
    # replication endpoints name it whole
    bulk = couch.post("db/_bulk_get", json={"docs": [{"id": doc_id}]}).get_json()
    assert bulk["results"][0]["docs"][0]["ok"]["_id"] == doc_id
    assert [r["id"] for r in couch.get("db/_all_docs").get_json()["rows"]] == [doc_id]
    # _local: the same name as a _local document
    local = couch.put(f"db/_local/{q(doc_id)}", json={"n": 1})
    assert local.get_json() == {"ok": True, "id": f"_local/{doc_id}", "rev": "0-1"}
    assert couch.get(f"db/_local/{q(doc_id)}").get_json()["_id"] == f"_local/{doc_id}"
    assert couch.delete(f"db/_local/{q(doc_id)}?rev=0-1").status_code == 200
    # delete
    gone = couch.delete(f"{url}?rev={rev}")
    assert gone.status_code == 200 and gone.get_json()["id"] == doc_id
    assert couch.get(url).status_code == 404


def test_a_local_id_sent_whole_is_the_same_local_document(couch):
    couch.put("db/_local/cp", json={"n": 1})
    assert couch.get("db/_local%2Fcp").get_json() == {"_id": "_local/cp", "_rev": "0-1", "n": 1}


@pytest.mark.parametrize("name", DB_NAMES)
def test_a_database_name_with_slash_or_plus_works_everywhere(couch, name):
    url = q(name)
    made = couch.put(url)
    assert made.status_code == 201
    assert made.headers["Location"].endswith("/couch/" + url)
    assert couch.get(url).get_json()["db_name"] == name
    assert name in couch.get("_all_dbs").get_json()
    rev = couch.put(f"{url}/{q('a/b')}", json={"n": 1}).get_json()["rev"]
    assert couch.get(f"{url}/{q('a/b')}").get_json()["_rev"] == rev
    assert couch.get(f"{url}/_changes").get_json()["results"][0]["id"] == "a/b"
    assert couch.post(f"{url}/_bulk_docs", json={"docs": [{"_id": "c"}]}).status_code == 201
    assert couch.put(f"{url}/_local/x", json={}).status_code == 201
    assert couch.delete(url).status_code == 200
    assert couch.get(url).status_code == 404


def test_without_a_raw_path_an_escaped_slash_splits_as_the_server_decoded_it(couch):
    """A WSGI server that gives neither RAW_URI nor REQUEST_URI: the id is
    read as the server decoded the path (the documented fallback)."""
    couch.put("db/a", json={})
    plain = {"RAW_URI": "", "REQUEST_URI": ""}
    assert couch.put("db/a%2Fb", json={}, environ_overrides=plain).status_code == 409
    assert couch.put("db/a%2Fb", json={}).status_code == 201


@pytest.mark.parametrize("environ, expected", [
    ({"PATH_INFO": "/couch/db/a/b", "RAW_URI": "/couch/db/a%2Fb?rev=1"}, "/couch/db/a%2Fb"),
    ({"PATH_INFO": "/couch/db/100%", "RAW_URI": "/couch/db/100%25"}, "/couch/db/100%25"),
    ({"PATH_INFO": "/couch/db/a b", "REQUEST_URI": "/couch/db/a%20b"}, "/couch/db/a b"),
    ({"PATH_INFO": "/couch/db/a/b", "RAW_URI": "http://h:1/couch/db/a%2fb"}, "/couch/db/a%2Fb"),
    ({"PATH_INFO": "/couch/db/%E7%BD%91", "RAW_URI": "/couch/db/%25E7%25BD%2591"},
     "/couch/db/%25E7%25BD%2591"),                          # an id that is escapes itself
    ({"PATH_INFO": "/couch/db/网/1".encode().decode("latin-1"),
      "RAW_URI": "/couch/db/%E7%BD%91%2F1"},
     "/couch/db/" + "网".encode().decode("latin-1") + "%2F1"),
    ({"PATH_INFO": "/couch/db/a/b", "RAW_URI": "/couch/db/a%2Fc"}, None),
    ({"PATH_INFO": "/couch/db/a/b"}, None),                             # no raw path at all
    ({"PATH_INFO": "/console/a/b", "RAW_URI": "/console/a%2Fb"}, None),  # /couch only
    ({"SCRIPT_NAME": "/gv", "PATH_INFO": "/couch/d/a/b", "RAW_URI": "/gv/couch/d/a%2Fb"},
     "/couch/d/a%2Fb"),
])
def test_routing_path_keeps_only_what_the_client_escaped(environ, expected):
    assert routing_path(environ, "/couch/") == expected


def test_werkzeugs_own_server_routes_on_the_raw_path(app, tmp_path):
    """werkzeug's dev server gives REQUEST_URI/RAW_URI: the same routing."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}/couch/"
    try:
        def call(method, path, body=None):
            req = urllib.request.Request(base + path, method=method, headers=dict(
                basic(*ADMIN), **{"Content-Type": "application/json"}),
                data=None if body is None else json.dumps(body).encode())
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read())
        call("PUT", q("a/b"))
        assert call("PUT", f"{q('a/b')}/{q('网格/一号')}", {"n": 1})["id"] == "网格/一号"
        assert call("GET", f"{q('a/b')}/{q('网格/一号')}")["n"] == 1
    finally:
        server.shutdown()
        thread.join()


@pytest.mark.parametrize("peer", ["gridvisit", "pouchdb_server"])
def test_pouchdb_pushes_and_reads_back_escaped_ids_as_pouchdb_server_does(peer, request):
    """Real PouchDB (node) against ``gridvisit serve`` (gunicorn) and against
    pouchdb-server: documents, open_revs, attachments, ``_local`` and a pull
    into a fresh PouchDB, in a database whose name holds ``/`` and ``+``."""
    server = request.getfixturevalue(peer)
    name = q(f"odd/{peer.replace('_', '-')}+ids")
    assert server.request("PUT", name)[0] == 201
    ids = ["a/b/c", "a+b", "100%", "with space", "网格/一号"]
    out = run_node("odd_ids.js", {"remote": server.url(name), "ids": ids})
    assert out["push"]["docs_written"] == len(ids) and not out["push"]["errors"]
    assert out["pull"]["docs_written"] == len(ids)
    for doc_id in ids:
        read = out["read"][doc_id]
        assert (read["id"], read["label"], read["open_revs"]) == (doc_id, doc_id, [doc_id])
        assert read["attachment"] == f"note of {doc_id}"
        assert (read["local_rev"], read["local_label"]) == ("0-1", doc_id)
        assert out["pulled"][doc_id] == f"note of {doc_id}"
    status, info = server.request("GET", name)
    assert status == 200 and info["doc_count"] == len(ids)
