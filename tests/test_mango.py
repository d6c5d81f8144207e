"""Mango through the per-user view, hostile requests, and the indexes on disk.

In process (Flask test client, real SQLite files in ``tmp_path``): a worker
finds only their grids and the shared rule set, with or without an index,
page after page; a supervisor their community; an admin everything;
documents refused into quarantine are never found and the quarantine is
left as it was. Bad requests answer 400 with CouchDB's error name and a
reason naming the field and the rule, never a 500. Indexes follow writes,
deletions and redefinitions, and keep their place on disk across a restart.
"""

import json

import pytest
from hypothesis import given, strategies as st

from rules import ids, warning_rules
from sync import collate, mango, mango_index
from sync.database import Database
from sync.errors import QueryError
from tests import fielddocs as fd
from tests.api import ADMIN, PASSWORD, Couch, make_field_app
from server.services import services


def _field_app(tmp_path):
    app = make_field_app(tmp_path)
    db = services(app).store.get("field")
    more = [fd.household(grid, f"x{n}", colour=colour)
            for n, (grid, colour) in enumerate([("g1", "red"), ("g1", "yellow"), ("g2", "red"),
                                                ("g3", "red"), ("g3", "green")] * 3)]
    shared = dict(warning_rules.shipped_rules(), _id="rules:warning")   # a saved rule set
    assert all("ok" in row for row in db.bulk_docs(more + [shared]))
    return app


@pytest.fixture
def field(tmp_path):
    return _field_app(tmp_path)


@pytest.fixture(scope="module")
def read_only_field(tmp_path_factory):
    """One field app for the tests that only read (the hostile requests)."""
    return _field_app(tmp_path_factory.mktemp("field"))


def client(app, name):
    return Couch(app, auth=ADMIN if name == "admin" else (name, PASSWORD))


GRIDS = {"admin": {"g1", "g2", "g3", ids.SHARED}, "w1": {"g1", ids.SHARED},
         "w3": {"g3", ids.SHARED}, "s1": {"g1", "g2", ids.SHARED}}
EVERYTHING = {"selector": {"_id": {"$gt": None}}, "limit": 1000}
RED = {"selector": {"colour": "red"}, "limit": 1000, "execution_stats": True}


def found_grids(body):
    return {ids.grid_of(doc["_id"]) for doc in body["docs"]}


@pytest.mark.parametrize("who", sorted(GRIDS))
def test_a_user_finds_only_their_grids_and_the_shared_rules(field, who):
    body = client(field, who).post("field/_find", json=EVERYTHING).get_json()
    assert found_grids(body) == GRIDS[who]
    assert not any(doc["_id"].startswith("_design/") for doc in body["docs"])


@pytest.mark.parametrize("who", sorted(GRIDS))
def test_a_json_index_answers_only_the_users_grids_too(field, who):
    admin = client(field, "admin")
    made = admin.post("field/_index", json={"index": {"fields": ["colour"]}, "ddoc": "colour"})
    assert made.status_code == 200, made.get_json()
    body = client(field, who).post("field/_find", json=RED).get_json()
    assert "warning" not in body                     # the index served it
    assert found_grids(body) == GRIDS[who] - {ids.SHARED}
    assert all(doc["colour"] == "red" for doc in body["docs"])
    # the statistics count no document of another grid
    assert body["execution_stats"]["total_keys_examined"] == len(body["docs"])


def test_a_workers_bookmarks_page_through_their_grid_only(field):
    worker = client(field, "w1")
    seen, bookmark = [], "nil"
    while True:
        body = worker.post("field/_find", json={"selector": {"_id": {"$gt": None}},
                                                "limit": 2, "bookmark": bookmark}).get_json()
        if not body["docs"]:
            break
        seen += [doc["_id"] for doc in body["docs"]]
        bookmark = body["bookmark"]
    every = worker.post("field/_find", json=EVERYTHING).get_json()["docs"]
    assert seen == [doc["_id"] for doc in every] and len(seen) == len(set(seen)) > 2
    assert {ids.grid_of(i) for i in seen} == {"g1", ids.SHARED}


