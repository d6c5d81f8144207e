"""Design documents through /couch (Flask test client, real SQLite, real
QuickJS): view queries with CouchDB's parameters, reduces, the index kept on
disk and caught up incrementally, show/list/update handlers, and who may
write or see design documents. The query table is tests/design_cases.py,
asked of pouchdb-server too in tests/test_design_peers.py."""

import time
from pathlib import Path
from urllib.parse import quote

import pytest

from rules import ids
from rules.warning_rules import shipped_rules
from tests.api import ADMIN, PASSWORD, Couch, make_app, make_field_app
from tests.design_cases import DDOC, DOCS, MAP_CASES, REDUCE_CASES


def _q(query):
    """The query string with its JSON values URL-encoded."""
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in
                    (part.split("=", 1) for part in query.split("&") if part))


@pytest.fixture
def views(couch):
    assert all("ok" in row for row in couch.post("db/_bulk_docs", json={"docs": DOCS}).get_json())
    assert couch.put("db/_design/t", json=DDOC).status_code == 201
    return couch


@pytest.mark.parametrize("view, query, ids", MAP_CASES, ids=[f"{v}?{q}" for v, q, _ in MAP_CASES])
def test_map_queries_answer_as_couchdb(views, view, query, ids):
    resp = views.get(f"db/_design/t/_view/{view}?{_q(query)}")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert [row["id"] for row in body["rows"]] == ids
    assert body["total_rows"] == (12 if view == "by_n" else 13)


@pytest.mark.parametrize("view, query, rows", REDUCE_CASES,
                         ids=[f"{v}?{q}" for v, q, _ in REDUCE_CASES])
def test_reduce_queries_answer_as_couchdb(views, view, query, rows):
    resp = views.get(f"db/_design/t/_view/{view}?{_q(query)}")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {"rows": rows}


def test_offset_counts_the_rows_before_the_start(views):
    assert views.get("db/_design/t/_view/by_n?startkey=4&limit=1").get_json()["offset"] == 4
    assert views.get("db/_design/t/_view/by_n?startkey=4&skip=2&limit=1").get_json()[
        "offset"] == 6
    body = views.get("db/_design/t/_view/by_n?descending=true&startkey=4").get_json()
    assert body["offset"] == 7 and body["rows"][0]["key"] == 4


def test_post_takes_keys_and_options_in_the_body(views):
    body = views.post("db/_design/t/_view/by_n", json={"keys": [7, 2], "limit": 1}).get_json()
    assert [row["id"] for row in body["rows"]] == ["d07"]
    grouped = views.post("db/_design/t/_view/sum?group=true", json={"keys": ["b"]}).get_json()
    assert grouped == {"rows": [{"key": "b", "value": 22}]}


@pytest.mark.parametrize("body, status", [
    ({"keys": [1], "self": 1, "foo": "bar"}, 200),           # unknown members are ignored
    ({"limit": "2"}, 400), ({"descending": "yes"}, 400), ({"keys": {"a": 1}}, 400),
    ({"startkey_docid": 5}, 400), ({"group_level": True}, 400),
])
def test_post_bodies_are_checked_member_by_member(views, body, status):
    resp = views.post("db/_design/t/_view/by_n", json=body)
    assert resp.status_code == status, resp.get_json()


def test_queries_answer_each_query_in_turn(views):
    body = views.post("db/_design/t/_view/by_n/queries", json={"queries": [
        {"keys": [3]}, {"startkey": 10, "descending": False}, {"limit": 1, "skip": 5}]}).get_json()
    assert [[row["id"] for row in result["rows"]] for result in body["results"]] == [
        ["d03"], ["d10", "d11"], ["d05"]]


def test_include_docs_brings_the_document_or_the_linked_one(views):
    rows = views.get("db/_design/t/_view/by_n?key=3&include_docs=true").get_json()["rows"]
    assert rows[0]["doc"]["_id"] == "d03" and rows[0]["doc"]["n"] == 3
    linked = views.get("db/_design/t/_view/linked?include_docs=true").get_json()["rows"]
    assert linked[0]["id"] == "d01" and linked[0]["doc"]["_id"] == "d02"


