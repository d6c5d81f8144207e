"""A fuzzer over every /couch and /api route, as a worker and as an admin.

Routes come from the app's own URL map, so a new endpoint is fuzzed
without editing this file. Hostile path parts, query values, headers and
bodies (non-finite numbers, deep nesting, lone surrogates, broken JSON,
multipart and gzip, huge and non-ASCII digits) must never give a 500;
every answer on /couch and /api is strict JSON (no NaN or Infinity) with
``error`` and ``reason`` when it is a refusal; every field document a
worker had refused is in quarantine; and the server answers normally
afterwards. On CI the ``ci`` profile replays one fixed sequence.
"""

import gzip
import json
import urllib.parse

from hypothesis import HealthCheck, given, settings, strategies as st

from tests import fielddocs as fd
from tests.api import ADMIN, PASSWORD, Couch, basic, make_field_app
from server.services import services

_apps = {}

HOSTILE_TEXT = ["", "\n", "abc\n", "\ud83d", "emoji cut \ud83d", "²", "٣", "1e999", "NaN",
                "Infinity", "9" * 23, str(2**63), "-1", "0", "now", "_design/x", "_local/x",
                "../x", "%00", "a" * 300, "household:g1:h1", "household:g3:h3",
                "visit:g1:v1", "household:g1:new", "door.png"]
TEXT = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=12))

LEAF = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                 st.floats(allow_nan=False, allow_infinity=False), TEXT)
JSON = st.recursive(LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)), max_leaves=10)

# Mostly sensible values, so that one hostile part is not hidden behind another.
INTEGERS = ["0", "1", "2", "5"] * 3 + ["-1", "9" * 23, str(2**63), str(2**63 - 1), "9" * 400, "²", "٣", "1e3",
            "", "x", "1.5"]
BOOLEANS = ["true", "false"] * 3 + ["1", "yes", ""]
QUERY = {  # name: the values worth trying for it
    "since": INTEGERS + ["now", "now", "0-x", "9" * 23 + "-x", "[1]", "[" + "9" * 23 + "]"],
    "limit": INTEGERS, "skip": INTEGERS, "heartbeat": INTEGERS + ["true", "false"],
    "timeout": INTEGERS, "offset": INTEGERS, "page": INTEGERS,
    "feed": ["normal"] * 3 + ["longpoll", "continuous", "eventsource", ""],
    "filter": ["_selector"] * 4 + ["_doc_ids"] * 2 + ["_view", "x"],
    "style": ["all_docs", "main_only", "x"],
    "include_docs": BOOLEANS, "conflicts": BOOLEANS, "descending": BOOLEANS,
    "revs": BOOLEANS, "attachments": BOOLEANS, "latest": BOOLEANS, "revs_info": BOOLEANS,
    "new_edits": BOOLEANS, "flagged": BOOLEANS,
    "open_revs": ["all", '["1-a"]', "[1e999]", "[", '["\ud83d"]', "[[[[1]]]]"],
    "atts_since": ['["1-a"]', "[1e999]", "x"], "rev": ["1-a", "1-a\n", "x", "²-a"],
    "keys": ['["household:g1:h1"]', "[1e999]", "[NaN]", "[", '"a"', '["\ud83d"]'],
    "startkey": ['"household:g1"', "1e999", "[]", "\ud83d"],
    "endkey": ['"household:g1:~"', "Infinity", "{}"],
    "doc_ids": ['["household:g1:h1"]', '["\ud83d"]', "[1e999]", "x"],
}
QUERY_VALUES = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=10))


