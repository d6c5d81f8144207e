"""Revision trees as pure functions over plain data.

A document's history is a flat mapping from revision id to its parent and
deleted flag::

    tree = {"1-a": [None, 0], "2-b": ["1-a", 0], "2-c": ["1-a", 1]}

A rev id is ``"{pos}-{hash}"``; a node whose parent is ``None`` is a root
(the first revision, or the oldest one kept after stemming). Leaves are the
revisions nobody names as parent. The flat shape makes merging a replicated
path (``_revisions``) a matter of adding edges, and it round-trips through
JSON unchanged, which is how the store keeps it.

The rules follow CouchDB (``couch_key_tree.erl``, ``couch_doc.erl``) and
PouchDB (``pouchdb-merge``): the winner is the non-deleted leaf with the
highest position, ties broken by the highest hash; a deleted leaf wins only
when every leaf is deleted.
"""

import hashlib
import json
import re

from .errors import InvalidRev

REV_RE = re.compile(r"([1-9][0-9]{0,9})-([0-9A-Za-z]{1,64})")
DEFAULT_REVS_LIMIT = 1000


def parse_rev(rev):
    """Split ``"N-hash"`` into ``(N, hash)``.

    :raises InvalidRev: when ``rev`` is not a revision id.
    """
    match = REV_RE.fullmatch(rev) if isinstance(rev, str) else None
    if not match:
        raise InvalidRev(f"Invalid rev format: {rev!r} (expected N-<hex>)")
    return int(match.group(1)), match.group(2)


def rev_pos(rev):
    """The generation number of a (valid) rev id."""
    return int(rev.split("-", 1)[0])


def sort_key(rev):
    """Order revs as CouchDB does: by position, then by hash."""
    pos, _, digest = rev.partition("-")
    return int(pos), digest


def canonical_json(value):
    """Compact, key-sorted JSON bytes: the input to derived rev ids."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def new_rev_id(parent, deleted, body):
    """A deterministic rev id for a new edit of ``body`` on ``parent``."""
    pos = rev_pos(parent) + 1 if parent else 1
    digest = hashlib.md5(canonical_json([parent, bool(deleted), body])).hexdigest()
    return f"{pos}-{digest}"


def children(tree):
    """Map each rev to the list of its children."""
    kids = {rev: [] for rev in tree}
    for rev, (parent, _deleted) in tree.items():
        if parent is not None and parent in kids:
            kids[parent].append(rev)
    return kids


def leaves(tree):
    """Every leaf rev, in no particular order."""
    parents = {parent for parent, _deleted in tree.values()}
    return [rev for rev in tree if rev not in parents]


def is_deleted(tree, rev):
    """Whether ``rev`` is a deletion (tombstone)."""
    return bool(tree[rev][1])


def _winning_key(tree, rev):
    pos, digest = sort_key(rev)
    return (not tree[rev][1], pos, digest)


def ranked_leaves(tree):
    """Leaves from winner to last loser, in CouchDB's order."""
    return sorted(leaves(tree), key=lambda r: _winning_key(tree, r), reverse=True)


def winner(tree):
    """The winning rev: non-deleted first, then highest pos, then hash."""
    return max(leaves(tree), key=lambda r: _winning_key(tree, r))


def conflicts(tree):
    """Non-deleted leaves other than the winner (``_conflicts``)."""
    ranked = ranked_leaves(tree)
    return [rev for rev in ranked[1:] if not tree[rev][1]]


def deleted_conflicts(tree):
    """Deleted leaves other than the winner (``_deleted_conflicts``)."""
    ranked = ranked_leaves(tree)
    return [rev for rev in ranked[1:] if tree[rev][1]]


def ancestry(tree, rev):
    """The path from ``rev`` back to its root, ``rev`` first."""
    path = []
    while rev is not None and rev in tree:
        path.append(rev)
        rev = tree[rev][0]
    return path


