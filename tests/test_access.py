"""Who sees what: the security matrix of roles × endpoints × grids.

Community c1 has grids g1 and g2, community c2 has grid g3. Worker w1 works
g1, worker w3 works g3; supervisor s1 runs c1; hub h1 serves c1.
"""

import json
import threading
import time

import pytest

from rules import warning_rules as rules, ids
from tests import fielddocs as fd
from tests.api import ADMIN, PASSWORD, Couch, make_field_app
from server.services import services



@pytest.fixture
def field(tmp_path):
    """The field app, with a rule set an admin saved: the shared partition holds it."""
    app = make_field_app(tmp_path)
    services(app).store.get("field").put(dict(rules.shipped_rules(), version=2, updated_by="admin"))
    return app


def client(app, name):
    return Couch(app, auth=ADMIN if name == "admin" else (name, PASSWORD))


OWN, OTHER = "household:g1:h1", "household:g3:h3"
READERS = {"admin": {OWN, OTHER}, "w1": {OWN}, "w3": {OTHER}, "s1": {OWN}, "h1": {OWN}}


@pytest.mark.parametrize("who", sorted(READERS))
@pytest.mark.parametrize("doc_id", [OWN, OTHER])
def test_single_reads(field, who, doc_id):
    c = client(field, who)
    visible = doc_id in READERS[who]
    expect = 200 if visible else 404
    assert c.get(f"field/{doc_id}").status_code == expect
    assert c.get(f"field/{doc_id}?open_revs=all").status_code == expect
    if doc_id == OWN:
        assert c.get(f"field/{doc_id}/door.png").status_code == expect
    if not visible:
        assert c.get(f"field/{doc_id}").get_json()["reason"] == "missing"   # no leak


@pytest.mark.parametrize("who", sorted(READERS))
def test_listing_endpoints_hold_only_the_users_grids(field, who):
    c = client(field, who)
    grids = {"admin": {"g1", "g2", "g3"}, "w1": {"g1"}, "w3": {"g3"},
             "s1": {"g1", "g2"}, "h1": {"g1", "g2"}}[who] | {ids.SHARED}   # + rules:warning

    grid = ids.grid_of

    changes = c.get("field/_changes?style=all_docs").get_json()["results"]
    assert {grid(r["id"]) for r in changes} == grids
    rows = c.get("field/_all_docs").get_json()
    assert {grid(r["id"]) for r in rows["rows"]} == grids
    assert rows["total_rows"] == len(rows["rows"])
    keys = c.post("field/_all_docs", json={"keys": [OWN, OTHER]}).get_json()["rows"]
    assert [("id" in r) for r in keys] == [OWN in READERS[who], OTHER in READERS[who]]
    by_ids = c.post("field/_changes?filter=_doc_ids",
                    json={"doc_ids": [OWN, OTHER]}).get_json()["results"]
    assert {r["id"] for r in by_ids} == {OWN, OTHER} & READERS[who]
    rev_own = services(c.app).store.get("field").get(OWN)["_rev"]
    bulk = c.post("field/_bulk_get", json={"docs": [{"id": OWN, "rev": rev_own},
                                                    {"id": OTHER}]}).get_json()["results"]
    assert ["ok" in r["docs"][0] for r in bulk] == [OWN in READERS[who], OTHER in READERS[who]]
    diff = c.post("field/_revs_diff", json={OWN: [rev_own], OTHER: ["1-abc"]}).get_json()
    assert OWN not in diff and diff[OTHER] == {"missing": ["1-abc"]}   # no ancestors leak


def test_database_info_counts_only_the_users_grids(field):
    # each count includes the shared rules:warning
    assert client(field, "w1").get("field").get_json()["doc_count"] == 5
    assert client(field, "w3").get("field").get_json()["doc_count"] == 4
    assert client(field, "admin").get("field").get_json()["doc_count"] == 9


def test_longpoll_wakes_only_for_the_users_grids(field):
    w1 = client(field, "w1")
    now = w1.get("field/_changes").get_json()["last_seq"]
    services(field).store.get("field").bulk_docs([fd.household("g3", "h9")])
    body = json.loads(w1.get(f"field/_changes?feed=longpoll&since={now}&timeout=300").data)
    assert body["results"] == []


def test_other_grids_writes_never_wake_a_waiting_worker(field):
    """Writes to g3 leave w1's longpoll asleep (no filtered query re-run);
    a write to g1 wakes it with that document."""
    w1 = client(field, "w1")
    db = services(field).store.get("field")
    now = w1.get("field/_changes").get_json()["last_seq"]
    got = []
    waiter = threading.Thread(target=lambda: got.append(json.loads(w1.get(
        f"field/_changes?feed=longpoll&since={now}&timeout=30000").data)))
    waiter.start()
    deadline = time.monotonic() + 20
    while db.waiting() < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    before = db._watcher.wakeups
    for n in range(10):
        db.bulk_docs([fd.household("g3", f"x{n}")])
    time.sleep(0.3)
    assert waiter.is_alive() and db._watcher.wakeups == before
    db.bulk_docs([fd.household("g1", "new")])
    waiter.join(20)
    assert [r["id"] for r in got[0]["results"]] == ["household:g1:new"]
    assert db._watcher.wakeups == before + 1


