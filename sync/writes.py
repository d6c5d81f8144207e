"""Writing one document revision inside a batch transaction.

``new_edits=True`` is an edit by a client: the new rev extends a leaf (or
starts or recreates the document) and gets a deterministic id.
``new_edits=False`` is replication: the revision and its ancestry
(``_revisions``) are grafted into the tree as they are, and writing a
revision that is already there changes nothing.
"""

import json
import uuid

from . import attachments, revtree
from .docs import check_id, split
from .errors import BadRequest, Conflict


class Batch:
    """The state of one ``bulk_docs`` transaction."""

    def __init__(self, conn, seq, revs_limit, partition=None):
        self.conn = conn
        self.touched = []              # ids written, for resolution after the batch
        self.parts = set()             # partitions written, to wake only their waiters
        self.seq = seq
        self.revs_limit = revs_limit
        self.partition = partition
        self.changed = False
        self.live_delta = 0            # change in non-deleted documents
        self.deleted_delta = 0         # change in deleted documents

    def load(self, doc_id):
        """``(tree, winner, deleted)`` of ``doc_id`` or ``None``."""
        row = self.conn.execute("SELECT tree, winner, deleted FROM docs WHERE id = ?",
                                (doc_id,)).fetchone()
        return None if row is None else (json.loads(row[0]), row[1], bool(row[2]))

    def body(self, doc_id, rev):
        """The stored body of ``rev``, or ``None`` once compacted away."""
        row = self.conn.execute("SELECT body FROM revs WHERE doc_id = ? AND rev = ?",
                                (doc_id, rev)).fetchone()
        return None if row is None else json.loads(row[0])

    def current(self, doc_id):
        """``(tree, winning body or None)`` of ``doc_id`` as it stands now."""
        meta = self.load(doc_id)
        if meta is None:
            return {}, None
        tree, winner, deleted = meta
        return tree, None if deleted else self.body(doc_id, winner)

    def save(self, doc_id, tree, new_rev, deleted, body, blobs, compacted):
        """Store a new leaf, its blobs and the tree; bump the seq."""
        tree = revtree.stem(tree, self.revs_limit)
        for digest, data in blobs.items():
            self.conn.execute("INSERT OR IGNORE INTO blobs (digest, data) VALUES (?, ?)",
                              (digest, data))
        self.conn.execute(
            "INSERT OR REPLACE INTO revs (doc_id, rev, deleted, body) VALUES (?, ?, ?, ?)",
            (doc_id, new_rev, int(deleted), json.dumps(body, ensure_ascii=False, allow_nan=False)))
        gone = [rev for rev in compacted if rev not in revtree.leaves(tree)]
        if gone:
            marks = ",".join("?" * len(gone))
            self.conn.execute(f"DELETE FROM revs WHERE doc_id = ? AND rev IN ({marks})",
                              [doc_id, *gone])
        self.save_tree(doc_id, tree, bump=True)

    def save_tree(self, doc_id, tree, bump):
        """Store ``tree``, its winner and leaves; a new seq when ``bump``."""
        ranked = revtree.ranked_leaves(tree)
        win = ranked[0]
        row = (json.dumps(tree), win, " ".join(ranked), int(revtree.is_deleted(tree, win)))
        old = self.conn.execute("SELECT deleted FROM docs WHERE id = ?", (doc_id,)).fetchone()
        if old is not None:
            if old[0]:
                self.deleted_delta -= 1
            else:
                self.live_delta -= 1
        if row[3]:
            self.deleted_delta += 1
        else:
            self.live_delta += 1
        if bump:
            self.seq += 1
            self.changed = True
            self.touched.append(doc_id)
            part = self.partition(doc_id) if self.partition else None
            self.parts.add(part)
            self.conn.execute(
                "INSERT INTO docs (id, tree, winner, leaves, deleted, seq, part) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                "tree = excluded.tree, winner = excluded.winner, leaves = excluded.leaves, "
                "deleted = excluded.deleted, seq = excluded.seq",
                (doc_id, *row, self.seq, part))
        else:
            self.conn.execute("UPDATE docs SET tree = ?, winner = ?, leaves = ?, deleted = ? "
                              "WHERE id = ?", (*row, doc_id))


