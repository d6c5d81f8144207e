"""The SQLite document store, used directly (no server)."""

import signal
import subprocess
import sys
import threading
import time

import pytest

from sync import Store
from sync.errors import Conflict, FileExists, NotFound
from tests.peers import ROOT


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path)
    yield s
    s.close()


def test_named_databases(store):
    store.create("field")
    store.create("ref-data_2")
    assert store.names() == ["field", "ref-data_2"]
    with pytest.raises(FileExists):
        store.create("field")
    store.delete("field")
    assert store.names() == ["ref-data_2"]
    with pytest.raises(NotFound):
        store.get("field")


def test_data_survives_reopening(tmp_path):
    first = Store(tmp_path)
    rev = first.create("db").put({"_id": "a", "v": "一"})["rev"]
    first.close()
    again = Store(tmp_path).get("db")
    assert again.get("a") == {"_id": "a", "_rev": rev, "v": "一"}


def test_same_edit_gives_same_rev_anywhere(tmp_path):
    one = Store(tmp_path / "1").create("db")
    two = Store(tmp_path / "2").create("db")
    assert one.put({"_id": "a", "x": [1, 2]}) == two.put({"_id": "a", "x": [1, 2]})


def test_concurrent_edits_of_one_document_never_lose_a_write(store):
    db = store.create("db")
    db.put({"_id": "counter", "n": 0})
    done = []

    def bump():
        for _ in range(25):
            while True:
                doc = db.get("counter")
                try:
                    db.put(dict(doc, n=doc["n"] + 1))
                    done.append(1)
                    break
                except Conflict:
                    continue

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert db.get("counter")["n"] == 100 == len(done)
    assert db.get("counter")["_rev"].startswith("101-")


def test_wait_for_change_wakes_on_a_write(store):
    db = store.create("db")
    seq = db.update_seq()
    timer = threading.Timer(0.2, lambda: db.put({"_id": "late"}))
    timer.start()
    started = time.monotonic()
    assert db.wait_for_change(seq, timeout=20) is True
    assert time.monotonic() - started < 10
    assert db.wait_for_change(db.update_seq(), timeout=0.1) is False


def test_replicated_history_longer_than_revs_limit_is_stemmed(store):
    db = store.create("db")
    db.set_revs_limit(5)
    ids = [f"{n:032x}" for n in range(20, 0, -1)]
    db.bulk_docs([{"_id": "a", "_rev": f"20-{ids[0]}",
                   "_revisions": {"start": 20, "ids": ids}}], new_edits=False)
    doc = db.get("a", revs=True)
    assert doc["_revisions"] == {"start": 20, "ids": ids[:5]}


def test_deleting_a_conflict_leaf_promotes_the_other(store):
    db = store.create("db")
    db.bulk_docs([{"_id": "a", "_rev": "1-aaa", "v": 1},
                  {"_id": "a", "_rev": "1-bbb", "v": 2}], new_edits=False)
    assert db.get("a", conflicts=True)["_conflicts"] == ["1-aaa"]
    db.delete("a", "1-bbb")
    doc = db.get("a", conflicts=True, deleted_conflicts=True)
    assert doc["_rev"] == "1-aaa" and "_conflicts" not in doc
    assert doc["_deleted_conflicts"][0].startswith("2-")


def test_bodies_of_superseded_revisions_are_compacted(store):
    db = store.create("db")
    rev1 = db.put({"_id": "a", "big": "x" * 1000})["rev"]
    db.put({"_id": "a", "_rev": rev1, "big": "y"})
    with pytest.raises(NotFound):
        db.get("a", rev=rev1)
    assert db.open_revs("a", [rev1]) == [{"missing": rev1}]


WRITER = """
import sys
from sync import Store
db = Store(sys.argv[1]).get("db")
print("ready", flush=True)
n = 0
while True:
    db.bulk_docs([{"_id": f"b{n}-{i}", "pad": "x" * 200} for i in range(2000)])
    n += 1
"""


def test_a_killed_writer_leaves_whole_batches_only(tmp_path):
    Store(tmp_path).create("db").close()
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    db = Store(tmp_path).get("db")
    info = db.info()
    assert info["doc_count"] % 2000 == 0
    assert info["doc_count"] > 0
    seq = db.changes()["last_seq"]
    assert int(seq.split("-")[0]) == info["doc_count"]


def test_document_counts_follow_every_kind_of_write(store):
    db = store.create("db")
    rev = db.put({"_id": "a"})["rev"]
    db.put({"_id": "b"})
    db.delete("a", rev)
    db.bulk_docs([{"_id": "c", "_rev": "1-x"}, {"_id": "c", "_rev": "1-y", "_deleted": True},
                  {"_id": "d", "_rev": "1-z", "_deleted": True}], new_edits=False)
    db.put({"_id": "a"})                        # recreated on top of the tombstone
    info = db.info()
    live = sum(1 for _ in db.all_docs()["rows"])
    assert (info["doc_count"], info["doc_del_count"]) == (live, 1) == (3, 1)


def test_raw_bulk_get_equals_the_decoded_one(store):
    import json as _json
    db = store.create("db")
    db.bulk_docs([{"_id": "e", "_rev": "1-a"}, {"_id": "u", "_rev": "1-b", "名": "张三 🏠",
                   "n": [1, {"x": None}], "q": "\"quoted\" \\ back"},
                  {"_id": "d", "_rev": "2-c", "_deleted": True,
                   "_revisions": {"start": 2, "ids": ["c", "b"]}},
                  {"_id": "att", "_rev": "1-d", "_attachments": {
                      "a.txt": {"content_type": "text/plain", "data": "aGk="}}}], new_edits=False)
    requests = [{"id": i} for i in ["e", "u", "att", "missing"]] + [{"id": "d", "rev": "2-c"}]
    for revs in (True, False):
        plain = db.bulk_get(requests, revs=revs, attachments=True)
        raw = db.bulk_get(requests, raw=True, revs=revs, attachments=True)
        decoded = [{"id": r["id"], "docs": [
            {"ok": _json.loads(d["ok"])} if isinstance(d.get("ok"), str) else d
            for d in r["docs"]]} for r in raw]
        assert decoded == plain
        assert isinstance(raw[1]["docs"][0]["ok"], str)      # the fast path was taken


def test_waiters_see_writes_from_another_process(tmp_path):
    db = Store(tmp_path).create("db")
    seq = db.update_seq()
    writer = subprocess.Popen([sys.executable, "-c",
                               "import sys, time; from sync import Store; time.sleep(0.3); "
                               "Store(sys.argv[1]).get('db').put({'_id': 'far'})", str(tmp_path)],
                              cwd=ROOT)
    assert db.wait_for_change(seq, timeout=20) is True
    writer.wait()
    assert db.get("far")["_id"] == "far"