def revisions(tree, rev, limit=None):
    """The ``_revisions`` object for ``rev``: ``{"start", "ids"}``."""
    path = ancestry(tree, rev)
    if limit is not None:
        path = path[:limit]
    return {"start": rev_pos(rev), "ids": [r.split("-", 1)[1] for r in path]}


def path_from_revisions(revs_obj):
    """Rebuild a leaf-first rev path from a ``_revisions`` object.

    The path's first rev is the document's: where ``_rev`` says otherwise,
    ``_revisions`` wins, as in CouchDB (``couch_doc``) and PouchDB
    (``parseDoc``), which read the history and ignore ``_rev``.

    :raises InvalidRev: when the object is malformed.
    """
    if not isinstance(revs_obj, dict):
        raise InvalidRev("_revisions must be an object with start and ids")
    start, ids = revs_obj.get("start"), revs_obj.get("ids")
    if (not isinstance(start, int) or isinstance(start, bool) or start < 1
            or not isinstance(ids, list) or not ids or len(ids) > start):
        raise InvalidRev("_revisions must have a positive start and 1..start ids")
    path = [f"{start - i}-{h}" for i, h in enumerate(ids)]
    for item in path:
        parse_rev(item)
    return path


def merge_path(tree, path, deleted=False):
    """Graft a leaf-first ``path`` into ``tree``; return ``(tree, status)``.

    ``status`` is ``"internal_node"`` when the leaf was already known (the
    tree may still learn older history, but no leaf changes, so replaying a
    replication is a no-op), ``"new_leaf"`` when it extends an existing leaf
    (or reconnects one to a known rev), and ``"new_branch"`` otherwise (a
    conflict, or a disjoint history). The input tree is not modified.
    """
    result = {rev: list(node) for rev, node in tree.items()}
    known_leaf = path[0] in result
    for index, rev in enumerate(path):
        parent = path[index + 1] if index + 1 < len(path) else None
        node = result.get(rev)
        if node is None:
            result[rev] = [parent, 1 if (deleted and index == 0) else 0]
            continue
        if node[0] is None and parent is not None:
            node[0] = parent          # longer history than we kept: extend it
        if index == 0:
            node[1] = 1 if deleted else 0   # the rev id covers the flag: trust it
    old_leaves = set(leaves(tree))
    if known_leaf:
        # A known rev that now reconnects an old leaf (a stemming-induced
        # branch) is new information for that branch: a new leaf.
        reconnects = any(rev in old_leaves for rev in path[1:])
        return result, "new_leaf" if reconnects else "internal_node"
    attach = next((rev for rev in path[1:] if rev in tree), None)
    if attach is not None and attach in old_leaves:
        return result, "new_leaf"
    return result, "new_branch" if tree else "new_leaf"


def stem(tree, limit=DEFAULT_REVS_LIMIT):
    """Drop revisions more than ``limit`` generations above every leaf.

    As CouchDB's ``stem``: a rev stays when it is within ``limit`` of any
    leaf below it; roots of what remains get ``None`` as parent.
    """
    keep = set()
    for leaf in leaves(tree):
        keep.update(ancestry(tree, leaf)[:limit])
    if len(keep) == len(tree):
        return tree
    return {rev: [node[0] if node[0] in keep else None, node[1]]
            for rev, node in tree.items() if rev in keep}


def revs_info(tree, rev, available):
    """``_revs_info`` for ``rev``: each ancestor with its status.

    ``available`` is the set of revs whose bodies the store still holds.
    """
    info = []
    for item in ancestry(tree, rev):
        if item not in available:
            status = "missing"
        elif tree[item][1]:
            status = "deleted"
        else:
            status = "available"
        info.append({"rev": item, "status": status})
    return info


def latest(tree, rev):
    """The leaves descending from ``rev`` (``rev`` itself when a leaf)."""
    kids = children(tree)
    found, stack = [], [rev]
    while stack:
        item = stack.pop()
        if kids.get(item):
            stack.extend(kids[item])
        else:
            found.append(item)
    return sorted(found, key=sort_key, reverse=True)
