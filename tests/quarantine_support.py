"""A refused push for quarantine tests: a tablet replicates a visit the
server refuses, which the quarantine keeps."""

from server.services import services
from tests import fielddocs as fd
from tests.api import PASSWORD, Couch

REFUSED_REV = "1-0a1b2c3d4e5f60718293a4b5c6d7e8f9"


def push_refused(app, by="w1", grid="g1", temperature=45):
    """A tablet replicates a visit with an impossible temperature; returns
    (the visit, its quarantine entry id)."""
    bad = fd.visit(grid, "h1", by=by)
    bad["checks"][0]["temperature"] = temperature
    bad.update(_rev=REFUSED_REV, _revisions={"start": 1, "ids": [REFUSED_REV[2:]]})
    rows = Couch(app, auth=(by, PASSWORD)).post(
        "field/_bulk_docs", json={"docs": [bad], "new_edits": False}).get_json()
    assert rows[0]["error"] == "forbidden"
    entry = next(e for e in services(app).quarantine.list() if e["doc_id"] == bad["_id"])
    return bad, entry["id"]
