"""A request is handed only to someone who can see it — through sync too.

The console's requests board offers only the people who can see a request
(issue 16); a tablet writing ``assignee`` through ``/couch`` meets the same
rule (``Directory.people_for_grid``), and a refused request is kept in
quarantine, never lost.
"""

import pytest

from server.services import services
from tests import fielddocs as fd
from tests.api import ADMIN, PASSWORD, Couch, make_field_app


@pytest.fixture
def field(tmp_path):
    return make_field_app(tmp_path)


def put(field, who, doc):
    return Couch(field, ADMIN if who == "admin" else (who, PASSWORD)).put(
        f"field/{doc['_id']}", json=doc)


@pytest.mark.parametrize("assignee", ["w1", "s1"])
def test_a_worker_may_hand_a_request_to_someone_who_sees_its_grid(field, assignee):
    doc = fd.request_doc("g1", "h1", by="w1", assignee=assignee)
    assert put(field, "w1", doc).status_code == 201


@pytest.mark.parametrize("assignee", ["w3", "nobody", "gone"])
def test_a_request_handed_to_someone_who_cannot_see_it_is_refused_and_kept(field, assignee):
    doc = fd.request_doc("g1", "h1", by="w1", assignee=assignee)
    resp = put(field, "w1", doc)
    assert resp.status_code == 403
    assert resp.get_json()["reason"].startswith("assignee:")
    kept = services(field).quarantine.list(None)
    assert [row["doc_id"] for row in kept] == [doc["_id"]]


def test_an_unchanged_assignee_is_not_checked_again(field):
    doc = fd.request_doc("g1", "h1", by="w1", assignee="w1")
    doc["_rev"] = put(field, "w1", doc).get_json()["rev"]
    services(field).accounts.set_active("w1", False)     # left since; the request keeps them
    doc["detail"] = "药已送到"
    assert put(field, "s1", doc).status_code == 201


def test_an_admin_is_not_held_to_it(field):
    doc = fd.request_doc("g1", "h1", by="admin", assignee="someone-at-the-hub")
    assert put(field, "admin", doc).status_code == 201
