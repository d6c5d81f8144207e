"""The one interface the replicator needs of a database, local or remote.

PouchDB's replicator calls only ``changes``, ``revsDiff``, ``bulkGet``,
``bulkDocs({new_edits: false})`` and the ``_local`` checkpoints; so does
ours. :class:`sync.database.Database` (a local SQLite database) and
:class:`sync.remote.RemoteDatabase` (any CouchDB-protocol server over HTTP)
both implement all of it, so the same loop replicates in any direction and
asks no database what it can do.
"""

from typing import Protocol


class Peer(Protocol):
    """A database the replicator reads from or writes to."""

    def endpoint_id(self) -> str:
        """What names this database in replication ids (its server and name)."""

    def changes(self, since=0, limit=None, style="all_docs") -> dict:
        """``_changes``: ``{"results", "last_seq"}`` after ``since``."""

    def wait_for_changes(self, since, seconds: float) -> bool:
        """Whether a change after ``since`` came within about ``seconds``.

        :raises TransportError: when a remote source cannot be reached.
        """

    def revs_diff(self, wanted: dict) -> dict:
        """``_revs_diff``: of ``{id: [rev, ...]}``, the revisions this database lacks."""

    def bulk_get(self, requests: list, revs=True, attachments=True, latest=True) -> dict:
        """``_bulk_get``: the revisions asked for, with their history and attachments."""

    def bulk_docs(self, docs: list, new_edits=False) -> list:
        """``_bulk_docs``; with ``new_edits=False``, graft revisions as they are."""

    def get_local(self, doc_id: str) -> dict:
        """A ``_local`` document (a checkpoint).

        :raises NotFound: when there is none.
        """

    def put_local(self, doc_id: str, doc: dict) -> dict:
        """Write a ``_local`` document."""

    def ensure_full_commit(self) -> None:
        """Make every write so far durable (a no-op where commits are durable)."""
