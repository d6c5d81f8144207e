"""The design-document engine on its own (sync/design): the QuickJS sandbox
and CouchDB's sandbox functions, the built-in reduces, and view-key
collation as bytes. Cases come from docs.couchdb.org ("Built-in Reduce
Functions", "Views Collation", "Query Server Protocol")."""

import json
import time

import pytest

from sync.collate import sort_key
from sync.design import keys
from sync.design.engine import CompileError, FunctionError, Sandbox
from sync.design.reduces import ReduceError, builtin, finish


def _reduce(name, values, keys_=None, rereduce=False):
    fn = builtin(name)
    keys_ = keys_ if keys_ is not None else [[None, f"d{i}"] for i in range(len(values))]
    return finish(name, fn(keys_, values, rereduce))


@pytest.mark.parametrize("name, values, rereduce, expected", [
    ("_sum", [1, 2, 3.5], False, 6.5),
    ("_sum", [], False, 0),
    ("_sum", [[1, 2], [3, 4, 5]], False, [4, 6, 5]),
    ("_sum", [{"a": 1, "b": [1, 2]}, {"a": 2, "c": {"d": 1}}], False,
     {"a": 3, "b": [1, 2], "c": {"d": 1}}),
    ("_sum", [6, 4], True, 10),
    ("_count", ["x", None, {"a": 1}], False, 3),
    ("_count", [3, 4], True, 7),
    ("_stats", [1, 2, 3], False, {"sum": 6, "count": 3, "min": 1, "max": 3, "sumsqr": 14}),
    ("_stats", [[1, 2], [3, 4]], False,
     [{"sum": 4, "count": 2, "min": 1, "max": 3, "sumsqr": 10},
      {"sum": 6, "count": 2, "min": 2, "max": 4, "sumsqr": 20}]),
    ("_stats", [{"sum": 6, "count": 3, "min": 1, "max": 3, "sumsqr": 14}, 10], False,
     {"sum": 16, "count": 4, "min": 1, "max": 10, "sumsqr": 114}),
])
def test_builtin_reduces_give_couchdbs_answers(name, values, rereduce, expected):
    assert _reduce(name, values, rereduce=rereduce) == expected


def test_approx_count_distinct_counts_distinct_keys():
    ks = [["a", "d1"], ["a", "d2"], [["b", 1], "d3"], [["b", 1], "d4"], [None, "d5"]]
    assert _reduce("_approx_count_distinct", [1] * 5, ks) == 3


@pytest.mark.parametrize("name, values, rule", [
    ("_sum", ["a"], "_sum"),
    ("_sum", [1, [1]], "_sum"),
    ("_sum", [{"a": 1}, 2], "_sum"),
    ("_sum", [True], "_sum"),
    ("_sum", [{"a": "x"}], "_sum"),
    ("_stats", ["a"], "_stats"),
    ("_stats", [{"sum": 1}], "_stats"),
])
def test_builtin_reduces_refuse_values_they_cannot_reduce(name, values, rule):
    with pytest.raises(ReduceError) as err:
        _reduce(name, values)
    assert err.value.error == "builtin_reduce_error" and rule in err.value.reason
    assert err.value.status == 400


def test_an_unknown_builtin_is_refused_by_name():
    with pytest.raises(Exception, match="_median"):
        builtin("_median")


# "Views Collation": the order CouchDB documents, each before the next.
COLLATION = [None, False, True, -1e300, -2, 1, 2, 3.0, 4, 1e300,
             "", "A", "B", "a", "aa", "b", "ba", "bb", "é", "中",
             [], [None], [1, {}], ["a"], ["b"], ["b", "c"], ["b", "c", "a"], ["b", "d"],
             {}, {"a": 1}, {"a": 2}, {"b": 1}, {"b": 2, "c": 2}]


def test_key_bytes_sort_in_couchdbs_collation():
    assert sorted(COLLATION, key=keys.encode) == COLLATION
    assert sorted(reversed(COLLATION), key=sort_key) == COLLATION   # the one collation agrees


@pytest.mark.parametrize("a, b", [(1, 1.0), (0, -0.0), ("a\x00b", "a\x00b")])
def test_equal_keys_have_equal_bytes(a, b):
    assert keys.encode(a) == keys.encode(b)


def test_a_string_with_nul_sorts_after_its_prefix():
    assert keys.encode("a") < keys.encode("a\x00") < keys.encode("a\x00\x00") < keys.encode("ab")


# -- the sandbox -------------------------------------------------------------

def test_sandbox_offers_couchdbs_functions():
    ddoc = {"views": {"lib": {"twice": "exports.twice = function (x) { return 2 * x; };"}}}
    box = Sandbox(ddoc)
    box.compile("m", """function (doc) {
        var lib = require('views/lib/twice');
        log('seen ' + doc._id);
        emit([doc._id, isArray(doc.xs)], {s: sum(doc.xs), t: toJSON({a: 1}), d: lib.twice(3)});
        emit(undefined);
    }""")
    out = box.map(["m"], json.dumps([{"_id": "x", "xs": [1, 2, 3]}]))
    assert out == [[[[["x", True], {"s": 6, "t": '{"a":1}', "d": 6}], [None, None]]]]
    assert "seen x" in box.logs


