"""The replicator (``sync.replicator``) driven directly, store ↔ store: real
SQLite files, and the CouchDB store over pouchdb-server (and over Apache
CouchDB where ``GRIDVISIT_TEST_COUCHDB`` names one), the same cases on each
(``tests/stores.py``); plus a remote peer where the protocol needs one.

Trees are compared document by document with ``open_revs(id, "all",
revs=True)`` on both sides (same leaves, ``_revisions``, bodies and
attachment stubs).
"""

import subprocess
import threading
import time

import pytest

from sync import Store
from rules import ids, fieldmerge as merge
from sync.checkpoint import HISTORY, Checkpointer, replication_id
from sync.errors import BadRequest, NotFound
from sync.remote import RemoteDatabase
from sync.replicator import Replication, replicate
from tests import fielddocs
from tests.peers import ROOT, wait_http, free_port
from tests.stores import make_store  # noqa: F401  (fixture)
from tests.replication_support import (canonical, field_corpus, http_tree, load_http,
                                       local_leaves, with_history)

CHECKPOINT_KEYS = {"session_id", "source_last_seq", "replication_id_version", "history"}
HISTORY_KEYS = {"session_id", "start_time", "end_time", "start_last_seq", "end_last_seq",
                "recorded_seq", "missing_checked", "missing_found", "docs_read",
                "docs_written", "doc_write_failures"}


@pytest.fixture
def stores(make_store):
    """Two stores, as on two machines (no merge-on-write): SQLite data
    directories, or two CouchDB stores (pouchdb-server, and Apache CouchDB
    where ``GRIDVISIT_TEST_COUCHDB`` names one)."""
    return [make_store(0), make_store(1)]


@pytest.fixture(scope="module")
def corpus():
    return field_corpus(800, seed=3, grids=4)


@pytest.fixture
def source(stores, corpus):
    db = stores[0].create("field")
    assert db.bulk_docs(corpus, new_edits=False) == []
    return db


@pytest.fixture
def target(stores):
    return stores[1].create("field")


def tree(db, doc_id):
    return canonical(db.open_revs(doc_id, "all", revs=True))


def assert_same(source, target, only=None):
    """``target`` holds exactly the documents of ``source`` accepted by ``only``,
    with the same trees."""
    wanted = {i: revs for i, revs in local_leaves(source).items() if only is None or only(i)}
    assert local_leaves(target) == wanted
    differ = [i for i in wanted if tree(source, i) != tree(target, i)]
    assert not differ, f"{len(differ)} trees differ, e.g. {differ[:3]}"
    return wanted


def leaf_count(leaves):
    return sum(len(revs) for revs in leaves.values())


def rep_doc(source, target, filters=()):
    rep_id = replication_id(source.endpoint_id(), target.endpoint_id(),
                            {"filter": sorted(filters)})
    return source.get_local(f"_local/{rep_id}"), target.get_local(f"_local/{rep_id}")


# -------------------------------------------------------------- one-shot --

def test_copies_every_document_with_its_whole_tree(source, target):
    stats = replicate(source, target, batch_size=100)
    copied = assert_same(source, target)
    revs = leaf_count(copied)
    assert revs > len(copied)                      # conflicts and merges: several leaves
    assert stats["docs_written"] == stats["docs_read"] == stats["missing_found"] == revs
    assert stats["missing_checked"] == revs and stats["doc_write_failures"] == 0
    assert stats["last_seq"] == source.changes()["last_seq"]
    shapes = [tree(source, i) for i in copied]
    assert any(any("_attachments" in leaf for leaf in t.values()) for t in shapes)
    assert any(sum(not leaf["_deleted"] for leaf in t.values()) > 1 for t in shapes)
    assert any(all(leaf["_deleted"] for leaf in t.values()) for t in shapes)


def test_a_second_run_writes_nothing(source, target):
    replicate(source, target)
    seq, point = target.update_seq(), rep_doc(source, target)
    again = replicate(source, target)
    assert (again["docs_written"], again["docs_read"], again["missing_checked"]) == (0, 0, 0)
    assert target.update_seq() == seq
    assert rep_doc(source, target)[0]["session_id"] == point[0]["session_id"]


def test_only_new_changes_are_checked_on_the_next_run(source, target):
    replicate(source, target)
    rev = source.put(fielddocs.household("g01", "late"))["rev"]
    source.put(dict(source.get("grid:g00"), name="改名"))
    stats = replicate(source, target)
    assert (stats["missing_checked"], stats["docs_written"]) == (2, 2)
    assert target.get("household:g01:late")["_rev"] == rev
    assert_same(source, target)


