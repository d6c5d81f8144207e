"""``gridvisit migrate-store``: an embedded community copied into CouchDB and
back (issue 22, item 6) keeps every revision tree (conflicts and deleted
leaves with their histories), the winners, attachments, ``_local``
checkpoints and the tablets' device tokens. (The revisions limit is copied too when not the default;
pouchdb-server has no ``_revs_limit``, so it is not checked here.) pouchdb-server is the CouchDB in CI; a
real Apache CouchDB too where ``GRIDVISIT_TEST_COUCHDB`` names one."""

import base64
import uuid

import pytest

from rules import ids
from sync import Store
from sync.couch import CouchStore
from sync.migrate import copy_store
from server import create_app
from server.access.couch_quarantine import CouchQuarantine
from server.accounts.couch_audit import CouchAuditLog
from server.accounts.couch_directory import CouchAccounts, CouchDirectory, DirectoryDocs
from server.accounts.couch_tokens import CouchTokens
from server.accounts.tokens import Tokens
from server.serverdb import ServerDB
from server.services import services
from sync.couch.client import CouchServer
from tests.peers import gridvisit_cli
from tests.stores import couch_for, drop_prefixed

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))
CHECKPOINT = "_local/u2~Ux4y.sgDzOSDZhXl7M4j9Q=="


def _leaf(doc_id, rev, parents, **body):
    """A revision as replicated: ``rev`` with its ancestors ``parents``."""
    path = [rev] + parents
    return dict(body, _id=doc_id, _rev=rev, _revisions={
        "start": int(rev.split("-")[0]), "ids": [r.split("-", 1)[1] for r in path]})


def fill(db):
    """Households in two grids: a live conflict, a conflict with a deleted
    leaf, a deleted document, a photo over three revisions; a checkpoint."""
    db.bulk_docs([
        _leaf("household:g1:h1", "2-aaaa", ["1-base"], grid="g1", phone="1"),
        _leaf("household:g1:h1", "2-bbbb", ["1-base"], grid="g1", phone="2"),
        _leaf("household:g2:h1", "3-cccc", ["2-cc00", "1-c000"], grid="g2", n=1),
        _leaf("household:g2:h1", "3-dddd", ["2-cc00", "1-c000"], _deleted=True),
        _leaf("request:g1:r1", "2-eeee", ["1-e000"], _deleted=True),
        {"_id": "rules:warning", "_rev": "1-ffff", "version": 3},
    ], new_edits=False)
    rev = db.put({"_id": "visit:g1:v1", "grid": "g1", "_attachments": {"door.png": {
        "content_type": "image/png", "data": base64.b64encode(PNG).decode()}}})["rev"]
    rev = db.put({"_id": "visit:g1:v1", "_rev": rev, "grid": "g1", "notes": "x",
                  "_attachments": {"door.png": {"stub": True}}})["rev"]
    db.put({"_id": "visit:g1:v1", "_rev": rev, "grid": "g1", "notes": "y",
            "_attachments": {"door.png": {"stub": True}}})
    db.put_local(CHECKPOINT, {"session_id": "s1", "last_seq": "42-abc", "history": [
        {"session_id": "s1", "last_seq": "42-abc"}]})


def snapshot(db, checkpoint=True):
    """Everything the copy must keep, in a form two stores compare on."""
    out = {}
    feed = db.changes(since=0, style="all_docs")
    for row in feed["results"]:
        doc_id = row["id"]
        leaves = []
        for item in db.open_revs(doc_id, "all", revs=True):
            doc = item["ok"]
            stubs = {name: {k: v for k, v in stub.items() if k in ("digest", "length",
                                                                     "content_type")}
                     for name, stub in (doc.get("_attachments") or {}).items()}
            leaves.append(dict({k: v for k, v in doc.items() if k != "_attachments"},
                               _attachments=stubs))
        out[doc_id] = sorted(leaves, key=lambda leaf: leaf["_rev"])
        if not row.get("deleted"):
            out[doc_id + " winner"] = db.get(doc_id, conflicts=True)["_rev"]
    out["photo"] = db.get_attachment("visit:g1:v1", "door.png")[1]
    if checkpoint:
        local = db.get_local(CHECKPOINT)
        out["checkpoint"] = {k: v for k, v in local.items() if k != "_rev"}
    return out


@pytest.fixture(params=["pouchdb-server", "couchdb"])
def couch(request):
    """The URL of a CouchDB and a prefix of this test's own; dropped after."""
    url = couch_for(request)
    prefix = f"gvm{uuid.uuid4().hex[:8]}_"
    yield url, prefix, request.param
    drop_prefixed(url, prefix)


def test_an_embedded_store_copied_to_couchdb_and_back_keeps_every_tree(couch, tmp_path):
    url, prefix, kind = couch
    embedded = Store(tmp_path / "before", ids.grid_of)
    fill(embedded.create("field"))
    into = CouchStore(url, ids.grid_of, prefix=prefix)
    back = Store(tmp_path / "after", ids.grid_of)
    try:
        first = copy_store(embedded, into)
        assert first["field"]["locals"] == 1 and first["field"]["doc_write_failures"] == 0
        listed = copy_store(into, back)["field"]["locals"]
        before = snapshot(embedded.get("field"))
        assert before["household:g1:h1 winner"] == "2-bbbb"          # (a check of the check)
        assert snapshot(into.get("field")) == before
        # pouchdb-server cannot list _local documents (no _local_docs): the
        # way back copies the checkpoints from a real CouchDB only.
        # (a real CouchDB lists the tablet's checkpoint and the copy's own)
        assert listed is None if kind == "pouchdb-server" else listed == 2
        assert snapshot(back.get("field"), checkpoint=listed is not None) == \
            snapshot(embedded.get("field"), checkpoint=listed is not None)
        # Again: nothing new to copy, nothing doubled.
        again = copy_store(embedded, into)["field"]
        assert again["docs_written"] == 0 and snapshot(into.get("field")) == before
    finally:
        for store in (embedded, into, back):
            store.close()