def test_quarantined_documents_are_never_found_and_the_quarantine_is_untouched(field):
    worker = client(field, "w1")
    stray = fd.household("g3", "stray", colour="red")
    row = worker.post("field/_bulk_docs", json={"docs": [stray]}).get_json()[0]
    assert row["error"] == "forbidden"
    quarantine = services(field).quarantine
    before = [entry["doc_id"] if isinstance(entry, dict) else entry
              for entry in quarantine.list()]
    for who in ("admin", "w1", "w3"):
        body = client(field, who).post("field/_find", json={
            "selector": {"_id": stray["_id"]}}).get_json()
        assert body["docs"] == []
    after = [entry["doc_id"] if isinstance(entry, dict) else entry for entry in quarantine.list()]
    assert before == after and len(after) == 1


@pytest.mark.parametrize("who", ["w1", "s1", "h1"])
def test_only_admins_create_or_delete_indexes(field, who):
    c = client(field, who)
    made = c.post("field/_index", json={"index": {"fields": ["colour"]}, "ddoc": "colour"})
    assert made.status_code == 403
    client(field, "admin").post("field/_index", json={"index": {"fields": ["colour"]},
                                                      "ddoc": "colour", "name": "c"})
    assert c.delete("field/_index/_design/colour/json/c").status_code == 403
    listed = c.get("field/_index").get_json()
    assert [ix["name"] for ix in listed["indexes"]] == ["_all_docs", "c"]
    assert c.post("field/_explain", json=RED).get_json()["index"]["name"] == "c"


HOSTILE = [
    # (body, error, words the reason must hold)
    ({}, "missing_required_key", ["selector"]),
    ({"selector": "colour"}, "invalid_selector_json", ["selector"]),
    ({"selectr": {}}, "invalid_key", ["selectr"]),
    ({"selector": {"colour": {"$foo": 1}}}, "invalid_operator", ["colour", "$foo"]),
    ({"selector": {"$where": "1"}}, "invalid_operator", ["$where"]),
    ({"selector": {"colour": {"$in": "red"}}}, "bad_arg", ["colour", "$in", "array"]),
    ({"selector": {"colour": {"$nin": {"a": 1}}}}, "bad_arg", ["colour", "$nin"]),
    ({"selector": {"$or": {"colour": "red"}}}, "bad_arg", ["$or", "array"]),
    ({"selector": {"phone": {"$regex": "(138"}}}, "bad_arg", ["phone", "$regex"]),
    ({"selector": {"phone": {"$regex": "^(\\d+)+$"}}}, "bad_arg", ["phone", "$regex", "(a+)+"]),
    ({"selector": {"phone": {"$regex": "a" * 2000}}}, "bad_arg", ["phone", "1000"]),
    ({"selector": {"phone": {"$regex": 138}}}, "bad_arg", ["phone", "string"]),
    ({"selector": {"members": {"$size": "1"}}}, "bad_arg", ["members", "$size", "integer"]),
    ({"selector": {"room": {"$mod": [0, 1]}}}, "bad_arg", ["room", "$mod", "divisor"]),
    ({"selector": {"room": {"$mod": [2]}}}, "bad_arg", ["room", "$mod"]),
    ({"selector": {"room": {"$type": "date"}}}, "bad_arg", ["room", "$type", "number"]),
    ({"selector": {"room": {"$exists": "yes"}}}, "bad_arg", ["room", "$exists", "true"]),
    ({"selector": {"members": {"$elemMatch": 3}}}, "bad_arg", ["members", "$elemMatch"]),
    ({"selector": {"colour": {"$not": "red"}}}, "bad_arg", ["colour", "$not", "object"]),
    ({"selector": {"$not": ["red"]}}, "bad_arg", ["$not", "object"]),
    ({"selector": {"": 1}}, "invalid_selector", ["field name"]),
    ({"selector": {"a..b": 1}}, "invalid_selector", ["a..b"]),
    ({"selector": {}, "limit": -1}, "invalid_non_neg_integer", ["limit"]),
    ({"selector": {}, "limit": "5"}, "invalid_non_neg_integer", ["limit"]),
    ({"selector": {}, "skip": 1.5}, "invalid_non_neg_integer", ["skip"]),
    ({"selector": {}, "r": 0}, "invalid_pos_integer", ["r"]),
    ({"selector": {}, "conflicts": "yes"}, "invalid_boolean", ["conflicts"]),
    ({"selector": {}, "sort": "colour"}, "invalid_sort_json", ["sort"]),
    ({"selector": {}, "sort": [{"colour": "up"}]}, "invalid_sort_field", ["sort"]),
    ({"selector": {}, "sort": [{"a": "asc"}, {"b": "desc"}]}, "unsupported_mixed_sort",
     ["single direction"]),
    ({"selector": {}, "fields": "colour"}, "invalid_fields", ["fields"]),
    ({"selector": {}, "bookmark": "not a bookmark!"}, "invalid_bookmark", ["bookmark"]),
    ({"selector": {}, "use_index": 5}, "invalid_value", ["use_index"]),
    ({"selector": {"colour": 1}, "sort": ["colour"]}, "no_usable_index", ["sort"]),
    ({"selector": {}, "use_index": "nope", "allow_fallback": False}, "no_usable_index",
     ["use_index"]),
    ({"selector": {"colour": json.loads('{"$not": ' * 70 + '{"$eq": 1}' + "}" * 70)}},
     "invalid_selector", ["64", "colour"]),
]