def test_writes_during_a_run_are_copied_now_or_next_time(source, target):
    def writer():                       # a bounded stream of edits and new visits
        for n in range(60):
            source.bulk_docs([fielddocs.visit("g02", f"w{n}-{k}") for k in range(10)])
            grid = source.get("grid:g01")
            source.put(dict(grid, name=f"第{n}版"))
            time.sleep(0.005)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        replicate(source, target, batch_size=50)
    finally:
        thread.join()
    replicate(source, target)
    assert_same(source, target)
    assert target.get("grid:g01")["name"] == "第59版"


# --------------------------------------------------------------- filters --

@pytest.mark.parametrize("specs, accept", [
    (["type=grid"], lambda i: i.startswith("grid:")),
    (["type=household,request"], lambda i: i.split(":")[0] in ("household", "request")),
    (["grid=g01"], lambda i: ids.grid_of(i) == "g01"),
    (["grid=g01,g03", "type=visit"],
     lambda i: i.startswith("visit:") and ids.grid_of(i) in ("g01", "g03")),
])
def test_filters_copy_only_what_they_name(source, target, specs, accept):
    stats = replicate(source, target, doc_filter=ids.IdFilter.parse(specs))
    copied = assert_same(source, target, accept)
    assert copied and stats["docs_written"] == leaf_count(copied)
    assert stats["missing_checked"] == leaf_count(copied)
    assert stats["last_seq"] == source.changes()["last_seq"]
    assert replicate(source, target, doc_filter=ids.IdFilter.parse(specs))["docs_written"] == 0


def test_a_grid_filter_takes_reviews_by_their_visits_grid(source, target):
    replicate(source, target, doc_filter=ids.IdFilter.parse(["grid=g02"]))
    reviews = [i for i in local_leaves(target) if i.startswith("review:")]
    assert reviews and all(i.startswith("review:visit:g02:") for i in reviews)


def test_each_filter_keeps_its_own_checkpoint(source, target):
    replicate(source, target, doc_filter=ids.IdFilter.parse(["type=grid"]))
    grids = leaf_count(local_leaves(target))
    stats = replicate(source, target)                   # unfiltered: its own, from 0
    assert stats["missing_checked"] == leaf_count(local_leaves(source))
    assert stats["docs_written"] == stats["missing_checked"] - grids
    assert_same(source, target)
    filtered, plain = rep_doc(source, target, ["type=grid"]), rep_doc(source, target)
    assert filtered[0]["_id"] != plain[0]["_id"]


@pytest.mark.parametrize("spec", ["colour=red", "type=", "grid", "kind=visit"])
def test_unknown_filters_are_refused(spec):
    with pytest.raises(BadRequest):
        ids.IdFilter.parse([spec])


def test_a_filter_ignores_ids_that_are_not_field_documents(stores):
    source, target = stores[0].create("misc"), stores[1].create("misc")
    source.bulk_docs([{"_id": "grid:ok"}, {"_id": "grid:bad:extra"}, {"_id": "_design/x"},
                      {"_id": "household:g1"}])
    replicate(source, target, doc_filter=ids.IdFilter.parse(["type=grid"]))
    assert set(local_leaves(target)) == {"grid:ok"}


# ----------------------------------------------------------- checkpoints --

def test_checkpoints_have_couchdbs_shape_on_both_sides(source, target):
    stats = replicate(source, target, batch_size=200)
    docs = rep_doc(source, target)
    for doc in docs:
        assert CHECKPOINT_KEYS <= set(doc)
        assert doc["_id"].startswith("_local/") and doc["_rev"].startswith("0-")
        assert doc["replication_id_version"] == 3
        assert doc["source_last_seq"] == stats["last_seq"]
        entry = doc["history"][0]
        assert HISTORY_KEYS <= set(entry)
        assert entry["session_id"] == doc["session_id"]
        assert entry["recorded_seq"] == entry["end_last_seq"] == stats["last_seq"]
        assert entry["start_last_seq"] == 0
        assert entry["docs_written"] == stats["docs_written"]
        for stamp in (entry["start_time"], entry["end_time"]):
            time.strptime(stamp, "%a, %d %b %Y %H:%M:%S GMT")
    assert docs[0]["session_id"] == docs[1]["session_id"]
    assert docs[0]["history"] == docs[1]["history"]


def test_checkpoint_history_keeps_the_newest_fifty_sessions(source, target):
    sessions = []
    for n in range(HISTORY + 5):
        source.put({"_id": f"grid:extra{n}", "type": "grid", "grid": f"extra{n}"})
        replicate(source, target)
        sessions.append(rep_doc(source, target)[0]["session_id"])
    for doc in rep_doc(source, target):
        history = doc["history"]
        assert len(history) == HISTORY
        assert [h["session_id"] for h in history] == sessions[::-1][:HISTORY]
        recorded = [h["recorded_seq"] for h in history]
        assert len(set(recorded)) == HISTORY              # each session a later position
        positions = [source.decode_since(seq) for seq in recorded]
        if all(isinstance(p, int) for p in positions):    # (CouchDB's seqs are opaque)
            assert positions == sorted(positions, reverse=True)


