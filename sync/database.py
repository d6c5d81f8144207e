"""One named database over one SQLite file.

``Database`` is the interface the server and the replicator drive: info,
changes, revs_diff, bulk_get, bulk_docs (new_edits true and false), single
document reads and writes, all_docs, attachments and ``_local`` docs; purge
and compaction come from :class:`.upkeep.Upkeep`. An
Apache CouchDB backend implements the same methods over HTTP.
"""

import secrets
import time
import uuid

from . import alldocs, changes, local, purge, reads, resolve, revtree, writes
from .errors import BadRequest, Conflict, NotFound, GridvisitError, error_from_row
from .integers import parse_int
from .sqlite import SQLiteFile, connect
from .selector import matches
from .upkeep import Upkeep
from .doorbell import Doorbell
from .watch import ChangeWatcher


class Database(Upkeep):
    """A CouchDB-style database stored in one SQLite file."""

    partitioned_seqs = False      # one sequence: the per-user view narrows it (sync/backend.py)

    def __init__(self, name, path, partition=None, resolver=None):
        self.name = name
        self.partition = partition
        self.resolver = resolver
        self.file = SQLiteFile(path)
        with self.file.write() as conn:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            if "uuid" not in meta:
                meta = {"uuid": uuid.uuid4().hex, "epoch": secrets.token_hex(4),
                        "update_seq": "0", "revs_limit": str(revtree.DEFAULT_REVS_LIMIT),
                        "instance_start_time": str(int(time.time() * 1_000_000))}
                conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
            if "doc_count" not in meta:          # counted once, then kept on each write
                counts = dict(conn.execute(
                    "SELECT deleted, COUNT(*) FROM docs GROUP BY deleted").fetchall())
                conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
                    ("doc_count", str(counts.get(0, 0))),
                    ("doc_del_count", str(counts.get(1, 0)))])
        self.uuid = meta["uuid"]
        self.epoch = meta["epoch"]
        self.instance_start_time = meta["instance_start_time"]
        self._watcher = ChangeWatcher(self.update_seq, self._open_probe, name,
                                      int(meta["update_seq"]),
                                      bell=Doorbell(f"{path}.bells"))

    def _open_probe(self):
        return changes.ChangeProbe(connect(self.file.path))

    # -- bookkeeping -----------------------------------------------------

    def _meta(self, conn, key):
        return conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0]

    def update_seq(self):
        """The integer seq of the latest write."""
        with self.file.read() as conn:
            return int(self._meta(conn, "update_seq"))

    def design_stamp(self):
        """A token that changes whenever a design document is written or purged
        (an index seek; ``update_seq`` moves with every write)."""
        with self.file.read() as conn:
            return conn.execute(
                "SELECT COUNT(*), MAX(seq) FROM docs WHERE id >= '_design/' AND id < '_design0'"
            ).fetchone()

    def seq_text(self, n):
        """The opaque string form of integer seq ``n``."""
        return changes.encode_seq(n, self.epoch)

    def info(self):
        """Database info as ``GET /{db}`` returns it."""
        with self.file.read() as conn:
            seq = int(self._meta(conn, "update_seq"))
            counts = {0: int(self._meta(conn, "doc_count")),
                      1: int(self._meta(conn, "doc_del_count"))}
            size, active = conn.execute(
                "SELECT page_count * page_size, (page_count - freelist_count) * page_size "
                "FROM pragma_page_count(), pragma_page_size(), pragma_freelist_count()"
            ).fetchone()
            purge_seq = purge.purge_seq(conn)
        return {"db_name": self.name, "doc_count": counts.get(0, 0),
                "doc_del_count": counts.get(1, 0), "update_seq": self.seq_text(seq),
                "purge_seq": self.seq_text(purge_seq), "compact_running": self.compacting(),
                "sizes": {"file": size, "active": active, "external": active},
                "disk_size": size, "data_size": active,
                "instance_start_time": "0", "disk_format_version": 8,
                "committed_update_seq": self.seq_text(seq)}

    def resolve_all(self, progress=None):
        """Resolve every conflicted document (data replicated in from
        elsewhere); return how many were merged. ``progress(done, total)``."""
        if self.resolver is None:
            return 0
        with self.file.read() as conn:
            ids = [row[0] for row in conn.execute(
                "SELECT id FROM docs WHERE instr(leaves, ' ') > 0")]
        merged = 0
        for start in range(0, len(ids), 200):
            chunk = ids[start:start + 200]
            with self.file.write() as conn:
                batch = writes.Batch(conn, int(self._meta(conn, "update_seq")),
                                     int(self._meta(conn, "revs_limit")), self.partition)
                merged += sum(1 for doc_id in chunk
                              if resolve.resolve(batch, doc_id, self.resolver))
                if batch.changed:
                    conn.execute("UPDATE meta SET value = ? WHERE key = 'update_seq'",
                                 (str(batch.seq),))
            if batch.changed:
                self._watcher.notify(batch.seq, batch.parts)
            if progress:
                progress(min(start + 200, len(ids)), len(ids))
        return merged

    def resolutions(self, doc_id=None, flagged=None, limit=100, offset=0, rid=None):
        """Recorded automatic resolutions, newest first."""
        with self.file.read() as conn:
            return resolve.listing(conn, doc_id, flagged, limit, offset, rid)

    def settle_resolution(self, resolution_id, who, override=None):
        """Record that ``who`` accepted a resolution, or overrode it with
        revision ``override`` — once: a settled one keeps its record.

        :raises Conflict: when it was settled already.
        """
        with self.file.write() as conn:
            cur = conn.execute("UPDATE resolutions SET settled_by = ?, settled_at = ?, "
                               "override = ? WHERE id = ? AND settled_by IS NULL",
                               (who, time.time(), override, resolution_id))
        if cur.rowcount != 1:
            raise Conflict("该合并已处理过，不能再次处理 / this merge was settled already")

    def counts(self, parts):
        """``(live, deleted)`` document counts within partitions ``parts``."""
        parts = sorted(parts)
        marks = ",".join("?" * len(parts))
        with self.file.read() as conn:
            found = dict(conn.execute(
                f"SELECT deleted, COUNT(*) FROM docs WHERE part IN ({marks}) GROUP BY deleted",
                parts).fetchall())
        return found.get(0, 0), found.get(1, 0)

    def revs_limit(self):
        """How many revisions each path keeps (``_revs_limit``)."""
        with self.file.read() as conn:
            return int(self._meta(conn, "revs_limit"))

    def set_revs_limit(self, limit):
        """Set ``_revs_limit``.

        :raises BadRequest: unless ``limit`` is a positive integer.
        """
        limit = parse_int(limit, "revs_limit", minimum=1)
        with self.file.write() as conn:
            conn.execute("UPDATE meta SET value = ? WHERE key = 'revs_limit'", (str(limit),))

    def close(self):
        """Release the file's connections and wake any waiter."""
        self._watcher.close()
        self.file.close()

    # -- writes ----------------------------------------------------------

    def bulk_docs(self, docs, new_edits=True, before_write=None):
        """Write a batch in one transaction; one result per document.

        ``before_write(doc, current)`` may raise a :class:`GridvisitError` to
        refuse one document; the rest still go in. ``current()`` returns the
        document's ``(tree, winning body or None)`` inside the transaction. With ``new_edits=False`` only failed
        documents get a row, as in CouchDB.

        :raises BadRequest: when ``docs`` is not a list or any document is
            malformed (then nothing is written).
        """
        if not isinstance(docs, list):
            raise BadRequest("docs must be a JSON array of documents")
        for index, doc in enumerate(docs):
            writes.check_shape(index, doc, new_edits)
        results = []
        with self.file.write() as conn:
            batch = writes.Batch(conn, int(self._meta(conn, "update_seq")),
                                 int(self._meta(conn, "revs_limit")), self.partition)
            for doc in docs:
                conn.execute("SAVEPOINT doc")
                try:
                    if before_write is not None:
                        doc_id = doc.get("_id")
                        before_write(doc, lambda: batch.current(doc_id) if isinstance(
                            doc_id, str) else ({}, None))
                    if new_edits:
                        results.append(writes.edit(batch, doc))
                    else:
                        writes.replicate(batch, doc)
                    conn.execute("RELEASE doc")
                except GridvisitError as err:
                    conn.execute("ROLLBACK TO doc")
                    conn.execute("RELEASE doc")
                    row = {"id": doc.get("_id") if isinstance(doc, dict) else None,
                           "error": err.error, "reason": err.reason}
                    if isinstance(doc, dict) and isinstance(doc.get("_rev"), str):
                        row["rev"] = doc["_rev"]
                    results.append(row)
            if self.resolver is not None:
                for doc_id in dict.fromkeys(batch.touched):
                    resolve.resolve(batch, doc_id, self.resolver)
            if batch.changed:
                conn.executemany("UPDATE meta SET value = ? WHERE key = ?", [
                    (str(batch.seq), "update_seq"),
                    (str(int(self._meta(conn, "doc_count")) + batch.live_delta), "doc_count"),
                    (str(int(self._meta(conn, "doc_del_count")) + batch.deleted_delta),
                     "doc_del_count")])
        if batch.changed:
            self._watcher.notify(batch.seq, batch.parts)
        return results

    def put(self, doc, new_edits=True):
        """Write one document; return ``{"ok", "id", "rev"}``.

        :raises GridvisitError: the document's error, e.g. :class:`Conflict`.
        """
        result = self.bulk_docs([doc], new_edits=new_edits)
        if result and "error" in result[0]:
            raise error_from_row(result[0])
        if not new_edits:
            return {"ok": True, "id": doc["_id"], "rev": doc["_rev"]}
        return result[0]

    def delete(self, doc_id, rev):
        """Delete ``doc_id`` at ``rev`` (a tombstone revision)."""
        return self.put({"_id": doc_id, "_rev": rev, "_deleted": True})

    # -- reads -----------------------------------------------------------

    def _load_blob(self, digest):
        with self.file.read() as conn:
            row = conn.execute("SELECT data FROM blobs WHERE digest = ?", (digest,)).fetchone()
        if row is None:
            raise NotFound(f"attachment data {digest} is missing")
        return bytes(row[0])

    def attachment_data(self, digest):
        """The bytes of the attachment with ``digest``. :raises NotFound: when absent."""
        return self._load_blob(digest)

    def get(self, doc_id, rev=None, **options):
        """One revision as a client sees it (see :class:`reads.ReadOptions`).

        :raises NotFound: when the document or revision is absent.
        """
        with self.file.read() as conn:
            return reads.get(conn, doc_id, rev, reads.ReadOptions(**options), self._load_blob)

    def open_revs(self, doc_id, wanted, **options):
        """``[{"ok": doc} | {"missing": rev}]`` for ``wanted`` revs or "all"."""
        with self.file.read() as conn:
            return reads.open_revs(conn, doc_id, wanted, reads.ReadOptions(**options),
                                   self._load_blob)

    def bulk_get(self, requests, raw=False, **options):
        """``_bulk_get`` results for ``[{"id", "rev"?, "atts_since"?}]``.

        With ``raw``, documents may come as :class:`reads.RawJSON` text.
        """
        if not isinstance(requests, list):
            raise BadRequest("docs must be a JSON array of {id, rev} objects")
        with self.file.read() as conn:
            return reads.bulk_get(conn, requests, reads.ReadOptions(**options),
                                  self._load_blob, raw)

    def revs_diff(self, wanted):
        """For ``{id: [revs]}``, the revs this database lacks.

        :raises BadRequest: when the request is not ``{id: [rev, ...]}``.
        """
        if not isinstance(wanted, dict):
            raise BadRequest("_revs_diff takes an object of {id: [revs]}")
        out = {}
        with self.file.read() as conn:
            for doc_id, revs in wanted.items():
                if not isinstance(revs, list) or not all(isinstance(r, str) for r in revs):
                    raise BadRequest(f"_revs_diff: revs of {doc_id!r} must be a list of revs")
                for rev in revs:
                    revtree.parse_rev(rev)
                meta = reads.load_meta(conn, doc_id)
                tree = meta[0] if meta else {}
                missing = [r for r in dict.fromkeys(revs) if r not in tree]
                if missing:
                    entry = {"missing": missing}
                    top = max(revtree.rev_pos(r) for r in missing)
                    ancestors = [r for r in revtree.leaves(tree) if revtree.rev_pos(r) < top]
                    if ancestors:
                        entry["possible_ancestors"] = sorted(ancestors, key=revtree.sort_key)
                    out[doc_id] = entry
        return out

    def get_attachment(self, doc_id, name, rev=None):
        """``(stub, bytes)`` of attachment ``name`` on ``rev`` (or winner).

        :raises NotFound: when the document or attachment is absent.
        """
        doc = self.get(doc_id, rev)
        stub = (doc.get("_attachments") or {}).get(name)
        if stub is None:
            raise NotFound(f"Document is missing attachment {name!r}")
        return stub, self._load_blob(stub["digest"])

    def all_docs(self, **params):
        """``_all_docs`` in CouchDB's shape (see :class:`alldocs.AllDocsQuery`).

        ``parts`` keeps only documents of those partitions; explicit keys
        outside them answer ``not_found``.
        """
        parts = params.pop("parts", None)
        q = alldocs.AllDocsQuery(**params)
        opts = reads.ReadOptions(conflicts=q.conflicts)
        with self.file.read() as conn:
            if q.keys is not None:
                total, pairs = alldocs.by_keys(conn, q, parts)
                offset = 0
            else:
                total, offset, found = alldocs.ranged(conn, q, parts)
                pairs = [(row[0], row) for row in found]
            rows = []
            for key, row in pairs:
                if row is None:
                    rows.append({"key": key, "error": "not_found"})
                    continue
                doc_id, winner, deleted = row
                item = {"id": doc_id, "key": doc_id, "value": {"rev": winner}}
                if deleted:
                    item["value"]["deleted"] = True
                if q.include_docs:
                    item["doc"] = None if deleted else reads.get(
                        conn, doc_id, None, opts, self._load_blob)
                rows.append(item)
        return {"total_rows": total, "offset": offset, "rows": rows}

    # -- changes ---------------------------------------------------------

    def changes(self, since=0, limit=None, style="main_only", doc_ids=None,
                include_docs=False, conflicts=False, descending=False, parts=None,
                until=None, selector=None, predicate=None):
        """One page of the changes feed after ``since``.

        ``parts`` keeps only documents of those partitions (the server's
        per-user view); ``until`` ends the page at that integer seq;
        ``selector`` keeps only documents matching that Mango selector;
        ``predicate(doc)`` keeps only documents it is true for (a design
        document's filter, see :mod:`sync.design.filters`).

        :raises BadRequest: for a malformed ``since``, ``limit`` or ``style``.
        """
        if style not in ("main_only", "all_docs"):
            raise BadRequest('style must be "main_only" or "all_docs"')
        limit = None if limit is None else parse_int(limit, "limit")
        opts = reads.ReadOptions(conflicts=conflicts)
        with self.file.read() as conn:
            update_seq = int(self._meta(conn, "update_seq"))
            start = changes.decode_seq(since, self.epoch, update_seq)
            results, last = [], start
            for doc_id, seq, leaves, deleted in changes.query(
                    conn, start, None if selector or predicate else limit, doc_ids,
                    descending, parts, until):
                row = changes.change_row(doc_id, self.seq_text(seq), leaves, deleted,
                                         style == "all_docs")
                if selector is not None or include_docs or predicate is not None:
                    doc = reads.get(conn, doc_id, row["changes"][0]["rev"], opts,
                                    self._load_blob)
                    if (selector is not None and not matches(doc, selector)) or \
                            (predicate is not None and not predicate(doc)):
                        last = seq
                        continue
                    if include_docs:
                        row["doc"] = doc
                last = seq
                results.append(row)
                if limit is not None and len(results) >= limit:
                    break
            if descending:
                return {"results": results, "last_seq": self.seq_text(last), "pending": 0}
            if limit is None or len(results) < limit:
                last = max(last, update_seq if until is None else min(until, update_seq))
                pending = 0
            else:
                sql, args = "SELECT COUNT(*) FROM docs WHERE seq > ?", [last]
                if until is not None:
                    sql, args = sql + " AND seq <= ?", args + [until]
                if parts is not None:
                    sql += f" AND part IN ({','.join('?' * len(parts))})"
                    args += list(parts)
                pending = conn.execute(sql, args).fetchone()[0]
        return {"results": results, "last_seq": self.seq_text(last), "pending": pending}

    def wait_for_change(self, since_seq, timeout, parts=None):
        """Block until a document changes after ``since_seq`` (True) or
        ``timeout`` ends (False); with ``parts``, only a change in one of
        those partitions counts, and other partitions' writes never wake it."""
        return self._watcher.wait(since_seq, timeout, parts)

    def waiting(self):
        """How many requests wait for a change now."""
        return self._watcher.waiting()

    def wait_for_changes(self, since, seconds):
        """Whether a change after the client's ``since`` came within ``seconds``."""
        return self.wait_for_change(self.decode_since(since), seconds)

    def endpoint_id(self):
        """What names this database in replication ids: ``local:`` and its uuid."""
        return f"local:{self.uuid}"

    def ensure_full_commit(self):
        """Every write is durable when its transaction commits: nothing to do."""

    def decode_since(self, since):
        """The integer position of a client's ``since`` value."""
        return changes.decode_seq(since, self.epoch, self.update_seq())

    # -- _local ----------------------------------------------------------

    def get_local(self, doc_id):
        """A ``_local`` document. :raises NotFound: when absent."""
        with self.file.read() as conn:
            return local.get(conn, doc_id)

    def put_local(self, doc_id, doc):
        """Write a ``_local`` document. :raises Conflict: on a stale rev."""
        with self.file.write() as conn:
            return local.put(conn, doc_id, doc)

    def delete_local(self, doc_id, rev):
        """Delete a ``_local`` document. :raises NotFound, Conflict:."""
        with self.file.write() as conn:
            return local.delete(conn, doc_id, rev)

    def local_docs(self, key_prefix="", **params):
        """``_local_docs`` rows (see :func:`local.listing`); ``key_prefix``
        keeps those stored under it (the server's per-user prefix)."""
        with self.file.read() as conn:
            return local.listing(conn, key_prefix, **params)