@pytest.mark.parametrize("body, error, words", HOSTILE, ids=[h[1] + ":" + json.dumps(h[0])[:40]
                                                               for h in HOSTILE])
def test_a_bad_find_is_a_400_naming_the_field_and_the_rule(read_only_field, body, error, words):
    for who in ("admin", "w1"):
        resp = client(read_only_field, who).post("field/_find", json=body)
        answer = resp.get_json()
        assert (resp.status_code, answer["error"]) == (400, error), answer
        assert all(word in answer["reason"] for word in words), answer["reason"]
        assert resp.status_code != 500


def test_deeper_nesting_than_the_body_limit_is_a_400_too(field):
    body = '{"selector": ' + '{"$and": [' * 150 + "{}" + "]}" * 150 + "}"
    resp = client(field, "admin").post("field/_find", data=body,
                                       headers={"Content-Type": "application/json"})
    assert resp.status_code == 400


def test_a_huge_in_is_answered(field):
    many = [f"household:g1:x{n}" for n in range(100_000)]
    body = client(field, "w1").post("field/_find", json={
        "selector": {"_id": {"$in": many}}, "limit": 1000}).get_json()
    assert {doc["_id"] for doc in body["docs"]} == {
        f"household:g1:x{n}" for n in range(15) if n % 5 in (0, 1)}


INDEX_ERRORS = [
    ({}, 400, "missing_required_key"),
    ({"index": ["colour"]}, 400, "invalid_index"),
    ({"index": {"fields": []}}, 400, "invalid_index"),
    ({"index": {"fields": [1]}}, 400, "invalid_index"),
    ({"index": {"fields": ["a"]}, "type": "text"}, 501, "index_not_implemented"),
    ({"index": {"fields": ["a"]}, "type": "tree"}, 400, "invalid_index"),
    ({"index": {"fields": ["a"], "partial_filter_selector": {"a": {"$bad": 1}}}}, 400,
     "invalid_operator"),
    ({"index": {"fields": ["a"]}, "name": 7}, 400, "invalid_index_name"),
]


@pytest.mark.parametrize("body, status, error", INDEX_ERRORS)
def test_a_bad_index_request_is_refused_with_couchdbs_name(read_only_field, body, status, error):
    resp = client(read_only_field, "admin").post("field/_index", json=body)
    assert (resp.status_code, resp.get_json()["error"]) == (status, error)


def test_deleting_an_index_that_is_not_there_is_a_404(field):
    resp = client(field, "admin").delete("field/_index/nothing/json/none")
    assert resp.status_code == 404