def test_local_docs_are_per_user(field):
    w1, w3 = client(field, "w1"), client(field, "w3")
    assert w1.put("field/_local/cp", json={"last_seq": "5"}).status_code == 201
    assert w3.get("field/_local/cp").status_code == 404
    assert w3.put("field/_local/cp", json={"last_seq": "9"}).status_code == 201
    assert w1.get("field/_local/cp").get_json()["last_seq"] == "5"


WRITES = [  # (who, document factory, allowed)
    ("w1", lambda: fd.household("g1", "new"), True),
    ("w1", lambda: fd.visit("g1", "h1", by="w1"), True),
    ("w1", lambda: fd.request_doc("g1", "h1"), True),
    ("w1", lambda: fd.household("g3", "new"), False),       # another grid
    ("w1", lambda: fd.review("visit:g1:v1", by="w1"), False),
    ("w1", lambda: fd.grid_doc("g1"), False),
    ("s1", lambda: fd.review("visit:g1:v9", state="needs_fix", by="s1"), True),
    ("s1", lambda: fd.household("g2", "x"), True),
    ("s1", lambda: fd.visit("g2", "h2", by="s1"), False),
    ("s1", lambda: fd.household("g3", "x"), False),
    ("h1", lambda: fd.grid_doc("g2"), True),
    ("h1", lambda: fd.household("g1", "x"), False),
    ("h1", lambda: dict(rules.shipped_rules(), _id="rules:district"), True),   # the district's
    ("s1", lambda: dict(rules.shipped_rules(), _id="rules:district"), False),
    ("admin", lambda: fd.grid_doc("g2"), True),
    ("admin", lambda: {"_id": "_design/app", "views": {}}, True),
    ("w1", lambda: {"_id": "note:anything"}, False),
]


@pytest.mark.parametrize("who,factory,allowed", WRITES)
def test_write_rules(field, who, factory, allowed):
    c = client(field, who)
    doc = factory()
    rows = c.post("field/_bulk_docs", json={"docs": [doc, fd.household("g1", "fine")]}).get_json()
    if allowed:
        assert rows[0].get("ok") is True, rows
    else:
        assert rows[0]["error"] == "forbidden" and rows[0]["reason"], rows
        kept = services(field).quarantine.list()
        assert any(item["doc_id"] == doc["_id"] and item["user"] == who for item in kept)
    # the rest of the batch goes on (for those who may write households in g1)
    if who in ("w1", "admin"):
        assert rows[1].get("ok") is True


def test_invalid_document_is_forbidden_with_reason_and_quarantined(field):
    w1 = client(field, "w1")
    bad = fd.visit("g1", "h1", by="w1")
    bad["checks"][0]["temperature"] = 45
    rows = w1.post("field/_bulk_docs", json={"docs": [bad], "new_edits": True}).get_json()
    assert rows[0]["error"] == "forbidden"
    assert "checks[0].temperature" in rows[0]["reason"] and "34" in rows[0]["reason"]
    resp = w1.put(f"field/{bad['_id']}", json=bad)
    assert resp.status_code == 403
    kept = client(field, "s1").get("/api/quarantine").get_json()
    assert kept["total"] == 1 and kept["rows"][0]["doc"]["checks"][0]["temperature"] == 45


def test_submitted_visit_is_immutable(field):
    w1 = client(field, "w1")
    doc = w1.get("field/visit:g1:v1").get_json()
    doc["notes"] = "改一下"
    assert w1.put("field/visit:g1:v1", json=doc).status_code == 403
    assert w1.delete(f"field/visit:g1:v1?rev={doc['_rev']}").status_code == 403
    replay = w1.get("field/visit:g1:v1?revs=true").get_json()
    rows = w1.post("field/_bulk_docs", json={"docs": [replay], "new_edits": False}).get_json()
    assert rows == []                       # re-sending the same revision is fine
    draft = fd.visit("g1", "h1", by="w1", status="draft")
    rev = w1.put(f"field/{draft['_id']}", json=draft).get_json()["rev"]
    draft.update(_rev=rev, status="submitted")
    assert w1.put(f"field/{draft['_id']}", json=draft).status_code == 201


def test_non_admins_use_only_the_field_db(field):
    services(field).store.create("other")
    assert client(field, "w1").get("other").status_code == 403
    assert client(field, "admin").get("other").status_code == 200


def test_deactivated_user_is_refused_everywhere(field):
    c = client(field, "gone")
    for path in ["field", f"field/{OWN}", "field/_changes", "/api/me"]:
        assert c.get(path).status_code == 401
    assert c.client.post("/api/login", json={"name": "gone", "password": PASSWORD}).status_code == 401


