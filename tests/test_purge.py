"""``_purge`` with CouchDB 3's semantics (issue 19, must 5), the base for
erasing a resident's data on request (issue 21).

Cases follow docs.couchdb.org's API reference, "/{db}/_purge",
"/{db}/_purged_infos" and "/{db}/_purged_infos_limit"; the tree cases
follow ``couch_key_tree:remove_leafs`` (a purged leaf goes with every
ancestor no kept leaf shares). The SQLite files are read raw afterwards:
purged bodies and attachment bytes must be gone from disk, not only from
the API."""

import base64
import glob
import sqlite3

import pytest

from tests import fielddocs as fd
from tests.api import PASSWORD, Couch, make_field_app
from server.services import services

SECRET = "王秀英 13912345678 糖尿病"
PHOTO = b"PHOTO-OF-THE-DOOR-" * 64


def b64(raw):
    return base64.b64encode(raw).decode()


def leaf(doc_id, *labels, deleted=False, **body):
    """A revision for new_edits=false with history ``labels`` (root first)."""
    ids = [f"{label:0>32}" for label in labels]
    doc = {"_id": doc_id, "_rev": f"{len(ids)}-{ids[-1]}",
           "_revisions": {"start": len(ids), "ids": list(reversed(ids))}, **body}
    if deleted:
        doc["_deleted"] = True
    return doc


def rev(*labels):
    return f"{len(labels)}-{labels[-1]:0>32}"


@pytest.fixture
def tree(couch):
    """``d``: 1-a → 2-b → {3-c, 3-d (deleted)} and 2-e; ``solo``: 1-a → 2-f."""
    docs = [leaf("d", "a", "b", "c", v="c"), leaf("d", "a", "b", "d", deleted=True),
            leaf("d", "a", "e", v="e"), leaf("solo", "a", "f", v="f")]
    assert couch.post("db/_bulk_docs", json={"docs": docs, "new_edits": False}).status_code == 201
    return couch


# (purge request, purged answer, d's leaves after (None: gone), d's winner after)
CASES = [
    ({"d": [rev("a", "b", "c")]}, {"d": [rev("a", "b", "c")]},
     {rev("a", "b", "d"), rev("a", "e")}, rev("a", "e")),
    ({"d": [rev("a", "e")]}, {"d": [rev("a", "e")]},
     {rev("a", "b", "c"), rev("a", "b", "d")}, rev("a", "b", "c")),
    ({"d": [rev("a", "b")]}, {"d": []},                         # not a leaf: nothing
     {rev("a", "b", "c"), rev("a", "b", "d"), rev("a", "e")}, rev("a", "b", "c")),
    ({"d": [rev("a", "b", "c"), rev("a", "b", "d"), rev("a", "e")]},
     {"d": [rev("a", "b", "c"), rev("a", "b", "d"), rev("a", "e")]}, None, None),
    ({"d": ["9-" + "9" * 32]}, {"d": []},
     {rev("a", "b", "c"), rev("a", "b", "d"), rev("a", "e")}, rev("a", "b", "c")),
    ({"nobody": [rev("a")]}, {"nobody": []},
     {rev("a", "b", "c"), rev("a", "b", "d"), rev("a", "e")}, rev("a", "b", "c")),
]


@pytest.mark.parametrize("body, purged, leaves, winner", CASES)
def test_purge_removes_only_leaves_and_what_no_kept_leaf_shares(tree, body, purged, leaves,
                                                                winner):
    before = tree.get("db").get_json()
    resp = tree.post("db/_purge", json=body)
    assert resp.status_code == 201
    assert resp.get_json() == {"purge_seq": None, "purged": purged}
    found = tree.get("db/d?open_revs=all", headers={"Accept": "application/json"})
    info = tree.get("db").get_json()
    if leaves is None:
        assert tree.get("db/d").status_code == 404 and found.status_code == 404
        assert info["doc_count"] == before["doc_count"] - 1
        assert "d" not in [r["id"] for r in tree.get("db/_changes").get_json()["results"]]
        assert "d" not in [r["id"] for r in tree.get("db/_all_docs").get_json()["rows"]]
        assert tree.post("db/_revs_diff", json={"d": [rev("a")]}).get_json() == {
            "d": {"missing": [rev("a")]}}
        return
    assert {row["ok"]["_rev"] for row in found.get_json()} == leaves
    assert tree.get("db/d").get_json()["_rev"] == winner
    # every removed node is gone from the tree: revs_diff says it is missing
    kept = {r for leaf_rev in leaves for r in _history(tree, leaf_rev)}
    for node in {rev("a"), rev("a", "b"), rev("a", "b", "c"), rev("a", "b", "d"),
                 rev("a", "e")} - kept:
        assert tree.post("db/_revs_diff", json={"d": [node]}).get_json()["d"]["missing"] == [node]
    if any(purged.values()):
        changes = tree.get("db/_changes").get_json()["results"]
        assert changes[-1]["id"] == "d"           # a partly purged document moves up the feed
        assert info["purge_seq"] != before["purge_seq"]
    else:
        assert info["purge_seq"] == before["purge_seq"]