def check_shape(index, doc, new_edits):
    """Check what can be checked of a document before any write.

    A batch with a malformed document is refused whole, so a request is
    never half written because of its own shape.

    :raises BadRequest: naming the document's position and the problem.
    """
    try:
        doc_id, rev, _deleted, _body, _atts = split(doc)
        if doc_id is not None:
            check_id(doc_id)
        if rev is not None:
            revtree.parse_rev(rev)
        if not new_edits:
            if "_revisions" in doc:
                revtree.path_from_revisions(doc["_revisions"])
            elif rev is None:
                raise BadRequest("new_edits=false needs _rev or _revisions")
            if doc_id is None:
                raise BadRequest("new_edits=false needs _id")
    except BadRequest as err:
        where = f"docs[{index}]" + (f" ({doc.get('_id')!r})" if isinstance(doc, dict)
                                    and isinstance(doc.get("_id"), str) else "")
        raised = type(err)(f"{where}: {err.reason}")
        raised.error = err.error
        raise raised


def _parent_for_edit(meta, rev):
    """Which rev a client edit extends, by CouchDB's rules.

    :raises Conflict: when the edit is not based on a current leaf.
    """
    if meta is None:
        if rev:
            raise Conflict()
        return None
    tree, winner, deleted = meta
    if rev is None:
        if deleted:
            return winner                 # recreate on top of the tombstone
        raise Conflict()
    revtree.parse_rev(rev)
    if rev not in tree or rev not in revtree.leaves(tree):
        raise Conflict()
    return rev


def _attachments(batch, doc_id, atts, pos, ancestors):
    # Stubs resolve against the nearest ancestor that still holds its body
    # (superseded bodies are compacted away), as CouchDB's missing_stub rule.
    parent_atts = {}
    for rev in ancestors if atts else ():
        body = batch.body(doc_id, rev)
        if body is not None:
            parent_atts = body.get("_attachments") or {}
            break
    return attachments.prepare(doc_id, atts, pos, parent_atts)


def edit(batch, doc):
    """Apply a client edit (``new_edits=True``); return the result row.

    :raises GridvisitError: (per document) for bad input or a conflict.
    """
    doc_id, rev, deleted, body, atts = split(doc)
    if doc_id is None:
        doc_id = uuid.uuid4().hex
    check_id(doc_id)
    meta = batch.load(doc_id)
    parent = _parent_for_edit(meta, rev)
    pos = revtree.rev_pos(parent) + 1 if parent else 1
    stubs, blobs = _attachments(batch, doc_id, atts, pos, [parent] if parent else [])
    if stubs:
        body["_attachments"] = stubs
    new_rev = revtree.new_rev_id(parent, deleted, body)
    tree = dict(meta[0]) if meta else {}
    if new_rev in tree:
        raise Conflict()
    tree[new_rev] = [parent, int(deleted)]
    batch.save(doc_id, tree, new_rev, deleted, body, blobs, [parent] if parent else [])
    return {"ok": True, "id": doc_id, "rev": new_rev}


def replicate(batch, doc):
    """Graft a replicated revision (``new_edits=False``); return its status.

    :raises GridvisitError: (per document) for bad input.
    """
    doc_id, rev, deleted, body, atts = split(doc)
    if "_revisions" in doc:                 # the history wins over _rev, as in CouchDB
        path = revtree.path_from_revisions(doc["_revisions"])
        rev = path[0]
    elif rev is None:
        raise BadRequest("new_edits=false needs _rev or _revisions")
    else:
        path = [rev]
    if doc_id is None:
        raise BadRequest("new_edits=false needs _id")
    check_id(doc_id)
    revtree.parse_rev(rev)
    meta = batch.load(doc_id)
    tree = meta[0] if meta else {}
    merged, status = revtree.merge_path(tree, path, deleted)
    if status == "internal_node":
        if merged != tree:              # only longer history: keep it, no new seq
            batch.save_tree(doc_id, revtree.stem(merged, batch.revs_limit), bump=False)
        return status
    ancestors = [r for r in path[1:] if r in tree]
    parent = ancestors[0] if ancestors else None
    stubs, blobs = _attachments(batch, doc_id, atts, revtree.rev_pos(rev), ancestors)
    if stubs:
        body["_attachments"] = stubs
    batch.save(doc_id, merged, rev, deleted, body, blobs, [parent] if parent else [])
    return status