def test_a_map_that_throws_skips_that_document_only():
    box = Sandbox({})
    box.compile("m", "function (doc) { if (doc.bad) throw new Error('no'); emit(doc._id, 1); }")
    out = box.map(["m"], json.dumps([{"_id": "a"}, {"_id": "b", "bad": 1}, {"_id": "c"}]))
    assert out == [[[["a", 1]]], [[]], [[["c", 1]]]]
    assert any("failed on b" in line for line in box.logs)


def test_emit_outside_a_map_is_an_error_not_a_crash():
    box = Sandbox({})
    box.compile("f", "function () { emit(1, 2); return true; }")
    assert "only available in map" in box.call("f")["error"]["reason"]


def test_thrown_objects_come_back_as_thrown():
    box = Sandbox({})
    box.compile("v", "function (n) { throw({forbidden: 'no ' + n.x}); }")
    assert box.call("v", {"x": 1}) == {"error": {"forbidden": "no 1"}}


@pytest.mark.parametrize("source", ["function (doc) { emit( }", "42", "'not a function'"])
def test_a_function_that_does_not_compile_is_refused(source):
    with pytest.raises(CompileError):
        Sandbox({}).compile("m", source)


def test_require_of_a_missing_module_names_it():
    box = Sandbox({"lib": {}})
    box.compile("f", "function () { return require('lib/nope'); }")
    assert "lib/nope" in box.call("f")["error"]["reason"]


@pytest.mark.parametrize("runaway", [
    "function () { while (true) {} }",
    "function () { var a = []; while (true) a.push(new Array(100000).fill(1)); }",
])
def test_a_runaway_function_is_stopped_and_the_sandbox_works_again(runaway):
    box = Sandbox({}, time_limit=0.5, memory_limit=32 * 1024 * 1024)
    box.compile("bad", runaway)
    box.compile("ok", "function (a) { return a + 1; }")
    started = time.monotonic()
    try:                        # out of memory may be caught inside the function's frame
        reason = box.call("bad")["error"]["reason"]
    except FunctionError as err:
        assert err.error == "os_process_error"
        reason = err.reason
    assert time.monotonic() - started < 10        # half a second of CPU, on a busy machine
    assert "timed out" in reason or "out of memory" in reason
    assert box.call("ok", 1) == {"ok": 2}         # a fresh context, functions compiled again


# -- the index -----------------------------------------------------------------

def test_two_processes_indexing_at_once_never_write_a_stale_page(tmp_path):
    """Each gunicorn worker has its own ViewIndex over the one file: a page
    mapped from a seq the index has since left is dropped, not written."""
    from sync.design.index import ViewIndex
    from sync.store import Store
    db = Store(tmp_path).create("db")
    ddoc = {"_id": "_design/t", "views": {"v": {"map": "function (d) { emit(d.n); }"}}}
    db.bulk_docs([{"_id": f"d{i}", "n": i} for i in range(5)])
    first, second = ViewIndex(db, ddoc, Sandbox(ddoc)), ViewIndex(db, ddoc, Sandbox(ddoc))
    assert first.path == second.path
    old = db.changes(since=0, include_docs=True)
    seq = first.update()
    db.put({"_id": "d0", "_rev": db.get("d0")["_rev"], "n": 100})
    with second.read() as conn:        # mapped from seq 0, which the index has left
        assert second._apply(conn, "0", old["results"], old["last_seq"]) is False
    assert second.seq() == seq
    assert second.update() != seq
    with second.read() as conn:
        keys = [json.loads(k) for (k,) in conn.execute("SELECT key FROM rows ORDER BY kenc")]
    assert keys == [1, 2, 3, 4, 100]


def test_a_per_user_query_lists_and_reduces_only_the_users_partitions(tmp_path):
    """What the per-user view asks (``parts``): rows, total_rows, include_docs
    and reductions of the user's grids only, linked documents too."""
    from sync.design.query import ViewQuery
    from sync.design.registry import design_docs
    from sync.store import Store
    db = Store(tmp_path, partition=lambda doc_id: doc_id.split(":")[1]
               if doc_id.count(":") == 2 else None).create("db")
    db.bulk_docs([{"_id": f"household:{g}:h{i}", "n": i, "link": f"household:g2:h{i}"}
                  for g in ("g1", "g2") for i in range(3)])
    db.put({"_id": "_design/t", "views": {
        "n": {"map": "function (d) { emit(d.n, {_id: d.link}); }", "reduce": "_count"}}})
    registry = design_docs(db)
    mine = registry.query("t", "n", ViewQuery(reduce=False, include_docs=True), {"g1"})
    assert [row["id"] for row in mine["rows"]] == [f"household:g1:h{i}" for i in range(3)]
    assert mine["total_rows"] == 3
    assert all(row["doc"] is None for row in mine["rows"])       # linked into g2: hidden
    assert registry.query("t", "n", ViewQuery(), {"g1"})["rows"] == [{"key": None, "value": 3}]
    assert registry.query("t", "n", ViewQuery(), None)["rows"] == [{"key": None, "value": 6}]
    assert registry.query("t", "n", ViewQuery(reduce=False), {"g3"})["total_rows"] == 0