def _history(couch, leaf_rev):
    doc = couch.get(f"db/d?rev={leaf_rev}&revs=true").get_json()
    start, ids = doc["_revisions"]["start"], doc["_revisions"]["ids"]
    return {f"{start - i}-{h}" for i, h in enumerate(ids)}


def test_purged_infos_and_purge_seq_count_purge_requests(tree):
    assert tree.get("db").get_json()["purge_seq"].startswith("0-")
    tree.post("db/_purge", json={"solo": [rev("a", "f")]})
    tree.post("db/_purge", json={"d": [rev("a", "e")], "nobody": [rev("a")]})
    info = tree.get("db").get_json()
    assert info["purge_seq"].startswith("2-")
    answer = tree.get("db/_purged_infos").get_json()
    assert answer == {"purge_seq": info["purge_seq"], "purged_infos": [
        {"id": "solo", "revs": [rev("a", "f")]}, {"id": "d", "revs": [rev("a", "e")]}]}


def test_purged_infos_limit_is_read_set_and_applied_by_compaction(tree):
    assert tree.get("db/_purged_infos_limit").get_json() == 1000
    assert tree.put("db/_purged_infos_limit", json=1).get_json() == {"ok": True}
    assert tree.get("db/_purged_infos_limit").get_json() == 1
    tree.post("db/_purge", json={"solo": [rev("a", "f")]})
    tree.post("db/_purge", json={"d": [rev("a", "e")]})
    assert len(tree.get("db/_purged_infos").get_json()["purged_infos"]) == 2
    services(tree.app).store.get("db").compact(wait=True)
    assert tree.get("db/_purged_infos").get_json()["purged_infos"] == [
        {"id": "d", "revs": [rev("a", "e")]}]
    assert tree.get("db").get_json()["purge_seq"].startswith("2-")


@pytest.mark.parametrize("method, path, body, status, named", [
    ("POST", "db/_purge", ["d"], 400, "_purge"),
    ("POST", "db/_purge", {"d": "1-a"}, 400, "_purge['d']"),
    ("POST", "db/_purge", {"d": [1]}, 400, "_purge['d']"),
    ("POST", "db/_purge", {"d": ["not-a-rev"]}, 400, "rev"),
    ("POST", "db/_purge", {f"d{i}": [] for i in range(101)}, 400, "100"),
    ("POST", "db/_purge", {"d": [rev("a", f"{i:x}") for i in range(1001)]}, 400, "1000"),
    ("PUT", "db/_purged_infos_limit", 0, 400, "purged_infos_limit"),
    ("PUT", "db/_purged_infos_limit", "many", 400, "_purged_infos_limit"),
    ("GET", "db/_purge", None, 405, ""),
    ("POST", "nodb/_purge", {}, 404, ""),
])
def test_bad_purge_requests_are_refused_naming_the_rule(tree, method, path, body, status,
                                                        named):
    resp = tree.call(method, path, json=body)
    assert resp.status_code == status
    assert named in resp.get_json()["reason"]
    assert tree.get("db").get_json()["doc_count"] == 2        # nothing purged


def test_purge_erases_bodies_and_attachment_bytes_from_the_sqlite_file(couch, tmp_path):
    shared = b"SHARED-LOGO-" * 32
    doc = {"note": SECRET, "_attachments": {
        "door.jpg": {"content_type": "image/jpeg", "data": b64(PHOTO)},
        "logo.png": {"content_type": "image/png", "data": b64(shared)}}}
    first = couch.put("db/household:g1:9", json=doc).get_json()["rev"]
    second = couch.put("db/household:g1:9", json=dict(doc, _rev=first, note=SECRET + "!")
                       ).get_json()["rev"]
    couch.put("db/other", json={"_attachments": {
        "logo.png": {"content_type": "image/png", "data": b64(shared)}}})
    files = sorted(glob.glob(str(tmp_path / "dbs" / "db.sqlite*")))
    assert couch.post("db/_purge", json={"household:g1:9": [second]}).status_code == 201

    raw = sqlite3.connect(files[0])
    assert raw.execute("SELECT COUNT(*) FROM revs WHERE doc_id = 'household:g1:9'"
                       ).fetchone() == (0,)
    assert raw.execute("SELECT COUNT(*) FROM docs WHERE id = 'household:g1:9'").fetchone() == (0,)
    digests = {row[0] for row in raw.execute("SELECT digest FROM blobs")}
    raw.close()
    assert len(digests) == 1                              # the logo another document names
    assert couch.get("db/other/logo.png").data == shared
    for path in files:                                   # not in free pages, not in the WAL
        with open(path, "rb") as handle:
            data = handle.read()
        assert SECRET.encode() not in data and PHOTO[:36] not in data, path


