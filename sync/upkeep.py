"""Purge and compaction of a :class:`~sync.database.Database` (the upkeep
CouchDB does with ``_purge`` and ``_compact``).

``Upkeep`` is mixed into ``Database``; it uses the database's file, meta
rows, partition function and change watcher. The rules live in
:mod:`.purge` and :mod:`.compact`; this module runs them in transactions.
"""

import sqlite3
import threading

from . import compact, purge, writes
from .integers import parse_int


class Upkeep:
    """Purge and compaction, for ``Database``."""

    _compaction = None          # the running compaction's thread

    def purge(self, request):
        """Purge leaf revisions, ``{id: [rev, …]}`` (see :mod:`.purge`); return
        ``{"purge_seq": None, "purged": {id: [revs purged]}}`` as CouchDB 3.

        Rows go with SQLite's ``secure_delete`` on and the WAL is checkpointed
        after, so the purged bodies and bytes are gone from the files.

        :raises BadRequest: for a malformed request (then nothing is purged).
        """
        purge.check_request(request)
        purged = {}
        with self.file.write() as conn:
            conn.execute("PRAGMA secure_delete = ON")
            try:
                batch = writes.Batch(conn, int(self._meta(conn, "update_seq")),
                                     int(self._meta(conn, "revs_limit")), self.partition)
                bodies = []
                for doc_id, revs in request.items():
                    purged[doc_id], gone = purge.purge_doc(batch, doc_id, revs)
                    bodies += gone
                purge.drop_unreferenced_blobs(conn, purge.digests(bodies))
                done = {doc_id: revs for doc_id, revs in purged.items() if revs}
                if done:
                    purge.record(conn, done)
                    batch.seq += 1        # a purge is an update, as in CouchDB
                    conn.executemany("UPDATE meta SET value = ? WHERE key = ?", [
                        (str(batch.seq), "update_seq"),
                        (str(int(self._meta(conn, "doc_count")) + batch.live_delta),
                         "doc_count"),
                        (str(int(self._meta(conn, "doc_del_count")) + batch.deleted_delta),
                         "doc_del_count")])
            finally:
                conn.execute("PRAGMA secure_delete = OFF")
        if done:
            with self.file.maintenance() as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._watcher.notify(batch.seq, batch.parts)
        return {"purge_seq": None, "purged": purged}

    def purge_seq(self):
        """How many purge requests this database has taken."""
        with self.file.read() as conn:
            return purge.purge_seq(conn)

    def purged_since(self, seq=0):
        """The purge log after ``seq``: ``[(purge_seq, {id: [revs]})]`` — how an
        index built from the changes feed learns which ids to drop."""
        with self.file.read() as conn:
            return purge.since(conn, seq)

    def purged_infos_limit(self):
        """How many purge requests the log keeps (``_purged_infos_limit``)."""
        with self.file.read() as conn:
            return purge.infos_limit(conn)

    def set_purged_infos_limit(self, limit):
        """Set ``_purged_infos_limit``. :raises BadRequest: unless a positive integer."""
        limit = parse_int(limit, "purged_infos_limit", minimum=1)
        with self.file.write() as conn:
            purge.set_infos_limit(conn, limit)

    def compact(self, wait=False):
        """Start compacting (see :mod:`.compact`) unless already running;
        with ``wait``, return its counts when done."""
        with self.file.write_lock:
            running = self._compaction
            if running is None or not running.is_alive():
                result = {}
                running = threading.Thread(target=self._compact, args=(result,),
                                           name=f"compact {self.name}", daemon=True)
                running.result = result
                self._compaction = running
                running.start()
        if wait:
            running.join()
            return running.result
        return None

    def _compact(self, result):
        # A background thread: a failure is kept in the result, never raised
        # into the void (the next _compact tries again).
        try:
            with self.file.write() as conn:
                result.update(compact.prune(conn, int(self._meta(conn, "revs_limit"))))
            with self.file.maintenance() as conn:
                compact.vacuum(conn)
            result["vacuum"] = "done"
        except sqlite3.Error as err:          # e.g. another process holds the file busy
            result["error"] = str(err)

    def compacting(self):
        """Whether a compaction runs now (``compact_running``)."""
        running = self._compaction
        return running is not None and running.is_alive()
