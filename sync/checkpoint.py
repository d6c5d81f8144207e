"""Replication checkpoints in ``_local`` documents on both sides.

The document has CouchDB's shape (``couch_replicator``): ``session_id``,
``source_last_seq``, ``replication_id_version`` and a ``history`` of at
most 50 sessions, newest first. A run resumes from the last seq both
sides agree on: the same newest session, or else the newest session the
two histories share; otherwise it starts from the beginning.
"""

import hashlib
import json
import time
import uuid

from .errors import Conflict, NotFound

HISTORY = 50
VERSION = 3


def replication_id(source_id, target_id, options):
    """A stable id for replicating ``source_id`` to ``target_id`` with ``options``."""
    key = json.dumps([source_id, target_id, options, "gridvisit"], sort_keys=True)
    return hashlib.md5(key.encode("utf-8")).hexdigest()


def _read(db, doc_id):
    try:
        return db.get_local(doc_id)
    except NotFound:
        return None


class Checkpointer:
    """Reads the agreed start seq and records progress on both sides."""

    def __init__(self, source, target, rep_id):
        self.source, self.target = source, target
        self.doc_id = f"_local/{rep_id}"
        self.session_id = uuid.uuid4().hex
        self.start_time = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
        self.start_seq = 0
        self.docs = {}

    def start(self):
        """The seq to resume from (0 when the two sides do not agree)."""
        found = {side: _read(db, self.doc_id)
                 for side, db in (("source", self.source), ("target", self.target))}
        self.docs = found
        src, tgt = found["source"], found["target"]
        if not src or not tgt:
            return 0
        if src.get("session_id") == tgt.get("session_id"):
            self.start_seq = src.get("source_last_seq", 0)
            return self.start_seq
        seen = {h.get("session_id"): h for h in tgt.get("history", [])}
        for entry in src.get("history", []):
            if entry.get("session_id") in seen:
                self.start_seq = entry.get("recorded_seq", 0)
                return self.start_seq
        return 0

    def record(self, last_seq, stats):
        """Write the checkpoint for ``last_seq`` to both sides."""
        entry = {"session_id": self.session_id, "start_time": self.start_time,
                 "end_time": time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()),
                 "start_last_seq": self.start_seq, "end_last_seq": last_seq,
                 "recorded_seq": last_seq, **stats}
        for side, db in (("source", self.source), ("target", self.target)):
            try:
                self.docs[side] = self._write(db, self.docs.get(side), last_seq, entry)
            except Conflict:
                # The last write landed but its answer was lost (the peer went
                # down mid-response): build on what the side holds now.
                self.docs[side] = self._write(db, _read(db, self.doc_id), last_seq, entry)

    def _write(self, db, old, last_seq, entry):
        old = old or {}
        history = [h for h in old.get("history", [])
                   if h.get("session_id") != self.session_id]
        doc = {"session_id": self.session_id, "source_last_seq": last_seq,
               "replication_id_version": VERSION,
               "history": ([entry] + history)[:HISTORY]}
        if old.get("_rev"):
            doc["_rev"] = old["_rev"]
        doc["_rev"] = db.put_local(self.doc_id, doc).get("rev")
        return doc
