"""The CouchDB store (``sync/couch``) behind the store interface, against
pouchdb-server (CI's CouchDB) and a real Apache CouchDB where one is named
(``tests/stores.py``); the SQLite store runs the same cases where they fit."""

import base64
import threading
import time

import pytest

from rules import fieldmerge, ids
from sync import Store
from sync.couch import CouchStore
from sync.couch.client import masked_url
from sync.errors import BadRequest, NotFound, TransportError
from tests.merge_support import BASE, clock_at, edit
from tests.stores import make_store  # noqa: F401  (fixture)

DOCS = [{"_id": "household:g1:h1", "grid": "g1", "n": 1},
        {"_id": "household:g2:h1", "grid": "g2", "n": 2},
        {"_id": "visit:g1:v1", "grid": "g1", "n": 3},
        {"_id": "rules:warning", "version": 1},
        {"_id": "campaign:community:shijia:winter", "n": 5}]


def _field(make_store, n=0, resolver=None):
    store = make_store(n, ids.grid_of, resolver)
    return store.get("field") if store.exists("field") else store.create("field")


def _couch_only(make_store):
    if make_store.kind == "sqlite":
        pytest.skip("a CouchDB store case")


def test_each_grid_is_a_couchdb_database_of_its_own(make_store):
    _couch_only(make_store)
    db = _field(make_store)
    db.bulk_docs([dict(d) for d in DOCS])
    assert db.parts(refresh=True) == sorted(["g1", "g2", "*", "community:shijia"])
    found = db.server.request("GET", "_all_dbs")
    assert f"{db.root}$p$community(3a)shijia" in found and f"{db.root}$p$(2a)" in found
    assert db.get("household:g2:h1")["n"] == 2


@pytest.mark.parametrize("grids, expected", [
    (["g1"], ["household:g1:h1", "visit:g1:v1"]),
    (["g2", "*"], ["household:g2:h1", "rules:warning"]),
    (["g9"], []),
])
def test_a_feed_holds_only_the_grids_asked_for(make_store, grids, expected):
    db = _field(make_store)
    db.bulk_docs([dict(d) for d in DOCS])
    page = db.changes(parts=grids)
    assert sorted(r["id"] for r in page["results"]) == expected
    assert db.changes(since=page["last_seq"], parts=grids)["results"] == []
    listed = db.all_docs(parts=grids, include_docs=True)["rows"]
    assert [r["id"] for r in listed] == expected
    assert db.counts(grids) == (len(expected), 0)


def test_every_row_seq_resumes_the_feed_after_that_row(make_store):
    db = _field(make_store)
    db.bulk_docs([dict(d) for d in DOCS])
    rows = db.changes(parts=["g1", "g2", "*"])["results"]
    assert len(rows) == 4
    for at, row in enumerate(rows):
        rest = db.changes(since=row["seq"], parts=["g1", "g2", "*"])["results"]
        assert [r["id"] for r in rest] == [r["id"] for r in rows[at + 1:]]
    first = db.changes(parts=["g1", "g2", "*"], limit=1)
    assert len(first["results"]) == 1
    if make_store.kind != "pouchdb-server":       # PouchDB's _changes has no pending
        assert first["pending"] == 3


def test_a_seq_from_one_server_resumes_on_another_over_the_same_couchdb(make_store):
    _couch_only(make_store)
    one, two = _field(make_store, 0), _field(make_store, 0)
    one.bulk_docs([dict(d) for d in DOCS[:2]])
    seq = one.changes(parts=["g1", "g2"])["last_seq"]
    two.put({"_id": "household:g1:h2", "grid": "g1"})
    assert [r["id"] for r in one.changes(since=seq, parts=["g1", "g2"])["results"]] == \
        [r["id"] for r in two.changes(since=seq, parts=["g1", "g2"])["results"]] == \
        ["household:g1:h2"]


def test_a_grid_newly_given_is_read_from_its_beginning(make_store):
    _couch_only(make_store)
    db = _field(make_store)
    db.bulk_docs([dict(d) for d in DOCS])
    seq = db.changes(parts=["g1"])["last_seq"]
    got = db.changes(since=seq, parts=["g1", "g2"])["results"]
    assert [r["id"] for r in got] == ["household:g2:h1"]


def test_a_seq_that_is_not_ours_is_refused_naming_since(make_store):
    _couch_only(make_store)
    db = _field(make_store)
    with pytest.raises(BadRequest, match="since"):
        db.changes(since="p1-!!!not-base64")


