"""Resolving conflicts on write: one merged revision, losers deleted.

When a write leaves a document with more than one non-deleted leaf and a
resolver merges them, the merged body is written as a child of the
winning leaf and every other live leaf gets a tombstone child, inside the
writer's transaction, so no reader ever sees the conflict. Every revision
made here is derived from its parents and body, so two servers resolving
the same conflict make the same revisions and replicate without a new
conflict. Each resolution is recorded in the database's ``resolutions``
table: the leaves, the per-field decisions, flagged or not.
"""

import hashlib
import json
import time

from . import revtree


def merged_rev_id(winner, parents, body):
    """The merged revision's id (a child of ``winner``), from its sorted
    parent revs and its body."""
    pos = revtree.rev_pos(winner) + 1
    digest = hashlib.md5(revtree.canonical_json([sorted(parents), body])).hexdigest()
    return f"{pos}-{digest}"


def resolve(batch, doc_id, resolver):
    """Merge ``doc_id``'s live leaves if it has several; return the record or None."""
    meta = batch.load(doc_id)
    if meta is None:
        return None
    tree = meta[0]
    live = [rev for rev in revtree.ranked_leaves(tree) if not tree[rev][1]]
    if len(live) < 2:
        return None
    bodies = [(rev, batch.body(doc_id, rev)) for rev in live]
    if any(body is None for _rev, body in bodies):
        return None
    outcome = resolver(doc_id, [(rev, dict(body)) for rev, body in bodies])
    if outcome is None:
        return None
    body, decisions, flagged = outcome
    winner = live[0]
    attachments = bodies[0][1].get("_attachments")
    if attachments:
        body["_attachments"] = attachments
    merged = merged_rev_id(winner, live, body)
    tree = {rev: list(node) for rev, node in tree.items()}
    tree[merged] = [winner, 0]
    writes = [(merged, 0, body)]
    for loser in live[1:]:
        tombstone = revtree.new_rev_id(loser, True, {})
        tree[tombstone] = [loser, 1]
        writes.append((tombstone, 1, {}))
    batch.conn.executemany(
        "INSERT OR REPLACE INTO revs (doc_id, rev, deleted, body) VALUES (?, ?, ?, ?)",
        [(doc_id, rev, deleted, json.dumps(item, ensure_ascii=False))
         for rev, deleted, item in writes])
    batch.conn.executemany("DELETE FROM revs WHERE doc_id = ? AND rev = ?",
                           [(doc_id, rev) for rev in live])
    batch.save_tree(doc_id, revtree.stem(tree, batch.revs_limit), bump=True)
    record = {"doc_id": doc_id, "at": time.time(), "leaves": live, "merged_rev": merged,
              "decisions": decisions, "flagged": bool(flagged),
              "rules": sorted({d["rule"] for d in decisions})}
    batch.conn.execute(
        "INSERT INTO resolutions (doc_id, at, leaves, leaf_bodies, merged_rev, decisions, "
        "flagged, rules) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (doc_id, record["at"], json.dumps(live),
         json.dumps(dict(bodies), ensure_ascii=False), merged,
         json.dumps(decisions, ensure_ascii=False), int(bool(flagged)),
         ",".join(record["rules"])))
    return record


def listing(conn, doc_id=None, flagged=None, limit=100, offset=0, rid=None):
    """Recorded resolutions, newest first: of one document, flag, or id."""
    sql = ("SELECT id, doc_id, at, leaves, leaf_bodies, merged_rev, decisions, flagged, "
           "rules, settled_by, settled_at, override FROM resolutions WHERE 1")
    args = []
    if rid is not None:
        sql, args = sql + " AND id = ?", args + [rid]
    if doc_id is not None:
        sql, args = sql + " AND doc_id = ?", args + [doc_id]
    if flagged is not None:
        sql, args = sql + " AND flagged = ?", args + [int(flagged)]
    rows = conn.execute(sql + " ORDER BY id DESC LIMIT ? OFFSET ?",
                        args + [limit, offset]).fetchall()
    return [{"id": r[0], "doc_id": r[1], "at": r[2], "leaves": json.loads(r[3]),
             "leaf_bodies": json.loads(r[4]), "merged_rev": r[5],
             "decisions": json.loads(r[6]), "flagged": bool(r[7]),
             "rules": r[8].split(",") if r[8] else [], "settled_by": r[9],
             "settled_at": r[10], "override": r[11]} for r in rows]