@pytest.mark.parametrize("ddoc", ["colour", "_design/colour", "_design%2Fcolour"])
def test_an_index_is_deleted_by_its_ddoc_with_or_without_the_prefix(field, ddoc):
    admin = client(field, "admin")
    admin.post("field/_index", json={"index": {"fields": ["colour"]}, "ddoc": "colour",
                                     "name": "c"})
    resp = admin.delete(f"field/_index/{ddoc}/json/c")
    assert (resp.status_code, resp.get_json()) == (200, {"ok": True})
    assert [ix["name"] for ix in admin.get("field/_index").get_json()["indexes"]] == [
        "_all_docs"]


def test_a_design_document_in_another_language_is_left_to_views(field):
    admin = client(field, "admin")
    assert admin.put("field/_design/report", json={
        "views": {"v": {"map": "function (doc) { emit(doc.colour); }"}}}).status_code == 201
    assert [ix["name"] for ix in admin.get("field/_index").get_json()["indexes"]] == [
        "_all_docs"]
    refused = admin.post("field/_index", json={"index": {"fields": ["a"]}, "ddoc": "report"})
    assert refused.get_json()["error"] == "invalid_ddoc_lang"


# -- the indexes on disk ------------------------------------------------------

def _db(tmp_path):
    return Database("d", tmp_path / "d.sqlite")


def _create(db, fields, **extra):
    doc, _ = mango.design_with(None, mango.index_request({"index": {"fields": fields},
                                                          **extra}))
    return db.put(doc)


def _rows(db):
    with db.file.read() as conn:
        return sorted(conn.execute("SELECT doc_id FROM mango_rows").fetchall())


def test_an_index_follows_writes_edits_and_deletions(tmp_path):
    db = _db(tmp_path)
    db.bulk_docs([{"_id": f"d{n}", "n": n} for n in range(5)] + [{"_id": "no-n"}])
    _create(db, ["n"], ddoc="n", name="n")
    q = {"selector": {"n": {"$gte": 2}}, "sort": ["n"], "fields": ["_id"]}
    assert [d["_id"] for d in mango.find(db, q)["docs"]] == ["d2", "d3", "d4"]
    assert _rows(db) == [(f"d{n}",) for n in range(5)]            # no-n has no n
    rev = db.get("d0")["_rev"]
    db.put({"_id": "d0", "_rev": rev, "n": 9})
    db.delete("d3", db.get("d3")["_rev"])
    db.put({"_id": "d5", "n": 3})
    assert [d["_id"] for d in mango.find(db, q)["docs"]] == ["d2", "d5", "d4", "d0"]
    assert ("d3",) not in _rows(db)


def test_an_index_keeps_its_place_across_a_restart(tmp_path):
    db = _db(tmp_path)
    db.bulk_docs([{"_id": f"d{n}", "n": n} for n in range(50)])
    _create(db, ["n"], ddoc="n", name="n")
    mango.find(db, {"selector": {"n": {"$gt": 0}}})
    db.close()
    again = _db(tmp_path)
    with again.file.read() as conn:
        indexes = mango_index.definitions(conn)
    _, read = mango_index.refresh(again.file, indexes, again.update_seq(),
                                  {("_design/n", "n")})
    assert read == 0 and len(_rows(again)) == 50


def test_an_index_is_built_in_batches_that_let_writers_in(tmp_path, monkeypatch):
    monkeypatch.setattr(mango_index, "BATCH", 7)
    db = _db(tmp_path)
    db.bulk_docs([{"_id": f"d{n:02d}", "n": n % 10} for n in range(50)])
    db.bulk_docs([{"_id": "_design/other", "views": {}}, {"_id": "tail", "n": 3}])
    _create(db, ["n"], ddoc="n", name="n")
    got = mango.find(db, {"selector": {"n": 3}, "fields": ["_id"], "limit": 100})
    assert [d["_id"] for d in got["docs"]] == ["d03", "d13", "d23", "d33", "d43", "tail"]
    assert len(_rows(db)) == 51
    with db.file.read() as conn:
        assert conn.execute("SELECT seq FROM mango_indexes").fetchone()[0] == db.update_seq()


