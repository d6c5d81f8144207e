"""The sync API served from the CouchDB store (the ``COUCHDB_URL`` setting):
the per-user view, validation and quarantine unchanged, and two gridvisit
servers over one CouchDB answering one tablet. pouchdb-server is the CouchDB
in CI; a real Apache CouchDB too where ``GRIDVISIT_TEST_COUCHDB`` names one.

Accounts, the directory and device tokens live in CouchDB: the people made
through the first server are the second's too, with nothing given to it."""

import threading
import time
import uuid

import pytest

from server import create_app
from server.accounts import couch_audit, roster
from server.accounts.users import AccountError
from server.services import services
from sync.couch import CouchStore
from tests import fielddocs as fd
from tests.api import PASSWORD, Couch, make_field_app
from tests.stores import couch_for, couchdb_other_node, drop_prefixed
from tests.quarantine_support import REFUSED_REV, push_refused

SHARED_KEY = "one-key-for-every-server-of-the-test"
G1_IDS = ["grid:g1", "household:g1:h1", "review:visit:g1:v1", "visit:g1:v1"]


@pytest.fixture(params=["pouchdb-server", "couchdb"])
def servers(request, tmp_path):
    """Two gridvisit apps, each with its own data folder, over one CouchDB."""
    url = couch_for(request)
    prefix = f"gvs{uuid.uuid4().hex[:8]}_"
    # (one SECRET_KEY, as servers behind one address have, for session cookies)
    one = make_field_app(tmp_path / "a", COUCHDB_URL=url, COUCHDB_PREFIX=prefix,
                         SECRET_KEY=SHARED_KEY)
    two = create_app({"DATA_DIR": str(tmp_path / "b"), "COUCHDB_PREFIX": prefix,
                      "SECRET_KEY": SHARED_KEY,
                      "COUCHDB_URL": couchdb_other_node(url) if request.param == "couchdb"
                      else url})
    yield one, two
    for app in (one, two):
        services(app).store.close()
    drop_prefixed(url, prefix)


def _as(app, name="w1"):
    return Couch(app, auth=(name, PASSWORD))


def _ids(page):
    return sorted(r["id"] for r in page["results"])


def test_the_setting_puts_the_field_database_in_couchdb(servers):
    one, two = servers
    assert isinstance(services(one).store, CouchStore)
    assert services(two).store.names() == ["field"]


def test_a_workers_feed_listing_and_reads_hold_only_their_grids(servers):
    one, _two = servers
    w1 = _as(one)
    assert _ids(w1.get("field/_changes?style=all_docs").get_json()) == G1_IDS
    assert sorted(r["id"] for r in w1.get("field/_all_docs").get_json()["rows"]) == G1_IDS
    assert w1.get("field/household:g3:h3").status_code == 404
    got = w1.post("field/_bulk_get", json={"docs": [{"id": "household:g3:h3"}]}).get_json()
    assert got["results"][0]["docs"][0]["error"]["error"] == "not_found"
    assert w1.get("field").get_json()["doc_count"] == 4


def test_a_write_outside_the_workers_grids_is_refused_and_kept_in_quarantine(servers):
    one, _two = servers
    rows = _as(one).post("field/_bulk_docs", json={"docs": [
        {"_id": "household:g3:hx", "type": "household", "grid": "g3"}]}).get_json()
    assert rows[0]["error"] == "forbidden"
    assert services(one).quarantine.count() == 1


def test_a_seq_from_one_server_resumes_on_the_other(servers):
    one, two = servers
    seq = _as(one).get("field/_changes").get_json()["last_seq"]
    doc = fd.household("g1", "h9")
    written = _as(two).put(f"field/{doc['_id']}", json=doc)
    assert written.status_code == 201, written.get_json()
    page = _as(two).get(f"field/_changes?since={seq}").get_json()
    assert _ids(page) == ["household:g1:h9"]
    assert _as(one).get(f"field/_changes?since={page['last_seq']}").get_json()["results"] == []


def test_a_longpoll_on_one_server_wakes_for_a_write_through_the_other(servers):
    one, two = servers
    seq = _as(one).get("field/_changes").get_json()["last_seq"]
    answer = {}

    def poll():
        answer["page"] = _as(one).get(
            f"field/_changes?feed=longpoll&timeout=10000&since={seq}").get_json()

    waiter = threading.Thread(target=poll)
    waiter.start()
    services(two).store.get("field").put({"_id": "household:g1:h5", "type": "household"})
    waiter.join(15)
    assert _ids(answer["page"]) == ["household:g1:h5"]


def _bearer(app, token):
    return Couch(app, auth=None), {"Authorization": f"Bearer {token}"}


