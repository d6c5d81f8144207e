"""Design documents against real servers: gridvisit (``gridvisit serve``)
and pouchdb-server (npm) answer the same view queries
(tests/design_cases.py) the same way, and real PouchDB (node) replicates
through design-document filters and sees validate_doc_update's refusals
as 'denied' events while the rest of its push goes through — on both; a
worker's PouchDB uses a design document an admin shared, on its own grids."""

import itertools
from urllib.parse import quote

import pytest

from tests.design_cases import DDOC, DOCS, MAP_CASES, REDUCE_CASES
from tests.interop_access_support import PASSWORD, embedded_field  # noqa: F401  (fixture)
from tests.peers import run_node

_dbs = itertools.count()


@pytest.fixture(params=["gridvisit", "pouchdb_server"])
def peer(request):
    """The server under test: gridvisit, or pouchdb-server as the reference."""
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def loaded(gridvisit, pouchdb_server):
    """Both servers holding DOCS and DDOC in a fresh database each."""
    name = f"views{next(_dbs)}"
    for server in (gridvisit, pouchdb_server):
        assert server.request("PUT", name)[0] == 201
        assert server.request("POST", f"{name}/_bulk_docs", {"docs": DOCS})[0] == 201
        assert server.request("PUT", f"{name}/_design/t", DDOC)[0] == 201
    return name


def _ask(server, db, view, query):
    qs = "&".join(f"{k}={quote(v, safe='')}" for k, v in
                  (part.split("=", 1) for part in query.split("&") if part))
    return server.request("GET", f"{db}/_design/t/_view/{view}?{qs}")


CASES = MAP_CASES + REDUCE_CASES


@pytest.mark.parametrize("view, query, expected", CASES, ids=[f"{v}?{q}" for v, q, _ in CASES])
def test_gridvisit_answers_view_queries_as_pouchdb_server_does(gridvisit, pouchdb_server,
                                                               loaded, view, query, expected):
    ours = _ask(gridvisit, loaded, view, query)
    assert ours[0] == 200, ours
    shown = [row["id"] for row in ours[1]["rows"]] if "total_rows" in ours[1] else ours[1]["rows"]
    assert shown == expected
    if "_docid" in query:
        return   # pouchdb-server ignores startkey_docid/endkey_docid; CouchDB's docs rule
    theirs = _ask(pouchdb_server, loaded, view, query)
    assert theirs[0] == 200, theirs
    assert ours[1]["rows"] == theirs[1]["rows"]
    if "total_rows" in theirs[1]:
        assert ours[1]["total_rows"] == theirs[1]["total_rows"]


def test_pouchdb_replicates_through_design_document_filters_and_is_denied_per_document(peer):
    name = f"ddocs{next(_dbs)}"
    assert peer.request("PUT", name)[0] == 201
    out = run_node("design_docs.js", {"remote": peer.url(name)})
    assert out["by_tag"] == ["d2", "d5", "d8"] and out["by_tag_run"]["ok"]
    assert out["by_view"] == ["d1", "d3", "d5", "d7", "d9"] and out["by_view_run"]["ok"]
    # "don't stop replication if single forbidden": two denied, three written
    assert out["push"]["ok"] is True and out["push"]["doc_write_failures"] == 2
    assert sorted(d["id"] for d in out["denied"]) == ["p2", "p4"]
    assert all(d["name"] == "forbidden" or d.get("error") == "forbidden" for d in out["denied"])
    assert out["pushed"] == ["p1", "p3", "p5"]
    assert out["query"] == [["d1", 1], ["p1", 1], ["d3", 3]]


SHARED = {
    "views": {"by_type": {"map": "function (doc) { if (doc.type) emit(doc.type, 1); }",
                          "reduce": "_count"},
              "households_view": {"map": "function (doc) { if (doc.type === 'household') "
                                         "emit(doc._id); }"}},
    "filters": {"households": "function (doc) { return doc.type === 'household'; }"}}


def test_a_workers_pouchdb_uses_a_shared_design_document_on_its_own_grids(embedded_field):
    """A real PouchDB signed in as worker w1 (grid g1 of g1–g3) replicates
    through the shared filter and view and queries the shared view."""
    field = embedded_field
    assert field.request("PUT", "field/_design/shared-forms", SHARED)[0] == 201
    url = f"http://w1:{PASSWORD}@127.0.0.1:{field.extra['port']}/couch/field"
    out = run_node("design_worker.js", {"remote": url})
    households = ["household:g1:h0", "household:g1:h1", "household:g1:h2"]
    assert out["by_filter"] == households and out["filter_run"]["ok"]
    assert out["by_view"] == households and out["view_run"]["ok"]
    counts = {row["key"]: row["value"] for row in out["counted"]}
    assert counts["household"] == 3 and counts["visit"] == 3 and counts["request"] == 3
    assert all(doc_id.split(":")[1] in ("g1", "warning") for doc_id in out["listed"])
    assert out["total_rows"] == len(out["listed"])
    assert out["refused"] == 403
