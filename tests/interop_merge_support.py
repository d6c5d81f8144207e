"""A real ``gridvisit serve`` for the merge interop tests: the admin side
(the JSON API, the seeded household, reading leaves back) and the ``field``
fixture (workers ``wa`` and ``wb`` on grid ``g1``, supervisor of its
community, household ``household:g1:h1``), and ``conflicting_pair``: one
household's base revision and two leaves made on two replicas of it.
"""

import copy
import hashlib

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


# -- a conflict made on two replicas (two servers' cases) -------------------------

def rev_hash(*parts):
    return hashlib.md5(":".join(map(str, parts)).encode()).hexdigest()


def ticking(device, start):
    ms = iter(range(start, start + 10**9, 1000))
    return Clock(device, now_ms_fn=lambda: next(ms))


def conflicting_pair(colour_changed_on_one_leaf_only=False):
    """The base revision and two leaves made on two replicas of it, each
    with its ``_revisions`` history, ready for ``new_edits=false``.

    By default both leaves change the colour (yellow and red), plus other
    fields and members. With ``colour_changed_on_one_leaf_only`` the base
    is yellow, A turns it green and B changes only the notes: a later colour
    change, not a concurrent one — which only a server that knows the base's
    stamps can tell.
    """
    seed = fd.household("g1", "h2", by="admin")
    if colour_changed_on_one_leaf_only:
        seed.update(colour="yellow", colour_reason="独居老人，需定期查看")
    base = stamp_edit(None, seed, ticking("office-pc", 1_790_000_000_000))
    base_hash = rev_hash(base["_id"], "base")
    base_doc = dict(base, _rev=f"1-{base_hash}", _revisions={"start": 1, "ids": [base_hash]})
    a, b = copy.deepcopy(base), copy.deepcopy(base)
    if colour_changed_on_one_leaf_only:
        a.update(colour="green", phone="139 0000 0007")
        a.pop("colour_reason")
        b.update(notes="子女已接回同住")
    else:
        a.update(phone="139 0000 0007", colour="yellow", colour_reason="血压偏高",
                 members=base["members"] + [dict(NEW_MEMBER)])
        b.update(notes="独居，子女在外地", colour="red", colour_reason="高烧不退",
                 members=[dict(base["members"][0], tags=["over65"], notes="行动不便")])
    a.update(updated_at=fd.stamp_time(2), updated_by="wa", device="tab-A")
    b.update(updated_at=fd.stamp_time(1), updated_by="wb", device="tab-B")
    a = stamp_edit(base, a, ticking("tab-A", 1_796_000_000_000))
    b = stamp_edit(base, b, ticking("tab-B", 1_795_000_000_000))
    leaves = []
    for name, body in (("a", a), ("b", b)):
        digest = rev_hash(body["_id"], name)
        leaves.append(dict(body, _rev=f"2-{digest}",
                           _revisions={"start": 2, "ids": [digest, base_hash]}))
    return base_doc, leaves
