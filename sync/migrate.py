"""Copying every database of one store into another (``gridvisit migrate-store``).

The documents go by replication (:mod:`sync.replicator`): every leaf of
every revision tree, deleted and conflicting ones too, with its history
and attachments, written with ``new_edits=false``, so the copy holds the
same trees and the same winners. The target store is opened without a
resolver by the caller: a conflict is copied as a conflict, not merged on
the way. ``_local`` documents (the tablets' checkpoints, under each user's
prefix) do not replicate, so they are copied one by one; the revisions
limit too. Running it again copies only what is new (an interrupted copy
resumes).
"""

from .errors import FileExists, NotFound
from .replicator import replicate
from .revtree import DEFAULT_REVS_LIMIT


def copy_locals(source, target):
    """Copy every ``_local`` document of ``source`` into ``target``; how many
    (None: ``source`` cannot list them, as pouchdb-server has no ``_local_docs``)."""
    try:
        rows = source.local_docs(include_docs=True)["rows"]
    except NotFound:
        return None
    copied = 0
    for row in rows:
        doc = {k: v for k, v in row["doc"].items() if k not in ("_id", "_rev")}
        try:
            doc["_rev"] = target.get_local(row["id"])["_rev"]
        except NotFound:
            pass
        target.put_local(row["id"], doc)
        copied += 1
    return copied


def copy_database(source, target):
    """Copy one database into another: revs limit (unless the default),
    ``_local`` documents, then
    every document's tree by replication; the replication's statistics with
    ``locals`` (how many ``_local`` documents)."""
    try:
        limit = source.revs_limit()
    except NotFound:           # a CouchDB-protocol server without it (pouchdb-server)
        limit = DEFAULT_REVS_LIMIT
    if limit != DEFAULT_REVS_LIMIT:
        target.set_revs_limit(limit)
    locals_copied = copy_locals(source, target)
    stats = replicate(source, target)
    return dict(stats, locals=locals_copied)


def copy_store(source, target, progress=None):
    """Copy every database of store ``source`` into store ``target`` (made
    there when missing); ``{name: statistics}``. ``progress(name, stats)``
    after each."""
    out = {}
    for name in source.names():
        try:
            into = target.create(name)
        except FileExists:
            into = target.get(name)
        out[name] = copy_database(source.get(name), into)
        if progress:
            progress(name, out[name])
    return out
