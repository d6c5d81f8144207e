"""Hostile input gets a 400 naming the rule, never a 500: integers past
64 bits, non-ASCII digits, mixed-type selectors, broken multipart and
chunked bodies, names with a trailing newline, and session cookies that
outlive a sign-out or a password change."""

import json
import socket
import urllib.parse

import pytest

from sync.collate import compare
from sync.selector import matches
from tests import fielddocs as fd
from tests.api import ADMIN, PASSWORD, Couch, make_field_app
from tests.peers import start_gridvisit

HUGE = "9" * 23
INT64_OVER = str(2**63)
SUPER_TWO = urllib.parse.quote("²")


@pytest.fixture(scope="module")
def field(tmp_path_factory):
    return make_field_app(tmp_path_factory.mktemp("hostile"))


def client(app, name):
    return Couch(app, auth=ADMIN if name == "admin" else (name, PASSWORD))


def _bad(resp, *mentions):
    assert resp.status_code == 400, resp.get_data(as_text=True)
    body = resp.get_json()
    assert set(body) == {"error", "reason"} and body["error"] == "bad_request"
    for word in mentions:
        assert word in body["reason"], body["reason"]


# -------------------------------------------------------------- integers --

@pytest.mark.parametrize("who", ["admin", "w1"])
@pytest.mark.parametrize("query", [
    f"_changes?since={HUGE}", f"_changes?since={HUGE}-x", f"_changes?since={SUPER_TWO}",
    f"_changes?limit={INT64_OVER}", f"_changes?limit={SUPER_TWO}", "_changes?limit=-1",
    f"_all_docs?limit={HUGE}", f"_all_docs?skip={HUGE}", f"_all_docs?skip={SUPER_TWO}",
    f"_changes?feed=continuous&heartbeat={'9' * 400}", f"_changes?feed=longpoll&timeout={HUGE}",
    f"_changes?since=[{HUGE}]",
])
def test_integers_in_query_strings_are_range_checked(field, who, query):
    _bad(client(field, who).get(f"field/{query}"))


@pytest.mark.parametrize("who", ["admin", "w1"])
@pytest.mark.parametrize("body", [{"limit": ""}, {"limit": []}, {"limit": {}},
                                  {"limit": 2**63}, {"limit": -1}, {"limit": True},
                                  {"since": 2**63}])
def test_a_post_changes_body_is_checked_alike_for_every_role(field, who, body):
    _bad(client(field, who).post("field/_changes", json=body))


@pytest.mark.parametrize("body", [{"limit": 2**63}, {"skip": "1"}, {"skip": -3}])
def test_a_post_all_docs_body_is_checked(field, body):
    _bad(client(field, "w1").post("field/_all_docs", json=body))


def test_the_largest_64_bit_values_are_accepted(field):
    w1 = client(field, "w1")
    assert w1.get(f"field/_changes?limit={2**63 - 1}").status_code == 200
    assert w1.get(f"field/_all_docs?skip={2**63 - 1}").get_json()["rows"] == []
    assert client(field, "s1").get(f"/api/quarantine?offset={2**63 - 1}").status_code == 200


@pytest.mark.parametrize("query", [f"limit={SUPER_TWO}", f"offset={SUPER_TWO}",
                                   f"offset={HUGE}", "limit=0", "limit=1001"])
def test_quarantine_paging_is_range_checked(field, query):
    _bad(client(field, "s1").get(f"/api/quarantine?{query}"))


@pytest.mark.parametrize("method,path", [("DELETE", f"/api/devices/{HUGE}"),
                                         ("POST", f"/api/resolutions/{HUGE}/settle"),
                                         ("DELETE", f"/api/devices/{INT64_OVER}"),
                                         ("DELETE", f"/api/devices/{SUPER_TWO}")])
def test_huge_ids_in_urls_name_nothing(field, method, path):
    resp = client(field, "admin").call(method, path)
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"


# ------------------------------------------------------------- selectors --

def test_collation_orders_every_json_type():
    ordered = [None, False, True, -1, 0, 1.5, 2, "", "a", "b", [], ["a"], ["a", 1], ["b"],
               {}, {"a": 1}, {"a": 1, "b": 0}, {"a": 2}, {"b": 0}]
    for i, low in enumerate(ordered):
        for high in ordered[i + 1:]:
            assert compare(low, high) == -1 and compare(high, low) == 1, (low, high)
        assert compare(low, low) == 0


@pytest.mark.parametrize("selector,expected", [
    ({"stamps": {"$gt": {}}}, True), ({"members": {"$lt": ["x"]}}, False),
    ({"members": {"$gt": "zzz"}}, True), ({"room": {"$lt": 5}}, False),
    ({"room": {"$gte": None}}, True), ({"colour": {"$in": [1, None, "green"]}}, True),
    ({"colour": {"$nin": [{}, []]}}, True), ({"members": {"$all": [{"x": 1}]}}, False),
])
def test_selectors_compare_mixed_types_by_couchdb_collation(selector, expected):
    doc = dict(fd.household("g1", "h1"), stamps={"colour": "x"})
    assert matches(doc, selector) is expected


@pytest.mark.parametrize("who", ["admin", "w1"])
def test_mixed_type_selectors_on_changes_are_answered(field, who):
    for selector in ({"stamps": {"$gt": {}}}, {"members": {"$lt": ["x"]}},
                     {"type": {"$gt": 1}}):
        resp = client(field, who).post("field/_changes?filter=_selector",
                                       json={"selector": selector})
        assert resp.status_code == 200, resp.get_data(as_text=True)


# ------------------------------------------------------------- multipart --