def test_a_device_token_from_one_server_works_on_the_other_and_a_revocation_on_either_holds(
        servers):
    one, two = servers
    login = Couch(one, auth=None).post("/api/login", json={
        "name": "w1", "password": PASSWORD, "device": "tablet-w1"}).get_json()
    token = login["token"]
    for app in (one, two):
        client, headers = _bearer(app, token)
        page = client.get("field/_changes", headers=headers)
        assert page.status_code == 200 and _ids(page.get_json()) == G1_IDS
    listed = Couch(two).get("/api/devices").get_json()
    assert [(d["id"], d["user"], d["revoked"]) for d in listed] == [
        (login["token_id"], "w1", None)]

    assert Couch(two).delete(f"/api/devices/{login['token_id']}").get_json()["revoked"]
    client, headers = _bearer(one, token)
    refused = client.get("field/_changes", headers=headers)
    assert refused.status_code == 401 and refused.get_json()["error"] == "device_revoked"


ROSTER = ("street_id,street_name,community_id,community_name,grid_id,grid_name,account,"
          "display_name,role,phone\n"
          "s,朝阳门街道,c3,新社区,g7,七号网格,w7,网格员七,worker,138 1234 5678\n"
          "s,朝阳门街道,c3,新社区,,,s7,督导七,supervisor,\n")


def test_a_roster_imported_through_one_server_is_the_directory_of_both(servers):
    one, two = servers
    before = {u.name: (u.id, u.role, u.password_hash) for u in services(two).accounts.list()}
    report = roster.import_roster(roster.parse(ROSTER.encode()), services(one).accounts,
                                  services(one).directory, new_password=lambda: "roster-pass-77")
    assert sorted(name for name, _ in report.created) == ["s7", "w7"]
    with two.test_request_context():         # (each request reads the directory afresh)
        accounts, directory = services(two).accounts, services(two).directory
        w7, s7 = accounts.by_name("w7"), accounts.by_name("s7")
        assert (w7.display_name, w7.role, directory.grids_of(w7)) == ("网格员七", "worker", {"g7"})
        assert directory.grids_of(s7) == {"g7"} and directory.communities_of(s7) == ["c3"]
        assert accounts.phones() == {w7.id: "138 1234 5678"}
        assert len({u.id for u in accounts.list()}) == len(before) + 2   # ids never shared
        assert {u.name: (u.id, u.role, u.password_hash) for u in accounts.list()
                if u.name in before} == before                           # the rest untouched
        assert directory.people_for_grid("g7") == {"s7": "督导七", "w7": "网格员七"}
        assert [g["id"] for g in directory.grids("c3")] == ["g7"]
    assert _as(two, "w7").get("field/_all_docs").status_code == 401  # (its own password)
    page = Couch(two, auth=("w7", "roster-pass-77")).get("field/_all_docs")
    assert page.status_code == 200 and page.get_json()["rows"] == []


def test_a_sign_out_through_one_server_ends_the_session_on_the_other(servers):
    one, two = servers
    w1 = services(one).accounts.by_name("w1")
    cookie_id = w1.get_id()
    assert services(two).accounts.from_session(cookie_id) == w1
    services(one).accounts.end_sessions(w1.id)
    with two.test_request_context():
        assert services(two).accounts.from_session(cookie_id) is None