def test_purge_and_compaction_are_for_admins_only(tmp_path):
    app = make_field_app(tmp_path)
    for name in ("w1", "s1", "h1"):
        user = Couch(app, (name, PASSWORD))
        for method, path, body in (
                ("POST", "field/_purge", {"household:g1:h1": []}),
                ("GET", "field/_purged_infos", None),
                ("PUT", "field/_purged_infos_limit", 5),
                ("POST", "field/_compact", {}),
                ("POST", "field/_view_cleanup", {})):
            resp = user.call(method, path, json=body)
            assert resp.status_code == 403, (name, path)
            assert "只有管理员" in resp.get_json()["reason"]
        assert user.get("field/_purged_infos_limit").get_json() == 1000
    assert Couch(app, None).post("field/_purge", json={}).status_code == 401


def test_a_purged_household_leaves_the_console_index(tmp_path):
    app = make_field_app(tmp_path)
    admin = Couch(app)
    db = services(app).store.get("field")
    index = services(app).console_index
    index.refresh(db)
    conn = index.conn()
    count = "SELECT COUNT(*) FROM households WHERE id = ?"
    assert conn.execute(count, ("household:g1:h1",)).fetchone() == (1,)
    winner = admin.get("field/household:g1:h1").get_json()["_rev"]
    seen = db.purge_seq()
    assert admin.post("field/_purge", json={"household:g1:h1": [winner]}).status_code == 201
    assert db.purged_since(seen) == [(seen + 1, {"household:g1:h1": [winner]})]
    index.refresh(db)
    assert conn.execute(count, ("household:g1:h1",)).fetchone() == (0,)
    assert conn.execute(count, ("household:g2:h2",)).fetchone() == (1,)


def test_a_purge_log_trimmed_past_the_index_rebuilds_it(tmp_path):
    app = make_field_app(tmp_path)
    admin = Couch(app)
    db = services(app).store.get("field")
    index = services(app).console_index
    index.refresh(db)
    admin.put("field/_purged_infos_limit", json=1)
    for hh in ("household:g1:h1", "household:g2:h2"):
        admin.post("field/_purge", json={hh: [admin.get(f"field/{hh}").get_json()["_rev"]]})
    db.compact(wait=True)
    index.refresh(db)
    ids = {row[0] for row in index.conn().execute("SELECT id FROM households")}
    assert ids == {"household:g3:h3"}


def test_a_worker_pulls_no_purged_document(tmp_path):
    app = make_field_app(tmp_path)
    w1 = Couch(app, ("w1", PASSWORD))
    visit = fd.visit("g1", "h1", by="w1", vid="v9")
    assert w1.post("field/_bulk_docs", json={"docs": [visit]}).get_json()[0]["ok"]
    rev_ = w1.get(f"field/{visit['_id']}").get_json()["_rev"]
    Couch(app).post("field/_purge", json={visit["_id"]: [rev_]})
    assert visit["_id"] not in [r["id"] for r in w1.get("field/_changes").get_json()["results"]]
    assert w1.get(f"field/{visit['_id']}").status_code == 404


def test_purge_takes_the_purged_bodies_out_of_the_resolutions_log(tmp_path):
    """A merge on write keeps each leaf's body in the resolutions log; a
    purged revision's body must go from there too (issue 21's erasure)."""
    app = make_field_app(tmp_path)
    admin = Couch(app)
    household = fd.household("g1", "h9")
    leaves = [dict(household, phone=phone, _rev=f"2-{mark * 32}",
                   _revisions={"start": 2, "ids": [mark * 32, "0" * 32]})
              for mark, phone in (("a", "139 1111 1111"), ("b", "139 2222 2222"))]
    assert admin.post("field/_bulk_docs", json={"docs": leaves, "new_edits": False}
                      ).get_json() == []
    db = services(app).store.get("field")
    doc_id = household["_id"]
    assert set(db.resolutions(doc_id)[0]["leaf_bodies"]) == {"2-" + "a" * 32, "2-" + "b" * 32}
    found = admin.get(f"field/{doc_id}?open_revs=all", headers={"Accept": "application/json"})
    tombstone = next(row["ok"]["_rev"] for row in found.get_json() if row["ok"].get("_deleted"))
    assert admin.post("field/_purge", json={doc_id: [tombstone]}).get_json()["purged"] == {
        doc_id: [tombstone]}
    assert set(db.resolutions(doc_id)[0]["leaf_bodies"]) == {"2-" + "b" * 32}
    for path in glob.glob(str(tmp_path / "dbs" / "field.sqlite*")):
        with open(path, "rb") as handle:
            assert b"139 1111 1111" not in handle.read(), path
    winner = admin.get(f"field/{doc_id}").get_json()["_rev"]
    admin.post("field/_purge", json={doc_id: [winner]})
    assert db.resolutions(doc_id) == []
