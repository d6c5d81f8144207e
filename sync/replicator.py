"""The replicator: moves documents between any two CouchDB-protocol
databases, the way CouchDB's and PouchDB's replicators do.

``_changes`` (style=all_docs) → ``_revs_diff`` on the target → ``_bulk_get``
from the source → ``_bulk_docs`` with ``new_edits=false`` on the target →
a checkpoint in ``_local`` on both sides. It drives only the small
interface that a local ``Database`` and a ``RemoteDatabase`` share, so the
same loop pushes, pulls, or copies between two remote servers. Reading the
next batch overlaps with writing the current one.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from .checkpoint import Checkpointer, replication_id
from .peer import Peer
from .errors import BadRequest, PayloadTooLarge, TransportError


class DocFilter(Protocol):
    """Which documents a filtered replication copies (the product defines them)."""

    spec: list
    """What names the filter in the replication id, so each keeps its own checkpoint."""

    def accept(self, doc_id: str) -> bool:
        """Whether the document ``doc_id`` is copied."""


class Replication:
    """One replication from ``source`` to ``target``."""

    def __init__(self, source: Peer, target: Peer, doc_filter: DocFilter | None = None, batch_size=500,
                 continuous=False, progress=None, poll_timeout=30):
        self.source, self.target = source, target
        self.filter_specs = doc_filter.spec if doc_filter else []
        self.accept = doc_filter.accept if doc_filter else None
        self.batch_size = batch_size
        self.continuous = continuous
        self.progress = progress
        self.poll_timeout = poll_timeout
        self.stopped = threading.Event()
        self.stats = {"docs_read": 0, "docs_written": 0, "doc_write_failures": 0,
                      "missing_checked": 0, "missing_found": 0}
        self.errors = []
        self.last_seq = 0

    def stop(self):
        """Ask a continuous replication to finish after its current batch."""
        self.stopped.set()

    def _fetch(self, since, wait):
        """Read one batch: changes, what the target lacks, and those revisions."""
        if wait:
            self._wait(since)
        page = self.source.changes(since=since, limit=self.batch_size, style="all_docs")
        wanted = {row["id"]: [c["rev"] for c in row["changes"]] for row in page["results"]
                  if self.accept is None or self.accept(row["id"])}
        missing = self.target.revs_diff(wanted) if wanted else {}
        requests = [{"id": doc_id, "rev": rev} for doc_id, entry in missing.items()
                    for rev in entry.get("missing", [])]
        docs = []
        for start in range(0, len(requests), 200):
            for result in self.source.bulk_get(requests[start:start + 200], revs=True,
                                               attachments=True, latest=True):
                docs.extend(item["ok"] for item in result["docs"] if "ok" in item)
        checked = sum(len(revs) for revs in wanted.values())
        return page, docs, checked, len(requests)

    def _wait(self, since):
        """Wait for a change after ``since``, in short slices so stop() is prompt.

        A source that cannot be reached ends the wait at once: the next
        ``_changes`` read retries with back-off and fails the run cleanly
        when the source stays away, as a one-shot run does.
        """
        deadline = time.monotonic() + self.poll_timeout
        while not self.stopped.is_set() and time.monotonic() < deadline:
            step = min(1.0, max(0.05, deadline - time.monotonic()))
            try:
                if self.source.wait_for_changes(since, step):
                    return
            except TransportError:
                return

    def _store(self, docs):
        """Write ``docs``; halve a batch the target finds too large."""
        if not docs:
            return []
        try:
            return self.target.bulk_docs(docs, new_edits=False)
        except PayloadTooLarge as err:
            if len(docs) == 1:
                return [{"id": docs[0].get("_id"), "error": err.error, "reason": err.reason}]
            middle = len(docs) // 2
            return self._store(docs[:middle]) + self._store(docs[middle:])

    def _write(self, page, docs, checked, found):
        rows = self._store(docs)
        failures = [row for row in rows if isinstance(row, dict) and "error" in row]
        self.errors.extend(failures)
        self.stats["docs_read"] += len(docs)
        self.stats["docs_written"] += len(docs) - len(failures)
        self.stats["doc_write_failures"] += len(failures)
        self.stats["missing_checked"] += checked
        self.stats["missing_found"] += found

    def run(self):
        """Replicate until caught up (or, continuous, until stopped); return stats."""
        rep_id = replication_id(self.source.endpoint_id(), self.target.endpoint_id(),
                                {"filter": self.filter_specs})
        checkpoints = Checkpointer(self.source, self.target, rep_id)
        self.last_seq = checkpoints.start()
        started = time.monotonic()
        self._loop(checkpoints, started)
        self.target.ensure_full_commit()
        return dict(self.stats, last_seq=self.last_seq, seconds=time.monotonic() - started)

    def _loop(self, checkpoints, started):
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="replicate-read") as reader:
            try:
                self._batches(reader, checkpoints, started)
            except KeyboardInterrupt:
                self.stopped.set()         # the reader's wait ends within a second
                raise

    def _batches(self, reader, checkpoints, started):
        pending = reader.submit(self._fetch, self.last_seq, False)
        while True:
            page, docs, checked, found = pending.result()
            if page["results"]:
                pending = reader.submit(self._fetch, page["last_seq"], False)
                self._write(page, docs, checked, found)
                self.last_seq = page["last_seq"]
                checkpoints.record(self.last_seq, self.stats)
                if self.progress:
                    self.progress(dict(self.stats, last_seq=self.last_seq,
                                       pending=page.get("pending"),
                                       seconds=time.monotonic() - started))
                if self.stopped.is_set():
                    break                  # finish after the current batch
                continue
            if not self.continuous or self.stopped.is_set():
                break
            pending = reader.submit(self._fetch, self.last_seq, True)


def replicate(source, target, **options):
    """Replicate ``source`` to ``target`` once; return the statistics."""
    return Replication(source, target, **options).run()