def test_a_lost_target_checkpoint_restarts_from_zero_but_writes_nothing(source, target):
    replicate(source, target)
    _, doc = rep_doc(source, target)
    target.delete_local(doc["_id"], doc["_rev"])
    stats = replicate(source, target)
    assert stats["missing_checked"] == leaf_count(local_leaves(source))
    assert stats["docs_written"] == 0


def test_a_checkpoint_whose_answer_was_lost_is_written_over_not_failed(source, target):
    """A peer that went down after storing a checkpoint but before answering
    makes the next write's rev stale (409): the run keeps going."""
    checkpoints = Checkpointer(source, target, "lost-answer")
    checkpoints.start()
    checkpoints.record("1", {"docs_written": 1})
    landed = target.get_local(checkpoints.doc_id)
    target.put_local(checkpoints.doc_id, dict(landed, source_last_seq="2"))  # unseen
    checkpoints.record("3", {"docs_written": 3})
    for db in (source, target):
        doc = db.get_local(checkpoints.doc_id)
        assert doc["source_last_seq"] == "3"
        assert [h["recorded_seq"] for h in doc["history"]] == ["3"]
    assert source.get_local(checkpoints.doc_id)["session_id"] == \
        target.get_local(checkpoints.doc_id)["session_id"]


def test_resumes_from_the_newest_session_both_histories_share(source, target):
    replicate(source, target, batch_size=100)
    _, older = rep_doc(source, target)                  # target's doc after session 1
    source.put(fielddocs.household("g01", "second"))
    replicate(source, target)                           # session 2 on both sides
    source.put(fielddocs.household("g01", "third"))
    target.put_local(older["_id"], dict(older, _rev=rep_doc(source, target)[1]["_rev"]))
    # the source says session 2, the target session 1: they share session 1
    stats = replicate(source, target)
    assert stats["missing_checked"] == 2                # "second" and "third", no more
    assert stats["docs_written"] == 1


def test_independent_resolutions_of_one_conflict_replicate_cleanly(tmp_path):
    """Two community servers merge the same conflict on write, each on its own;
    replicating one to the other adds nothing and no new conflict (DESIGN,
    Conflicts 4)."""
    made = [Store(tmp_path / n, partition=ids.grid_of, resolver=merge.resolve_field_doc)
            for n in ("a", "b")]
    try:
        one, two = (store.create("field") for store in made)
        base = fielddocs.household("g01", "101", colour="green")
        leaves = [with_history(dict(base, phone="139 1111 1111"), ["a", "b"]),
                  with_history(dict(base, colour="yellow", colour_reason="独居"), ["a", "c"])]
        for db in (one, two):
            db.bulk_docs(leaves, new_edits=False)
            found = [row["ok"] for row in db.open_revs(base["_id"], "all")]
            assert sorted(bool(leaf.get("_deleted")) for leaf in found) == [False, True]
        stats = replicate(one, two)
        assert stats["docs_written"] == 0
        assert tree(one, base["_id"]) == tree(two, base["_id"])
        assert "_conflicts" not in two.get(base["_id"], conflicts=True)
    finally:
        for store in made:
            store.close()


# ------------------------------------------------------------ continuous --

def run_in_thread(replication):
    result = {}
    thread = threading.Thread(target=lambda: result.update(replication.run()), daemon=True)
    thread.start()
    return thread, result


