"""Shared fixtures: real servers in subprocesses, real SQLite in tmp dirs."""

import itertools
import os

import pytest
from hypothesis import settings

from tests.peers import start_gridvisit, start_pouchdb_server

_names = itertools.count()

# Property tests try new random examples on every run at a desk; on CI
# (CI=true, as .ci/run sets) they replay one fixed sequence, so that a red
# build means the change broke something, not that chance found an old bug
# (plain `make test` explores). No deadline: a shared machine is slow at times.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture(scope="session")
def gridvisit(tmp_path_factory):
    """A running gridvisit server (admin account) shared by a test session."""
    peer = start_gridvisit(tmp_path_factory.mktemp("gridvisit"))
    yield peer
    peer.stop()


@pytest.fixture(scope="session")
def pouchdb_server(tmp_path_factory):
    """A running pouchdb-server (npm, on-disk leveldb) shared by a session."""
    peer = start_pouchdb_server(tmp_path_factory.mktemp("pouchdb-server"))
    yield peer
    peer.stop()


@pytest.fixture
def dbname(request):
    """A fresh database name, unique within the test session."""
    safe = "".join(c if c.isalnum() else "_" for c in request.node.name.lower())
    return f"t{next(_names)}_{safe}"[:60]


from tests.api import app, couch  # noqa: E402,F401  (fixtures)
from tests.replication_support import big_corpus, field_dir, hub  # noqa: E402,F401