def test_replicated_revisions_are_grafted_once(make_store):
    db = _field(make_store)
    doc = {"_id": "household:g1:h9", "_rev": "2-bb", "grid": "g1",
           "_revisions": {"start": 2, "ids": ["bb", "aa"]}}
    for _ in range(2):
        assert db.bulk_docs([dict(doc)], new_edits=False) == []
    assert db.get("household:g1:h9", revs=True)["_revisions"] == {"start": 2, "ids": ["bb", "aa"]}
    diff = db.revs_diff({"household:g1:h9": ["2-bb", "3-cc"]})
    assert diff["household:g1:h9"]["missing"] == ["3-cc"]
    if make_store.kind != "pouchdb-server":       # PouchDB's revsDiff names no ancestors
        assert diff["household:g1:h9"]["possible_ancestors"] == ["2-bb"]
    got = db.bulk_get([{"id": "household:g1:h9", "rev": "2-bb"}, {"id": "household:g7:x"}],
                      revs=True)
    assert got[0]["docs"][0]["ok"]["_rev"] == "2-bb" and "error" in got[1]["docs"][0]
    assert [r["ok"]["_rev"] for r in db.open_revs("household:g1:h9", "all")] == ["2-bb"]


def test_an_edit_on_a_stale_rev_is_a_conflict_row_and_the_rest_go_in(make_store):
    db = _field(make_store)
    rev = db.put({"_id": "household:g1:h1", "grid": "g1"})["rev"]
    db.put({"_id": "household:g1:h1", "_rev": rev, "grid": "g1", "n": 2})
    rows = db.bulk_docs([{"_id": "household:g1:h1", "_rev": rev, "grid": "g1"},
                         {"_id": "household:g2:h1", "grid": "g2"}])
    assert rows[0]["error"] == "conflict" and rows[1]["ok"] is True


def test_before_write_refuses_one_document_and_sees_the_current_body(make_store):
    db = _field(make_store)
    db.put({"_id": "visit:g1:v1", "grid": "g1", "status": "submitted"})
    seen = []

    def rules(doc, current):
        tree, body = current()
        seen.append(body)
        if body is not None and body.get("status") == "submitted":
            raise NotFound("refused")                  # any gridvisit error refuses

    rows = db.bulk_docs([{"_id": "visit:g1:v1", "grid": "g1"},
                         {"_id": "visit:g1:v2", "grid": "g1"}], before_write=rules)
    assert rows[0]["error"] == "not_found" and rows[1]["ok"] is True
    assert seen == [{"grid": "g1", "status": "submitted"}, None]


def test_checkpoints_are_kept_under_each_users_prefix(make_store):
    db = _field(make_store)
    db.put_local("_local/u1~cp", {"last_seq": "a"})
    db.put_local("_local/u2~cp", {"last_seq": "b"})
    assert db.get_local("_local/u1~cp")["last_seq"] == "a"
    if make_store.kind == "pouchdb-server":
        return                                     # pouchdb-server has no _local_docs
    assert [r["id"] for r in db.local_docs(key_prefix="u2~")["rows"]] == ["_local/cp"]


def test_an_attachment_in_base64_comes_back_as_its_bytes(make_store):
    db = _field(make_store)
    data = "走访照片".encode() * 50
    rev = db.put({"_id": "visit:g1:v1", "grid": "g1", "_attachments": {"p.jpg": {
        "content_type": "image/jpeg", "data": base64.b64encode(data).decode()}}})["rev"]
    stub, got = db.get_attachment("visit:g1:v1", "p.jpg")
    assert got == data and stub["length"] == len(data)
    assert db.get("visit:g1:v1", rev=rev)["_attachments"]["p.jpg"]["stub"] is True


def _leaves():
    a = edit(BASE, clock_at("A"), phone="1", colour="yellow", colour_reason="x")
    b = edit(BASE, clock_at("B"), colour="red", colour_reason="y")
    return [dict(BASE, _rev="1-seed"),
            dict(a, _rev="2-aaaa", _revisions={"start": 2, "ids": ["aaaa", "seed"]}),
            dict(b, _rev="2-bbbb", _revisions={"start": 2, "ids": ["bbbb", "seed"]})]


def _embedded_merge(tmp_path):
    """The merged rev an embedded (SQLite) server writes for ``_leaves()``."""
    db = Store(tmp_path / "embedded", ids.grid_of, fieldmerge.resolve_field_doc).create("f")
    db.bulk_docs(_leaves(), new_edits=False)
    return db.get(BASE["_id"])["_rev"]


def test_the_same_conflict_merges_to_the_same_revision_in_every_store(make_store, tmp_path):
    db = _field(make_store, resolver=fieldmerge.resolve_field_doc)
    db.bulk_docs(_leaves(), new_edits=False)
    doc = db.get(BASE["_id"], conflicts=True)
    assert "_conflicts" not in doc and doc["_rev"].startswith("3-")
    assert doc["_rev"] == _embedded_merge(tmp_path)


