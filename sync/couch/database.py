"""One gridvisit database kept in CouchDB: a root database and one per partition.

Documents go to their partition's CouchDB database (``names.part_db``),
created on first write; documents of no partition, design documents and
``_local`` documents to the root. Reads of one id go to one database;
feeds and listings merge the partitions asked for. Writes use CouchDB's own
``_bulk_docs`` (``new_edits`` true: CouchDB checks the parent and makes the
rev; false: grafted as replicated), then conflicting leaves are merged by
:mod:`sync.couch.merging`. What the server needs of it: ``sync/backend.py``.
"""

import json
import uuid

from .. import writes
from ..errors import BadRequest, NotFound, error_from_row
from ..integers import parse_int
from . import listing, merging, names, seqs
from .client import quote, quote_id
from .wake import PartitionWake

META_ID = "_local/gridvisit-meta"
ROOT = ""                    # the root database's key in a seq vector


class CouchDatabase:
    """A gridvisit database over one CouchDB server (or cluster)."""

    partitioned_seqs = True

    def __init__(self, server, prefix, name, partition=None, resolver=None):
        self.server = server
        self.prefix = prefix
        self.name = name
        self.partition = partition
        self.resolver = resolver
        self.root = names.root(prefix, name)
        meta = self._meta()
        self.uuid = meta["uuid"]
        self.epoch = meta["uuid"][:8]
        self.instance_start_time = meta["instance_start_time"]
        self._parts = None
        self._wake = PartitionWake(self)

    def __repr__(self):
        return f"CouchDatabase({self.name!r} at {self.server.shown})"

    def _meta(self):
        try:
            return self.server.request("GET", f"{quote(self.root)}/{META_ID}")
        except NotFound:
            raise NotFound("Database does not exist.") from None

    # -- where documents live ------------------------------------------------

    def part_of(self, doc_id):
        """The partition of ``doc_id`` (None: the root database)."""
        if self.partition is None or not isinstance(doc_id, str) or doc_id.startswith(
                "_local/"):
            return None
        return self.partition(doc_id)

    def couch_name(self, part):
        """The CouchDB database holding partition ``part`` (None: the root)."""
        return self.root if part in (None, ROOT) else names.part_db(self.prefix, self.name, part)

    def parts(self, refresh=False):
        """Every partition that has a CouchDB database, sorted.

        Another gridvisit server may have made one since this process last
        looked: reads of every partition refresh the list, and reads of
        given partitions never rely on it (a partition with no database
        reads as empty, :meth:`absent_is_empty`).
        """
        if self._parts is None or refresh:
            start = self.root + names.SEP
            found = self.server.request("GET", "_all_dbs", {
                "startkey": json.dumps(start), "endkey": json.dumps(start + "\ufff0")})
            self._parts = sorted(names.split(self.prefix, n)[1] for n in found
                                 if n.startswith(start))
        return self._parts

    def _ensure_part(self, part, known=True):
        if part is None or (known and part in self.parts()):
            return
        # A grid of a few hundred households fits one shard (docs/scaling.md).
        self.server.request("PUT", quote(self.couch_name(part)), {"q": "1"},
                            ok=(201, 202, 412))
        self._parts = sorted(set(self._parts or ()) | {part})

    def _wanted_parts(self, parts):
        """The keys of the databases a read of ``parts`` (None: all) covers."""
        if parts is None:
            return [ROOT] + self.parts(refresh=True)
        return sorted(set(parts))

    def absent_is_empty(self, read, empty):
        """``read()``, or ``empty`` when its partition has no CouchDB database yet."""
        try:
            return read()
        except NotFound:
            return empty

    def _db(self, doc_id):
        return quote(self.couch_name(self.part_of(doc_id)))

    # -- info ----------------------------------------------------------------

    def _db_info(self, key):
        return self.server.request("GET", quote(self.couch_name(key)))

    def info(self, parts=None):
        """Database info as ``GET /{db}``: counts and seq over partitions
        ``parts`` (None: every one), so a worker's costs only their grids."""
        live = deleted = 0
        positions = {}
        for key in self._wanted_parts(parts):
            info = self.absent_is_empty(lambda k=key: self._db_info(k),
                                        {"doc_count": 0, "update_seq": 0})
            live += info["doc_count"]
            deleted += info.get("doc_del_count", 0)
            positions[key] = info["update_seq"]
        seq = seqs.encode(positions)
        return {"db_name": self.name, "doc_count": live, "doc_del_count": deleted,
                "update_seq": seq, "committed_update_seq": seq, "purge_seq": 0,
                "compact_running": False, "instance_start_time": "0",
                "sizes": {"file": 0, "active": 0, "external": 0}, "disk_format_version": 8}

    def counts(self, parts):
        """``(live, deleted)`` document counts within partitions ``parts``."""
        live = deleted = 0
        for key in self._wanted_parts(parts):
            info = self.absent_is_empty(lambda k=key: self._db_info(k), {"doc_count": 0})
            live, deleted = live + info["doc_count"], deleted + info.get("doc_del_count", 0)
        return live, deleted

    def revs_limit(self):
        """``_revs_limit`` (the root's; every partition is kept at the same)."""
        return self.server.request("GET", f"{quote(self.root)}/_revs_limit")

    def set_revs_limit(self, limit):
        """Set ``_revs_limit`` on the root and every partition.

        :raises BadRequest: unless ``limit`` is a positive integer.
        """
        limit = parse_int(limit, "revs_limit", minimum=1)
        for key in self._wanted_parts(None):
            self.server.request("PUT", f"{quote(self.couch_name(key))}/_revs_limit",
                                body=limit)

    def update_seq(self):
        """The seq vector of the latest write in every partition (a token)."""
        return self.info()["update_seq"]

    def design_stamp(self):
        """A token that changes whenever a design document is written or
        purged: their ids and revisions (one ``_all_docs`` range request)."""
        name = quote(self.couch_name(self.part_of("_design/")))
        found = self.absent_is_empty(lambda: self.server.request(
            "GET", f"{name}/_all_docs",
            {"startkey": '"_design/"', "endkey": '"_design0"'}), {"rows": []})
        return tuple((row["id"], row["value"]["rev"]) for row in found["rows"])

    def close(self):
        """Wake every waiter; the HTTP client belongs to the store."""
        self._wake.close()

    # -- writes --------------------------------------------------------------

    def bulk_docs(self, docs, new_edits=True, before_write=None):
        """Write a batch; one row per document (only failures with ``new_edits=False``).

        Each partition's documents go in one CouchDB ``_bulk_docs``; then
        every document left with several live leaves is merged
        (:func:`merging.resolve`).

        :raises BadRequest: when ``docs`` is not a list or a document is malformed.
        """
        if not isinstance(docs, list):
            raise BadRequest("docs must be a JSON array of documents")
        for index, doc in enumerate(docs):
            writes.check_shape(index, doc, new_edits)
        rows = [None] * len(docs)
        groups = {}
        for index, doc in enumerate(docs):
            doc_id = doc.get("_id")
            if new_edits and doc_id is None:
                doc = dict(doc, _id=uuid.uuid4().hex)
                doc_id = doc["_id"]
            if before_write is not None:
                try:
                    before_write(doc, lambda d=doc_id: merging.current(self, d))
                except Exception as err:                 # noqa: BLE001 - a refusal row
                    if not hasattr(err, "error"):
                        raise
                    rows[index] = {"id": doc_id, "error": err.error, "reason": err.reason}
                    if isinstance(doc.get("_rev"), str):
                        rows[index]["rev"] = doc["_rev"]
                    continue
            groups.setdefault(self.part_of(doc_id), []).append((index, doc))
        touched = []
        for part, items in groups.items():
            self._ensure_part(part)
            batch = {"docs": [doc for _i, doc in items], "new_edits": bool(new_edits)}
            path = f"{quote(self.couch_name(part))}/_bulk_docs"
            try:
                answer = self.server.request("POST", path, body=batch)
            except NotFound:                 # deleted through another server meanwhile
                self._ensure_part(part, known=False)
                answer = self.server.request("POST", path, body=batch)
            if new_edits:
                for (index, doc), row in zip(items, answer):
                    rows[index] = row
                    if "error" not in row:
                        touched.append(row["id"])
            else:
                failed = {row.get("id"): row for row in answer if "error" in row}
                for index, doc in items:
                    if doc["_id"] in failed:
                        rows[index] = failed[doc["_id"]]
                    else:
                        touched.append(doc["_id"])
        if self.resolver is not None:
            for doc_id in dict.fromkeys(touched):
                merging.resolve(self, doc_id, self.resolver)
        return [row for row in rows if row is not None]

    def put(self, doc, new_edits=True):
        """Write one document; return ``{"ok", "id", "rev"}``.

        :raises GridvisitError: the document's error, e.g. :class:`Conflict`.
        """
        result = self.bulk_docs([doc], new_edits=new_edits)
        if result and "error" in result[0]:
            raise error_from_row(result[0])
        if not new_edits:
            return {"ok": True, "id": doc["_id"], "rev": doc.get("_rev")}
        return result[0]

    def delete(self, doc_id, rev):
        """Delete ``doc_id`` at ``rev`` (a tombstone revision)."""
        return self.put({"_id": doc_id, "_rev": rev, "_deleted": True})

    # -- reads ---------------------------------------------------------------

    @staticmethod
    def _read_params(rev=None, **options):
        params = {}
        for key in ("revs", "conflicts", "deleted_conflicts", "revs_info", "attachments",
                    "latest"):
            if options.get(key):
                params[key] = "true"
        if options.get("atts_since"):
            params["atts_since"] = json.dumps(options["atts_since"])
        if rev is not None:
            params["rev"] = rev
        return params

    def get(self, doc_id, rev=None, **options):
        """One revision as a client sees it. :raises NotFound:."""
        return self.server.request("GET", f"{self._db(doc_id)}/{quote_id(doc_id)}",
                                   self._read_params(rev, **options))

    def open_revs(self, doc_id, wanted, **options):
        """``[{"ok": doc} | {"missing": rev}]`` for ``wanted`` revs or ``"all"``."""
        params = self._read_params(**options)
        params["open_revs"] = wanted if wanted == "all" else json.dumps(wanted)
        return self.server.request("GET", f"{self._db(doc_id)}/{quote_id(doc_id)}", params)

    def bulk_get(self, requests, raw=False, **options):
        """``_bulk_get`` results for ``[{"id", "rev"?, "atts_since"?}]``, in order."""
        if not isinstance(requests, list):
            raise BadRequest("docs must be a JSON array of {id, rev} objects")
        params = self._read_params(**{k: v for k, v in options.items() if k != "atts_since"})
        out = [None] * len(requests)
        groups = {}
        for index, item in enumerate(requests):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                out[index] = {"id": None, "docs": [{"error": {
                    "id": None, "rev": None, "error": "bad_request",
                    "reason": "each request needs an id"}}]}
                continue
            groups.setdefault(self.part_of(item["id"]), []).append((index, item))
        for part, items in groups.items():
            missing = [{"id": item["id"], "docs": [{"error": {
                "id": item["id"], "rev": item.get("rev"), "error": "not_found",
                "reason": "missing"}}]} for _index, item in items]
            found = self.absent_is_empty(lambda p=part, i=items: self.server.request(
                "POST", f"{quote(self.couch_name(p))}/_bulk_get", params,
                body={"docs": [item for _i, item in i]})["results"], missing)
            for (index, _item), result in zip(items, found):
                out[index] = result
        return out

    def revs_diff(self, wanted):
        """For ``{id: [revs]}``, the revs this database lacks.

        :raises BadRequest: when the request is not ``{id: [rev, ...]}``.
        """
        if not isinstance(wanted, dict):
            raise BadRequest("_revs_diff takes an object of {id: [revs]}")
        groups = {}
        for doc_id, revs in wanted.items():
            if not isinstance(revs, list) or not all(isinstance(r, str) for r in revs):
                raise BadRequest(f"_revs_diff: revs of {doc_id!r} must be a list of revs")
            groups.setdefault(self.part_of(doc_id), {})[doc_id] = revs
        out = {}
        for part, asked in groups.items():
            lacking = {d: {"missing": list(dict.fromkeys(r))} for d, r in asked.items()}
            out.update(self.absent_is_empty(lambda p=part, a=asked: self.server.request(
                "POST", f"{quote(self.couch_name(p))}/_revs_diff", body=a), lacking))
        return out

    def get_attachment(self, doc_id, name, rev=None):
        """``(stub, bytes)`` of attachment ``name`` on ``rev`` (or the winner).

        :raises NotFound: when the document or attachment is absent.
        """
        doc = self.get(doc_id, rev)
        stub = (doc.get("_attachments") or {}).get(name)
        if stub is None:
            raise NotFound(f"Document is missing attachment {name!r}")
        path = f"{self._db(doc_id)}/{quote_id(doc_id)}/{quote(name)}"
        response = self.server.raw("GET", path, {"rev": doc["_rev"]})
        if response.status_code != 200:
            raise self.server.error(response, "GET", path)
        return stub, response.content

    def all_docs(self, **params):
        """``_all_docs`` merged over the partitions (``parts``; None: all)."""
        return listing.all_docs(self, **params)

    # -- changes -------------------------------------------------------------

    def changes(self, since=0, limit=None, style="main_only", doc_ids=None,
                include_docs=False, conflicts=False, descending=False, parts=None,
                selector=None, predicate=None, until=None):
        """One page of the feed merged from the partitions ``parts`` (None: all).

        :raises BadRequest: for a malformed ``since``, ``limit`` or ``style``,
            and for ``descending`` or ``until`` (not offered by this store).
        """
        if descending or until is not None:
            raise BadRequest("descending: 此存储暂不支持倒序变更 / not offered by the "
                             "CouchDB store")
        return listing.changes(self, since, limit, style, doc_ids, include_docs, conflicts, parts,
                       selector, predicate)

    def decode_since(self, since):
        """The seq vector a client's ``since`` stands for (``"now"``: the latest)."""
        if since == "now":
            return seqs.decode(self.update_seq())
        return seqs.decode(since)

    def wait_for_change(self, position, timeout, parts=None):
        """Block until a change after ``position`` in ``parts`` (True) or ``timeout`` (False)."""
        return self._wake.wait(position, timeout, parts)

    def wait_for_changes(self, since, seconds):
        """Whether a change after the client's ``since`` came within ``seconds``."""
        return self.wait_for_change(self.decode_since(since), seconds)

    def waiting(self):
        """How many requests wait for a change now."""
        return self._wake.waiting()

    def endpoint_id(self):
        """What names this database in replication ids: ``couch:`` and its uuid."""
        return f"couch:{self.uuid}"

    def ensure_full_commit(self):
        """CouchDB commits every write before answering: nothing to do."""

    # -- _local (in the root) ---------------------------------------------------

    def _local_path(self, doc_id):
        return f"{quote(self.root)}/_local/{quote(doc_id[len('_local/'):])}"

    def get_local(self, doc_id):
        """A ``_local`` document. :raises NotFound: when absent."""
        return self.server.request("GET", self._local_path(doc_id))

    def put_local(self, doc_id, doc):
        """Write a ``_local`` document. :raises Conflict: on a stale rev."""
        # The body names the id it is stored under: the view renames a
        # user's checkpoint, and a body ``_id`` that disagrees with the URL
        # is not something to leave to the server.
        return self.server.request("PUT", self._local_path(doc_id), body=dict(doc, _id=doc_id))

    def delete_local(self, doc_id, rev):
        """Delete a ``_local`` document. :raises NotFound, Conflict:."""
        return self.server.request("DELETE", self._local_path(doc_id), {"rev": rev})

    def local_docs(self, key_prefix="", **params):
        """``_local_docs`` rows stored under ``key_prefix``, named without it
        (the per-user prefix), as the SQLite store answers; ranges, ``keys``,
        ``skip``, ``limit`` and ``descending`` apply to those names."""
        return listing.local_docs(self, key_prefix, **params)

    # -- merges -----------------------------------------------------------------

    def resolutions(self, doc_id=None, flagged=None, limit=100, offset=0, rid=None):
        """Recorded automatic resolutions, newest first."""
        return merging.listing(self, doc_id, flagged, limit, offset, rid)

    def settle_resolution(self, resolution_id, who, override=None):
        """Record a supervisor's verdict once. :raises Conflict: when settled already."""
        merging.settle(self, resolution_id, who, override)

    def resolve_all(self, progress=None):
        """Merge every conflicted document; return how many were merged."""
        return merging.resolve_all(self, progress)
