"""Compaction (``POST /{db}/_compact``): keep what CouchDB's compactor keeps.

Writes already drop a body when a child revision replaces it, so
compaction finds what writes leave behind:

- bodies of revisions that are no longer leaves (a replicated branch
  grafted below an older ancestor, rows of older layouts),
- trees longer than ``_revs_limit`` (lowered after they were written),
  stemmed as CouchDB's compactor stems them,
- attachment bytes no kept body names,
- purge-log entries beyond ``_purged_infos_limit`` (see :mod:`.purge`),

then gives the freed pages back to the file system: the first compaction
switches the file to ``auto_vacuum=INCREMENTAL`` with one ``VACUUM``,
later ones run ``PRAGMA incremental_vacuum``.
"""

import json

from . import purge, revtree

INCREMENTAL = 2          # PRAGMA auto_vacuum's value for INCREMENTAL


def prune(conn, revs_limit):
    """Drop what no leaf needs, inside a write transaction; counts of each."""
    stemmed = []
    for doc_id, text in conn.execute("SELECT id, tree FROM docs").fetchall():
        tree = json.loads(text)
        short = revtree.stem(tree, revs_limit)
        if len(short) != len(tree):
            stemmed.append((json.dumps(short), doc_id))
    conn.executemany("UPDATE docs SET tree = ? WHERE id = ?", stemmed)
    bodies = conn.execute(
        "DELETE FROM revs WHERE (doc_id, rev) IN (SELECT r.doc_id, r.rev FROM revs r "
        "LEFT JOIN docs d ON d.id = r.doc_id WHERE d.id IS NULL "
        "OR instr(' ' || d.leaves || ' ', ' ' || r.rev || ' ') = 0)").rowcount
    blobs = conn.execute(
        "DELETE FROM blobs WHERE digest NOT IN (SELECT json_extract(a.value, '$.digest') "
        "FROM revs, json_each(revs.body, '$._attachments') AS a "
        "WHERE json_extract(a.value, '$.digest') IS NOT NULL)").rowcount
    return {"stemmed": len(stemmed), "bodies": bodies, "blobs": blobs,
            "purge_log": purge.trim(conn)}


def vacuum(conn):
    """Give free pages back to the file system (outside any transaction)."""
    if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != INCREMENTAL:
        conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        conn.execute("VACUUM")
    else:
        conn.execute("PRAGMA incremental_vacuum")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
