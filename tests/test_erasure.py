"""Erasure on request (issue 21, item 6): a household's or one resident's
personal data leaves the field database (purged, not a tombstone: the bytes
leave the SQLite file), the visits naming them, the quarantine and the
console index; a record without personal data is kept; the nightly job
carries the erasure to a second server (another gridvisit as the district
hub, real processes). Real SQLite throughout."""

import json

import pytest

from rules.idnumber import check_digit
from server.jobs.erasure import Erasures, erase
from server.services import services
from tests import fielddocs as fd
from tests.api import Couch, make_field_app
from tests.peers import start_gridvisit
from tests.replication_support import cli, load_local

NAME, OTHER_NAME, PHONE = "欧阳娜娜", "司马建国", "13912345678"
ID_NUMBER, OTHER_ID = (first + check_digit(first) for first in ("11010119500305002",
                                                                "11010119470817003"))


def _household():
    return fd.household("g1", "e1", head=NAME, phone=PHONE, members=[
        {"id": "m1", "name": NAME, "birth_year": 1950, "tags": ["over65"], "id_number": ID_NUMBER},
        {"id": "m2", "name": OTHER_NAME, "birth_year": 1947, "tags": ["over65"],
         "id_number": OTHER_ID}])


def _visit():
    return fd.visit("g1", "e1", by="w1", notes="欧阳阿姨血压偏高", checks=[
        {"member": "m1", "temperature": 36.5}, {"member": "m2", "temperature": 37.9}])


def _file_bytes(app):
    root = services(app).store.root
    return b"".join(p.read_bytes() for p in root.glob("field.sqlite*"))


@pytest.fixture
def erased_world(tmp_path):
    app = make_field_app(tmp_path)
    admin = Couch(app)
    hh, visit = _household(), _visit()
    request = fd.request_doc("g1", "e1", by="w1", detail=f"{NAME}要降压药")
    for doc in (hh, visit, request):
        assert admin.put(f"field/{doc['_id']}", json=doc).status_code == 201
    hh2 = admin.get(f"field/{hh['_id']}").get_json()
    hh2["notes"] = f"{NAME}的女儿每周来"
    assert admin.put(f"field/{hh['_id']}", json=hh2).status_code == 201   # a second revision
    # a refused copy in the quarantine
    bad = dict(_visit(), checks=[{"member": "m2", "temperature": 99}])
    Couch(app, auth=("w1", "password-123")).post("field/_bulk_docs", json={"docs": [bad]})
    return app, admin, hh, visit, request, bad


def test_erasing_a_household_purges_it_and_everything_naming_it(erased_world):
    app, admin, hh, visit, request, bad = erased_world
    assert services(app).quarantine.count() == 1
    record = erase(app, "admin", hh["_id"], reason="居民本人申请 2026-12-01")
    for doc_id in (hh["_id"], visit["_id"], request["_id"]):
        assert admin.get(f"field/{doc_id}").status_code == 404
        assert admin.get(f"field/{doc_id}?deleted=true").status_code == 404   # no tombstone
    ids = [r["id"] for r in admin.get("field/_changes").get_json()["results"]]
    assert not {hh["_id"], visit["_id"], request["_id"]} & set(ids)
    data = _file_bytes(app)
    for secret in (NAME, OTHER_NAME, PHONE, "欧阳阿姨血压偏高", ID_NUMBER, OTHER_ID):
        assert secret.encode() not in data, secret
    assert services(app).quarantine.count() == 0
    assert sorted(record["purged"]) == sorted([hh["_id"], visit["_id"], request["_id"]])
    assert record["by"] == "admin" and record["member"] is None
    text = json.dumps(Erasures(services(app).serverdb).list(), ensure_ascii=False)
    for secret in (NAME, OTHER_NAME, PHONE, "血压", ID_NUMBER, OTHER_ID):
        assert secret not in text                              # the record holds no personal data


def test_erasing_one_member_rewrites_the_household_and_visits_and_purges_old_revisions(
        erased_world):
    app, admin, hh, visit, _request, _bad = erased_world
    before = admin.get(f"field/{hh['_id']}?revs=true").get_json()
    record = erase(app, "admin", hh["_id"], member="m2", reason="家属申请")
    after = admin.get(f"field/{hh['_id']}?revs=true").get_json()
    assert [m["id"] for m in after["members"]] == ["m1"]
    assert after["_revisions"]["ids"][1:] == before["_revisions"]["ids"]   # a child: no conflict
    assert admin.get(f"field/{hh['_id']}?rev={before['_rev']}").status_code == 404
    assert [c["member"] for c in admin.get(f"field/{visit['_id']}").get_json()["checks"]] == ["m1"]
    assert OTHER_NAME.encode() not in _file_bytes(app)
    assert OTHER_ID.encode() not in _file_bytes(app) and ID_NUMBER.encode() in _file_bytes(app)
    assert after["members"][0]["id_number"] == ID_NUMBER       # the other member's is kept
    assert sorted(record["rewritten"]) == sorted([hh["_id"], visit["_id"]])
    assert record["purged"] == [] and record["member"] == "m2"


