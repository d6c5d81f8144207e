"""Both stores stand behind the one interface the server drives (``sync/backend.py``)."""

import inspect

import pytest

from sync import backend
from sync.database import Database
from sync.couch import CouchDatabase, CouchStore
from sync.store import Store


def _methods(protocol):
    return sorted(name for name, member in vars(protocol).items()
                  if callable(member) and not name.startswith("_"))


def _peer_and_database_methods():
    return sorted(set(_methods(backend.Database)) | set(_methods(backend.Peer)))


@pytest.mark.parametrize("cls", [Database, CouchDatabase], ids=["sqlite", "couch"])
@pytest.mark.parametrize("name", _peer_and_database_methods())
def test_each_database_has_every_method_of_the_interface(cls, name):
    assert callable(getattr(cls, name, None)), name


@pytest.mark.parametrize("cls", [Store, CouchStore], ids=["sqlite", "couch"])
@pytest.mark.parametrize("name", _methods(backend.Store))
def test_each_store_has_every_method_of_the_interface(cls, name):
    assert callable(getattr(cls, name, None)), name


def test_each_database_says_whether_its_seqs_name_every_partition():
    assert Database.partitioned_seqs is False and CouchDatabase.partitioned_seqs is True


def test_every_interface_method_has_a_one_line_docstring():
    for protocol in (backend.Database, backend.Store):
        for name in _methods(protocol):
            doc = inspect.getdoc(getattr(protocol, name))
            assert doc and doc.strip(), f"{protocol.__name__}.{name}"
