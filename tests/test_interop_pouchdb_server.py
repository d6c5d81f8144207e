"""pouchdb-server (npm) -> gridvisit -> PouchDB: revision trees survive.

pouchdb-server is a second, independent CouchDB-compatible peer. Documents
are made in it over plain HTTP -- edits, deletions, conflicts written with
``_bulk_docs`` and ``new_edits=false`` (a deleted leaf among them), and
attachments -- then real PouchDB (node) replicates pouchdb-server ->
gridvisit -> a fresh in-memory PouchDB.

For every doc id the full revision tree must be the same in all three:
``GET {db}/{id}?open_revs=all&revs=true`` (``Accept: application/json``) on
both servers and ``db.get(id, {open_revs: 'all', revs: true})`` in PouchDB
give the same set of leaves, each as (rev, _revisions, _deleted, body,
attachment content type / digest / length). The winning rev and
``_conflicts`` must agree as well.
"""

import base64
import hashlib
import json
import urllib.parse

import pytest

from tests.peers import run_node


def q(docid):
    return urllib.parse.quote(docid, safe="")


def rid(label):
    """A 32-hex revision id (like CouchDB's md5 ones) named by ``label``."""
    return hashlib.md5(label.encode()).hexdigest()


def branch(docid, *labels, deleted=False, **fields):
    """A leaf for ``new_edits=false``: history from ``labels`` (root first)."""
    ids = [rid(f"{docid}/{label}") for label in labels]
    doc = {"_id": docid, "_rev": f"{len(ids)}-{ids[-1]}",
           "_revisions": {"start": len(ids), "ids": list(reversed(ids))}, **fields}
    if deleted:
        doc["_deleted"] = True
    return doc


PIXEL = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + bytes(range(256))
NOTE = "入户走访：王奶奶血压正常。\n".encode()


def b64(raw):
    return base64.b64encode(raw).decode()


def ok(status, res, what):
    assert status in (200, 201, 202), f"{what}: {status} {res}"
    return res


def make_source_docs(ps, db):
    """Fill pouchdb-server's ``db``; returns the doc ids made."""
    ok(*ps.request("PUT", db), "create db")

    def put(doc):
        return ok(*ps.request("PUT", f"{db}/{q(doc['_id'])}", doc), f"put {doc['_id']}")

    # plain and edited documents
    put({"_id": "plain", "n": 1, "text": "绿色 放心行", "list": [1, 2.5, None, True]})
    rev = put({"_id": "edited", "step": 1})["rev"]
    rev = put({"_id": "edited", "_rev": rev, "step": 2})["rev"]
    put({"_id": "edited", "_rev": rev, "step": 3, "colour": "yellow"})
    # a deleted document (tombstone with a body field, as CouchDB allows)
    rev = put({"_id": "deleted", "v": 1})["rev"]
    ok(*ps.request("PUT", f"{db}/deleted", {"_rev": rev, "_deleted": True,
                                           "reason": "moved"}), "delete")
    # a document deleted and then re-created on top of its tombstone
    rev = put({"_id": "revived", "v": 1})["rev"]
    rev = ok(*ps.request("DELETE", f"{db}/revived?rev={rev}"), "delete revived")["rev"]
    put({"_id": "revived", "_rev": rev, "v": 3, "back": True})
    # an unusual id: colons, CJK, space, plus
    put({"_id": "misc:g01:楼栋 3+1", "where": "3号楼"})

    # conflicts written as a replicator would: new_edits=false
    conflicts = [
        # two branches from one root, the longer one wins
        branch("conflict", "1", "2a", side="a"),
        branch("conflict", "1", "2b", "3b", side="b"),
        # three leaves at the same depth: highest rev id wins
        branch("three-way", "1", "2x", side="x"),
        branch("three-way", "1", "2y", side="y"),
        branch("three-way", "1", "2z", side="z"),
        # a deleted leaf deeper than the live one: the live one wins
        branch("live-vs-deleted", "1", "2live", side="live"),
        branch("live-vs-deleted", "1", "2d", "3d", deleted=True),
        # every leaf deleted: the doc is deleted, still has a winner
        branch("all-deleted", "1", "2p", deleted=True),
        branch("all-deleted", "1", "2q", "3q", deleted=True),
        # two roots that share nothing (separately created on two peers)
        branch("two-roots", "r1", side="first"),
        branch("two-roots", "s1", "s2", side="second"),
        # a conflict branch that carries an attachment
        branch("att-conflict", "1", "2plain", side="plain"),
        dict(branch("att-conflict", "1", "2att", side="with-att"),
             _attachments={"note.txt": {"content_type": "text/plain", "data": b64(NOTE)}}),
    ]
    status, res = ps.request("POST", f"{db}/_bulk_docs",
                             {"docs": conflicts, "new_edits": False})
    assert status == 201, res
    assert not [r for r in res if r.get("error")], res

    # attachments: binary on rev 1, a second one added on rev 2 (stub kept)
    rev = put({"_id": "att", "kind": "photo", "_attachments": {
        "pixel.png": {"content_type": "image/png", "data": b64(PIXEL)}}})["rev"]
    status, doc = ps.request("GET", f"{db}/att")
    doc["caption"] = "门牌"
    doc["_attachments"]["note.txt"] = {"content_type": "text/plain", "data": b64(NOTE)}
    put(doc)

    status, changes = ps.request("GET", f"{db}/_changes?style=all_docs")
    assert status == 200, changes
    return sorted(row["id"] for row in changes["results"])