@pytest.mark.parametrize("household,member,reason,field", [
    ("visit:g1:x", None, "申请", "household"),
    ("household:g1:e1", None, "  ", "reason"),
    ("household:g1:e1", "m9", "申请", "member"),
    ("household:g1:e1", "x" * 65, "申请", "member"),
])
def test_bad_erasure_requests_name_the_field(erased_world, household, member, reason, field):
    app = erased_world[0]
    from sync.errors import GridvisitError
    with pytest.raises(GridvisitError) as err:
        erase(app, "admin", household, member=member, reason=reason)
    assert err.value.reason.startswith(field + ":")
    assert Erasures(services(app).serverdb).list() == []


def test_the_nightly_job_carries_an_erasure_to_the_hub(tmp_path):
    hub = start_gridvisit(tmp_path / "hub", password="hub-secret-1")
    try:
        assert hub.request("PUT", "district")[0] == 201
        community = tmp_path / "community"
        hh, visit = _household(), _visit()
        for doc, rid in ((hh, "a" * 32), (visit, "b" * 32)):
            doc.update(_rev=f"1-{rid}", _revisions={"start": 1, "ids": [rid]})
        load_local(community, [hh, visit])
        env = {"GRIDVISIT_HUB_URL": hub.url("district"), "GRIDVISIT_HUB_USER": "admin",
               "GRIDVISIT_HUB_PASSWORD": "hub-secret-1"}
        cli(community, "nightly", env=env)
        assert hub.request("GET", f"district/{hh['_id']}")[0] == 200
        from tests.peers import gridvisit_cli
        gridvisit_cli(community, "create-user", "boss", "--role", "admin",
                      stdin="boss-secret-123\n")
        out = cli(community, "erase", hh["_id"], "--reason", "居民申请", "--by", "boss").stdout
        assert "2 purged" in out
        night = cli(community, "nightly", env=env).stdout
        assert "carry-erasures: 1 erasures carried" in night, night
        for doc_id in (hh["_id"], visit["_id"]):
            assert hub.request("GET", f"district/{doc_id}")[0] == 404
        status, infos = hub.request("GET", "district/_purged_infos")
        assert status == 200 and {hh["_id"], visit["_id"]} <= {i["id"] for i in infos["purged_infos"]}
        status, notice = hub.request("GET", f"district/{record_notice(community)}")
        assert status == 200 and notice["purged"] == sorted([hh["_id"], visit["_id"]])
        again = cli(community, "nightly", env=env).stdout
        assert "carry-erasures: 0 erasures carried" in again
        listed = cli(community, "erasures").stdout
        assert hh["_id"] in listed and "居民申请" in listed
        assert NAME not in listed and PHONE not in listed and "hub-secret-1" not in listed
    finally:
        hub.stop()


def test_visits_past_the_retention_years_are_anonymised_with_old_revisions_purged(tmp_path):
    from datetime import datetime, timedelta
    from server.jobs.retention import anonymise_old_visits
    app = make_field_app(tmp_path, VISIT_RETENTION_YEARS=3)
    admin = Couch(app)
    old = dict(_visit(), visited_at=(datetime.now(fd.CST) - timedelta(days=4 * 365)).isoformat(
        timespec="seconds"), notes=f"代办医保，身份证号 {OTHER_ID}",
               needs=[{"kind": "doctor", "detail": f"挂号用身份证 {ID_NUMBER}"}])
    recent = _visit()
    for doc in (old, recent):
        assert admin.put(f"field/{doc['_id']}", json=doc).status_code == 201
    before = admin.get(f"field/{old['_id']}").get_json()["_rev"]
    assert anonymise_old_visits(app) == 1
    assert anonymise_old_visits(app) == 0                           # once only
    now = admin.get(f"field/{old['_id']}").get_json()
    assert now["anonymised"] is True and now["outcome"] == "met" and now["grid"] == "g1"
    for gone in ("household", "worker", "checks", "notes"):
        assert gone not in now, gone
    assert admin.get(f"field/{old['_id']}?rev={before}").status_code == 404
    assert "notes" in admin.get(f"field/{recent['_id']}").get_json()     # a recent visit is kept
    assert "欧阳阿姨血压偏高".encode() in _file_bytes(app)                 # (the recent one's)
    assert now["needs"] == [{"kind": "doctor"}]
    for number in (OTHER_ID, ID_NUMBER):                       # ID numbers written down: gone
        assert number.encode() not in _file_bytes(app), number
    assert make_field_app(tmp_path / "x").config["VISIT_RETENTION_YEARS"] == 0


