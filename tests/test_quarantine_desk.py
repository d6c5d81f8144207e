"""The quarantine a supervisor can work (隔离区): a document a tablet pushed
and the server refused is shown readably, then fixed and released (it
reaches the tablet as a plain update of its own revision), sent back (a
``sendback:`` document in the worker's grid, resolved when the worker's own
fix is accepted) or dismissed with a reason; each action audit-logged, in
the console and the JSON API, and never for another community's entries."""

import re

import pytest

from server.services import services
from tests import fielddocs as fd
from tests.api import PASSWORD, Couch
from tests.console_client import browser_for, console_app, field_db  # noqa: F401
from tests.quarantine_support import REFUSED_REV, push_refused

def test_the_dashboard_tile_opens_a_readable_list_of_refused_documents(console_app):
    bad, entry = push_refused(console_app)
    s1 = browser_for(console_app, "s1")
    dashboard = s1.text("/console/dashboard")
    assert re.search(r'href="/console/quarantine" id="quarantined"><b>1</b>', dashboard)
    listing = s1.text("/console/quarantine")
    assert f'data-id="{entry}"' in listing and "checks[0].temperature" in listing
    assert "待处理" in listing and "走访" in listing
    page = s1.text(f"/console/quarantine/{entry}")
    assert '{"' not in page and "36.5" not in page and "45" in page
    visited = re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", page)
    assert visited and "T" not in visited.group(0)                # a local time, not ISO
    assert 'name="field:checks[0].temperature" value="45"' in page
    s1.get("/console/lang/en")
    assert "Fix and release" in s1.text(f"/console/quarantine/{entry}")


def test_fix_and_release_writes_the_supervisors_edit_that_reaches_the_tablet(console_app):
    bad, entry = push_refused(console_app)
    s1 = browser_for(console_app, "s1")
    url = f"/console/quarantine/{entry}/release"
    still = s1.post(url, {"field:checks[0].temperature": "46"})
    assert still.status_code == 400 and "checks[0].temperature" in still.get_data(as_text=True)
    assert s1.post(url, {"field:checks[0].temperature": "36.8"}).status_code == 302
    w1 = Couch(console_app, auth=("w1", PASSWORD))
    doc = w1.get(f"field/{bad['_id']}?revs=true").get_json()
    assert doc["checks"][0]["temperature"] == 36.8 and doc["updated_by"] == "s1"
    assert doc["_rev"].startswith("2-") and doc["_revisions"]["ids"][1] == REFUSED_REV[2:]
    assert doc["services"] == bad["services"] and doc["worker"] == "w1"   # the rest kept
    settled = services(console_app).quarantine.get(entry)
    assert settled["status"] == "released" and settled["released_rev"] == doc["_rev"]
    assert s1.post(url, {"field:checks[0].temperature": "36.9"}).status_code == 409
    log = services(console_app).audit.list(action="quarantine")
    assert log[0]["action"] == "quarantine.release" and log[0]["target"] == bad["_id"]
    assert services(console_app).quarantine.count({"g1", "g2"}, "open") == 0


def test_send_back_reaches_the_workers_grid_and_resolves_with_the_workers_fix(console_app):
    bad, entry = push_refused(console_app)
    s1 = browser_for(console_app, "s1")
    assert s1.post(f"/console/quarantine/{entry}/send-back", {"note": " "}).status_code == 400
    assert s1.post(f"/console/quarantine/{entry}/send-back",
                   {"note": "体温应为 36.5，请改正后再提交"}).status_code == 302
    sendback_id = services(console_app).quarantine.get(entry)["sendback"]
    w1 = Couch(console_app, auth=("w1", PASSWORD))
    sendback = w1.get(f"field/{sendback_id}").get_json()
    assert sendback_id.startswith("sendback:g1:") and sendback["status"] == "open"
    assert sendback["doc_id"] == bad["_id"] and sendback["worker"] == "w1"
    assert sendback["refused_rev"] == REFUSED_REV and sendback["paths"] == [
        "checks[0].temperature"]
    assert Couch(console_app, auth=("w3", PASSWORD)).get(f"field/{sendback_id}").status_code == 404
    assert w1.put(f"field/{sendback_id}", json=dict(sendback, status="resolved")
                  ).status_code == 403                          # workers only read it
    fixed = {k: v for k, v in bad.items() if k not in ("_rev", "_revisions")}
    fixed["checks"][0]["temperature"] = 36.5
    fixed.update(_rev="2-" + "f" * 32, _revisions={"start": 2, "ids": ["f" * 32,
                                                                        REFUSED_REV[2:]]})
    assert w1.post("field/_bulk_docs", json={"docs": [fixed], "new_edits": False}
                   ).get_json() == []
    assert services(console_app).quarantine.get(entry)["status"] == "resolved"
    assert w1.get(f"field/{sendback_id}").get_json()["status"] == "resolved"
    assert "网格员已改正" in s1.text("/console/quarantine?state=done")


