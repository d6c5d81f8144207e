"""Purging revisions, as CouchDB 3's ``_purge``: gone, not deleted.

A purge names leaf revisions of documents. Each named leaf goes with every
ancestor no kept leaf shares (CouchDB's ``couch_key_tree:remove_leafs``):
the tree nodes, the stored bodies, the attachment bytes nothing else still
names, and those revisions' bodies in the resolutions log. A document whose
every leaf is purged leaves the database: no changes row, no ``_all_docs``
row, no count. A document that keeps a leaf gets a new seq, so readers of
the changes feed see its new state.

Every purge request is one entry of the purge log (``purged`` table):
``purge_seq`` counts them, and ``since(conn, seq)`` is how an index built
from the changes feed (the console's, a view indexer) learns which ids to
drop, since a purged document never shows up in the feed again. The log
keeps ids and revs only, never bodies; it is trimmed to
``purged_infos_limit`` entries by compaction, as CouchDB does.

Deleting rows does not erase their bytes from the file; the caller runs
the purge with SQLite's ``secure_delete`` on and checkpoints the WAL
(``Database.purge``), so a resident's data is really gone from disk.
"""

import json

from . import revtree
from .errors import BadRequest

MAX_IDS = 100            # CouchDB's purge max_document_id_number
MAX_REVS = 1000          # CouchDB's purge max_revisions_number
DEFAULT_INFOS_LIMIT = 1000


def check_request(body):
    """Check a ``_purge`` body, ``{id: [rev, …]}``.

    :raises BadRequest: naming the member and the rule.
    """
    if not isinstance(body, dict):
        raise BadRequest("_purge 请求体须为 {文档id: [rev, …]} / the _purge body must be "
                         "an object of {doc id: [revs]}")
    if len(body) > MAX_IDS:
        raise BadRequest(f"_purge: 一次最多 {MAX_IDS} 个文档 / at most {MAX_IDS} documents "
                         "per request")
    total = 0
    for doc_id, revs in body.items():
        if not isinstance(revs, list) or not all(isinstance(r, str) for r in revs):
            raise BadRequest(f"_purge[{doc_id!r}]: 须为 rev 字符串数组 / must be a JSON "
                             "array of revs")
        for rev in revs:
            revtree.parse_rev(rev)
        total += len(revs)
    if total > MAX_REVS:
        raise BadRequest(f"_purge: 一次最多 {MAX_REVS} 个 rev / at most {MAX_REVS} revs "
                         "per request")


def _kept_nodes(tree, kept_leaves):
    keep = set()
    for leaf in kept_leaves:
        keep.update(revtree.ancestry(tree, leaf))
    return keep


def purge_doc(batch, doc_id, revs):
    """Purge ``revs`` (the leaves among them) of ``doc_id`` inside ``batch``.

    Returns ``(purged revs, removed bodies)``; the bodies tell the caller
    which attachment digests may have lost their last reference.
    """
    meta = batch.load(doc_id)
    if meta is None:
        return [], []
    tree, _winner, deleted = meta
    leaves = revtree.leaves(tree)
    purged = [rev for rev in dict.fromkeys(revs) if rev in leaves]
    if not purged:
        return [], []
    kept_leaves = [rev for rev in leaves if rev not in purged]
    keep = _kept_nodes(tree, kept_leaves)
    removed = [rev for rev in tree if rev not in keep]
    bodies = _take_bodies(batch.conn, doc_id, removed)
    _scrub_resolutions(batch.conn, doc_id, set(removed), everything=not kept_leaves)
    if kept_leaves:
        batch.save_tree(doc_id, {rev: tree[rev] for rev in keep}, bump=True)
    else:
        batch.conn.execute("DELETE FROM docs WHERE id = ?", (doc_id,))
        if deleted:
            batch.deleted_delta -= 1
        else:
            batch.live_delta -= 1
        batch.changed = True
        batch.parts.add(batch.partition(doc_id) if batch.partition else None)
    return purged, bodies


def _take_bodies(conn, doc_id, revs):
    if not revs:
        return []
    marks = ",".join("?" * len(revs))
    rows = conn.execute(f"SELECT body FROM revs WHERE doc_id = ? AND rev IN ({marks})",
                        [doc_id, *revs]).fetchall()
    conn.execute(f"DELETE FROM revs WHERE doc_id = ? AND rev IN ({marks})", [doc_id, *revs])
    return [json.loads(row[0]) for row in rows]


def _scrub_resolutions(conn, doc_id, removed, everything):
    """Drop purged revisions' bodies from the resolutions log."""
    if everything:
        conn.execute("DELETE FROM resolutions WHERE doc_id = ?", (doc_id,))
        return
    for rid, bodies in conn.execute(
            "SELECT id, leaf_bodies FROM resolutions WHERE doc_id = ?", (doc_id,)).fetchall():
        kept = {rev: body for rev, body in json.loads(bodies).items() if rev not in removed}
        conn.execute("UPDATE resolutions SET leaf_bodies = ? WHERE id = ?",
                     (json.dumps(kept, ensure_ascii=False), rid))


def digests(bodies):
    """Attachment digests named by ``bodies``."""
    return {stub.get("digest") for body in bodies
            for stub in (body.get("_attachments") or {}).values()
            if isinstance(stub, dict) and stub.get("digest")}


def drop_unreferenced_blobs(conn, candidates):
    """Delete the blobs among ``candidates`` no stored body names; how many."""
    dropped = 0
    for digest in candidates:
        if conn.execute("SELECT 1 FROM revs WHERE instr(body, ?) > 0 LIMIT 1",
                        (digest,)).fetchone() is None:
            dropped += conn.execute("DELETE FROM blobs WHERE digest = ?",
                                    (digest,)).rowcount
    return dropped


def record(conn, purged):
    """Add one purge request to the log; its ``purge_seq``."""
    seq = purge_seq(conn) + 1
    conn.execute("INSERT INTO purged (seq, ids) VALUES (?, ?)",
                 (seq, json.dumps(purged, ensure_ascii=False)))
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('purge_seq', ?)",
                 (str(seq),))
    return seq


def purge_seq(conn):
    """How many purge requests this database has taken."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'purge_seq'").fetchone()
    return int(row[0]) if row else 0


def since(conn, seq=0):
    """Purge log entries after ``seq``: ``[(purge_seq, {id: [revs]})]``."""
    return [(row[0], json.loads(row[1])) for row in conn.execute(
        "SELECT seq, ids FROM purged WHERE seq > ? ORDER BY seq", (seq,))]


def infos_limit(conn):
    """How many purge requests the log keeps (``_purged_infos_limit``)."""
    row = conn.execute("SELECT value FROM meta WHERE key = 'purged_infos_limit'").fetchone()
    return int(row[0]) if row else DEFAULT_INFOS_LIMIT


def set_infos_limit(conn, limit):
    """Set ``_purged_infos_limit``."""
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('purged_infos_limit', ?)",
                 (str(limit),))


def trim(conn):
    """Keep the newest ``infos_limit`` entries of the log; how many went."""
    return conn.execute("DELETE FROM purged WHERE seq <= ?",
                        (purge_seq(conn) - infos_limit(conn),)).rowcount