@pytest.mark.parametrize("view, query, status, error, words", [
    ("by_n", "group=true", 400, "query_parse_error", "grouping on a map view"),
    ("by_n", "reduce=true", 400, "query_parse_error", "Reduce is invalid"),
    ("sum", "include_docs=true", 400, "query_parse_error", "include_docs"),
    ("sum", "keys=[1,2]", 400, "query_parse_error", "group=true"),
    ("by_n", "startkey=5&endkey=1", 400, "query_parse_error", "reverse your start_key"),
    ("by_n", "key=abc", 400, "bad_request", "`key`"),
    ("by_n", "limit=-1", 400, "bad_request", "limit"),
    ("by_n", "descending=maybe", 400, "bad_request", "descending"),
    ("by_n", "update=sometimes", 400, "bad_request", "update"),
    ("by_n", "keys=5", 400, "bad_request", "keys"),
    ("nope", "", 404, "not_found", "missing_named_view"),
    ("lib", "", 404, "not_found", "missing_named_view"),
])
def test_bad_view_queries_are_refused_naming_the_rule(views, view, query, status, error, words):
    resp = views.get(f"db/_design/t/_view/{view}?{query}")
    body = resp.get_json()
    assert (resp.status_code, body["error"]) == (status, error)
    assert words in body["reason"]


def test_a_missing_design_document_is_404(views):
    resp = views.get("db/_design/nope/_view/x")
    assert resp.status_code == 404 and resp.get_json()["error"] == "not_found"


def test_a_reduce_over_values_it_cannot_sum_names_the_rule(views):
    views.put("db/_design/bad", json={"views": {"s": {
        "map": "function (doc) { emit(doc._id, 'text'); }", "reduce": "_sum"}}})
    body = views.get("db/_design/bad/_view/s").get_json()
    assert body["error"] == "builtin_reduce_error" and "_sum" in body["reason"]


def test_the_index_follows_writes_and_deletions(views):
    assert views.get("db/_design/t/_view/by_n?key=50").get_json()["rows"] == []
    rev = views.put("db/d50", json={"n": 50, "tag": "a", "v": [1]}).get_json()["rev"]
    assert [r["id"] for r in views.get("db/_design/t/_view/by_n?key=50").get_json()["rows"]] \
        == ["d50"]
    views.put("db/d50", json={"_rev": rev, "n": 51})
    assert views.get("db/_design/t/_view/by_n?key=50").get_json()["rows"] == []
    rev = views.get("db/d03").get_json()["_rev"]
    views.delete(f"db/d03?rev={rev}")
    assert views.get("db/_design/t/_view/by_n?key=3").get_json()["rows"] == []
    assert views.get("db/_design/t/_view/sum?key=\"a\"").get_json()["rows"][0]["value"] == 15


def test_a_purge_drops_the_documents_from_the_index(views):
    views.get("db/_design/t/_view/by_n")                       # built before the purge
    revs = {d: views.get(f"db/{d}").get_json()["_rev"] for d in ("d01", "d02")}
    purged = views.post("db/_purge", json={d: [rev] for d, rev in revs.items()})
    assert purged.status_code == 201, purged.get_json()
    ids = [row["id"] for row in views.get("db/_design/t/_view/by_n?limit=3").get_json()["rows"]]
    assert ids == ["d00", "d03", "d04"]
    assert views.get("db/_design/t/_view/by_n?limit=0").get_json()["total_rows"] == 10   # of 12


def test_update_false_answers_from_the_index_as_it_is(views):
    views.get("db/_design/t/_view/by_n")
    views.put("db/d60", json={"n": 60})
    stale = views.get("db/_design/t/_view/by_n?key=60&update=false").get_json()
    assert stale["rows"] == []
    lazy = views.get("db/_design/t/_view/by_n?key=60&update=lazy").get_json()
    assert lazy["rows"] == []
    deadline = time.monotonic() + 30      # the lazy update runs after the answer
    while time.monotonic() < deadline:
        rows = views.get("db/_design/t/_view/by_n?key=60&update=false").get_json()["rows"]
        if rows:
            break
        time.sleep(0.1)
    assert [row["id"] for row in rows] == ["d60"]


def test_update_seq_and_info_say_where_the_index_is(views):
    body = views.get("db/_design/t/_view/by_n?update_seq=true&limit=0").get_json()
    assert body["update_seq"] == views.get("db").get_json()["update_seq"]
    info = views.get("db/_design/t/_info").get_json()
    assert info["name"] == "t" and info["view_index"]["update_seq"] == body["update_seq"]
    assert info["view_index"]["language"] == "javascript"
    assert info["view_index"]["sizes"]["file"] > 0


