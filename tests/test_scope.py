"""Who may see what, answered once (rules/scope.py) for sync, API and console.

Table-driven over every kind of id; then the same answer seen through the
sync view, the console and the API's device list (a supervisor oversees the
workers holding a grid of theirs, and no one else).
"""

import pytest

from rules.warning_rules import shipped_rules
from rules import scope
from server.services import services
from tests.api import ADMIN, PASSWORD, Couch, make_field_app
from tests.console_client import browser_for

CASES = [
    # grids seen, doc id, kind, visible
    (None, "household:g1:h1", None, True),
    (None, "_design/x", None, True),                 # admins: any document
    ({"g1"}, "household:g1:h1", None, True),
    ({"g1"}, "household:g2:h1", None, False),
    ({"g1"}, "review:visit:g1:v1", None, True),       # a review is in its visit's grid
    ({"g1"}, "review:visit:g2:v1", None, False),
    ({"g1"}, "rules:warning", None, True),            # the shared partition, for everyone
    (set(), "rules:warning", None, True),
    ({"g1"}, "grid:g1", None, True),
    ({"g1"}, "_design/x", None, False),
    ({"g1"}, "household:g1", None, False),            # malformed: no grid
    ({"g1"}, None, None, False),
    ({"g1"}, 42, None, False),
    ({"g1"}, "household:g1:h1", "household", True),
    ({"g1"}, "household:g1:h1", "visit", False),      # the wrong kind
    (None, "household:g1:h1", "visit", False),
    (None, "nonsense", "household", False),
]


@pytest.mark.parametrize("grids, doc_id, kind, expected", CASES)
def test_visible(grids, doc_id, kind, expected):
    assert scope.visible(grids, doc_id, kind) is expected


@pytest.mark.parametrize("grids, worker_grids, expected", [
    (None, set(), True), ({"g1", "g2"}, {"g2"}, True), ({"g1"}, {"g3"}, False),
    ({"g1"}, set(), False), (set(), {"g1"}, False)])
def test_oversees(grids, worker_grids, expected):
    assert scope.oversees(grids, worker_grids) is expected


@pytest.fixture
def field(tmp_path):
    """The field app, with a rule set an admin saved: the shared partition holds it."""
    app = make_field_app(tmp_path)
    services(app).store.get("field").put(dict(shipped_rules(), version=2, updated_by="admin"))
    return app


def test_the_sync_view_and_the_console_give_the_same_answer(field):
    couch = {name: Couch(field, ADMIN if name == "admin" else (name, PASSWORD))
             for name in ("admin", "w1", "s1")}
    for doc_id in ("household:g1:h1", "household:g3:h3", "rules:warning"):
        expected = {"w1": doc_id != "household:g3:h3", "s1": doc_id != "household:g3:h3",
                    "admin": True}
        for name in ("admin", "w1", "s1"):
            seen = couch[name].get(f"field/{doc_id}").status_code == 200
            assert seen is expected[name], (name, doc_id)
    console = browser_for(field, "s1")
    assert console.get("/console/households/household:g1:h1").status_code == 200
    assert console.get("/console/households/household:g3:h3").status_code == 404


def test_a_supervisor_oversees_exactly_the_workers_of_their_grids(field):
    directory, accounts = services(field).directory, services(field).accounts
    s1 = accounts.by_name("s1")
    assert sorted(w.name for w in directory.workers_overseen(s1)) == ["gone", "w1"]
    admin = accounts.by_name("admin")
    assert sorted(w.name for w in directory.workers_overseen(admin)) == ["gone", "w1", "w3"]
    # the API's device list follows the same rule
    for name in ("w1", "w3"):
        assert Couch(field, (name, PASSWORD)).post(
            "/api/login", json={"name": name, "password": PASSWORD, "device": f"{name}-tab"}
        ).status_code == 200
    listed = Couch(field, ("s1", PASSWORD)).get("/api/devices").get_json()
    assert {row["user"] for row in listed} == {"w1"}
