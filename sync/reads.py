"""Reading documents: single revisions, open_revs, bulk_get, all_docs.

Functions take a connection (inside a read snapshot) and a ``load_blob``
callable for attachment bytes; they return documents in CouchDB's shape.
"""

import json

from . import attachments, revtree
from .docs import assemble
from .errors import BadRequest, NotFound


class ReadOptions:
    """What a reader asked to see alongside each revision."""

    def __init__(self, revs=False, conflicts=False, deleted_conflicts=False,
                 revs_info=False, attachments=False, atts_since=None, latest=False):
        self.revs = revs
        self.conflicts = conflicts
        self.deleted_conflicts = deleted_conflicts
        self.revs_info = revs_info
        self.attachments = attachments
        self.atts_since = atts_since or []
        self.latest = latest


def load_meta(conn, doc_id):
    """``(tree, winner, deleted)`` of ``doc_id``, or ``None``."""
    row = conn.execute("SELECT tree, winner, deleted FROM docs WHERE id = ?",
                       (doc_id,)).fetchone()
    if row is None:
        return None
    return json.loads(row[0]), row[1], bool(row[2])


def load_bodies(conn, doc_id, revs):
    """Map rev → ``(deleted, body)`` for the revs whose bodies are kept."""
    revs = list(revs)
    if not revs:
        return {}
    marks = ",".join("?" * len(revs))
    rows = conn.execute(
        f"SELECT rev, deleted, body FROM revs WHERE doc_id = ? AND rev IN ({marks})",
        [doc_id, *revs]).fetchall()
    return {rev: (bool(deleted), json.loads(body)) for rev, deleted, body in rows}


def _atts_since_pos(tree, atts_since, rev):
    """The highest position among ``atts_since`` that is an ancestor of rev."""
    history = set(revtree.ancestry(tree, rev))
    known = [revtree.rev_pos(r) for r in atts_since if r in history]
    return max(known, default=0)


def render(doc_id, rev, deleted, body, tree, opts, load_blob, available=None):
    """A stored revision as the client sees it, with the asked-for extras."""
    body = dict(body)
    stubs = body.pop("_attachments", None)
    doc = assemble(doc_id, rev, deleted, body)
    if stubs:
        since = _atts_since_pos(tree, opts.atts_since, rev) if opts.atts_since else 0
        doc["_attachments"] = attachments.render(stubs, load_blob, opts.attachments, since)
    if opts.revs:
        doc["_revisions"] = revtree.revisions(tree, rev)
    if opts.revs_info:
        doc["_revs_info"] = revtree.revs_info(tree, rev, available or {rev})
    if opts.conflicts:
        found = revtree.conflicts(tree)
        if found and rev == revtree.winner(tree):
            doc["_conflicts"] = found
    if opts.deleted_conflicts:
        found = revtree.deleted_conflicts(tree)
        if found and rev == revtree.winner(tree):
            doc["_deleted_conflicts"] = found
    return doc


def get(conn, doc_id, rev, opts, load_blob):
    """One revision of a document (the winner when ``rev`` is None).

    :raises NotFound: when the document, or that revision's body, is absent,
        or when the winner is a deletion and no rev was asked for.
    """
    if rev is not None:
        revtree.parse_rev(rev)
    meta = load_meta(conn, doc_id)
    if meta is None:
        raise NotFound("missing")
    tree, winner, deleted = meta
    if rev is None:
        if deleted:
            raise NotFound("deleted")
        rev = winner
    else:
        if opts.latest and rev in tree:
            rev = revtree.latest(tree, rev)[0]
    bodies = load_bodies(conn, doc_id, [rev] if not opts.revs_info else tree)
    if rev not in bodies:
        raise NotFound("missing")
    rev_deleted, body = bodies[rev]
    return render(doc_id, rev, rev_deleted, body, tree, opts, load_blob, set(bodies))


def open_revs(conn, doc_id, wanted, opts, load_blob):
    """``open_revs``: ``[{"ok": doc} | {"missing": rev}]`` for each rev.

    ``wanted`` is ``"all"`` (every leaf) or a list of revs; with
    ``opts.latest`` each rev is replaced by its newest descendant leaves.

    :raises NotFound: for ``"all"`` on a document that does not exist.
    :raises BadRequest: when ``wanted`` is neither "all" nor a list of revs.
    """
    meta = load_meta(conn, doc_id)
    if wanted == "all":
        if meta is None:
            raise NotFound("missing")
        revs = revtree.ranked_leaves(meta[0])
    elif isinstance(wanted, list) and all(isinstance(r, str) for r in wanted):
        for rev in wanted:
            revtree.parse_rev(rev)
        revs = list(wanted)
    else:
        raise BadRequest('open_revs must be "all" or a JSON array of revs')
    if meta is None:
        return [{"missing": rev} for rev in revs]
    tree = meta[0]
    if opts.latest:
        expanded = []
        for rev in revs:
            for leaf in (revtree.latest(tree, rev) if rev in tree else [rev]):
                if leaf not in expanded:
                    expanded.append(leaf)
        revs = expanded
    bodies = load_bodies(conn, doc_id, [r for r in revs if r in tree])
    out = []
    for rev in revs:
        if rev in bodies:
            deleted, body = bodies[rev]
            out.append({"ok": render(doc_id, rev, deleted, body, tree, opts, load_blob)})
        else:
            out.append({"missing": rev})
    return out


