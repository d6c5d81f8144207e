"""Merge-on-write over CouchDB: one merged revision and tombstones, the same from every server.

After a write leaves a document with several live leaves, the leaves are
read back (``open_revs=all``), the resolver merges them, and the merged
revision (a child of the winner) and a tombstone on every other leaf are
written with ``new_edits=false``. Their ids come from parents and body
(:func:`sync.resolve.merged_rev_id`, :func:`sync.revtree.new_rev_id`), so
two servers merging one conflict at once write the same revisions, and
the second write changes nothing. The record goes to the database's
resolutions database under an id made of the document and the merged
rev, so it too is written once.
"""

import time

from .. import revtree
from ..errors import Conflict, NotFound
from ..resolve import merged_rev_id
from .client import quote

KEEP = ("_attachments",)


def resolutions_db(db):
    """The CouchDB database of ``db``'s resolution records."""
    return db.root + "$resolutions"


def body_of(doc):
    """A revision's body as the stores keep it: fields and attachment stubs."""
    return {k: v for k, v in doc.items() if not k.startswith("_") or k in KEEP}


def leaves(db, doc_id):
    """``(tree, {rev: doc})`` of ``doc_id``'s leaves; ``({}, {})`` when absent."""
    try:
        found = db.open_revs(doc_id, "all", revs=True)
    except NotFound:
        return {}, {}
    tree, docs = {}, {}
    for item in found:
        doc = item.get("ok")
        if doc is None:
            continue
        history = doc.get("_revisions") or {}
        start, ids = history.get("start"), history.get("ids") or []
        path = [f"{start - i}-{h}" for i, h in enumerate(ids)] or [doc["_rev"]]
        for i, rev in enumerate(path):
            parent = path[i + 1] if i + 1 < len(path) else None
            tree.setdefault(rev, [parent, 0])
        tree[path[0]][1] = int(bool(doc.get("_deleted")))
        docs[doc["_rev"]] = doc
    return tree, docs


def current(db, doc_id):
    """``(tree, winning body or None)``, what a write's rules look at."""
    tree, docs = leaves(db, doc_id)
    if not tree:
        return {}, None
    win = revtree.winner(tree)
    return tree, None if tree[win][1] else body_of(docs[win])


def _short(rev):
    return rev.split("-", 1)[1]


def resolve(db, doc_id, resolver):
    """Merge ``doc_id``'s live leaves if it has several; return the record or None."""
    tree, docs = leaves(db, doc_id)
    live = [rev for rev in revtree.ranked_leaves(tree) if not tree[rev][1]]
    if len(live) < 2:
        return None
    bodies = [(rev, body_of(docs[rev])) for rev in live]
    outcome = resolver(doc_id, [(rev, dict(body)) for rev, body in bodies])
    if outcome is None:
        return None
    body, decisions, flagged = outcome
    winner = live[0]
    if bodies[0][1].get("_attachments"):
        body["_attachments"] = bodies[0][1]["_attachments"]
    merged = merged_rev_id(winner, live, body)
    out = [dict(body, _id=doc_id, _rev=merged, _revisions={
        "start": revtree.rev_pos(merged), "ids": [_short(merged), _short(winner)]})]
    for loser in live[1:]:
        tomb = revtree.new_rev_id(loser, True, {})
        out.append({"_id": doc_id, "_rev": tomb, "_deleted": True, "_revisions": {
            "start": revtree.rev_pos(tomb), "ids": [_short(tomb), _short(loser)]}})
    db.server.request("POST", f"{db._db(doc_id)}/_bulk_docs",
                      body={"docs": out, "new_edits": False})
    record = {"doc_id": doc_id, "at": time.time(), "leaves": live,
              "leaf_bodies": dict(bodies), "merged_rev": merged, "decisions": decisions,
              "flagged": bool(flagged), "rules": sorted({d["rule"] for d in decisions}),
              "settled_by": None, "settled_at": None, "override": None}
    rid = f"{doc_id}@{merged}"
    db.server.request("PUT", f"{quote(resolutions_db(db))}/{quote(rid)}", body=record,
                      ok=(201, 202, 409))             # 409: another server recorded it
    return record


def _records(db):
    found = db.server.request("GET", f"{quote(resolutions_db(db))}/_all_docs",
                              {"include_docs": "true"})
    return [row["doc"] for row in found["rows"]]


def listing(db, doc_id=None, flagged=None, limit=100, offset=0, rid=None):
    """Recorded resolutions, newest first: of one document, flag, or id."""
    out = []
    for doc in _records(db):
        if (rid is not None and doc["_id"] != rid) or \
                (doc_id is not None and doc["doc_id"] != doc_id) or \
                (flagged is not None and doc["flagged"] != bool(flagged)):
            continue
        out.append(dict({k: v for k, v in doc.items() if not k.startswith("_")},
                        id=doc["_id"]))
    out.sort(key=lambda r: r["at"], reverse=True)
    return out[offset:offset + limit]


def settle(db, rid, who, override=None):
    """Record a verdict once. :raises Conflict: when settled already (or meanwhile)."""
    path = f"{quote(resolutions_db(db))}/{quote(str(rid))}"
    doc = db.server.request("GET", path)
    if doc.get("settled_by") is not None:
        raise Conflict("该合并已处理过，不能再次处理 / this merge was settled already")
    doc.update(settled_by=who, settled_at=time.time(), override=override)
    try:
        db.server.request("PUT", path, body=doc)
    except Conflict:
        raise Conflict("该合并已处理过，不能再次处理 / this merge was settled already") from None


def resolve_all(db, progress=None):
    """Merge every conflicted document of every partition; how many were merged."""
    if db.resolver is None:
        return 0
    conflicted = []
    for key in db._wanted_parts(None):
        page = db.server.request("GET", f"{quote(db.couch_name(key))}/_changes",
                                 {"style": "all_docs"})
        conflicted += [row["id"] for row in page["results"] if len(row["changes"]) > 1]
    merged = 0
    for done, doc_id in enumerate(conflicted, 1):
        merged += resolve(db, doc_id, db.resolver) is not None
        if progress:
            progress(done, len(conflicted))
    return merged