def test_dismiss_needs_a_reason_and_keeps_the_document(console_app):
    bad, entry = push_refused(console_app)
    s1 = browser_for(console_app, "s1")
    assert s1.post(f"/console/quarantine/{entry}/dismiss", {"reason": ""}).status_code == 400
    assert s1.post(f"/console/quarantine/{entry}/dismiss",
                   {"reason": "重复录入，已有正确记录"}).status_code == 302
    kept = services(console_app).quarantine.get(entry)
    assert kept["status"] == "dismissed" and kept["note"] == "重复录入，已有正确记录"
    assert kept["doc"]["checks"][0]["temperature"] == 45
    assert "重复录入" in s1.text("/console/quarantine?state=done")
    assert f'data-id="{entry}"' not in s1.text("/console/quarantine")
    assert services(console_app).audit.list(action="quarantine.dismiss")[0]["detail"][
        "reason"] == "重复录入，已有正确记录"


def test_a_document_refused_for_access_cannot_be_released(console_app):
    stray = fd.household("g1", "h9", by="w3")
    Couch(console_app, auth=("w3", PASSWORD)).post("field/_bulk_docs", json={"docs": [stray]})
    entry = services(console_app).quarantine.list()[0]
    assert entry["doc_id"] == stray["_id"] and entry["errors"] == []
    s1 = browser_for(console_app, "s1")
    assert 'id="release"' not in s1.text(f"/console/quarantine/{entry['id']}")
    assert s1.post(f"/console/quarantine/{entry['id']}/release", {}).status_code == 400


def test_another_communitys_supervisor_and_workers_are_refused(console_app):
    bad, entry = push_refused(console_app)
    s2 = browser_for(console_app, "s2")
    assert f'data-id="{entry}"' not in s2.text("/console/quarantine")
    assert s2.get(f"/console/quarantine/{entry}").status_code == 404
    for action, data in (("release", {"field:checks[0].temperature": "36.6"}),
                         ("send-back", {"note": "改"}), ("dismiss", {"reason": "无"})):
        assert s2.post(f"/console/quarantine/{entry}/{action}", data).status_code == 404
    api = Couch(console_app, auth=("s2", PASSWORD))
    assert api.get(f"/api/quarantine/{entry}").status_code == 404
    assert api.post(f"/api/quarantine/{entry}/dismiss", json={"reason": "无"}).status_code == 404
    worker = Couch(console_app, auth=("w1", PASSWORD))
    assert worker.post(f"/api/quarantine/{entry}/dismiss", json={"reason": "无"}
                       ).status_code == 403
    assert services(console_app).quarantine.get(entry)["status"] == "open"


def test_the_json_api_settles_entries_like_the_console(console_app):
    api = Couch(console_app, auth=("s1", PASSWORD))
    bad, first = push_refused(console_app)
    assert api.get(f"/api/quarantine/{first}").get_json()["status"] == "open"
    assert api.post(f"/api/quarantine/{first}/release", json={"values": []}).status_code == 400
    refused = api.post(f"/api/quarantine/{first}/release",
                       json={"values": {"checks[0].temperature": 50}})
    assert refused.status_code == 403 and "checks[0].temperature" in refused.get_json()["reason"]
    done = api.post(f"/api/quarantine/{first}/release",
                    json={"values": {"checks[0].temperature": 36.6}}).get_json()
    assert done["ok"] and done["rev"].startswith("2-")
    _bad, second = push_refused(console_app, temperature=20)
    sent = api.post(f"/api/quarantine/{second}/send-back", json={"note": "请复测体温"})
    assert sent.status_code == 200 and sent.get_json()["sendback"].startswith("sendback:g1:")
    assert api.post(f"/api/quarantine/{second}/send-back", json={"note": "再次"}
                    ).status_code == 409
    assert api.post(f"/api/quarantine/{second}/dismiss", json={"reason": 3}).status_code == 400
    assert api.post(f"/api/quarantine/{second}/dismiss", json={"reason": "平板已重装"}
                    ).status_code == 200
    rows = services(console_app).audit.list(action="quarantine")
    assert [r["action"] for r in rows] == ["quarantine.dismiss", "quarantine.send_back",
                                           "quarantine.release"]
    assert all(r["detail"]["via"] == "api" for r in rows)
    assert api.get("/api/quarantine").get_json()["rows"][0]["status"] == "dismissed"


@pytest.mark.parametrize("path, expected", [("checks[0].temperature", 45),
                                            ("household", "household:g1:h1"),
                                            ("checks[3].temperature", None)])
def test_field_paths_are_read_as_the_rules_write_them(path, expected):
    from server.access.quarantine_desk import value_at
    doc = fd.visit("g1", "h1")
    doc["checks"][0]["temperature"] = 45
    assert value_at(doc, path) == expected


def test_a_document_refused_as_a_new_edit_is_released_as_a_new_document(console_app):
    bad = fd.visit("g1", "h1", by="w1")
    bad["checks"][0]["temperature"] = 45
    w1 = Couch(console_app, auth=("w1", PASSWORD))
    assert w1.post("field/_bulk_docs", json={"docs": [bad]}).get_json()[0]["error"] == "forbidden"
    entry = services(console_app).quarantine.list()[0]
    assert entry["rev"] is None
    s1 = browser_for(console_app, "s1")
    assert s1.post(f"/console/quarantine/{entry['id']}/release",
                   {"field:checks[0].temperature": "36.6"}).status_code == 302
    doc = w1.get(f"field/{bad['_id']}").get_json()
    assert doc["_rev"].startswith("1-") and doc["checks"][0]["temperature"] == 36.6