def load_metas(conn, doc_ids):
    """``{id: (tree, winner, deleted)}`` for the ids that exist, in few queries."""
    found, unique = {}, list(dict.fromkeys(doc_ids))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for doc_id, tree, winner, deleted in conn.execute(
                f"SELECT id, tree, winner, deleted FROM docs WHERE id IN ({marks})", chunk):
            found[doc_id] = (json.loads(tree), winner, bool(deleted))
    return found


class RawJSON(str):
    """A document already serialised as JSON text (the fast read path).

    ``_bulk_get`` of documents without attachments splices the stored body
    text into the output instead of decoding and re-encoding it.
    """


def render_raw(doc_id, rev, deleted, body_text, tree, opts):
    """:func:`render` for a body kept as JSON text, or None if it needs more.

    Only bodies without attachments and reads that ask for no more than
    ``revs`` take this path.
    """
    if '"_attachments"' in body_text or opts.conflicts or opts.deleted_conflicts \
            or opts.revs_info:
        return None
    head = '{"_id":' + json.dumps(doc_id, ensure_ascii=False) + ',"_rev":' + json.dumps(rev)
    inner = body_text.strip()[1:-1].strip()
    parts = [head]
    if inner:
        parts.append("," + inner)
    if deleted:
        parts.append(',"_deleted":true')
    if opts.revs:
        parts.append(',"_revisions":' + json.dumps(revtree.revisions(tree, rev)))
    parts.append("}")
    return RawJSON("".join(parts))


def load_bodies_many(conn, pairs, raw=False):
    """``{(id, rev): (deleted, body)}`` for the kept bodies among ``pairs``.

    Only leaf bodies are kept, so reading every body of each id (by the
    primary key's prefix) and keeping the wanted ones is the fast way. With
    ``raw`` the bodies stay JSON text.
    """
    wanted = set(pairs)
    found, ids = {}, list(dict.fromkeys(doc_id for doc_id, _rev in wanted))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for doc_id, rev, deleted, body in conn.execute(
                f"SELECT doc_id, rev, deleted, body FROM revs WHERE doc_id IN ({marks})", chunk):
            if (doc_id, rev) in wanted:
                found[(doc_id, rev)] = (bool(deleted), body if raw else json.loads(body))
    return found


def _not_found(doc_id, rev, reason="missing"):
    return {"error": {"id": doc_id, "rev": rev, "error": "not_found", "reason": reason}}


def _requested_revs(item, meta, opts):
    """The revs one ``_bulk_get`` request stands for (after ``latest``)."""
    rev = item.get("rev")
    if rev is None:
        return [meta[1]] if meta else [None]
    revtree.parse_rev(rev)
    if meta and opts.latest and rev in meta[0]:
        return revtree.latest(meta[0], rev)
    return [rev]


def bulk_get(conn, requests, opts, load_blob, raw=False):
    """``_bulk_get``: one result per request, errors inline per revision.

    Reads every document's tree and every body in a handful of queries,
    whatever the number of requests. With ``raw``, documents that can be
    are returned as :class:`RawJSON` text rather than dicts.
    """
    ids = [item["id"] for item in requests
           if isinstance(item, dict) and isinstance(item.get("id"), str)]
    metas = load_metas(conn, ids)
    plans = []
    for item in requests:
        doc_id = item.get("id") if isinstance(item, dict) else None
        if not isinstance(doc_id, str):
            plans.append((doc_id, None, [{"error": {
                "id": doc_id, "rev": None, "error": "bad_request",
                "reason": "each request needs a string id"}}]))
            continue
        try:
            revs = _requested_revs(item, metas.get(doc_id), opts)
        except BadRequest as err:
            plans.append((doc_id, None, [{"error": {
                "id": doc_id, "rev": item.get("rev"), "error": err.error,
                "reason": err.reason}}]))
            continue
        plans.append((doc_id, item, revs))
    pairs = [(doc_id, rev) for doc_id, item, revs in plans if item is not None
             for rev in revs if rev is not None]
    bodies = load_bodies_many(conn, pairs, raw)
    results = []
    for doc_id, item, revs in plans:
        if item is None:
            results.append({"id": doc_id, "docs": revs})
            continue
        item_opts = opts
        if item.get("atts_since"):
            item_opts = ReadOptions(**dict(vars(opts), atts_since=item["atts_since"]))
        docs = []
        for rev in revs:
            found = bodies.get((doc_id, rev))
            if found is None:
                docs.append(_not_found(doc_id, rev))
                continue
            deleted, body = found
            tree = metas[doc_id][0]
            doc = render_raw(doc_id, rev, deleted, body, tree, item_opts) if raw else None
            if doc is None:
                body = json.loads(body) if raw else body
                doc = render(doc_id, rev, deleted, body, tree, item_opts, load_blob)
            docs.append({"ok": doc})
        results.append({"id": doc_id, "docs": docs})
    return results
