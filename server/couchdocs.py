"""A small CouchDB database every gridvisit server shares, read from a copy
in memory that follows its ``_changes`` feed (issue 22): the directory
(:mod:`server.accounts.couch_directory`), the quarantine
(:mod:`server.access.couch_quarantine`) and the replication runs
(:mod:`server.jobs.couch_runs`).

The first read of a request asks CouchDB for the changes since the copy's
last seq, unless another request's asking began after this request did (so
concurrent requests share one ``_changes`` call, which is small when
nothing changed). A change made through any server, or any worker process
of one, is therefore seen by every request that begins after it was
written; outside a request (a command, a job) the copy is at most
``FRESH_FOR`` old. Writes go through CouchDB's MVCC: read the document,
change it, ``PUT`` it with its ``_rev``; a 409 means another server wrote
it meanwhile, so it is read again and the change made again.
"""

import threading
import time

from flask import g, has_request_context

from sync.couch.client import quote
from sync.errors import Conflict, NotFound

FRESH_FOR = 1.0                  # seconds a copy is read outside a request
PAGE = 1000


def fresh_after():
    """The moment the copy must have asked CouchDB after: the beginning of
    this request (its first read of any copy), else ``FRESH_FOR`` ago."""
    if has_request_context():
        return g.setdefault("couch_fresh_after", time.monotonic())
    return time.monotonic() - FRESH_FOR


def numbered(kind, entry_id):
    """The ``_id`` of entry ``entry_id`` of ``kind``: 12 digits, so ``_id``
    order is number order."""
    return f"{kind}:{int(entry_id):012d}"


class FollowedDocs:
    """The documents of one CouchDB database, as a copy that follows ``_changes``.

    Documents are grouped by the part of their ``_id`` before the first
    ``:`` (their kind); :meth:`indexed` may add one more index, made once
    per change of the copy.
    """

    def __init__(self, server, name):
        self.server = server
        self.db = quote(name)
        self._docs = {}
        self._kinds = {}                 # "user", "entry", ... -> documents in _id order
        self._extra = self.indexed({})
        self._since = "0"
        self._asked = None
        self._lock = threading.Lock()
        server.request("PUT", self.db, ok=(201, 202, 412))

    def indexed(self, kinds):
        """An index of the copy made from its documents by kind (None here)."""
        return None

    def _follow(self):
        """Apply the changes since the last seq (the lock held)."""
        docs, changed = None, False
        while True:
            page = self.server.request("GET", f"{self.db}/_changes", {
                "since": self._since, "include_docs": "true", "limit": PAGE})
            if page["results"] and docs is None:
                docs = dict(self._docs)      # readers keep the copy they were given
            for row in page["results"]:
                changed = True
                if row.get("deleted"):
                    docs.pop(row["id"], None)
                else:
                    docs[row["id"]] = row["doc"]
            self._since = page["last_seq"]
            if len(page["results"]) < PAGE:
                break
        if changed:                      # (indexes made once per change, not per read)
            kinds = {}
            for key in sorted(docs):
                kinds.setdefault(key.partition(":")[0], []).append(docs[key])
            self._docs, self._kinds, self._extra = docs, kinds, self.indexed(kinds)

    def current(self):
        """``(docs by _id, the extra index)`` as of :func:`fresh_after`."""
        need = fresh_after()
        with self._lock:
            if self._asked is None or self._asked < need:
                began = time.monotonic()
                self._follow()
                self._asked = began
            return self._docs, self._extra

    def doc(self, doc_id):
        """One document of the copy, or None."""
        return self.current()[0].get(doc_id)

    def of_type(self, kind):
        """The copy's documents ``{kind}:…``, in ``_id`` order."""
        self.current()
        return self._kinds.get(kind, [])

    def create(self, doc_id, body):
        """``PUT`` a new document; False when it exists already (a 409)."""
        try:
            self.server.request("PUT", f"{self.db}/{quote(doc_id)}", body=body)
        except Conflict:
            return False
        self._written()
        return True

    def claim(self, kind, body):
        """Write ``body`` as a new ``{kind}:{id}`` document under a small
        integer id no server has used (the highest + 1; on a 409 another
        server took it just now: the next); the id, also in ``body["id"]``."""
        taken = self.of_type(kind)
        entry_id = taken[-1]["id"] + 1 if taken else 1
        while not self.create(numbered(kind, entry_id), dict(body, id=entry_id)):
            entry_id += 1
        return entry_id

    def update(self, doc_id, change):
        """Write ``change(current body or None)`` (None: nothing to write) with
        CouchDB's MVCC, again on a 409; True if written.

        :raises Exception: whatever ``change`` raises.
        """
        path = f"{self.db}/{quote(doc_id)}"
        while True:
            try:
                found = self.server.request("GET", path)
            except NotFound:
                found = None
            body = change(None if found is None else dict(found))
            if body is None:
                return False
            if found is not None:
                body["_rev"] = found["_rev"]
            try:
                self.server.request("PUT", path, body=body)
            except Conflict:             # another server wrote it meanwhile: again
                continue
            self._written()
            return True

    def _written(self):
        with self._lock:
            self._asked = None           # this server reads its own write at once