def wait_for(check, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


def has(db, doc_id):
    try:
        db.get(doc_id)
        return True
    except NotFound:
        return False


def test_continuous_replication_follows_new_writes_until_stopped(source, target):
    replication = Replication(source, target, continuous=True, poll_timeout=1)
    thread, result = run_in_thread(replication)
    try:
        assert wait_for(lambda: target.info()["doc_count"] == source.info()["doc_count"], 30)
        for n in range(3):
            doc = fielddocs.visit("g03", f"live{n}")
            started = time.monotonic()
            source.put(doc)
            assert wait_for(lambda: has(target, doc["_id"]), 5), "not replicated within 5 s"
            assert time.monotonic() - started < 5
    finally:
        replication.stop()
        thread.join(10)
    assert not thread.is_alive()
    assert result["docs_written"] == leaf_count(local_leaves(source))
    assert_same(source, target)


def test_continuous_replication_from_a_remote_source(pouchdb_server, dbname, target):
    """A remote source is waited on with a longpoll ``_changes``."""
    assert pouchdb_server.request("PUT", dbname)[0] == 201
    load_http(pouchdb_server, dbname, field_corpus(120, seed=9, grids=2))
    remote = RemoteDatabase(pouchdb_server.url(dbname))
    replication = Replication(remote, target, continuous=True, poll_timeout=2)
    thread, _result = run_in_thread(replication)
    try:
        assert wait_for(lambda: target.info()["doc_count"] == 120, 30)
        doc = fielddocs.grid_doc("g77")
        pouchdb_server.request("PUT", f"{dbname}/{doc['_id']}", doc)
        assert wait_for(lambda: has(target, "grid:g77"), 5)
    finally:
        replication.stop()
        # pouchdb-server ignores a longpoll's ``timeout`` (it sends a newline
        # every 6 s instead), so the waiting read ends only with a change.
        doc = fielddocs.grid_doc("g78")
        pouchdb_server.request("PUT", f"{dbname}/{doc['_id']}", doc)
        thread.join(15)
        remote.close()
    assert not thread.is_alive()


def test_stop_during_a_long_catch_up_finishes_after_the_current_batch(source, target):
    """``stop()``: "finish after its current batch" -- also while the
    continuous replication is still catching up on a backlog."""
    source.bulk_docs([fielddocs.visit("g01", f"backlog{n}") for n in range(3000)])
    replication = None

    def progress(stats):
        if stats["docs_written"] >= 100:
            replication.stop()

    replication = Replication(source, target, continuous=True, batch_size=50,
                              poll_timeout=1, progress=progress)
    stats = replication.run()
    assert stats["docs_written"] <= 100 + 2 * 50, (
        f"stop() was asked for after 100 documents, but the replication went on to "
        f"write {stats['docs_written']}")


def test_stop_of_an_idle_continuous_replication_is_prompt(source, target):
    """With the default poll timeout (30 s), ``stop()`` of a caught-up
    continuous replication should not wait for the poll to run out."""
    replication = Replication(source, target, continuous=True)
    thread, _result = run_in_thread(replication)
    try:
        assert wait_for(lambda: target.info()["doc_count"] == source.info()["doc_count"], 30)
        time.sleep(0.5)                                    # now waiting for changes
        stopped = time.monotonic()
        replication.stop()
        thread.join(5)
        assert not thread.is_alive(), "stop() did not end the idle replication within 5 s"
    finally:
        replication.stop()
        thread.join(60)
    assert time.monotonic() - stopped < 5


# --------------------------------------------- a server without _bulk_get --

NO_BULK_GET = """
const PouchDB = require('pouchdb').plugin(require('pouchdb-adapter-memory'));
const express = require('express');
const app = express();
app.use('/', require('express-pouchdb')(PouchDB.defaults({adapter: 'memory'}), {
  mode: 'minimumForPouchDB', inMemoryConfig: true,
  overrideMode: {exclude: ['routes/bulk-get']}}));
app.listen(+process.argv[1], '127.0.0.1', () => console.log('listening'));
"""


@pytest.fixture
def no_bulk_get(tmp_path):
    """express-pouchdb (pouchdb-server's engine) with its ``_bulk_get`` route
    switched off: the same answer a CouchDB 1.x server gives (400)."""
    from tests.peers import Peer
    port = free_port()
    log = tmp_path / "no-bulk-get.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(["node", "-e", NO_BULK_GET, str(port)], cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT)
    peer = Peer("express-pouchdb", f"http://127.0.0.1:{port}", proc=proc, log=log)
    try:
        wait_http(peer.base + "/", proc, log)
        yield peer
    finally:
        peer.stop()


def test_a_source_without_bulk_get_is_read_with_open_revs(no_bulk_get, target):
    assert no_bulk_get.request("PUT", "db")[0] == 201
    status, body = no_bulk_get.request("POST", "db/_bulk_get", {"docs": [{"id": "x"}]})
    assert status in (400, 404, 405), "this peer must lack _bulk_get"
    leaves = field_corpus(300, seed=4, grids=2)
    load_http(no_bulk_get, "db", leaves)
    remote = RemoteDatabase(no_bulk_get.url("db"))
    try:
        stats = replicate(remote, target, batch_size=100)
        assert remote._has_bulk_get is False
    finally:
        remote.close()
    ids_ = {d["_id"] for d in leaves}
    assert set(local_leaves(target)) == ids_
    assert stats["docs_written"] == leaf_count(local_leaves(target))
    differ = [i for i in ids_ if tree(target, i) != http_tree(no_bulk_get, "db", i)]
    assert not differ, differ[:3]
    assert any("_attachments" in leaf for i in ids_ for leaf in tree(target, i).values())