# What each kind of route reads, so the fuzzer mostly sends what it reads
# (and now and then anything): (path suffix, query names, body keys).
HINTS = [
    ("/_changes", ["since", "limit", "feed", "heartbeat", "timeout", "filter", "style",
                   "include_docs", "doc_ids", "descending", "conflicts"],
     ["limit", "since", "selector", "doc_ids"]),
    ("/_all_docs", ["limit", "skip", "keys", "startkey", "endkey", "include_docs",
                    "descending"], ["keys", "limit", "skip", "startkey", "endkey"]),
    ("/_bulk_docs", [], ["docs", "new_edits"]),
    ("/_bulk_get", ["revs", "attachments", "latest"], ["docs"]),
    ("/_revs_diff", [], ["household:g1:h1", "_id"]),
    ("/_revs_limit", [], []),
    ("/_find", [], ["selector", "limit", "skip", "sort", "fields", "bookmark", "use_index",
                    "conflicts", "execution_stats"]),
    ("/_explain", [], ["selector", "sort", "use_index"]),
    ("/_index", [], ["index", "ddoc", "name", "type", "partial_filter_selector"]),
    ("/_session", [], ["name", "password"]),
    ("/api/login", [], ["name", "password", "device"]),
    ("/api/users", [], ["name", "password", "role", "display_name", "active"]),
    ("/api/quarantine", ["limit", "offset"], []),
    ("/api/resolutions", ["flagged"], []),
    ("/settle", [], ["override"]),
    ("/api/assignments", [], ["user", "grid", "community"]),
    ("/api/", [], ["id", "name", "parent"]),
    ("<docid>", ["rev", "revs", "open_revs", "atts_since", "conflicts", "new_edits", "latest",
                 "attachments"], ["_id", "_rev", "_attachments", "_deleted", "type", "notes"]),
]


def _hints(rule):
    for suffix, names, keys in HINTS:
        if suffix in rule.rule:
            return names, keys
    return [], []


@st.composite
def queries(draw, names):
    """A query string of a few hostile parameters, mostly ones the route reads."""
    pool = names if names and draw(st.integers(0, 4)) else sorted(QUERY)
    chosen = draw(st.lists(st.sampled_from(pool), max_size=4, unique=True))
    return {name: draw(st.sampled_from(QUERY[name])) if draw(st.integers(0, 4))
            else draw(QUERY_VALUES) for name in chosen}


NON_FINITE = "__non_finite__"           # replaced by 1e999 / NaN once serialised
SELECTORS = [{"stamps": {"$gt": {}}}, {"members": {"$lt": ["x"]}}, {"colour": {"$gte": 1}},
             {"type": {"$in": [None, {}, []]}}, {"$or": [{"a": {"$lt": True}}, {"b": []}]},
             {"x": {"$regex": "a"}}, {"members": {"$elemMatch": {"$gt": []}}}, "x", []]
VALUE = st.one_of(JSON, st.just(NON_FINITE), st.sampled_from(SELECTORS),
                  st.sampled_from([2**63, -1, "", [], {}, True, 10**30]))
BODY_KEYS = ["limit", "skip", "since", "selector", "doc_ids", "docs", "keys", "new_edits",
             "startkey", "endkey", "name", "password", "device", "role", "display_name",
             "active", "id", "parent", "user", "grid", "community", "override", "_id", "_rev",
             "_attachments", "_deleted", "type", "notes"]


NUMBERS = st.sampled_from([0, 1, 2, 5] * 4 + [-1, 2**63, 2**63 - 1, 10**30, "", "1", [], {}, True, None,
                           NON_FINITE, 1.5])


@st.composite
def hostile_objects(draw, keys=()):
    """A JSON object over the keys the route reads, with hostile values
    (mostly of the kind that key is read as)."""
    pool = list(keys) if keys and draw(st.integers(0, 4)) else BODY_KEYS
    chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=4, unique=True))
    return {key: draw(KEY_VALUES[key]) if key in KEY_VALUES and draw(st.integers(0, 4))
            else draw(VALUE) for key in chosen}


FIELD_BASES = [lambda: fd.household("g1", "fz"), lambda: fd.visit("g1", "h1", by="w1"),
               lambda: fd.request_doc("g1", "h1"), lambda: fd.household("g3", "fz"),
               lambda: fd.notice("g1")]


def _deep(n):
    return b'{"a":' * n + b"1" + b"}" * n