def normal_leaf(row):
    """One open_revs row as a comparable, hashable value."""
    assert set(row) == {"ok"}, f"not an ok row: {row}"
    doc = row["ok"]
    atts = {name: {"content_type": att.get("content_type"), "digest": att.get("digest"),
                   "length": att.get("length")}
            # revpos is left out: PouchDB stores inline data at the doc's own
            # rev where CouchDB keeps the revpos it was sent
            for name, att in (doc.get("_attachments") or {}).items()}
    return json.dumps({
        "rev": doc["_rev"],
        "revisions": doc.get("_revisions"),
        "deleted": bool(doc.get("_deleted")),
        "body": {k: v for k, v in doc.items() if not k.startswith("_")},
        "attachments": atts,
    }, sort_keys=True, ensure_ascii=False)


def server_tree(peer, db, docid):
    status, rows = peer.request("GET", f"{db}/{q(docid)}?open_revs=all&revs=true",
                                headers={"Accept": "application/json"})
    assert status == 200 and isinstance(rows, list), \
        f"{peer.name} open_revs for {docid!r}: {status} {rows!r:.300}"
    return sorted(normal_leaf(row) for row in rows)


def server_winner(peer, db, docid):
    """(winning rev, sorted _conflicts) as GET ?conflicts=true says;
    (None, None) when the doc is deleted (404)."""
    status, doc = peer.request("GET", f"{db}/{q(docid)}?conflicts=true")
    if status == 200:
        return doc["_rev"], sorted(doc.get("_conflicts", []))
    assert status == 404, (peer.name, docid, status, doc)
    return None, None


@pytest.fixture(params=["gridvisit", "pouchdb_server"])
def middle(request, dbname):
    """The peer in the middle of the chain and its db: gridvisit, or (as the
    reference run) a second database on pouchdb-server itself."""
    peer = request.getfixturevalue(request.param)
    return peer, (dbname if peer.name == "gridvisit" else dbname + "_mid")


@pytest.fixture
def trees(pouchdb_server, middle, dbname):
    """Docs made in pouchdb-server, replicated to the middle and a PouchDB."""
    peer, mid_db = middle
    ids = make_source_docs(pouchdb_server, dbname)
    res = run_node("chain_tree.js", {"source": pouchdb_server.url(dbname),
                                     "middle": peer.url(mid_db), "ids": ids})
    return ids, res


def test_replication_chain_reports_clean(trees):
    ids, res = trees
    n_ids = len(ids)
    assert n_ids == 12
    for hop in ("hop1", "hop2"):
        result = res[hop]
        assert result["ok"] is True and result["status"] == "complete", (hop, result)
        assert result["doc_write_failures"] == 0 and result["errors"] == [], (hop, result)
    # every leaf of every doc crosses each hop (one bulk_get entry per leaf)
    assert res["hop1"]["docs_written"] >= n_ids
    assert res["hop1_again"]["docs_written"] == 0, "a second run re-sent documents"
    assert res["hop2"]["docs_written"] >= n_ids
    assert res["local_ids"] == ids


def test_revision_trees_equal_on_all_three(trees, pouchdb_server, middle, dbname):
    ids, res = trees
    peer, mid_db = middle
    mismatches = {}
    for docid in ids:
        source = server_tree(pouchdb_server, dbname, docid)
        mid = server_tree(peer, mid_db, docid)
        local = sorted(normal_leaf(row) for row in res["trees"][docid])
        if not (source == mid == local):
            mismatches[docid] = {"pouchdb-server": source, peer.name + " (middle)": mid,
                                 "pouchdb": local}
    assert not mismatches, json.dumps(mismatches, indent=1, ensure_ascii=False)

    # the trees are not trivial: the conflicts really are there
    leaves = {docid: len(server_tree(pouchdb_server, dbname, docid)) for docid in ids}
    assert leaves["conflict"] == 2 and leaves["three-way"] == 3
    assert leaves["live-vs-deleted"] == 2 and leaves["all-deleted"] == 2
    assert leaves["two-roots"] == 2 and leaves["att-conflict"] == 2


def test_winner_and_conflicts_agree(trees, pouchdb_server, middle, dbname):
    ids, res = trees
    peer, mid_db = middle
    for docid in ids:
        source = server_winner(pouchdb_server, dbname, docid)
        assert server_winner(peer, mid_db, docid) == source, docid
        local = res["winners"][docid]
        assert (local["rev"], local["conflicts"]) == source, (docid, local, source)
    # and CouchDB's rules themselves, spelled out for the interesting ones
    rev, conflicts = server_winner(peer, mid_db, "conflict")
    assert rev == branch("conflict", "1", "2b", "3b")["_rev"]
    assert conflicts == [branch("conflict", "1", "2a")["_rev"]]
    three = sorted(branch("three-way", "1", f"2{s}")["_rev"] for s in "xyz")
    rev, conflicts = server_winner(peer, mid_db, "three-way")
    assert rev == three[-1] and conflicts == three[:-1]
    rev, conflicts = server_winner(peer, mid_db, "live-vs-deleted")
    assert rev == branch("live-vs-deleted", "1", "2live")["_rev"] and conflicts == []
    rev, conflicts = server_winner(peer, mid_db, "two-roots")
    assert rev == branch("two-roots", "s1", "s2")["_rev"]
    assert server_winner(peer, mid_db, "all-deleted") == (None, None)
    assert server_winner(peer, mid_db, "deleted") == (None, None)
    assert server_winner(peer, mid_db, "revived")[0].startswith("3-")
    status, raw = peer.request("GET", f"{mid_db}/att/pixel.png")
    assert status == 200 and raw == PIXEL
    status, raw = peer.request("GET", f"{mid_db}/att-conflict/note.txt"
                                      f"?rev={branch('att-conflict', '1', '2att')['_rev']}")
    assert status == 200 and raw == NOTE