def test_two_servers_racing_to_merge_one_conflict_write_one_revision(make_store, tmp_path):
    _couch_only(make_store)
    one = _field(make_store, 0, fieldmerge.resolve_field_doc)
    two = _field(make_store, 0, fieldmerge.resolve_field_doc)
    seed, a, b = _leaves()
    one.bulk_docs([seed], new_edits=False)
    start = threading.Barrier(2)

    def push(db, leaf):
        start.wait()
        db.bulk_docs([leaf], new_edits=False)

    threads = [threading.Thread(target=push, args=(one, a)),
               threading.Thread(target=push, args=(two, b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    one.resolve_all()                                  # a merge that lost the race to a read
    live = [r["ok"] for r in one.open_revs(BASE["_id"], "all") if not r["ok"].get("_deleted")]
    assert len(live) == 1 and live[0]["_rev"] == _embedded_merge(tmp_path)
    assert len(one.resolutions()) == 1


def test_the_design_stamp_moves_with_design_documents_and_only_with_them(make_store):
    # The design-document registry re-reads them only when this stamp moves;
    # it is asked on every write, so a field write must leave it alone.
    db = _field(make_store)
    empty = db.design_stamp()
    db.put({"_id": "_design/checks", "validate_doc_update": "function(d) {}"})
    written = db.design_stamp()
    assert written != empty
    db.bulk_docs([dict(d) for d in DOCS])
    assert db.design_stamp() == written
    ddoc = db.get("_design/checks")
    db.put(dict(ddoc, validate_doc_update="function(d, o) {}"))
    changed = db.design_stamp()
    assert changed not in (empty, written)
    db.delete("_design/checks", db.get("_design/checks")["_rev"])
    assert db.design_stamp() not in (written, changed)      # none again: may equal ``empty``


def test_a_write_wakes_only_the_waiters_of_its_grid(make_store):
    _couch_only(make_store)
    one, two = _field(make_store, 0), _field(make_store, 0)
    one.bulk_docs([dict(d) for d in DOCS])
    position = one.decode_since(one.changes(parts=["g1"])["last_seq"])
    woke = []
    waiter = threading.Thread(target=lambda: woke.append(
        one.wait_for_change(position, 8, parts=["g1"])))
    waiter.start()
    two.put({"_id": "household:g2:h7", "grid": "g2"})   # another grid, another server
    waiter.join(1.5)
    assert waiter.is_alive() and woke == []
    two.put({"_id": "household:g1:h7", "grid": "g1"})
    waiter.join(8)
    assert woke == [True]


def test_the_password_is_never_shown():
    store = CouchStore("http://admin:s3cret-pw@127.0.0.1:9/", prefix="x_")
    assert "s3cret" not in repr(store) and "admin:***@" in repr(store)
    with pytest.raises(TransportError) as caught:
        store.names()
    assert "s3cret" not in str(caught.value)
    assert masked_url("https://a:b@h:1/p") == "https://a:***@h:1/p"
    store.close()


def test_a_missing_database_is_not_found(make_store):
    _couch_only(make_store)
    with pytest.raises(NotFound):
        make_store(0).get("nothing-here")


def test_a_longpolls_heartbeats_ask_couchdb_nothing_and_it_still_wakes(make_store, monkeypatch):
    # A waiting tablet's longpoll waits again at every heartbeat with the
    # same position: after the first asking, its feed answers; a write
    # through another server between two heartbeats still wakes it.
    _couch_only(make_store)
    one, two = _field(make_store, 0), _field(make_store, 0)
    one.bulk_docs([dict(d) for d in DOCS])
    position = one.decode_since(one.changes(parts=["g1", "*"])["last_seq"])
    assert one.wait_for_change(position, 0.3, parts=["g1", "*"]) is False   # (feeds started)
    asked = []
    real = one.server.request

    def counting(method, path, *args, **kwargs):
        if "feed" not in (args[0] if args else kwargs.get("params") or {}):
            asked.append(path)                     # (the feeds' own longpolls not counted)
        return real(method, path, *args, **kwargs)
    monkeypatch.setattr(one.server, "request", counting)
    for _heartbeat in range(3):
        assert one.wait_for_change(position, 0.3, parts=["g1", "*"]) is False
    assert asked == []
    two.put({"_id": "household:g1:h8", "grid": "g1"})
    deadline = time.monotonic() + 10
    while not one.wait_for_change(position, 0.3, parts=["g1", "*"]):
        assert time.monotonic() < deadline, "the write never woke the waiter"