RAW_BODIES = [b"", b"{", b"[1,2", b"1e999", b"NaN", b'{"a":Infinity}', b'{"a":-1e400}',
              b"\xff\xfe{}", b'{"notes":"emoji cut \\ud83d"}', _deep(150), _deep(1200),
              b"[" * 5000 + b"]" * 5000, b'{"docs":[{"_id":"x","n":1e999}]}',
              b'{"limit":""}', b'{"limit":[]}', b'{"limit":{}}',
              b'{"limit":9223372036854775808}', b'{"skip":99999999999999999999999}',
              b'{"selector":{"stamps":{"$gt":{}}}}', b'{"selector":{"members":{"$lt":["x"]}}}',
              b'{"docs":"x"}', b'{"keys":[1e999]}', b'{"name":"w1\\ud83d","password":"x"}',
              b'{"_attachments":["a"]}', b'{"_attachments":"a"}']


@st.composite
def field_docs(draw):
    """A field document from a tablet, with a few fields made hostile."""
    doc = draw(st.sampled_from(FIELD_BASES))()
    for _ in range(draw(st.integers(0, 3))):
        doc[draw(st.sampled_from(["notes", "colour", "members", "checks", "room", "grid",
                                  "_attachments", "status", "phone", "x"]))] = draw(VALUE)
    return doc


KEY_VALUES = {
    "selector": st.sampled_from(SELECTORS), "limit": NUMBERS, "skip": NUMBERS,
    "since": st.one_of(NUMBERS, st.sampled_from(["now", "9" * 23 + "-x", "²"])),
    "docs": st.lists(field_docs(), max_size=3), "new_edits": st.sampled_from([True, False]),
    "doc_ids": st.lists(TEXT, max_size=3), "keys": st.lists(TEXT, max_size=3),
    "name": st.sampled_from(["w1", "w1\ud83d", "admin", "nobody"]),
    "password": st.sampled_from([PASSWORD, "wrong", NON_FINITE, "\ud83d"]),
}


@st.composite
def bodies(draw, keys=()):
    """``(bytes, content_type)`` of a hostile body."""
    kind = draw(st.sampled_from(["raw", "json", "object", "object", "object", "doc", "bulk",
                                 "multipart"]))
    if kind == "raw":
        body = draw(st.sampled_from(RAW_BODIES))
    elif kind == "json":
        body = json.dumps(draw(JSON)).encode()
    elif kind == "object":
        body = json.dumps(draw(hostile_objects(keys))).encode()
    elif kind == "doc":
        body = json.dumps(draw(field_docs())).encode()
    elif kind == "bulk":
        docs = draw(st.lists(field_docs(), min_size=1, max_size=3))
        body = json.dumps({"docs": docs, "new_edits": draw(st.sampled_from([True, False]))}
                          ).encode()
    else:
        doc = draw(field_docs())
        doc["_attachments"] = draw(st.sampled_from([
            {"a.txt": {"follows": True, "encoding": "gzip"}}, ["a.txt"], "a.txt",
            {"a.txt": {"follows": True}}, {"a.txt": "x"}]))
        part = draw(st.sampled_from([b"\x1f\x8b\x08\x00\xff\xff", gzip.compress(b"ok"), b"x"]))
        body = b"\r\n".join([b"--zz", b"Content-Type: application/json", b"",
                             json.dumps(doc).encode(), b"--zz",
                             b'Content-Disposition: attachment; filename="a.txt"', b"", part,
                             b"--zz--"])
        return body, 'multipart/related; boundary="zz"'
    literal = draw(st.sampled_from([b"1e999", b"-1e999", b"NaN", b"Infinity"]))
    body = body.replace(b'"' + NON_FINITE.encode() + b'"', literal)
    return body, draw(st.sampled_from(["application/json"] * 6 + [
        "text/plain", "application/x-www-form-urlencoded", 'multipart/related; boundary="zz"',
        None]))


HEADER_CHOICES = {
    "Accept": [None, None, "multipart/mixed", "multipart/related", "application/json"],
    "Content-Encoding": [None] * 16 + ["gzip", "deflate", "br"],
    "Authorization": [None] * 24 + ["Bearer nope", "Basic !!!", "Basic " + "A" * 10, "Digest x"],
    "Cookie": [None] * 24 + ["AuthSession=garbage", "AuthSession=1.abc"],
}


