"""Waiting for a change in some partitions, over CouchDB: one longpoll per partition.

A process keeps at most one ``_changes`` longpoll per partition database
that someone waits on, shared by all its waiters, and wakes only them
(``docs/scaling.md``: 12 ms of CouchDB CPU per write, where a filtered
longpoll per tablet costs 169 ms). A write through any server is in the
partition's CouchDB feed, so it wakes the waiters of every server.

A wait first starts (or joins) the partitions' feeds at their current
seq, then checks whether anything came after the waiter's own position:
a change before the feed started is found by the check, one after by the
feed, so none falls between. The check is made once per position while
the feed runs: a longpoll waits again at every heartbeat with the same
position, and then what the feed has seen since answers, with no CouchDB
request (a waiting tablet cost one per partition every heartbeat).
"""

import threading
import time

from ..errors import GridvisitError
from .client import quote

LONGPOLL_MS = 20000
RETRY_SECONDS = 0.5         # the first look again after a failed longpoll; then doubling
RETRY_MAX = 5.0             # ... up to this: a partition's first write wakes within it
CHECKED_MAX = 10000         # positions remembered as checked (then forgotten all at once)


class PartitionWake:
    """The waiters of one database, by partition."""

    def __init__(self, db):
        self.db = db
        self._lock = threading.Lock()
        self._waiters = {}          # partition key -> set of Events
        self._feeds = {}            # partition key -> thread
        self._gen = {}              # partition key -> how many feeds it has had
        self._seen = {}             # partition key -> pages with changes its feed saw
        self._checked = {}          # (key, position) -> (gen, seen) when nothing came after it
        self._closed = False

    def waiting(self):
        """How many waiters wait now."""
        with self._lock:
            return len({id(e) for events in self._waiters.values() for e in events})

    def wait(self, position, timeout, parts=None):
        """True when a change after ``position`` came in ``parts`` within ``timeout``."""
        keys = self.db._wanted_parts(parts)
        event = threading.Event()
        with self._lock:
            if self._closed:
                return False
            for key in keys:
                self._waiters.setdefault(key, set()).add(event)
        try:
            for key in keys:
                self._feed(key)
            if any(self._came_after(key, position.get(key, 0)) for key in keys):
                return True
            return event.wait(max(timeout, 0)) and not self._closed
        finally:
            with self._lock:
                for key in keys:
                    events = self._waiters.get(key)
                    if events is not None:
                        events.discard(event)
                        if not events:
                            del self._waiters[key]

    def _came_after(self, key, since):
        """Whether ``key`` changed after ``since``. Asked once per position
        while the key's feed runs: a longpoll waits again at every heartbeat
        with the same position, and what its feed has seen since the first
        asking answers (no CouchDB request per heartbeat)."""
        with self._lock:
            gen, seen = self._gen.get(key, 0), self._seen.get(key, 0)
            checked = self._checked.get((key, since))
        if checked is not None and checked[0] == gen:
            return seen != checked[1]
        if self._has_after(key, since):
            return True
        with self._lock:
            if len(self._checked) > CHECKED_MAX:
                self._checked.clear()
            self._checked[(key, since)] = (gen, seen)
        return False

    def _has_after(self, key, since):
        page = self.db.absent_is_empty(lambda: self.db.server.request(
            "GET", f"{quote(self.db.couch_name(key))}/_changes", {"since": since, "limit": 1}),
            {"results": []})
        return bool(page["results"])

    def _feed(self, key):
        with self._lock:
            if key in self._feeds:
                return
        # A partition with no database yet is followed from its beginning:
        # its first write, through any server, creates it and wakes us.
        start = self.db.absent_is_empty(lambda: self.db.server.request(
            "GET", f"{quote(self.db.couch_name(key))}/_changes",
            {"since": "now", "limit": 0})["last_seq"], 0)
        with self._lock:
            if key in self._feeds:
                return
            thread = threading.Thread(target=self._follow, args=(key, start), daemon=True,
                                      name=f"couch-wake-{key}")
            self._feeds[key] = thread
            self._gen[key] = self._gen.get(key, 0) + 1
        thread.start()

    def _follow(self, key, since):
        path = f"{quote(self.db.couch_name(key))}/_changes"
        failed = 0
        try:
            while True:
                with self._lock:
                    if self._closed or not self._waiters.get(key):
                        return
                try:
                    page = self.db.server.request(
                        "GET", path, {"feed": "longpoll", "since": since,
                                      "timeout": LONGPOLL_MS},
                        timeout=LONGPOLL_MS / 1000 + 10)
                except GridvisitError:
                    # CouchDB away, or the partition not made yet: look again
                    # soon, less often the longer it lasts (a partition with
                    # no database may stay so for good); waiters time out meanwhile.
                    time.sleep(min(RETRY_SECONDS * 2 ** failed, RETRY_MAX))
                    failed += 1
                    continue
                failed = 0
                since = page["last_seq"]
                if page["results"]:
                    with self._lock:
                        self._seen[key] = self._seen.get(key, 0) + 1
                        for event in self._waiters.get(key, ()):
                            event.set()
        finally:
            with self._lock:
                self._feeds.pop(key, None)

    def close(self):
        """Stop and release every waiter."""
        with self._lock:
            self._closed = True
            for events in self._waiters.values():
                for event in events:
                    event.set()