def test_two_servers_creating_accounts_at_once_never_share_an_id_or_a_name(servers):
    one, two = servers
    go = threading.Barrier(2)
    made, refused = [], []

    def create(app, names):
        go.wait()
        for name in names:
            try:
                made.append(services(app).accounts.create(name, "password-4567", "worker"))
            except AccountError as err:
                refused.append(str(err))

    threads = [threading.Thread(target=create, args=(app, ["x1", "x2", "x3", "same"]))
               for app in (one, two)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(u.name for u in made) == ["same", "x1", "x2", "x3"], refused
    assert len(refused) == 4
    assert all("name" in reason for reason in refused)
    with two.test_request_context():
        listed = services(two).accounts.list()
    assert len({u.id for u in listed}) == len(listed)


def test_the_audit_log_is_one_log_read_from_every_server(servers, monkeypatch):
    one, two = servers
    monkeypatch.setattr(couch_audit, "BATCH", 2)          # (rows read two at a time)
    services(one).audit.record("s1", "supervisor", "review.approve", "visit:g1:v1",
                               {"note": "好"}, "10.0.0.1")
    services(two).audit.record("admin", "admin", "user.create", "w9")
    services(one).audit.record("s1", "supervisor", "review.reject", "visit:g1:v2")
    middle = time.time()
    services(two).audit.record("s1", "supervisor", "export", "report")
    for app in (one, two):
        log = services(app).audit
        assert [r["action"] for r in log.list()] == [
            "export", "review.reject", "user.create", "review.approve"]
        first = log.list(action="review")[-1]
        assert (first["user"], first["target"], first["detail"], first["address"]) == (
            "s1", "visit:g1:v1", {"note": "好"}, "10.0.0.1")
        assert log.count(user="s1") == 3 and log.count(action="user") == 1
        assert [r["action"] for r in log.list(user="s1", limit=1, offset=1)] == ["review.reject"]
        assert [r["action"] for r in log.list(until=middle)][0] == "review.reject"
        assert [r["action"] for r in log.list(since=middle)] == ["export"]
        assert log.count(since=middle, until=time.time() + 1) == 1


def test_the_quarantine_is_one_desk_for_every_server(servers):
    # A visit refused through server one is on server two's desk; a send-back
    # through two is seen by one; the worker's fix through one resolves it
    # on both, and closes the send-back the worker's tablet holds.
    one, two = servers
    bad, entry = push_refused(one)
    desk_two = Couch(two, auth=("s1", PASSWORD))
    listed = desk_two.get("/api/quarantine").get_json()["rows"]
    assert [(r["id"], r["doc_id"], r["user"], r["status"]) for r in listed] == [
        (entry, bad["_id"], "w1", "open")]
    assert listed[0]["doc"]["checks"][0]["temperature"] == 45      # the worker's values, kept
    again = _as(one).post("field/_bulk_docs", json={"docs": [bad], "new_edits": False})
    assert again.get_json()[0]["error"] == "forbidden"             # the same again: kept once
    with two.test_request_context():
        assert services(two).quarantine.count() == 1
    sent = desk_two.post(f"/api/quarantine/{entry}/send-back", json={"note": "请复测体温"})
    assert sent.status_code == 200
    sendback = sent.get_json()["sendback"]
    with one.test_request_context():
        assert services(one).quarantine.get(entry)["status"] == "sent_back"
    fixed = {k: v for k, v in bad.items() if k not in ("_rev", "_revisions")}
    fixed["checks"][0]["temperature"] = 36.5
    fixed.update(_rev="2-" + "f" * 32, _revisions={"start": 2, "ids": ["f" * 32,
                                                                        REFUSED_REV[2:]]})
    w1 = _as(one)
    assert w1.post("field/_bulk_docs", json={"docs": [fixed], "new_edits": False}
                   ).get_json() == []
    with two.test_request_context():
        done = services(two).quarantine.get(entry)
    assert (done["status"], done["handled_by"], done["sendback"]) == ("resolved", "w1", sendback)
    assert _as(two).get(f"field/{sendback}").get_json()["status"] == "resolved"
    other, second = push_refused(two, temperature=20)
    assert second == entry + 1                                     # ids stay small integers
    assert Couch(one, auth=("s1", PASSWORD)).post(
        f"/api/quarantine/{second}/dismiss", json={"reason": "平板已重装"}).status_code == 200
    with two.test_request_context():
        assert services(two).quarantine.count(state="open") == 0
        assert services(two).quarantine.count(["g1"], state="done") == 2


def test_replication_runs_are_one_list_for_every_server(servers):
    one, two = servers
    runs_one, runs_two = services(one).runs, services(two).runs
    first = runs_one.start("nightly", "field", "https://hub.example/field")
    with two.test_request_context():
        assert [(r["id"], r["status"]) for r in runs_two.recent()] == [(first, "running")]
    second = runs_two.start("nightly", "field", "https://hub.example/field")
    assert second == first + 1                                     # ids never shared
    runs_two.finish(second, {"docs_read": 7, "docs_written": 7, "doc_write_failures": 0})
    runs_one.finish(first, {"docs_read": 3, "docs_written": 2, "doc_write_failures": 1})
    with one.test_request_context():
        assert [(r["id"], r["status"], r["docs_written"]) for r in runs_one.recent()] == [
            (second, "completed", 7), (first, "completed with failures", 2)]
        assert runs_one.last_completed()["nightly"]["id"] == second
        assert runs_one.jobs() == ["nightly"]
        assert runs_one.history(10, status="completed")[0] == 1


def test_a_run_left_running_is_interrupted_by_its_own_machine_or_after_a_day(servers):
    one, two = servers
    runs = services(one).runs
    dead = runs.start("nightly", "field", "hub")
    elsewhere = runs.start("nightly", "field", "hub")
    gone = runs.start("nightly", "field", "hub")
    # dead: this machine, a process that is no more; elsewhere: another
    # machine's run, still going; gone: another machine's, two days old
    runs.docs.update(f"run:{dead:012d}", lambda doc: dict(doc, pid=2 ** 22 + 7))
    runs.docs.update(f"run:{elsewhere:012d}", lambda doc: dict(doc, machine="box-b/x",
                                                                 pid=2 ** 22 + 7))
    runs.docs.update(f"run:{gone:012d}", lambda doc: dict(
        doc, machine="box-b/x", started=time.time() - 2 * 86400))
    with two.test_request_context():
        status = {r["id"]: r["status"] for r in services(two).runs.recent()}
    assert status == {dead: "interrupted", elsewhere: "running", gone: "interrupted"}