def test_device_token_login_use_and_revoke(field):
    anon = field.test_client()
    resp = anon.post("/api/login", json={"name": "w1", "password": PASSWORD, "device": "平板-07"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["user"]["grids"] == ["g1"] and body["token"].startswith("gv_")
    bearer = {"Authorization": f"Bearer {body['token']}"}
    fresh = field.test_client()             # no cookie: the token alone
    assert fresh.get(f"/couch/field/{OWN}", headers=bearer).status_code == 200
    assert fresh.get("/api/me", headers=bearer).get_json()["device"] == "平板-07"
    devices = client(field, "s1").get("/api/devices").get_json()
    assert [d["device"] for d in devices if d["user"] == "w1"] == ["平板-07"]
    assert client(field, "w3").call("DELETE", f"/api/devices/{body['token_id']}").status_code == 404
    assert client(field, "s1").call("DELETE", f"/api/devices/{body['token_id']}").status_code == 200
    for path in ["/couch/field", f"/couch/field/{OWN}", "/couch/field/_changes", "/api/me"]:
        assert fresh.get(path, headers=bearer).status_code == 401
    assert "revoked" in fresh.get("/api/me", headers=bearer).get_json()["reason"]


def test_login_is_throttled_per_account_and_address(field):
    anon = field.test_client()
    for _ in range(5):
        assert anon.post("/api/login", json={"name": "w1", "password": "wrong"}).status_code == 401
    resp = anon.post("/api/login", json={"name": "w1", "password": PASSWORD})
    assert resp.status_code == 429
    assert "秒" in resp.get_json()["reason"] and "seconds" in resp.get_json()["reason"]
    other = Couch(field, auth=("w3", PASSWORD))
    assert other.get("field").status_code == 200          # other accounts unaffected


def test_admin_json_api_manages_accounts_and_assignments(field):
    admin = client(field, "admin")
    resp = admin.post("/api/users", json={"name": "zhao", "password": "short", "role": "worker"})
    assert resp.status_code == 400 and "password" in resp.get_json()["reason"]
    assert admin.post("/api/users", json={"name": "zhao", "password": "long-enough-1",
                                         "role": "worker", "display_name": "赵敏"}).status_code == 201
    assert admin.post("/api/assignments", json={"user": "zhao", "grid": "g2"}).status_code == 200
    assert admin.post("/api/assignments", json={"user": "zhao", "community": "c1"}).status_code == 400
    zhao = Couch(field, auth=("zhao", "long-enough-1"))
    assert {r["id"] for r in zhao.get("field/_all_docs").get_json()["rows"]} \
        == {"household:g2:h2", "rules:warning"}
    assert admin.call("PATCH", "/api/users/zhao", json={"active": False}).status_code == 200
    assert zhao.get("field").status_code == 401
    assert client(field, "w1").get("/api/users").status_code == 403
    assert client(field, "w1").get("/api/quarantine").status_code == 403


def test_newly_assigned_grid_reaches_an_up_to_date_worker(field):
    w1 = client(field, "w1")
    first = w1.get("field/_changes").get_json()
    assert {ids.grid_of(r["id"]) for r in first["results"]} == {"g1", ids.SHARED}
    since = first["last_seq"]
    directory = services(field).directory
    directory.assign("w1", grid="g3")
    w1.put("field/household:g1:later", json=fd.household("g1", "later"))
    seen, pages = [], 0
    while True:                                # page through with limit 1
        page = w1.get(f"field/_changes?since={since}&limit=1").get_json()
        seen += [r["id"] for r in page["results"]]
        pages += 1
        if not page["results"]:
            break
        since = page["last_seq"]
    assert {"household:g3:h3", "visit:g3:v3", "grid:g3", "household:g1:later"} == set(seen)
    assert pages == 5
    directory.assign("w1", grid="g3", remove=True)
    services(field).store.get("field").bulk_docs([fd.household("g3", "after")])
    assert w1.get(f"field/_changes?since={since}").get_json()["results"] == []


def test_unchanged_copies_of_a_lost_grid_are_not_pushed_again(field):
    w1 = client(field, "w1")
    doc = w1.get(f"field/{OWN}?revs=true").get_json()
    services(field).directory.assign("w1", grid="g1", remove=True)
    diff = w1.post("field/_revs_diff", json={OWN: [doc["_rev"], "9-feed"]}).get_json()
    assert diff == {OWN: {"missing": ["9-feed"]}}
    assert services(field).quarantine.count() == 0


def test_a_revoked_token_loses_even_with_a_session_cookie(field):
    tablet = field.test_client()
    assert tablet.post("/couch/_session", json={"name": "w1", "password": PASSWORD}).status_code == 200
    body = tablet.post("/api/login", json={"name": "w1", "password": PASSWORD,
                                           "device": "t1"}).get_json()
    services(field).tokens.revoke(body["token_id"])
    bearer = {"Authorization": f"Bearer {body['token']}"}
    assert tablet.get("/couch/field/_changes", headers=bearer).status_code == 401
    assert tablet.get("/couch/field/_changes").status_code == 200      # the cookie alone
