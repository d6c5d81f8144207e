"""The stores a store-level test runs against: SQLite, and the CouchDB store
over pouchdb-server (CI's CouchDB) and over a real Apache CouchDB.

The real CouchDB runs only where ``GRIDVISIT_TEST_COUCHDB`` (or
``COUCHDB_URL``) names an admin URL of one; without it those cases skip.
``GRIDVISIT_TEST_COUCHDB_OTHER`` may name another node of its cluster.
Each test's CouchDB databases get their own prefix and are deleted after.
"""

import os
import uuid

import httpx
import pytest

from sync import Store
from sync.couch import CouchStore

STORES = ["sqlite", "pouchdb-server", "couchdb"]


def couchdb_url():
    """The admin URL of a real Apache CouchDB to test against, or None."""
    return os.environ.get("GRIDVISIT_TEST_COUCHDB") or os.environ.get("COUCHDB_URL")


def couchdb_other_node(url):
    """Another node of the same cluster (``GRIDVISIT_TEST_COUCHDB_OTHER``), else ``url``:
    the second gridvisit server of a test talks to it."""
    return os.environ.get("GRIDVISIT_TEST_COUCHDB_OTHER") or url


def drop_prefixed(url, prefix):
    """Delete every database of ``url`` whose name starts with ``prefix``."""
    with httpx.Client(timeout=60) as client:
        for name in client.get(url.rstrip("/") + "/_all_dbs").json():
            if name.startswith(prefix):
                client.delete(url.rstrip("/") + "/" + name.replace("/", "%2F"))


@pytest.fixture(params=STORES)
def make_store(request, tmp_path):
    """``make_store(n, partition, resolver)``: store number ``n`` of this test.

    Different ``n`` are separate stores (two community servers, each with
    its data); the same ``n`` made again is another server over the same
    data — which for SQLite is the same directory.
    """
    kind = request.param
    url = None
    if kind == "pouchdb-server":
        url = request.getfixturevalue("pouchdb_server").url()
    elif kind == "couchdb":
        url = couchdb_url()
        if not url:
            pytest.skip("no Apache CouchDB here: set GRIDVISIT_TEST_COUCHDB to an admin URL")
    prefix = f"gvt{uuid.uuid4().hex[:8]}_"
    made = []

    def make(n=0, partition=None, resolver=None):
        if kind == "sqlite":
            store = Store(tmp_path / f"store{n}", partition, resolver)
        else:
            store = CouchStore(url, partition, resolver, prefix=f"{prefix}{n}_")
        made.append(store)
        return store

    make.kind = kind
    yield make
    for store in made:
        store.close()
    if url:
        drop_prefixed(url, prefix)


def couch_for(request):
    """The admin URL of the CouchDB ``request.param`` names: the session's
    pouchdb-server, or the Apache CouchDB of ``GRIDVISIT_TEST_COUCHDB``
    (the test is skipped without one)."""
    if request.param == "pouchdb-server":
        return request.getfixturevalue("pouchdb_server").url()
    url = couchdb_url()
    if not url:
        pytest.skip("no Apache CouchDB here: set GRIDVISIT_TEST_COUCHDB to an admin URL")
    return url


def store_env(request):
    """The environment that puts a ``gridvisit serve`` on ``request.param``'s
    store (None: SQLite); its CouchDB databases are dropped after the test."""
    if request.param == "sqlite":
        return None
    url = couch_for(request)
    prefix = f"gvi{uuid.uuid4().hex[:8]}_"
    request.addfinalizer(lambda: drop_prefixed(url, prefix))
    return {"GRIDVISIT_COUCHDB_URL": url, "GRIDVISIT_COUCHDB_PREFIX": prefix}
