"""Waiting for changes by partition: a write wakes only the waiters that can
see it, in this process and from another one (real Store, real threads)."""

import subprocess
import sys
import threading
import time

import pytest

from sync import Store
from sync import watch
from tests.peers import ROOT


def grid(doc_id):
    """The test's partition: ``x:{grid}:...`` -> grid, ``rules:*`` -> ``*``."""
    kind, _, rest = doc_id.partition(":")
    return "*" if kind == "rules" else rest.split(":", 1)[0]


@pytest.fixture
def db(tmp_path):
    store = Store(tmp_path, partition=grid)
    yield store.create("field")
    store.close()


def write_elsewhere(folder, doc_id):
    """Write ``doc_id`` into ``folder``'s field database from another process
    (with the same partition function as here)."""
    subprocess.run([sys.executable, "-c",
                    "import sys; from sync import Store; p = lambda i: i.split(':')[1]; "
                    "Store(sys.argv[1], partition=p).get('field').put({'_id': sys.argv[2]})",
                    str(folder), doc_id], cwd=ROOT, check=True, timeout=60)


class Waiters:
    """``n`` threads, waiter ``i`` waiting on grid ``g{i}`` (and ``*``)."""

    def __init__(self, db, grids, timeout=30, shared=True):
        self.woke = {}
        since = db.update_seq()

        def run(name):
            parts = {name, "*"} if shared else {name}
            self.woke[name] = db.wait_for_change(since, timeout, parts)

        self.threads = {g: threading.Thread(target=run, args=(g,), daemon=True)
                        for g in grids}
        for thread in self.threads.values():
            thread.start()
        deadline = time.monotonic() + 20
        while db.waiting() < len(grids) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert db.waiting() == len(grids)

    def alive(self):
        return {g for g, t in self.threads.items() if t.is_alive()}


def test_a_write_wakes_only_the_waiters_of_its_grid(db):
    grids = [f"g{i}" for i in range(60)]
    crowd = Waiters(db, grids)
    before = db._watcher.wakeups
    for n in range(20):
        db.put({"_id": f"household:g0:h{n}"})
    crowd.threads["g0"].join(10)
    time.sleep(0.3)                           # long enough for the poller to fan out too
    assert crowd.woke == {"g0": True}
    assert crowd.alive() == set(grids) - {"g0"}
    assert db._watcher.wakeups - before == 1   # nobody else was even looked at
    db.put({"_id": "rules:warning"})           # the shared partition wakes everyone
    for thread in crowd.threads.values():
        thread.join(10)
    assert crowd.woke == dict.fromkeys(grids, True)


def test_an_unfiltered_waiter_wakes_on_any_write(db):
    since = db.update_seq()
    threading.Timer(0.2, lambda: db.put({"_id": "visit:g7:v1"})).start()
    assert db.wait_for_change(since, 20) is True
    assert db.wait_for_change(db.update_seq(), 0.1) is False


def test_a_change_before_the_wait_returns_at_once(db):
    since = db.update_seq()
    db.put({"_id": "visit:g1:v1"})
    started = time.monotonic()
    assert db.wait_for_change(since, 20, {"g1"}) is True
    assert time.monotonic() - started < 1
    assert db.wait_for_change(since, 0.2, {"g2"}) is False   # not g2's change


def test_another_processes_write_wakes_only_its_grid(db, tmp_path):
    crowd = Waiters(db, ["g1", "g2", "g3"], timeout=8, shared=False)
    write_elsewhere(tmp_path, "visit:g2:far")
    crowd.threads["g2"].join(10)
    assert crowd.woke == {"g2": True}
    assert crowd.alive() == {"g1", "g3"}
    for thread in crowd.threads.values():
        thread.join(20)
    assert crowd.woke == {"g1": False, "g2": True, "g3": False}


def test_the_poller_reads_once_per_change_not_per_waiter(db, tmp_path, monkeypatch):
    scans = []
    real = db._open_probe

    def counting():
        probe = real()
        scan = probe.scan
        probe.scan = lambda after: scans.append(after) or scan(after)
        return probe

    monkeypatch.setattr(db, "_open_probe", counting)
    crowd = Waiters(db, [f"g{i}" for i in range(1, 101)], timeout=6, shared=False)
    time.sleep(5 * watch.POLL_INTERVAL)
    idle_scans = len(scans)
    write_elsewhere(tmp_path, "visit:g5:far")
    crowd.threads["g5"].join(10)
    assert crowd.woke == {"g5": True}
    assert idle_scans <= 1                     # nothing written: no table read at all
    assert len(scans) - idle_scans <= 2        # one write: one read for 100 waiters
    db._watcher.close()
    for thread in crowd.threads.values():
        thread.join(10)


# ------------------------------------------------------------- doorbell --

def test_another_processes_write_rings_at_once_not_at_the_next_look(db, tmp_path, monkeypatch):
    """With the looks 60 s apart, only the doorbell can wake the waiter in time."""
    monkeypatch.setattr(watch, "BELL_INTERVAL", 60)
    crowd = Waiters(db, ["g1", "g2"], timeout=30, shared=False)
    time.sleep(0.2)                            # the poller is asleep on its doorbell
    assert db._watcher.bell._token is not None  # (not polling every POLL_INTERVAL)
    write_elsewhere(tmp_path, "visit:g2:far")
    crowd.threads["g2"].join(20)
    assert crowd.woke == {"g2": True}
    assert crowd.alive() == {"g1"}
    db._watcher.close()
    crowd.threads["g1"].join(10)
    assert crowd.woke["g1"] is False


def test_a_second_store_on_the_same_files_rings_the_first(db, tmp_path, monkeypatch):
    monkeypatch.setattr(watch, "BELL_INTERVAL", 60)
    other = Store(tmp_path, partition=grid)
    try:
        crowd = Waiters(db, ["g4"], timeout=30, shared=False)
        time.sleep(0.2)
        assert db._watcher.bell._token is not None
        other.get("field").put({"_id": "visit:g4:near"})
        crowd.threads["g4"].join(20)
        assert crowd.woke == {"g4": True}
    finally:
        other.close()


def test_a_dead_listeners_registration_is_cleared_by_the_next_ring(tmp_path):
    from sync.doorbell import Doorbell
    folder = tmp_path / "field.sqlite.bells"
    hearing, gone, ringing = Doorbell(folder), Doorbell(folder), Doorbell(folder)
    assert hearing.listen() and gone.listen()
    assert len(list(folder.iterdir())) == 2
    gone._inbox.close()                        # its process died without a goodbye
    ringing.ring()
    assert hearing.wait(5) is True
    assert [p.name for p in folder.iterdir()] == [hearing._token]
    assert hearing.wait(0.05) is False         # one ring, heard once
    for bell in (hearing, gone, ringing):
        bell.close()
    assert list(folder.iterdir()) == []


def test_closing_the_database_stops_its_poller_and_withdraws_its_bell(tmp_path, monkeypatch):
    monkeypatch.setattr(watch, "BELL_INTERVAL", 60)
    store = Store(tmp_path, partition=grid)
    db = store.create("field")
    crowd = Waiters(db, ["g1"], timeout=30, shared=False)
    poller = db._watcher._thread
    store.close()
    crowd.threads["g1"].join(10)
    poller.join(10)
    assert not poller.is_alive()               # interrupted, not waiting out its 60 s look
    bells = list(tmp_path.rglob("field.sqlite.bells"))
    assert len(bells) == 1 and list(bells[0].iterdir()) == []
