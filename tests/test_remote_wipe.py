"""Remote wipe (issue 21, item 3): a revoked tablet may still push its pending
work, reads nothing, is told to wipe, and once it reports the wipe its token
is dead; the console shows when it was wiped. Real SQLite, Flask's client."""

import pytest

from tests import fielddocs as fd
from tests.api import PASSWORD, Couch, make_field_app
from tests.api import ADMIN

OWN, OTHER = "household:g1:h1", "household:g3:h3"


def client(app, name):
    return Couch(app, auth=ADMIN if name == "admin" else (name, PASSWORD))


@pytest.fixture
def revoked(tmp_path):
    """A field app, w1's tablet token, already revoked by the supervisor."""
    app = make_field_app(tmp_path)
    anon = app.test_client()
    body = anon.post("/api/login", json={"name": "w1", "password": PASSWORD,
                                         "device": "平板-07"}).get_json()
    assert client(app, "s1").call("DELETE", f"/api/devices/{body['token_id']}").status_code == 200
    tablet = Couch(app, auth=None)
    tablet.headers = {"Authorization": f"Bearer {body['token']}"}
    return app, tablet


@pytest.mark.parametrize("method,path", [
    ("GET", "/api/me"), ("GET", "field"), ("GET", f"field/{OWN}"), ("GET", "field/_changes"),
    ("POST", "field/_bulk_get"), ("GET", "field/_all_docs"), ("GET", "field/_local_docs"),
    ("PUT", f"field/{OWN}"), ("DELETE", "field/_local/ck"), ("POST", "other/_bulk_docs"),
])
def test_a_revoked_tablet_reads_nothing_and_is_told_to_wipe(revoked, method, path):
    _app, tablet = revoked
    resp = tablet.call(method, path, json={"docs": []} if method != "GET" else None)
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "device_revoked" and resp.get_json()["wipe"] is True
    assert "吊销" in resp.get_json()["reason"]


def test_a_revoked_tablet_still_pushes_its_pending_work_through_its_own_view(revoked):
    app, tablet = revoked
    visit = fd.visit("g1", "h1", by="w1")
    visit.update(_rev="1-" + "a" * 32, _revisions={"start": 1, "ids": ["a" * 32]})
    diff = tablet.post("field/_revs_diff", json={visit["_id"]: [visit["_rev"]]})
    assert diff.status_code == 200 and diff.get_json()[visit["_id"]]["missing"] == [visit["_rev"]]
    foreign = fd.household("g3", "h9")
    foreign.update(_rev="1-" + "b" * 32, _revisions={"start": 1, "ids": ["b" * 32]})
    pushed = tablet.post("field/_bulk_docs", json={"docs": [visit, foreign], "new_edits": False})
    assert pushed.status_code == 201
    assert [r.get("error") for r in pushed.get_json()] == ["forbidden"]   # g3 is not w1's
    admin = client(app, "admin")
    assert admin.get(f"field/{visit['_id']}").get_json()["_rev"] == visit["_rev"]
    assert tablet.put("field/_local/ck", json={"last_seq": "1"}).status_code == 201
    assert tablet.get("field/_local/ck").get_json()["last_seq"] == "1"
    assert tablet.get(f"field/{visit['_id']}").status_code == 401    # still reads nothing
    assert tablet.get(f"field/{OTHER}").status_code == 401


def test_a_wiped_tablet_is_dead_and_the_console_shows_when(revoked):
    app, tablet = revoked
    assert tablet.post("/api/device/wiped").get_json() == {"ok": True, "wiped": True}
    for method, path in [("GET", "/api/me"), ("POST", "field/_revs_diff"),
                         ("POST", "field/_bulk_docs"), ("POST", "/api/device/wiped")]:
        resp = tablet.call(method, path, json={"docs": []})
        assert resp.status_code == 401 and resp.get_json()["error"] == "unauthorized"
    row = client(app, "s1").get("/api/devices").get_json()[0]
    assert row["revoked"] and row["wiped"] >= row["revoked"]
    from tests.console_client import browser_for
    page = browser_for(app, "s1").text("/console/devices")
    assert "已清除" in page and "等待平板清除数据" not in page


def test_a_live_token_cannot_report_a_wipe(tmp_path):
    app = make_field_app(tmp_path)
    body = app.test_client().post("/api/login", json={"name": "w1", "password": PASSWORD,
                                                      "device": "平板-08"}).get_json()
    resp = app.test_client().post("/api/device/wiped",
                                  headers={"Authorization": f"Bearer {body['token']}"})
    assert resp.status_code == 401
    assert client(app, "w1").get("/api/devices").get_json()[0]["wiped"] is None