def test_a_partial_index_holds_only_its_documents_and_is_used_when_named(tmp_path):
    db = _db(tmp_path)
    db.bulk_docs([{"_id": f"d{n}", "n": n, "red": n % 2 == 0} for n in range(6)])
    _create(db, ["n"], ddoc="p", name="red", partial_filter_selector={"red": True})
    plain = mango.find(db, {"selector": {"n": {"$gt": 0}}})
    assert "No matching index" in plain["warning"]               # not chosen by itself
    named = mango.find(db, {"selector": {"n": {"$gt": 0}}, "use_index": "p/red"})
    assert [d["_id"] for d in named["docs"]] == ["d2", "d4"] and "warning" not in named
    assert _rows(db) == [("d0",), ("d2",), ("d4",)]


def test_a_redefined_index_is_rebuilt_and_a_deleted_one_dropped(tmp_path):
    db = _db(tmp_path)
    db.bulk_docs([{"_id": f"d{n}", "n": n, "m": -n} for n in range(4)])
    _create(db, ["n"], ddoc="x", name="i")
    mango.find(db, {"selector": {"n": {"$gt": 0}}, "sort": ["n"]})
    current = db.get("_design/x")
    redefined, _ = mango.design_with(current, mango.index_request(
        {"index": {"fields": ["m"]}, "ddoc": "x", "name": "i"}))
    db.put(redefined)
    got = mango.find(db, {"selector": {"m": {"$lt": 0}}, "sort": ["m"], "fields": ["_id"]})
    assert [d["_id"] for d in got["docs"]] == ["d3", "d2", "d1"]
    db.put(mango.design_without(db.get("_design/x"), "_design/x", "i"))
    mango.find(db, {"selector": {}})
    with db.file.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM mango_indexes").fetchone()[0] == 0
    assert _rows(db) == []


def test_sorting_after_a_fixed_leading_field_uses_a_compound_index(tmp_path):
    db = _db(tmp_path)
    db.bulk_docs([{"_id": f"d{n}", "grid": f"g{n % 2}", "n": n} for n in range(8)])
    _create(db, ["grid", "n"], ddoc="gn", name="gn")
    got = mango.find(db, {"selector": {"grid": "g1"}, "sort": [{"n": "desc"}],
                          "fields": ["n"], "execution_stats": True})
    assert [d["n"] for d in got["docs"]] == [7, 5, 3, 1]
    assert got["execution_stats"]["total_keys_examined"] == 4     # only g1's range was read
    with pytest.raises(QueryError) as err:
        mango.find(db, {"selector": {"n": {"$gt": 0}}, "sort": ["n"]})
    assert err.value.error == "no_usable_index"


def test_conflicts_true_lists_the_losing_leaves(tmp_path):
    db = _db(tmp_path)
    db.bulk_docs([{"_id": "c", "_rev": "1-aaaa", "v": 1}, {"_id": "c", "_rev": "1-bbbb", "v": 2}],
                 new_edits=False)
    doc = mango.find(db, {"selector": {"_id": "c"}, "conflicts": True})["docs"][0]
    assert doc["_rev"] == "1-bbbb" and doc["_conflicts"] == ["1-aaaa"]


JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6)
                    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=8)


@given(JSON, JSON)
def test_index_keys_sort_as_couchdb_collates(a, b):
    order = collate.compare(a, b)
    ea, eb = collate.encode(a), collate.encode(b)
    assert (ea > eb) - (ea < eb) == order


SELECTOR_KEYS = st.sampled_from(["colour", "members", "members.tags", "_id", "$and", "$or",
                                 "$nor", "$not", "$eq", "$gt", "$in", "$nin", "$size", "$mod",
                                 "$regex", "$type", "$exists", "$all", "$elemMatch",
                                 "$allMatch", "$keyMapMatch", "$beginsWith", "$bogus", ""])
SELECTORS = st.recursive(JSON, lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(SELECTOR_KEYS, inner, max_size=3), max_leaves=12)


