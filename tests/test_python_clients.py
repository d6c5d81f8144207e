"""The three Python CouchDB clients work against /couch as against CouchDB.

Each test drives one real client library, through its simplest documented
API, against a running server: create a database, create / read / update /
delete a document, read the changes feed (and resume it from ``last_seq``),
bulk-write 50 documents, then delete the database.

Every test runs against gridvisit and, as the reference for "as against
CouchDB", against pouchdb-server. A test that passes on pouchdb-server and
fails on gridvisit points at the server, not at the test.

Clients:

* ``couchdb`` (CouchDB-Python 1.2): ``couchdb.Server(url)``, credentials in
  the URL (Basic auth on every request).
* ``cloudant`` (python-cloudant 2.15): ``cloudant.client.CouchDB(user,
  password, url=..., connect=True)``. By default it logs in with a cookie
  session: ``POST _session`` with a form body ``name=...&password=...``, then
  cookie-only requests, then ``DELETE _session`` on disconnect. It builds the
  session URL with ``urllib.parse.urljoin(url, "_session")``, which for
  ``url=http://host:port/couch`` is ``http://host:port/_session`` - the last
  path segment is dropped - while databases are ``url + "/" + db``. So the
  ``cookie`` variant needs CouchDB's ``_session`` answered at the server
  root as well as under /couch (a trailing slash on ``url`` would fix the
  session URL but make every database URL ``/couch//db``). The ``basic``
  variant (``use_basic_auth=True``) needs only Basic auth.
* ``ibmcloudant`` (0.11): ``CloudantV1(authenticator=BasicAuthenticator(...))``
  with ``set_service_url``. It gzips every request body
  (``Content-Encoding: gzip``, on by default in CloudantV1) and reads the
  changes feed with ``POST _changes``.
"""

import pytest

N_BULK = 50


@pytest.fixture(params=["gridvisit", "pouchdb_server"])
def peer(request):
    """The server under test: gridvisit, or pouchdb-server as the reference."""
    return request.getfixturevalue(request.param)


def household(grid, hh, **extra):
    """A household document as DESIGN.md describes it (Chinese field data)."""
    doc = {
        "_id": f"household:{grid}:{hh}",
        "type": "household",
        "grid": grid,
        "address": {"building": "3号楼", "unit": "2单元", "room": f"{hh[-3:]}室"},
        "head": "王秀英",
        "phone": "13800138000",
        "members": [
            {"id": "m1", "name": "王秀英", "age": 78, "tags": ["空巢老人", "慢性病"]},
        ],
        "colour": "green",
        "colour_reason": "放心行",
    }
    doc.update(extra)
    return doc


def bulk_households(grid, n=N_BULK):
    return [household(grid, f"{i:04d}", head=f"住户{i}") for i in range(n)]


def ids(rows):
    return {row["id"] for row in rows}


# --------------------------------------------------------------- couchdb --

def test_couchdb_python(peer, dbname):
    couchdb = pytest.importorskip("couchdb")
    server = couchdb.Server(peer.url())

    # database
    db = server.create(dbname)
    assert dbname in server
    assert db.info()["db_name"] == dbname
    with pytest.raises(couchdb.PreconditionFailed):
        server.create(dbname)

    # create / read / update / delete one document
    doc = household("g1", "0101")
    doc_id, rev1 = db.save(doc)
    assert doc_id == "household:g1:0101"
    assert rev1.startswith("1-")
    got = db[doc_id]
    assert got.rev == rev1
    assert got["head"] == "王秀英"
    assert got["members"][0]["tags"] == ["空巢老人", "慢性病"]

    got["colour"], got["colour_reason"] = "yellow", "停一停"
    _, rev2 = db.save(got)
    assert rev2.startswith("2-")
    assert db[doc_id]["colour_reason"] == "停一停"
    old = db.get(doc_id, rev=rev1)   # CouchDB: old body until compaction; gridvisit
    assert old is None or old["colour"] == "green"         # compacts on write: 404
    stale = dict(got, _rev=rev1)
    with pytest.raises(couchdb.ResourceConflict):
        db.save(stale)

    db.delete(db[doc_id])
    assert db.get(doc_id) is None
    with pytest.raises(couchdb.ResourceNotFound):
        db[doc_id]

    # changes feed
    changes = db.changes()
    rows = {row["id"]: row for row in changes["results"]}
    assert set(rows) == {doc_id}
    assert rows[doc_id]["deleted"] is True
    assert rows[doc_id]["changes"][0]["rev"].startswith("3-")
    since = changes["last_seq"]

    # bulk write
    results = db.update(bulk_households("g2"))
    assert len(results) == N_BULK
    assert all(ok for ok, _, _ in results), results
    assert {docid for _, docid, _ in results} == {d["_id"] for d in bulk_households("g2")}
    assert all(rev.startswith("1-") for _, _, rev in results)
    assert db.info()["doc_count"] == N_BULK
    assert len(db) == N_BULK
    assert db["household:g2:0049"]["head"] == "住户49"

    # the feed resumes from last_seq: only the bulk documents are new
    later = db.changes(since=since)
    assert ids(later["results"]) == {d["_id"] for d in bulk_households("g2")}
    assert len(db.changes()["results"]) == N_BULK + 1

    del server[dbname]
    assert dbname not in server


# -------------------------------------------------------------- cloudant --

