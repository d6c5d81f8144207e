"""What the server needs of a store and of a database, written down once.

Two stores stand behind these: :class:`sync.store.Store` (one SQLite file
per database, the embedded default) and :class:`sync.couch.CouchStore`
(Apache CouchDB over its documented HTTP API, one CouchDB database per
partition: ``docs/scaling.md`` says why). The replicator needs only the
smaller :class:`sync.peer.Peer`; everything below is what the per-user
view (``server/access/view.py``), the ``/couch`` routes, the jobs and the
console index call.

Seqs cross this interface as opaque strings, as CouchDB's do: pass one
back as ``since`` unchanged. A *position* is what :meth:`Database.decode_since`
makes of a ``since`` and :meth:`Database.wait_for_change` waits after; only
the database that made it reads it (an integer for SQLite, a per-partition
vector for CouchDB). The SQLite store's feed is one sequence, so the
per-user view narrows it (``parts``) and remembers grid sets in its seqs
(``server/access/seqs.py``); the CouchDB store's ``changes(parts=…)`` seq
already names a position in every partition, so a newly seen partition
starts from its beginning (the backfill) and any server resumes it
(``partitioned_seqs`` is True).

Documents belong to partitions (``Store(partition=…)``, for gridvisit the
grid, ``rules.ids.grid_of``); ``resolver`` merges conflicting leaves on
write, and the merged revision's id is derived from its parents and body,
so two servers, or two stores, merging one conflict write one revision.

SQLite-only, and not in these protocols: ``file`` (Mango indexes and
views are kept in it: on CouchDB, its own ``_find`` and ``_view`` serve
them), purge and compaction (``Upkeep``: CouchDB does its own).
"""

from typing import Callable, Iterable, Protocol

from .peer import Peer


class Database(Peer, Protocol):
    """One named database, as the server drives it (a :class:`Peer` and more)."""

    name: str
    uuid: str                 # stays for the database's life; a new one after re-creation
    instance_start_time: str
    partitioned_seqs: bool    # whether ``changes(parts=…)`` seqs name every partition's position
    # ... and then ``info(parts=…)`` counts and positions those partitions only

    # -- info --------------------------------------------------------------
    def info(self) -> dict:
        """``GET /{db}``: ``db_name``, ``doc_count``, ``doc_del_count``, ``update_seq``, …"""

    def counts(self, parts: Iterable[str]) -> tuple:
        """``(live, deleted)`` document counts within partitions ``parts``."""

    def design_stamp(self):
        """A token that changes whenever a ``_design/`` document is written or purged."""

    def revs_limit(self) -> int:
        """``_revs_limit``."""

    def set_revs_limit(self, limit) -> None:
        """Set ``_revs_limit``. :raises BadRequest: unless a positive integer."""

    # -- documents -----------------------------------------------------------
    def bulk_docs(self, docs: list, new_edits=True,
                  before_write: Callable | None = None) -> list:
        """Write a batch; one row per document (only failures with ``new_edits=False``).

        ``before_write(doc, current)`` may raise a ``GridvisitError`` to refuse
        one document (a ``forbidden`` row; the rest go in); ``current()`` is
        ``(tree, winning body or None)``, ``tree`` as :mod:`sync.revtree`.
        Conflicting live leaves a write leaves are merged by the resolver.

        :raises BadRequest: when ``docs`` is malformed (nothing is written).
        """

    def put(self, doc: dict, new_edits=True) -> dict:
        """Write one document: ``{"ok", "id", "rev"}``. :raises GridvisitError: its error."""

    def delete(self, doc_id: str, rev: str) -> dict:
        """Write a tombstone child of ``rev``."""

    def get(self, doc_id: str, rev=None, **options) -> dict:
        """One revision (options as :class:`sync.reads.ReadOptions`: ``revs``,
        ``revs_info``, ``conflicts``, ``deleted_conflicts``, ``latest``,
        ``attachments``, ``atts_since``). :raises NotFound:."""

    def open_revs(self, doc_id: str, wanted, **options) -> list:
        """``[{"ok": doc} | {"missing": rev}]`` for a list of revs or ``"all"``."""

    def get_attachment(self, doc_id: str, name: str, rev=None) -> tuple:
        """``(stub, bytes)``. :raises NotFound: when the document or attachment is absent."""

    def all_docs(self, **params) -> dict:
        """``_all_docs`` (``keys``, ranges, ``include_docs``, …); ``parts`` keeps
        only those partitions, and asked-for keys outside them are ``not_found``."""

    # -- the feed and waiting ----------------------------------------------
    def changes(self, since=0, limit=None, style="main_only", doc_ids=None,
                include_docs=False, conflicts=False, descending=False, parts=None,
                selector=None, predicate=None) -> dict:
        """One page after ``since``: ``{"results", "last_seq", "pending"}``; every
        row's seq works as ``since``. ``parts`` keeps those partitions only.
        (The SQLite store also takes ``until``, an integer end, for the
        per-user backfill of ``server/access/seqs.py``.)"""

    def decode_since(self, since):
        """The position a client's ``since`` stands for (opaque to the caller).

        :raises BadRequest: for a malformed value.
        """

    def wait_for_change(self, position, timeout: float, parts=None) -> bool:
        """Block until a change after ``position`` in ``parts`` (None: any) — True —
        or ``timeout`` ends (False). A write to other partitions never wakes it."""

    def waiting(self) -> int:
        """How many requests wait now (the ``gridvisit_open_longpolls`` gauge)."""

    # -- _local ---------------------------------------------------------------
    def delete_local(self, doc_id: str, rev: str) -> dict:
        """Delete a ``_local`` document. :raises NotFound, Conflict:."""

    def local_docs(self, key_prefix="", **params) -> dict:
        """``_local_docs`` rows stored under ``key_prefix`` (the per-user prefix)."""

    # -- merges -------------------------------------------------------------
    def resolutions(self, doc_id=None, flagged=None, limit=100, offset=0, rid=None) -> list:
        """Recorded automatic resolutions, newest first."""

    def settle_resolution(self, resolution_id, who, override=None) -> None:
        """Record a supervisor's verdict on a resolution. :raises Conflict: when settled."""

    def resolve_all(self, progress=None) -> int:
        """Merge every conflicted document; how many were merged."""

    def close(self) -> None:
        """Release connections and wake every waiter."""


class Store(Protocol):
    """Named databases: what ``services().store`` is."""

    partition: Callable | None
    resolver: Callable | None

    def exists(self, name: str) -> bool:
        """Whether database ``name`` exists."""

    def names(self) -> list:
        """Every database name, sorted (``_all_dbs``)."""

    def create(self, name: str) -> Database:
        """Create ``name``. :raises FileExists: when it exists; :raises BadRequest: bad name."""

    def get(self, name: str) -> Database:
        """The database ``name`` (re-opened when made again elsewhere). :raises NotFound:."""

    def delete(self, name: str) -> None:
        """Delete ``name`` with everything in it. :raises NotFound:."""

    def close(self) -> None:
        """Close every open database."""