def _quote(text):
    return urllib.parse.quote(text.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def requests(draw, rules):
    """One hostile request: ``(who, method, url, headers, body)``."""
    rule, method = draw(st.sampled_from(rules))
    values = {}
    for name in rule.arguments:
        if name == "db":
            value = draw(st.sampled_from(["field"] * 12 + ["db2", "abc\n", "Field", "_users",
                                                           "a" * 300]))
        elif name in ("token_id", "resolution_id"):
            value = draw(st.sampled_from(["1", "2", "9" * 23, str(2**63), "0"]))
        elif name == "name" and rule.rule.startswith("/api/users"):
            value = draw(st.sampled_from(["nobody", "x\n", "\ud83d"]))   # never w1 or admin
        else:
            value = draw(TEXT)
        values[name] = value
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<{name}>", _quote(value)).replace(f"<path:{name}>", _quote(value))
        for conv in ("id64",):
            path = path.replace(f"<{conv}:{name}>", _quote(value))
    if method == "DELETE" and path.rstrip("/") == "/couch/field":
        path = "/couch/scratch"               # deleting the field db would end the test
    names, keys = _hints(rule)
    query = draw(queries(names))
    url = path + ("?" + "&".join(f"{k}={_quote(v)}" for k, v in query.items()) if query else "")
    body, ctype = draw(bodies(keys)) if method in ("POST", "PUT", "PATCH", "DELETE") else (b"", None)
    who = draw(st.sampled_from(["w1", "admin"]))
    headers = dict(basic(*(ADMIN if who == "admin" else ("w1", PASSWORD))))
    if ctype:
        headers["Content-Type"] = ctype
    for name, choices in HEADER_CHOICES.items():
        value = draw(st.sampled_from(choices))
        if value is not None:
            headers[name] = value
    if headers.get("Content-Encoding") == "gzip" and draw(st.booleans()):
        body = gzip.compress(body)
    return who, method, url, headers, body


def _app(tmp_path_factory):
    if "app" not in _apps:
        # Longpoll and continuous feeds end at once; login limits stay out of
        # the way, so the last checks sign in as usual.
        _apps["app"] = make_field_app(tmp_path_factory.mktemp("fuzz"), CHANGES_TIMEOUT=0.05,
                                      LOGIN_LIMIT_ACCOUNT=10**6, LOGIN_LIMIT_ADDRESS=10**6)
    return _apps["app"]


REPLICATION = ("/_changes", "/_all_docs", "/_bulk_docs", "/_bulk_get", "/_revs_diff", "<docid>")


def _rules(app):
    """Every (rule, method) under /couch and /api; what tablets call weighs more."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/couch", "/api", "/_session")):
            weight = 4 if any(part in rule.rule for part in REPLICATION) else 1
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found += [(rule, method)] * weight
    return found


def _strict(text):
    def refuse(name):
        raise AssertionError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


def _check_answer(resp, url):
    assert resp.status_code < 500, (url, resp.status_code, resp.get_data(as_text=True)[:500])
    ctype = resp.mimetype or ""
    if resp.status_code >= 400 or ctype == "application/json":
        assert ctype == "application/json", (url, resp.status_code, ctype)
        body = _strict(resp.get_data(as_text=True))
        if resp.status_code >= 400:
            assert set(body) >= {"error", "reason"} and body["reason"], (url, body)
        return body
    return None


def _refused_ids(method, url, status, body, sent):
    """Ids of field documents this answer says were refused as forbidden."""
    if not url.startswith("/couch/field"):
        return []
    tail = url.split("?", 1)[0][len("/couch/field"):]
    if tail == "/_bulk_docs" and isinstance(body, list):
        return [row.get("id") for row in body if isinstance(row, dict)
                and row.get("error") == "forbidden" and isinstance(row.get("id"), str)]
    if status == 403 and isinstance(body, dict) and body.get("error") == "forbidden" and (
            (method == "PUT" and tail.count("/") == 1 and not tail.startswith("/_"))
            or (method == "POST" and tail in ("", "/"))):
        if method == "PUT":
            return [urllib.parse.unquote(tail[1:])]
        doc = sent if isinstance(sent, dict) else {}
        return [doc["_id"]] if isinstance(doc.get("_id"), str) else []
    return []


def _sent_doc(body, headers):
    if headers.get("Content-Encoding") or headers.get("Content-Type") != "application/json":
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(data=st.data())
def test_no_request_to_couch_or_api_gets_a_500(tmp_path_factory, data):
    app = _app(tmp_path_factory)
    client = app.test_client()
    who, method, url, headers, body = data.draw(requests(_rules(app)))
    resp = client.open(url, method=method, data=body, headers=headers)
    answer = _check_answer(resp, url)
    if who == "w1" and "Authorization" in headers and headers["Authorization"].startswith(
            "Basic d1"):
        refused = _refused_ids(method, url, resp.status_code, answer,
                               _sent_doc(body, headers))
        if refused:
            kept = {row["doc_id"] for row in services(app).quarantine.list(limit=10**6)}
            assert set(refused) <= kept, (url, refused)
    # The server answers normally after each hostile request.
    worker = Couch(app, auth=("w1", PASSWORD))
    assert worker.get("field").status_code == 200          # (documents may be deleted)
    assert worker.get("field/_changes?limit=1").status_code == 200
    assert worker.get("/api/me").get_json()["name"] == "w1"


@st.composite
def replication_requests(draw):
    """A tablet's replication call with one part made hostile: what the
    broad fuzzer above rarely composes (a selector filter with its body, a
    multipart push)."""
    who = draw(st.sampled_from(["w1", "admin"]))
    kind = draw(st.sampled_from(["changes", "all_docs", "multipart", "bulk_docs"]))
    query = draw(queries(["since", "limit", "feed", "heartbeat", "timeout", "skip"]))
    if kind == "changes":
        query["filter"] = draw(st.sampled_from(["_selector", "_doc_ids", "_selector"]))
        body = {"selector": draw(st.sampled_from(SELECTORS)),
                "doc_ids": ["household:g1:h1"]}
        body.update(draw(hostile_objects(["limit", "since", "doc_ids"])))
        url, method, data = "/couch/field/_changes", "POST", json.dumps(body).encode()
        ctype = "application/json"
    elif kind == "all_docs":
        url, method, ctype = "/couch/field/_all_docs", "POST", "application/json"
        data = json.dumps(draw(hostile_objects(["keys", "limit", "skip", "startkey"]))).encode()
    elif kind == "bulk_docs":
        url, method, ctype = "/couch/field/_bulk_docs", "POST", "application/json"
        data = json.dumps({"docs": draw(st.lists(field_docs(), min_size=1, max_size=3)),
                           "new_edits": draw(st.booleans())}).encode()
    else:
        data, ctype = draw(bodies())
        doc_id = draw(st.sampled_from(["household:g1:mp", "household:g3:mp"]))
        url, method = f"/couch/field/{doc_id}", "PUT"
        query["new_edits"] = "false"
    data = data.replace(b'"' + NON_FINITE.encode() + b'"', b"1e999")
    url += "?" + "&".join(f"{k}={_quote(v)}" for k, v in query.items()) if query else ""
    headers = dict(basic(*(ADMIN if who == "admin" else ("w1", PASSWORD))),
                   **{"Content-Type": ctype} if ctype else {})
    return who, method, url, headers, data


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_no_replication_call_gets_a_500(tmp_path_factory, data):
    app = _app(tmp_path_factory)
    who, method, url, headers, body = data.draw(replication_requests())
    resp = app.test_client().open(url, method=method, data=body, headers=headers)
    answer = _check_answer(resp, url)
    refused = _refused_ids(method, url, resp.status_code, answer, _sent_doc(body, headers))
    if who == "w1" and refused:
        kept = {row["doc_id"] for row in services(app).quarantine.list(limit=10**6)}
        assert set(refused) <= kept, (url, refused)