def _related(doc, parts=()):
    out = [b"--zz", b"Content-Type: application/json", b"", json.dumps(doc).encode()]
    for name, data in parts:
        out += [b"--zz", f'Content-Disposition: attachment; filename="{name}"'.encode(),
                b"Content-Type: text/plain", b"", data]
    out.append(b"--zz--")
    return {"Content-Type": 'multipart/related; boundary="zz"'}, b"\r\n".join(out)


@pytest.mark.parametrize("attachments", [["a.txt"], "a.txt", 3])
def test_multipart_attachments_that_are_not_an_object_are_400(field, attachments):
    doc = {"_id": "household:g1:mp", "_rev": "1-a", "_attachments": attachments}
    headers, body = _related(doc, [("a.txt", b"x")])
    resp = client(field, "admin").call("PUT", "field/household:g1:mp?new_edits=false",
                                       data=body, headers=headers)
    _bad(resp, "_attachments")


def test_a_corrupt_gzip_attachment_is_400(field):
    doc = {"_id": "household:g1:gz", "_rev": "1-a", "_attachments": {
        "a.txt": {"follows": True, "encoding": "gzip", "content_type": "text/plain"}}}
    headers, body = _related(doc, [("a.txt", b"\x1f\x8b\x08\x00" + b"\xff" * 40)])
    resp = client(field, "admin").call("PUT", "field/household:g1:gz?new_edits=false",
                                       data=body, headers=headers)
    _bad(resp, "gzip")


def test_a_multipart_json_part_follows_the_loader_rules(field):
    headers, body = _related({"_id": "household:g1:nf", "_rev": "1-a"})
    body = body.replace(b'"1-a"}', b'"1-a", "n": 1e999}')
    resp = client(field, "admin").call("PUT", "field/household:g1:nf?new_edits=false",
                                       data=body, headers=headers)
    _bad(resp, "finite")


# ------------------------------------------------------------------ names --

@pytest.mark.parametrize("name", ["abc%0A", "abc%0D", "a%0Ab"])
def test_database_names_with_a_newline_are_refused(field, name):
    resp = client(field, "admin").put(name)
    assert resp.status_code == 400 and resp.get_json()["error"] == "illegal_database_name"
    assert client(field, "admin").get("_all_dbs").get_json() == ["field"]


@pytest.mark.parametrize("route,body", [
    ("/api/streets", {"id": "s2\n", "name": "x"}),
    ("/api/grids", {"id": "g9\n", "name": "x", "parent": "c1"}),
    ("/api/communities", {"id": "c9\n", "name": "x", "parent": "s"}),
])
def test_directory_ids_with_a_newline_are_refused(field, route, body):
    _bad(client(field, "admin").post(route, json=body))


def test_a_rev_with_a_newline_is_refused(field):
    _bad(client(field, "admin").get("field/household:g1:h1", query_string={"rev": "1-a\n"}))


# --------------------------------------------------------------- sessions --

def _cookie_client(app, name):
    browser = app.test_client()
    resp = browser.post("/couch/_session", json={"name": name, "password": PASSWORD})
    assert resp.status_code == 200
    return browser, browser.get_cookie("AuthSession").value


def _signed_in(app, cookie):
    other = app.test_client()
    other.set_cookie("AuthSession", cookie)
    return other.get("/couch/_session").get_json()["userCtx"]["name"]


@pytest.mark.parametrize("logout", ["/couch/_session", "/api/logout"])
def test_a_copied_cookie_stops_working_after_sign_out(tmp_path, logout):
    app = make_field_app(tmp_path)
    browser, cookie = _cookie_client(app, "w1")
    _, kept_elsewhere = _cookie_client(app, "w1")
    assert _signed_in(app, cookie) == "w1"
    method = "DELETE" if logout == "/couch/_session" else "POST"
    assert browser.open(logout, method=method).status_code == 200
    assert _signed_in(app, cookie) is None
    assert _signed_in(app, kept_elsewhere) is None
    _, fresh = _cookie_client(app, "w1")                   # signing in again works
    assert _signed_in(app, fresh) == "w1"


def test_a_cookie_stops_working_when_the_password_changes(tmp_path):
    app = make_field_app(tmp_path)
    _, cookie = _cookie_client(app, "w1")
    _, other_user = _cookie_client(app, "w3")
    resp = client(app, "admin").call("PATCH", "/api/users/w1",
                                     json={"password": "another-password"})
    assert resp.status_code == 200
    assert _signed_in(app, cookie) is None
    assert _signed_in(app, other_user) == "w3"


# ---------------------------------------------------------- chunked body --

@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A real ``gridvisit serve`` (gunicorn), for framing errors."""
    peer = start_gridvisit(tmp_path_factory.mktemp("served"))
    yield peer
    peer.stop()


def _raw_request(peer, request):
    host, port = urllib.parse.urlsplit(peer.base).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + int(
                _header(data, b"content-length") or 0):
            more = sock.recv(65536)
            if not more:
                break
            data += more
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def _header(data, name):
    for line in data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name:
            return value.strip()
    return None


@pytest.mark.parametrize("chunks", [b"zz\r\n{}\r\n0\r\n\r\n", b"2;\x01\r\n{}\r\n0\r\n\r\n",
                                    b"2\r\n{}XX0\r\n\r\n"])
def test_an_invalid_chunked_body_is_400(served, chunks):
    import base64
    auth = base64.b64encode(f"{served.username}:{served.password}".encode())
    status, body = _raw_request(served, b"POST /couch/_session HTTP/1.1\r\nHost: x\r\n"
                                b"Authorization: Basic " + auth + b"\r\n"
                                b"Content-Type: application/json\r\n"
                                b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                                + chunks)
    assert status == 400, body
    if body:
        assert set(json.loads(body)) == {"error", "reason"}