def _tablet_token(data_dir):
    """A worker w1 of grid g1 in ``data_dir`` with a device token; the token."""
    app = create_app({"DATA_DIR": str(data_dir), "COUCHDB_URL": ""})
    ext = services(app)
    ext.accounts.create("admin", "admin-secret", "admin")
    user = ext.accounts.create("w1", "password-123", "worker", "网格员一")
    ext.directory.put_street("s", "朝阳门街道")
    ext.directory.put_community("c1", "史家社区", "s")
    ext.directory.put_grid("g1", "一号网格", "c1")
    ext.directory.assign("w1", grid="g1")
    ext.audit.record("admin", "admin", "user.create", "w1", {"role": "worker"})
    token, _id = ext.tokens.issue(user, "tablet-w1")
    refused = {"_id": "visit:g1:refused", "type": "visit", "grid": "g1", "temperature": 45}
    ext.quarantine.keep("field", refused, "w1", "tablet-w1", "体温不合理 / out of range")
    ext.quarantine.settle(1, "sent_back", "s1", note="请复测", sendback="sendback:g1:x")
    ext.store.close()
    return token, user.id


def test_the_command_copies_the_data_folder_into_couchdb_and_back(couch, tmp_path):
    url, prefix, kind = couch
    embedded = Store(tmp_path / "before", ids.grid_of)
    fill(embedded.create("field"))
    before = snapshot(embedded.get("field"), checkpoint=kind != "pouchdb-server")
    embedded.close()
    token, user_id = _tablet_token(tmp_path / "before")
    env = {"GRIDVISIT_COUCHDB_URL": url, "GRIDVISIT_COUCHDB_PREFIX": prefix}
    out = gridvisit_cli(tmp_path / "before", "migrate-store", "--to", "couchdb", env=env)
    assert "field" in out.stdout

    # The tablet's token works over CouchDB; revoked there, it is revoked
    # in the data folder too once the community moves back. Its account,
    # grid and assignment are there too, under the same id.
    server = CouchServer(url)
    try:
        docs = DirectoryDocs(server, prefix)
        accounts = CouchAccounts(docs, "any-secret")
        moved = accounts.authenticate("w1", "password-123")
        assert (moved.id, moved.display_name) == (user_id, "网格员一")
        assert CouchDirectory(ServerDB(tmp_path / "x.sqlite"), accounts, docs).grids_of(moved) \
            == {"g1"}
        logged = CouchAuditLog(server, prefix).list()
        assert [(r["action"], r["target"], r["detail"]) for r in logged] == [
            ("user.create", "w1", {"role": "worker"})]
        kept = CouchQuarantine(server, prefix).list()
        assert [(e["id"], e["doc_id"], e["user"], e["status"], e["sendback"],
                 e["doc"]["temperature"]) for e in kept] == [
            (1, "visit:g1:refused", "w1", "sent_back", "sendback:g1:x", 45)]
        shared = CouchTokens(server, prefix, lambda _id: None)
        found = shared.check(token)
        assert found is not None and (found[0], found[2]) == (user_id, "tablet-w1")
        assert shared.revoke(found[1])
    finally:
        server.close()
    gridvisit_cli(tmp_path / "before", "migrate-store", "--to", "embedded", env=env)
    local = Tokens(ServerDB(tmp_path / "before" / "gridvisit.sqlite"))
    assert local.check(token) is None and local.to_wipe(token)[0] == user_id
    out = gridvisit_cli(tmp_path / "after", "migrate-store", "--to", "embedded", env=env)
    assert "field" in out.stdout
    back = services(create_app({"DATA_DIR": str(tmp_path / "after"), "COUCHDB_URL": ""}))
    w1 = back.accounts.authenticate("w1", "password-123")
    assert w1.id == user_id and back.directory.grids_of(w1) == {"g1"}
    assert [g["community_name"] for g in back.directory.grids()] == ["史家社区"]
    assert [r["target"] for r in back.audit.list()] == ["w1"]
    assert [(e["id"], e["status"], e["note"]) for e in back.quarantine.list()] == [
        (1, "sent_back", "请复测")]
    home = services(create_app({"DATA_DIR": str(tmp_path / "before"), "COUCHDB_URL": ""}))
    assert home.audit.count() == 1                       # (back where it was: not doubled)
    home.store.close()
    back.store.close()
    for folder in ("before", "after"):
        store = Store(tmp_path / folder, ids.grid_of)
        assert snapshot(store.get("field"), checkpoint=kind != "pouchdb-server") == before
        store.close()
    password = url.split("@")[0].rsplit(":", 1)[-1] if "@" in url else None
    if password:
        assert password not in out.stdout + out.stderr


def test_a_seq_of_the_couchdb_store_reads_the_embedded_feed_from_its_beginning(tmp_path):
    """A tablet whose checkpoint names a seq of the CouchDB store (before the
    community moved back) starts again from the beginning, not a 400."""
    db = Store(tmp_path, ids.grid_of).create("field")
    db.bulk_docs([{"_id": "household:g1:h1", "grid": "g1"}])
    foreign = "p1-eyJnMSI6IjEyLWciLCIiOiIzLXIifQ"
    assert [r["id"] for r in db.changes(since=foreign)["results"]] == ["household:g1:h1"]