def test_the_index_is_kept_on_disk_and_rebuilt_when_the_views_change(views, app):
    views.get("db/_design/t/_view/by_n")
    folder = Path(app.config["DATA_DIR"]) / "dbs" / "db.sqlite.views"
    first = {p.name for p in folder.glob("*.sqlite")}
    assert len(first) == 1
    ddoc = views.get("db/_design/t").get_json()
    views.put("db/_design/t", json=dict(ddoc, note="same views"))
    views.get("db/_design/t/_view/by_n")
    assert {p.name for p in folder.glob("*.sqlite")} == first          # same signature
    ddoc = views.get("db/_design/t").get_json()
    ddoc["views"]["by_n"]["map"] = "function (doc) { emit(doc.n, -1); }"
    views.put("db/_design/t", json=ddoc)
    rows = views.get("db/_design/t/_view/by_n?key=2").get_json()["rows"]
    assert rows == [{"id": "d02", "key": 2, "value": -1}]
    assert len(set(p.name for p in folder.glob("*.sqlite")) - first) == 1


def test_a_mango_index_definition_is_kept_but_not_run_as_javascript(couch):
    mango = {"language": "query", "views": {"by_a": {
        "map": {"fields": {"a": "asc"}, "partial_filter_selector": {}}, "reduce": "_count",
        "options": {"def": {"fields": ["a"]}}}}}
    assert couch.put("db/_design/m", json=mango).status_code == 201
    resp = couch.get("db/_design/m/_view/by_a")
    assert resp.status_code == 400 and "JavaScript" in resp.get_json()["reason"]
    assert couch.get("db/_design/m/_info").get_json()["view_index"]["language"] == "query"
    assert couch.put("db/after", json={"a": 1}).status_code == 201


def test_a_design_document_that_does_not_compile_is_refused(couch):
    resp = couch.put("db/_design/x", json={"views": {"v": {"map": "function (doc) { emit( }"}}})
    assert resp.status_code == 400 and resp.get_json()["error"] == "compilation_error"
    assert "views.v.map" in resp.get_json()["reason"]
    resp = couch.put("db/_design/x", json={"views": {"v": {"map": "function(d){}",
                                                           "reduce": "_median"}}})
    assert resp.status_code == 400 and "_median" in resp.get_json()["reason"]


def test_a_runaway_map_fails_within_the_limit_and_the_server_keeps_answering(tmp_path):
    app = make_app(tmp_path, JS_TIMEOUT=0.5)
    couch = Couch(app)
    couch.put("db")
    couch.post("db/_bulk_docs", json={"docs": DOCS})
    couch.put("db/_design/loop", json={"views": {"v": {"map": "function (doc) { while (true) {} }"}}})
    couch.put("db/_design/t", json=DDOC)
    started = time.monotonic()
    resp = couch.get("db/_design/loop/_view/v")
    assert time.monotonic() - started < 15             # 0.5 s of CPU on a shared machine
    assert resp.status_code == 400 and resp.get_json()["error"] == "os_process_error"
    assert "timed out" in resp.get_json()["reason"]
    assert couch.get("db/_design/t/_view/by_n?key=1").get_json()["rows"][0]["id"] == "d01"
    assert couch.get("").status_code == 200


# -- who may write and see design documents -------------------------------------

@pytest.fixture
def field(tmp_path):
    app = make_field_app(tmp_path)
    admin = Couch(app)
    admin.put("field/_design/app", json={
        "views": {"households": {"map": "function (doc) { if (doc.type === 'household') "
                                         "emit(doc._id); }", "reduce": "_count"}},
        "filters": {"all": "function () { return true; }"}})
    return app


def test_a_worker_can_neither_write_nor_see_a_design_document(field):
    worker = Couch(field, auth=("w1", PASSWORD))
    resp = worker.put("field/_design/mine", json={"views": {}})
    assert resp.status_code == 403
    assert resp.get_json()["reason"] == "只有管理员可以写入设计文档 / only admins may write " \
                                        "design documents"
    rows = worker.post("field/_bulk_docs", json={"docs": [{"_id": "_design/x"}]}).get_json()
    assert rows[0]["error"] == "forbidden"
    assert worker.get("field/_design/app").status_code == 404
    assert worker.get("field/_design/app/_view/households").status_code == 404
    assert worker.get("field/_design/app/_info").status_code == 404
    assert worker.get("field/_changes?filter=app/all").status_code == 404
    assert worker.get("field/_changes?filter=_design").status_code == 403
    assert worker.get("field/_changes?filter=_view&view=app/households").status_code == 404
    ids = [r["id"] for r in worker.get("field/_all_docs").get_json()["rows"]]
    ids += [r["id"] for r in worker.get("field/_changes").get_json()["results"]]
    assert ids and not [i for i in ids if i.startswith("_design/")]
    admin = Couch(field, auth=ADMIN)
    assert admin.get("field/_design/app/_view/households").get_json()["rows"][0]["value"] == 3


