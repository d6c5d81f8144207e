"""A real ``gridvisit serve`` for the merge interop tests: the admin side
(the JSON API, the seeded household, reading leaves back) and the ``field``
fixture (workers ``wa`` and ``wb`` on grid ``g1``, supervisor of its
community, household ``household:g1:h1``).
"""

import pytest

from rules.hlc import Clock
from rules.stamps import stamp_edit
from tests import fielddocs as fd
from tests.interop_access_support import FIELD, set_up_directory
from tests.peers import start_gridvisit
from tests.stores import STORES, store_env

HH = "household:g1:h1"
NEW_MEMBER = {"id": "m2", "name": "李小明", "birth_year": 2015, "gender": "male"}
MINUTE = 60_000


# -- the admin side -----------------------------------------------------------

def seeded_household():
    """``household:g1:h1`` as the office registered it, stamped."""
    return stamp_edit(None, fd.household("g1", "h1", by="admin"), Clock("office-pc"))


def server_doc(peer, doc_id):
    status, doc = peer.request("GET", f"{FIELD}/{doc_id}?conflicts=true&deleted_conflicts=true")
    assert status == 200, doc
    return doc


def server_leaves(peer, doc_id):
    """open_revs=all on the server: ``[{rev, deleted, doc}]`` sorted by rev."""
    status, rows = peer.request("GET", f"{FIELD}/{doc_id}?open_revs=all")
    assert status == 200 and isinstance(rows, list), (status, rows)
    out = []
    for row in rows:
        assert "ok" in row, row                     # no missing leaf
        body = row["ok"]
        out.append({"rev": body["_rev"], "deleted": bool(body.get("_deleted")),
                    "doc": None if body.get("_deleted") else body})
    return sorted(out, key=lambda leaf: leaf["rev"])


def without(doc, *keys):
    return {k: v for k, v in doc.items() if k not in keys}


@pytest.fixture(params=STORES)
def field(request, tmp_path):
    """A server with street s, community c1, grid g1, workers wa and wb on
    g1, supervisor s1 of c1, and the seeded household, over each store
    (``tests/stores.py``)."""
    peer = start_gridvisit(tmp_path / "server", env=store_env(request))
    try:
        set_up_directory(peer, {"g1": "c1"}, {"wa": "g1", "wb": "g1"})
        base = seeded_household()
        status, rows = peer.request("POST", f"{FIELD}/_bulk_docs",
                                    {"docs": [fd.grid_doc("g1"), base]})
        assert status == 201 and all(r.get("ok") for r in rows), rows
        peer.extra["base"] = dict(base, _rev=rows[1]["rev"])
        yield peer
    finally:
        peer.stop()
