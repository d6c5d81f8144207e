"""The sync API served from the CouchDB store (the ``COUCHDB_URL`` setting):
the per-user view, validation and quarantine unchanged, and two gridvisit
servers over one CouchDB answering one tablet. pouchdb-server is the CouchDB
in CI; a real Apache CouchDB too where ``GRIDVISIT_TEST_COUCHDB`` names one.

Accounts still live in each server's own SQLite file (issue 22 moves them
into CouchDB later), so the second server is given the same people; device
tokens live in CouchDB and work on both."""

import threading
import uuid

import pytest

from server.services import services
from sync.couch import CouchStore
from tests import fielddocs as fd
from tests.api import PASSWORD, Couch, make_field_app, make_people_app
from tests.stores import couch_for, couchdb_other_node, drop_prefixed

G1_IDS = ["grid:g1", "household:g1:h1", "review:visit:g1:v1", "visit:g1:v1"]


@pytest.fixture(params=["pouchdb-server", "couchdb"])
def servers(request, tmp_path):
    """Two gridvisit apps, each with its own data folder, over one CouchDB."""
    url = couch_for(request)
    prefix = f"gvs{uuid.uuid4().hex[:8]}_"
    one = make_field_app(tmp_path / "a", COUCHDB_URL=url, COUCHDB_PREFIX=prefix)
    two = make_people_app(tmp_path / "b", COUCHDB_URL=couchdb_other_node(url)
                          if request.param == "couchdb" else url, COUCHDB_PREFIX=prefix)
    yield one, two
    for app in (one, two):
        services(app).store.close()
    drop_prefixed(url, prefix)


def _as(app, name="w1"):
    return Couch(app, auth=(name, PASSWORD))


def _ids(page):
    return sorted(r["id"] for r in page["results"])


def test_the_setting_puts_the_field_database_in_couchdb(servers):
    one, two = servers
    assert isinstance(services(one).store, CouchStore)
    assert services(two).store.names() == ["field"]


def test_a_workers_feed_listing_and_reads_hold_only_their_grids(servers):
    one, _two = servers
    w1 = _as(one)
    assert _ids(w1.get("field/_changes?style=all_docs").get_json()) == G1_IDS
    assert sorted(r["id"] for r in w1.get("field/_all_docs").get_json()["rows"]) == G1_IDS
    assert w1.get("field/household:g3:h3").status_code == 404
    got = w1.post("field/_bulk_get", json={"docs": [{"id": "household:g3:h3"}]}).get_json()
    assert got["results"][0]["docs"][0]["error"]["error"] == "not_found"
    assert w1.get("field").get_json()["doc_count"] == 4


def test_a_write_outside_the_workers_grids_is_refused_and_kept_in_quarantine(servers):
    one, _two = servers
    rows = _as(one).post("field/_bulk_docs", json={"docs": [
        {"_id": "household:g3:hx", "type": "household", "grid": "g3"}]}).get_json()
    assert rows[0]["error"] == "forbidden"
    assert services(one).quarantine.count() == 1


def test_a_seq_from_one_server_resumes_on_the_other(servers):
    one, two = servers
    seq = _as(one).get("field/_changes").get_json()["last_seq"]
    doc = fd.household("g1", "h9")
    written = _as(two).put(f"field/{doc['_id']}", json=doc)
    assert written.status_code == 201, written.get_json()
    page = _as(two).get(f"field/_changes?since={seq}").get_json()
    assert _ids(page) == ["household:g1:h9"]
    assert _as(one).get(f"field/_changes?since={page['last_seq']}").get_json()["results"] == []


def test_a_longpoll_on_one_server_wakes_for_a_write_through_the_other(servers):
    one, two = servers
    seq = _as(one).get("field/_changes").get_json()["last_seq"]
    answer = {}

    def poll():
        answer["page"] = _as(one).get(
            f"field/_changes?feed=longpoll&timeout=10000&since={seq}").get_json()

    waiter = threading.Thread(target=poll)
    waiter.start()
    services(two).store.get("field").put({"_id": "household:g1:h5", "type": "household"})
    waiter.join(15)
    assert _ids(answer["page"]) == ["household:g1:h5"]


def _bearer(app, token):
    return Couch(app, auth=None), {"Authorization": f"Bearer {token}"}


def test_a_device_token_from_one_server_works_on_the_other_and_a_revocation_on_either_holds(
        servers):
    one, two = servers
    login = Couch(one, auth=None).post("/api/login", json={
        "name": "w1", "password": PASSWORD, "device": "tablet-w1"}).get_json()
    token = login["token"]
    for app in (one, two):
        client, headers = _bearer(app, token)
        page = client.get("field/_changes", headers=headers)
        assert page.status_code == 200 and _ids(page.get_json()) == G1_IDS
    listed = Couch(two).get("/api/devices").get_json()
    assert [(d["id"], d["user"], d["revoked"]) for d in listed] == [
        (login["token_id"], "w1", None)]

    assert Couch(two).delete(f"/api/devices/{login['token_id']}").get_json()["revoked"]
    client, headers = _bearer(one, token)
    refused = client.get("field/_changes", headers=headers)
    assert refused.status_code == 401 and refused.get_json()["error"] == "device_revoked"