@given(selector=SELECTORS, sort=st.sampled_from([None, ["colour"], [{"_id": "desc"}], "x"]))
def test_no_selector_is_a_500(read_only_field, selector, sort):
    body = {"selector": selector, "limit": 5}
    if sort is not None:
        body["sort"] = sort
    resp = client(read_only_field, "w1").post("field/_find", json=body)
    assert resp.status_code in (200, 400), resp.get_json()
    if resp.status_code == 400:
        assert resp.get_json()["error"] != "unknown_error"
    else:
        assert {ids.grid_of(doc["_id"]) for doc in resp.get_json()["docs"]} <= {"g1", ids.SHARED}


def test_a_found_document_is_the_document_a_get_returns(field):
    admin = client(field, "admin")
    for doc_id in ("household:g1:h1", "household:g1:x0"):       # with and without a photo
        found = admin.post("field/_find", json={"selector": {"_id": doc_id}}).get_json()
        assert found["docs"] == [admin.get(f"field/{doc_id}").get_json()]


def test_an_unusable_use_index_falls_back_with_a_warning_naming_it(tmp_path):
    db = _db(tmp_path)
    db.bulk_docs([{"_id": f"d{n}", "n": n} for n in range(3)])
    _create(db, ["n"], ddoc="n", name="n")
    got = mango.find(db, {"selector": {"_id": "d1"}, "use_index": ["n", "n"]})
    assert [d["_id"] for d in got["docs"]] == ["d1"]
    assert got["warning"].startswith("_design/n, n was not used because")
    assert "No matching index found" in got["warning"]
    made = mango.index_request({"index": {"fields": ["n"]}})
    assert made.ddoc == "_design/" + made.name and len(made.name) == 40   # named by its definition


def test_queries_at_once_build_an_index_once(tmp_path, monkeypatch):
    import threading
    monkeypatch.setattr(mango_index, "BATCH", 100)
    db = _db(tmp_path)
    db.bulk_docs([{"_id": f"d{n:04d}", "n": n % 50} for n in range(1000)])
    _create(db, ["n"], ddoc="n", name="n")
    answers, errors = [], []

    def query():
        try:
            answers.append(len(mango.find(db, {"selector": {"n": 7}, "limit": 100})["docs"]))
        except Exception as err:          # reported below, not lost in the thread
            errors.append(err)
    threads = [threading.Thread(target=query) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and answers == [20] * 4
    assert len(_rows(db)) == 1000


def test_a_purged_document_leaves_no_row_in_any_index(tmp_path):
    db = _db(tmp_path)
    db.bulk_docs([{"_id": f"d{n}", "head": f"张{n}"} for n in range(4)])
    _create(db, ["head"], ddoc="h", name="h")
    assert len(mango.find(db, {"selector": {"head": {"$gt": ""}}})["docs"]) == 4
    db.purge({"d1": [db.get("d1")["_rev"]]})
    got = mango.find(db, {"selector": {"head": {"$gt": ""}}, "execution_stats": True})
    assert [d["_id"] for d in got["docs"]] == ["d0", "d2", "d3"]
    assert ("d1",) not in _rows(db) and got["execution_stats"]["total_keys_examined"] == 3
    with db.file.read() as conn:                     # the erased name is in no index key
        assert conn.execute("SELECT COUNT(*) FROM mango_rows WHERE instr(key, ?) > 0",
                            ("张1".encode(),)).fetchone()[0] == 0


def test_an_index_whose_purge_log_was_trimmed_is_rebuilt(tmp_path):
    db = _db(tmp_path)
    db.bulk_docs([{"_id": f"d{n}", "n": n} for n in range(5)])
    _create(db, ["n"], ddoc="n", name="n")
    mango.find(db, {"selector": {"n": {"$gt": -1}}})
    db.set_purged_infos_limit(1)
    for doc_id in ("d0", "d1"):                       # the log keeps only the last one
        db.purge({doc_id: [db.get(doc_id)["_rev"]]})
    got = mango.find(db, {"selector": {"n": {"$gt": -1}}, "fields": ["_id"]})
    assert [d["_id"] for d in got["docs"]] == ["d2", "d3", "d4"]
    assert _rows(db) == [("d2",), ("d3",), ("d4",)]
