"""One JSON loader for every request body: a depth limit, finite numbers
only, lone surrogates replaced (the document kept), strict JSON out."""

import json

import pytest

from server.jsonbody import MAX_DEPTH, REPLACED_HEADER, loads, strict_dumps
from server.services import services
from sync.errors import BadRequest
from tests import fielddocs as fd
from tests.api import ADMIN, PASSWORD, Couch, make_field_app

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def field(tmp_path):
    return make_field_app(tmp_path)


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One app for the tests that are refused before anything is written."""
    return make_field_app(tmp_path_factory.mktemp("shared"))


def client(app, name):
    return Couch(app, auth=ADMIN if name == "admin" else (name, PASSWORD))


def _bad(resp, *mentions):
    assert resp.status_code == 400, resp.get_data(as_text=True)
    body = json.loads(resp.get_data(as_text=True), parse_constant=_refuse)
    assert set(body) == {"error", "reason"} and body["error"] == "bad_request"
    for word in mentions:
        assert word in body["reason"], body["reason"]
    return body


def _refuse(name):
    raise AssertionError(f"{name} in a response")


def _nested(depth):
    return b'{"a":' * depth + b"1" + b"}" * depth


# Where a body is read, with a valid envelope around the hostile value.
BODY_ROUTES = [
    ("PUT", "field/household:g1:x", lambda v: b'{"type":"household","x":' + v + b"}"),
    ("POST", "field", lambda v: b'{"_id":"household:g1:y","x":' + v + b"}"),
    ("POST", "field/_bulk_docs", lambda v: b'{"docs":[{"_id":"household:g1:z","x":' + v + b"}]}"),
    ("POST", "field/_bulk_get", lambda v: b'{"docs":[{"id":' + v + b"}]}"),
    ("POST", "field/_revs_diff", lambda v: b'{"a":' + v + b"}"),
    ("POST", "field/_changes?filter=_doc_ids", lambda v: b'{"doc_ids":[' + v + b"]}"),
    ("POST", "field/_all_docs", lambda v: b'{"keys":[' + v + b"]}"),
    ("PUT", "field/_local/cp", lambda v: b'{"x":' + v + b"}"),
    ("POST", "_session", lambda v: b'{"name":"w1","password":' + v + b"}"),
    ("POST", "/api/login", lambda v: b'{"name":"w1","password":' + v + b"}"),
    ("POST", "/api/users", lambda v: b'{"name":"n","password":"pw-12345678","role":' + v + b"}"),
    ("POST", "/api/grids", lambda v: b'{"id":"g9","name":' + v + b',"parent":"c1"}'),
    ("POST", "/api/streets", lambda v: b'{"id":"s9","name":' + v + b"}"),
    ("POST", "/api/assignments", lambda v: b'{"user":"w1","grid":' + v + b"}"),
]


@pytest.mark.parametrize("method,path,wrap", BODY_ROUTES, ids=[r[1] for r in BODY_ROUTES])
@pytest.mark.parametrize("literal", [b"1e999", b"-1e999", b"NaN", b"Infinity", b"-Infinity"])
def test_non_finite_numbers_are_400_everywhere(shared, method, path, wrap, literal):
    resp = client(shared, "admin").call(method, path, data=wrap(literal), headers=JSON)
    _bad(resp, "finite", literal.decode().lstrip("-"))


@pytest.mark.parametrize("method,path,wrap", BODY_ROUTES, ids=[r[1] for r in BODY_ROUTES])
def test_deep_nesting_is_400_naming_the_limit(shared, method, path, wrap):
    for depth in (MAX_DEPTH + 5, 1000, 100_000):
        resp = client(shared, "admin").call(method, path, data=wrap(_nested(depth)),
                                           headers=JSON)
        _bad(resp, str(MAX_DEPTH))


def test_the_finite_rule_names_the_path():
    with pytest.raises(BadRequest) as err:
        loads(b'{"checks":[{"member":"m1"},{"temperature":1e999}]}')
    assert "checks[1].temperature" in err.value.reason


def test_nesting_at_the_limit_is_accepted():
    assert loads(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)


def test_a_lone_surrogate_becomes_the_replacement_character():
    value = loads(b'{"notes":"emoji cut \\ud83d","ok":"\\ud83d\\ude00","\\udc00k":1}')
    assert value == {"notes": "emoji cut \ufffd", "ok": "\U0001F600", "\ufffdk": 1}


def test_strict_dumps_refuses_non_finite():
    with pytest.raises(ValueError):
        strict_dumps({"x": float("inf")})


HALF_EMOJI = b'"emoji cut \\ud83d"'


def test_a_lone_surrogate_in_a_valid_document_is_stored_and_said(field):
    w1 = client(field, "w1")
    doc = json.dumps(fd.household("g1", "cut")).encode()
    doc = doc[:-1] + b',"notes":' + HALF_EMOJI + b"}"
    resp = w1.call("POST", "field/_bulk_docs", data=b'{"docs":[' + doc + b"]}", headers=JSON)
    assert resp.status_code == 201 and resp.get_json()[0]["ok"], resp.get_data(as_text=True)
    assert "U+FFFD" in resp.headers[REPLACED_HEADER]
    stored = w1.get("field/household:g1:cut").get_json()
    assert stored["notes"] == "emoji cut \ufffd"
    resp = w1.call("PUT", "field/household:g1:cut2", data=doc.replace(b":cut", b":cut2"),
                   headers=JSON)
    assert resp.status_code == 201, resp.get_data(as_text=True)


def test_a_lone_surrogate_in_an_invalid_document_is_quarantined(field):
    w1 = client(field, "w1")
    bad = fd.visit("g1", "h1", by="w1")
    bad["checks"][0]["temperature"] = 45
    raw = json.dumps(bad).encode()[:-1] + b',"notes":' + HALF_EMOJI + b"}"
    for method, path, body in (("POST", "field/_bulk_docs", b'{"docs":[' + raw + b"]}"),
                               ("PUT", f"field/{bad['_id']}", raw)):
        resp = w1.call(method, path, data=body, headers=JSON)
        assert resp.status_code in (201, 403), resp.get_data(as_text=True)
    kept = services(field).quarantine.list()
    assert len(kept) == 1 and kept[0]["doc"]["notes"] == "emoji cut \ufffd"
    assert kept[0]["doc_id"] == bad["_id"]


def test_a_lone_surrogate_in_the_doc_ids_filter_and_bulk_get_is_not_a_500(field):
    w1 = client(field, "w1")
    resp = w1.call("POST", "field/_changes?filter=_doc_ids",
                   data=b'{"doc_ids":["household:g1:\\ud83d"]}', headers=JSON)
    assert resp.status_code == 200 and resp.get_json()["results"] == []
    resp = w1.call("POST", "field/_bulk_get", data=b'{"docs":[{"id":"\\ud83d"}]}',
                   headers=JSON)
    assert resp.status_code == 200
    assert resp.get_json()["results"][0]["id"] == "\ufffd"


@pytest.mark.parametrize("path,body", [
    ("/api/login", b'{"name":"w1\\ud83d","password":"x"}'),
    ("_session", b'{"name":"w1\\ud83d","password":"x"}'),
])
def test_a_lone_surrogate_in_a_login_is_just_a_wrong_name(field, path, body):
    assert client(field, None).call("POST", path, data=body, headers=JSON).status_code == 401


def test_nothing_non_finite_is_served_back(field):
    # Nothing can store one now; the output side refuses to write one anyway.
    admin = client(field, "admin")
    for path in ("field/_all_docs?include_docs=true", "field/_changes?include_docs=true",
                 "field/household:g1:h1", "/api/quarantine"):
        resp = admin.get(path)
        assert resp.status_code == 200
        json.loads(resp.get_data(as_text=True), parse_constant=_refuse)


def test_a_query_value_goes_through_the_same_rules(field):
    _bad(client(field, "admin").get("field/_all_docs?keys=[1e999]"), "finite")
