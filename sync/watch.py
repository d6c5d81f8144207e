"""Waiting for a database to change, woken by partition.

A waiter names the partitions it can see (or none: it sees everything). A
write wakes only the waiters of the partitions it touched, so the cost of a
write does not grow with the tablets waiting on other partitions, and a
waiting tablet costs nothing until something it can see changes.
Partitions are opaque strings here; the server decides what they mean.

Writes in this process wake their waiters at once (``notify``). Writes
from other processes (another server worker, the nightly job, the command
line) are noticed by one poller thread per database and process: while
anyone waits it sleeps until another process rings the database's
doorbell (``sync.doorbell``: every write rings), or at the latest until
its next look, then asks SQLite whether the file changed (a
``data_version`` check, no table read) and only then reads which
partitions moved since its last look, one query for the whole crowd, and
fans that out to the partitions' waiters. Without a doorbell (not Linux,
or a writer that cannot ring) the looks alone notice, every
``POLL_INTERVAL``.

A process that is stopping calls :func:`release_all`: every waiter of every
watcher returns at once and no new one waits, so a server restart does not
sit out its graceful timeout on sleeping longpolls.
"""

import threading
import time
import weakref

POLL_INTERVAL = 0.01      # seconds between data_version checks while anyone waits (one PRAGMA)
BELL_INTERVAL = 0.25      # the same with a doorbell: only writers that cannot ring wait this long
IDLE_EXIT = 5.0           # the poller thread ends after this long with no waiter


_WATCHERS = weakref.WeakSet()        # every watcher of this process


def release_all():
    """The process is stopping: release every waiter of every watcher in it
    (their waits return False) and let no new one wait."""
    for watcher in list(_WATCHERS):
        watcher.close()


class _Waiter:
    __slots__ = ("since", "parts", "event", "hit")

    def __init__(self, since, parts):
        self.since = since
        self.parts = parts
        self.event = threading.Event()
        self.hit = False


class ChangeWatcher:
    """Wake the waiters of the partitions a write touched.

    ``read_seq()`` returns the database's latest seq; ``open_probe()``
    returns an object with ``version()`` (changes whenever another
    connection commits), ``scan(after)`` -> ``(latest_seq, {partition:
    highest seq})`` for the changes after seq ``after``, and ``close()``.
    """

    def __init__(self, read_seq, open_probe, name, start_seq=0, bell=None):
        self.read_seq = read_seq
        self.open_probe = open_probe
        self.name = name
        self.bell = bell                     # a sync.doorbell.Doorbell, or None
        self._lock = threading.Lock()
        self._latest = start_seq             # highest seq noticed, any partition
        self._part_seq = {}                  # partition -> highest seq noticed
        self._polled = start_seq             # the poller has scanned up to here
        self._by_part = {}                   # partition -> set of waiters
        self._any = set()                    # waiters that see every partition
        self._count = 0
        self._thread = None
        self._closed = False
        self.wakeups = 0                     # waiters woken so far (for tests, benches)
        _WATCHERS.add(self)

    # -- writers ---------------------------------------------------------

    def notify(self, seq, parts=None):
        """A write reached ``seq`` touching partitions ``parts`` (None: unknown, wake all)."""
        with self._lock:
            self._record(seq, {p: seq for p in parts} if parts is not None else None)
        if self.bell is not None:
            self.bell.ring()

    def _record(self, seq, part_seqs):
        # Called with the lock held. part_seqs None means "any partition".
        self._latest = max(self._latest, seq)
        woken = []
        if part_seqs is None:
            for waiters in self._by_part.values():
                woken.extend(w for w in waiters if w.since < seq)
        else:
            for part, at in part_seqs.items():
                if self._part_seq.get(part, -1) < at:
                    self._part_seq[part] = at
                woken.extend(w for w in self._by_part.get(part, ()) if w.since < at)
        woken.extend(w for w in self._any if w.since < seq)
        for waiter in woken:
            if not waiter.hit:
                waiter.hit = True
                self.wakeups += 1
                waiter.event.set()

    # -- waiters ---------------------------------------------------------

    def wait(self, since_seq, timeout, parts=None):
        """Block until a change after ``since_seq`` in ``parts`` (None: any)
        is seen (True) or ``timeout`` ends (False)."""
        parts = None if parts is None else frozenset(parts)
        if parts is None and self.read_seq() > since_seq:
            return True
        waiter = _Waiter(since_seq, parts)
        with self._lock:
            if self._closed:
                return False
            if parts is None:
                if self._latest > since_seq:
                    return True
            elif any(self._part_seq.get(p, -1) > since_seq for p in parts):
                return True
            self._add(waiter)
            self._start()
        try:
            waiter.event.wait(max(timeout, 0))
        finally:
            with self._lock:
                self._remove(waiter)
        return waiter.hit

    def _add(self, waiter):
        self._count += 1
        if waiter.parts is None:
            self._any.add(waiter)
            return
        for part in waiter.parts:
            self._by_part.setdefault(part, set()).add(waiter)

    def _remove(self, waiter):
        self._count -= 1
        if waiter.parts is None:
            self._any.discard(waiter)
            return
        for part in waiter.parts:
            waiters = self._by_part.get(part)
            if waiters is not None:
                waiters.discard(waiter)
                if not waiters:
                    del self._by_part[part]

    def waiting(self):
        """How many waiters wait now."""
        with self._lock:
            return self._count

    def close(self):
        """Stop watching and release every waiter."""
        with self._lock:
            self._closed = True
            if self.bell is not None:
                if self._thread is None:
                    self.bell.close()
                else:
                    self.bell.interrupt()        # the poller stops now, not at its next look
            for waiter in list(self._any) + [w for ws in self._by_part.values() for w in ws]:
                waiter.event.set()

    # -- other processes' writes ------------------------------------------

    def _start(self):
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"watch-{self.name}")
            self._thread.start()

    def _run(self):
        try:
            probe = self.open_probe()
        except Exception:                    # the file went away (deleted database)
            return
        bell = self.bell if self.bell is not None and self.bell.listen() else None
        version, idle_since = None, None
        try:
            with self._lock:                 # closed before it listened: no ring will come
                if self._closed:
                    return
            while True:
                if bell is not None:
                    bell.wait(BELL_INTERVAL)
                else:
                    time.sleep(POLL_INTERVAL)
                with self._lock:
                    if self._closed:
                        return
                    if not self._count:
                        idle_since = idle_since or time.monotonic()
                        if time.monotonic() - idle_since > IDLE_EXIT:
                            if bell is not None:      # before a new poller can listen
                                bell.stop()
                                bell = None
                            self._thread = None
                            return
                        continue
                    idle_since, after = None, self._polled
                now = probe.version()
                if now == version:
                    continue
                version = now
                latest, part_seqs = probe.scan(after)
                with self._lock:
                    self._polled = max(self._polled, latest)
                    if part_seqs:
                        self._record(latest, part_seqs)
        except Exception:                    # the file went away (deleted database)
            return
        finally:
            probe.close()
            if bell is not None and self._closed:
                bell.close()
            elif bell is not None:           # the file went away
                bell.stop()
