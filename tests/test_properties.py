"""Property tests through the server: whatever a tablet sends, the answer
is never a 500, every refusal has a reason, and every refused document is
kept in quarantine."""

import copy
import itertools

from hypothesis import HealthCheck, given, settings, strategies as st

from tests import fielddocs as fd
from tests.api import PASSWORD, Couch, make_field_app
from server.services import services

JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                      st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20))
JSON = st.recursive(JSON_LEAF, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)

BASES = [lambda: fd.household("g1", "hx"), lambda: fd.visit("g1", "h1", by="w1"),
         lambda: fd.request_doc("g1", "h1"), lambda: fd.household("g3", "hx")]
FIELDS = ["colour", "building", "room", "members", "checks", "outcome", "visited_at",
          "status", "schema", "grid", "type", "household", "needs", "phone", "detail", "x"]

_apps = {}
_counter = itertools.count()


def app_for(tmp_path_factory):
    if "app" not in _apps:
        _apps["app"] = make_field_app(tmp_path_factory.mktemp("props"))
    return _apps["app"]


@st.composite
def mutated_docs(draw):
    doc = copy.deepcopy(draw(st.sampled_from(BASES))())
    doc["_id"] = doc["_id"].rsplit(":", 1)[0] + f":p{next(_counter)}"
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(FIELDS))
        if draw(st.booleans()):
            doc[field] = draw(JSON)
        else:
            doc.pop(field, None)
    return doc


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(docs=st.lists(st.one_of(mutated_docs(), st.dictionaries(st.text(max_size=6), JSON,
                                                               max_size=4)),
                     min_size=1, max_size=4),
       new_edits=st.booleans())
def test_any_batch_gets_per_document_answers(tmp_path_factory, docs, new_edits):
    app = app_for(tmp_path_factory)
    worker = Couch(app, auth=("w1", PASSWORD))
    if not new_edits:
        for doc in docs:
            doc.setdefault("_rev", f"1-{next(_counter):032x}")
    resp = worker.post("field/_bulk_docs", json={"docs": docs, "new_edits": new_edits})
    assert resp.status_code in (201, 400), resp.get_data(as_text=True)
    body = resp.get_json()
    if resp.status_code == 400:              # malformed shape: the whole batch refused
        assert body["reason"]
        return
    if new_edits:
        assert len(body) == len(docs)
    kept = services(app).quarantine.list(limit=1000)
    kept_bodies = [item["doc"] for item in kept]
    for row in body:
        assert "ok" in row or (row["error"] and row["reason"])
        if row.get("error") == "forbidden":
            assert any(k.get("_id") == row["id"] for k in kept_bodies), row


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=mutated_docs())
def test_single_put_never_500(tmp_path_factory, doc):
    app = app_for(tmp_path_factory)
    worker = Couch(app, auth=("w1", PASSWORD))
    resp = worker.put(f"field/{doc['_id']}", json=doc)
    assert resp.status_code in (201, 400, 403, 409), resp.get_data(as_text=True)
    if resp.status_code != 201:
        assert resp.get_json()["reason"]