def record_notice(community):
    """The id of the erasure notice the community server wrote."""
    from sync import Store
    store = Store(community)
    try:
        rows = store.get("field").all_docs(startkey="erasure:", endkey="erasure:\ufff0")["rows"]
    finally:
        store.close()
    [row] = rows
    return row["id"]


def test_an_admin_erases_a_member_from_the_console_and_sees_the_record(erased_world):
    from tests.console_client import browser_for
    app, admin, hh, visit, _request, _bad = erased_world
    s1 = browser_for(app, "s1")
    assert "依申请删除个人信息" not in s1.text(f"/console/households/{hh['_id']}")
    assert s1.post(f"/console/households/{hh['_id']}/erase",
                   data={"member": "m2", "reason": "申请"}).status_code == 403
    boss = browser_for(app, "admin")
    assert "依申请删除个人信息" in boss.text(f"/console/households/{hh['_id']}")
    refused = boss.post(f"/console/households/{hh['_id']}/erase", data={"member": "m2"})
    assert refused.status_code == 400 and "reason" in refused.get_data(as_text=True)
    done = boss.post(f"/console/households/{hh['_id']}/erase",
                     data={"member": "m2", "reason": "家属书面申请"})
    assert done.status_code == 302
    assert [m["id"] for m in admin.get(f"field/{hh['_id']}").get_json()["members"]] == ["m1"]
    page = boss.text("/console/erasures")
    assert "家属书面申请" in page and hh["_id"] in page and OTHER_NAME not in page
    assert any(r["action"] == "erasure" for r in services(app).audit.list())


def test_an_erased_household_never_comes_back_by_a_write_nor_waits_in_quarantine(erased_world):
    app, admin, hh, _visit_doc, _request, _bad = erased_world
    erase(app, "admin", hh["_id"], reason="居民本人申请")
    before = services(app).quarantine.count()
    worker = Couch(app, auth=("w1", "password-123"))
    late = dict(_visit(), notes=f"{NAME}又说了一遍")                     # recorded offline
    again = dict(_household(), _rev="3-" + "c" * 32, _revisions={"start": 3, "ids": ["c" * 32]})
    rows = worker.post("field/_bulk_docs", json={"docs": [late]}).get_json()
    assert rows[0]["error"] == "forbidden" and "依申请删除" in rows[0]["reason"]
    rows = worker.post("field/_bulk_docs", json={"docs": [again], "new_edits": False}).get_json()
    assert rows[0]["error"] == "forbidden"
    assert admin.get(f"field/{hh['_id']}").status_code == 404
    assert services(app).quarantine.count() == before                  # nothing of it kept
    fresh = fd.visit("g1", "h1", by="w1")                               # other work goes on
    assert worker.post("field/_bulk_docs", json={"docs": [fresh]}).get_json()[0].get("ok")


def test_erasing_a_member_takes_their_stamps_and_merge_record_entries_too(erased_world):
    app, admin, hh, _visit_doc, _request, _bad = erased_world
    doc = admin.get(f"field/{hh['_id']}").get_json()
    stamp = ["1795482900000-0000", "tab-a"]
    doc["stamps"] = {"phone": stamp, "members.m2": stamp, "members.m2.id_number": stamp,
                     "members.m1.name": stamp}
    lost = [{"value": "1101**********0031", "user": "w1", "device": "tab-b"}]
    doc["merge"] = {"at": stamp[0], "fields": [
        {"field": "members.m2.id_number", "rule": "newest_stamp", "value": "1101**********0038",
         "lost": lost},
        {"field": "members.m2.name", "rule": "newest_stamp", "value": OTHER_NAME,
         "lost": [dict(lost[0], value="司马建")]}]}
    assert admin.put(f"field/{hh['_id']}", json=doc).status_code == 201
    erase(app, "admin", hh["_id"], member="m2", reason="家属申请")
    after = admin.get(f"field/{hh['_id']}").get_json()
    assert after["stamps"] == {"phone": stamp, "members.m1.name": stamp}
    assert "merge" not in after                                 # it told only of m2
    data = _file_bytes(app)
    for secret in (OTHER_NAME, "司马建", OTHER_ID):
        assert secret.encode() not in data, secret