def test_a_refused_write_in_the_field_database_is_kept_in_quarantine(field):
    admin = Couch(field)
    admin.put("field/_design/v", json={"validate_doc_update": """function (n, o, u) {
        if (n.type === 'household' && u.roles.indexOf('worker') >= 0)
            throw({forbidden: '今天只读 / ' + u.name + ' may not edit households today'}); }"""})
    worker = Couch(field, auth=("w1", PASSWORD))
    doc = worker.get("field/household:g1:h1").get_json()
    resp = worker.put("field/household:g1:h1", json=doc)       # passes gridvisit's own rules
    assert resp.status_code == 403
    assert resp.get_json()["reason"] == "今天只读 / w1 may not edit households today"
    kept = admin.get("/api/quarantine").get_json()
    assert kept["total"] == 1 and kept["rows"][0]["doc"]["_id"] == "household:g1:h1"
    assert Couch(field, auth=("s1", PASSWORD)).put(
        "field/household:g1:h1", json=doc).status_code == 201     # a supervisor may


# -- _show and _update -----------------------------------------------------------

HANDLERS = {
    "shows": {
        "card": "function (doc, req) { return doc ? '<h1>' + doc.name + '</h1>' : 'none'; }",
        "json": "function (doc, req) { return {json: {id: req.id, q: req.query.q, "
                "who: req.userCtx.name}, headers: {'X-Seen': 'yes'}}; }",
        "gone": "function (doc) { return {code: 404, body: 'no ' + (doc === null)}; }",
        "throws": "function () { throw({forbidden: 'nope'}); }",
        "bad": "function () { return {code: 'x'}; }"},
    "updates": {
        "bump": "function (doc, req) { if (!doc) return [null, {code: 404, body: 'missing'}];"
                " doc.n = (doc.n || 0) + Number(req.query.by || 1); return [doc, 'bumped']; }",
        "make": "function (doc, req) { var body = JSON.parse(req.body);"
                " return [{_id: req.uuid || body.id, n: body.n}, {json: {made: body.id}}]; }",
        "negative": "function (doc) { doc.n = -1; return [doc, 'ok']; }"},
    "validate_doc_update": "function (n) { if (n.n < 0) throw({forbidden: 'n < 0'}); }",
}


@pytest.mark.parametrize("path, status, body, header", [
    ("card/p1", 200, b"<h1>\xe7\x8e\x8b</h1>", ("Content-Type", "text/html; charset=utf-8")),
    ("card", 200, b"none", None),
    ("json/p1?q=2", 200, b'{"id": "p1", "q": "2", "who": "admin"}', ("X-Seen", "yes")),
    ("gone/nothing-here", 404, b"no true", None),
    ("nope/p1", 404, None, None),
    ("throws/p1", 400, None, None),
    ("bad/p1", 400, None, None),
])
def test_show_functions_answer_what_they_return(couch, path, status, body, header):
    couch.put("db/_design/h", json=HANDLERS)
    couch.put("db/p1", json={"name": "王"})
    resp = couch.get(f"db/_design/h/_show/{path}")
    assert resp.status_code == status
    if body is not None:
        assert resp.data == body
    if header:
        assert resp.headers[header[0]] == header[1]


def test_update_functions_write_through_the_users_rules(couch):
    couch.put("db/_design/h", json=HANDLERS)
    couch.put("db/p1", json={"n": 1})
    resp = couch.call("PUT", "db/_design/h/_update/bump/p1?by=5")
    assert resp.status_code == 201 and resp.data == b"bumped"
    assert resp.headers["X-Couch-Id"] == "p1"
    assert couch.get("db/p1").get_json()["n"] == 6
    assert couch.get("db/p1").get_json()["_rev"] == resp.headers["X-Couch-Update-NewRev"]
    assert couch.post("db/_design/h/_update/bump/absent").status_code == 404
    made = couch.post("db/_design/h/_update/make", data='{"id": "p2", "n": 3}')
    assert made.status_code == 201 and made.get_json() == {"made": "p2"}
    assert couch.get("db/p2").get_json()["n"] == 3
    refused = couch.post("db/_design/h/_update/negative/p1")
    assert refused.status_code == 403 and refused.get_json()["reason"] == "n < 0"
    assert couch.get("db/p1").get_json()["n"] == 6