@pytest.mark.parametrize("auth", ["cookie", "basic"])
def test_cloudant(peer, dbname, auth):
    pytest.importorskip("cloudant")
    from cloudant.client import CouchDB
    from cloudant.document import Document

    if peer.username is None:                     # pouchdb-server: admin party
        if auth == "basic":
            pytest.skip("this peer has no authentication")
        client = CouchDB(None, None, url=peer.base, admin_party=True, connect=True)
    else:
        client = CouchDB(peer.username, peer.password, url=peer.base, connect=True,
                         use_basic_auth=(auth == "basic"))
    try:
        # database
        db = client.create_database(dbname, throw_on_exists=True)
        assert db.exists()
        assert db.metadata()["db_name"] == dbname
        assert dbname in client.all_dbs()

        # create / read / update / delete one document
        doc = db.create_document(household("g1", "0101"))
        assert doc["_rev"].startswith("1-")
        with Document(db, "household:g1:0101") as fresh:  # fetch, edit, save
            assert fresh["head"] == "王秀英"
            assert fresh["members"][0]["tags"] == ["空巢老人", "慢性病"]
            fresh["colour"], fresh["colour_reason"] = "red", "要上心"
        reread = Document(db, "household:g1:0101")
        reread.fetch()
        assert reread["_rev"].startswith("2-")
        assert reread["colour"] == "red"
        reread.delete()
        assert not Document(db, "household:g1:0101").exists()

        # changes feed. cloudant's Feed reads the body line by line and
        # expects CouchDB's layout: '{"results":[', one row per line, '],',
        # then '"last_seq":...}'. pouchdb-server sends one line, so the rows
        # are lost there (its known divergence, not a test bug).
        feed = db.changes()
        rows = list(feed)
        since = feed.last_seq
        one_line_feed = peer.name == "pouchdb-server" and not rows
        if not one_line_feed:
            assert [row["id"] for row in rows] == ["household:g1:0101"]
            assert rows[0]["deleted"] is True
            assert since is not None

        # bulk write
        results = db.bulk_docs(bulk_households("g2"))
        assert len(results) == N_BULK
        assert all(r.get("ok") and r["rev"].startswith("1-") for r in results), results
        assert db.doc_count() == N_BULK
        assert db["household:g2:0049"]["head"] == "住户49"

        if not one_line_feed:
            later = list(db.changes(since=since))
            assert ids(later) == {d["_id"] for d in bulk_households("g2")}

        client.delete_database(dbname)
        assert dbname not in client.all_dbs()
    finally:
        client.disconnect()
    if one_line_feed:
        pytest.xfail("pouchdb-server sends _changes on one line; cloudant's Feed "
                     "needs CouchDB's one-row-per-line layout")


# ----------------------------------------------------------- ibmcloudant --

def test_ibmcloudant(peer, dbname):
    pytest.importorskip("ibmcloudant")
    from ibm_cloud_sdk_core import ApiException
    from ibm_cloud_sdk_core.authenticators import BasicAuthenticator, NoAuthAuthenticator
    from ibmcloudant.cloudant_v1 import BulkDocs, CloudantV1, Document

    if peer.username is None:
        authenticator = NoAuthAuthenticator()
    else:
        authenticator = BasicAuthenticator(peer.username, peer.password)
    service = CloudantV1(authenticator=authenticator)
    service.set_service_url(peer.base)

    # database
    assert service.put_database(db=dbname).get_result()["ok"] is True
    assert service.get_database_information(db=dbname).get_result()["db_name"] == dbname
    with pytest.raises(ApiException) as err:
        service.put_database(db=dbname)
    assert err.value.status_code == 412

    # create / read / update / delete one document
    created = service.post_document(
        db=dbname, document=Document.from_dict(household("g1", "0101"))).get_result()
    assert created["ok"] is True
    assert created["id"] == "household:g1:0101"
    rev1 = created["rev"]
    got = service.get_document(db=dbname, doc_id=created["id"]).get_result()
    assert got["_rev"] == rev1
    assert got["head"] == "王秀英"

    got["colour"], got["colour_reason"] = "yellow", "停一停"
    updated = service.put_document(
        db=dbname, doc_id=created["id"], document=Document.from_dict(got)).get_result()
    assert updated["rev"].startswith("2-")
    got = service.get_document(db=dbname, doc_id=created["id"]).get_result()
    assert got["colour_reason"] == "停一停"
    with pytest.raises(ApiException) as err:            # stale rev
        service.delete_document(db=dbname, doc_id=created["id"], rev=rev1)
    assert err.value.status_code == 409

    deleted = service.delete_document(db=dbname, doc_id=created["id"],
                                      rev=updated["rev"]).get_result()
    assert deleted["ok"] is True and deleted["rev"].startswith("3-")
    with pytest.raises(ApiException) as err:
        service.get_document(db=dbname, doc_id=created["id"])
    assert err.value.status_code == 404

    # changes feed (POST /{db}/_changes)
    changes = service.post_changes(db=dbname).get_result()
    assert [row["id"] for row in changes["results"]] == [created["id"]]
    assert changes["results"][0]["deleted"] is True
    since = changes["last_seq"]

    # bulk write
    docs = [Document.from_dict(d) for d in bulk_households("g2")]
    results = service.post_bulk_docs(db=dbname, bulk_docs=BulkDocs(docs=docs)).get_result()
    assert len(results) == N_BULK
    assert all(r.get("ok") and r["rev"].startswith("1-") for r in results), results
    info = service.get_database_information(db=dbname).get_result()
    assert info["doc_count"] == N_BULK

    later = service.post_changes(db=dbname, since=since).get_result()
    assert ids(later["results"]) == {d["_id"] for d in bulk_households("g2")}
    everything = service.post_all_docs(db=dbname).get_result()
    assert everything["total_rows"] == N_BULK

    assert service.delete_database(db=dbname).get_result()["ok"] is True
    with pytest.raises(ApiException) as err:
        service.get_database_information(db=dbname)
    assert err.value.status_code == 404