def test_a_worker_cannot_reach_show_or_update_functions_they_cannot_see(field):
    Couch(field).put("field/_design/h", json=HANDLERS)
    worker = Couch(field, auth=("w1", PASSWORD))
    assert worker.get("field/_design/h/_show/card/household:g1:h1").status_code == 404
    assert worker.post("field/_design/h/_update/bump/household:g1:h1").status_code == 404


LISTS = {"lists": {
    "csv": "function (head, req) { start({headers: {'Content-Type': 'text/csv'}});"
           " send('total=' + head.total_rows + '\\n'); var row;"
           " while ((row = getRow())) { send(row.id + ',' + row.key + '\\n'); } return 'end'; }",
    "code": "function (head) { start({code: 202}); return 'rows=' + (getRow() ? 'yes' : 'no'); }",
    "throws": "function () { throw({forbidden: 'not today'}); }"}}


@pytest.mark.parametrize("path, status, body, ctype", [
    ("csv/by_n?limit=2", 200, "total=12\nd00,0\nd01,1\nend", "text/csv"),
    ("csv/t/by_n?startkey=10", 200, "total=12\nd10,10\nd11,11\nend", "text/csv"),
    ("code/by_n?key=99", 202, "rows=no", "text/html; charset=utf-8"),
    ("csv/nope", 404, None, None),
    ("throws/by_n", 400, None, None),
])
def test_list_functions_read_a_views_rows(views, path, status, body, ctype):
    views.put("db/_design/l", json=dict(LISTS, views=DDOC["views"]))
    resp = views.get(f"db/_design/l/_list/{path}")
    assert resp.status_code == status, resp.data
    if body is not None:
        assert resp.data.decode() == body and resp.headers["Content-Type"] == ctype


SHARED_DDOC = {
    "views": {"by_type": {"map": "function (doc) { if (doc.type) emit(doc.type, 1); }",
                          "reduce": "_count"},
              "linked": {"map": "function (doc) { if (doc.type === 'household') "
                                "emit(doc._id, {_id: 'household:g3:h3'}); }"}},
    "filters": {"households": "function (doc) { return doc.type === 'household'; }"}}


def test_a_shared_design_document_reaches_everyone_with_their_own_rows(field):
    admin = Couch(field)
    saved = admin.put("field/rules:warning", json=dict(shipped_rules(), version=2))
    assert saved.status_code == 201                      # the shared partition holds a document
    assert admin.put("field/_design/shared-forms", json=SHARED_DDOC).status_code == 201
    worker = Couch(field, auth=("w1", PASSWORD))
    assert worker.get("field/_design/shared-forms").status_code == 200
    assert "_design/shared-forms" in [r["id"] for r in worker.get("field/_all_docs").get_json()[
        "rows"]]
    assert "_design/shared-forms" in [r["id"] for r in worker.get("field/_changes").get_json()[
        "results"]]
    assert "_design/app" not in [r["id"] for r in worker.get("field/_all_docs").get_json()["rows"]]
    mine = worker.get("field/_design/shared-forms/_view/by_type?reduce=false").get_json()
    assert {ids.grid_of(row["id"]) for row in mine["rows"]} == {"g1", ids.SHARED}
    assert mine["total_rows"] == len(mine["rows"])
    everyone = admin.get("field/_design/shared-forms/_view/by_type?group=true").get_json()
    counted = worker.get("field/_design/shared-forms/_view/by_type?group=true").get_json()
    assert dict((r["key"], r["value"]) for r in counted["rows"])["household"] == 1
    assert dict((r["key"], r["value"]) for r in everyone["rows"])["household"] == 3
    linked = worker.get("field/_design/shared-forms/_view/linked?include_docs=true").get_json()
    assert [row["doc"] for row in linked["rows"]] == [None]             # g3 is not theirs
    feed = worker.get("field/_changes?filter=shared-forms/households").get_json()["results"]
    assert [row["id"] for row in feed] == ["household:g1:h1"]
    rev = worker.get("field/_design/shared-forms").get_json()["_rev"]
    changed = dict(SHARED_DDOC, _rev=rev, filters={})
    assert worker.put("field/_design/shared-forms", json=changed).status_code == 403
