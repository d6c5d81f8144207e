"""The console's other pages in process: conflicts, requests and their SLA
clocks, the dashboard, exports, administration, the audit log, the derived
index and the language switch. Same app as ``test_console.py``."""

import copy
import csv
import io
import re
from datetime import datetime, timedelta

from openpyxl import load_workbook

from rules.hlc import Clock
from rules.stamps import stamp_edit
from tests import fielddocs as fd
from tests.api import PASSWORD, Couch, make_field_app
from tests.console_client import browser_for, console_app, field_db, write  # noqa: F401
from server.services import services


def _flag_conflict(app, doc_id):
    """Two tablets changed a yellow household's colour offline: green and red."""
    db = field_db(app)
    grid, hh = doc_id.split(":")[1:]
    base = stamp_edit(None, fd.household(grid, hh, colour="yellow"), Clock("seed"))
    db.put(base)
    current = db.get(doc_id)
    a, b = copy.deepcopy(current), copy.deepcopy(current)
    a["colour"] = "green"
    a.pop("colour_reason")
    b.update(colour="red", colour_reason="夜间发热", phone="139 1234 5678")
    return _two_tablets(db, current, a, b)


def _two_tablets(db, current, a, b):
    """Leaves ``a`` and ``b`` of ``current``, as two tablets' offline edits; the resolution."""
    a, b = stamp_edit(current, a, Clock("tablet-a")), stamp_edit(current, b, Clock("tablet-b"))
    pos, digest = current["_rev"].split("-")
    for leaf, mark in ((a, "a"), (b, "b")):
        leaf["_rev"] = f"{int(pos) + 1}-{mark * 32}"
        leaf["_revisions"] = {"start": int(pos) + 1, "ids": [mark * 32, digest]}
    assert db.bulk_docs([a, b], new_edits=False) == []
    return next(r for r in db.resolutions(doc_id=current["_id"]))


def test_conflicts_side_by_side_then_override_with_a_leafs_value(console_app):
    resolution = _flag_conflict(console_app, "household:g1:hc")
    other = _flag_conflict(console_app, "household:g3:hc")
    s1 = browser_for(console_app, "s1")
    listing = s1.text("/console/conflicts")
    assert "household:g1:hc" in listing and "household:g3:hc" not in listing
    assert s1.get(f"/console/conflicts/{other['id']}").status_code == 404
    assert s1.post(f"/console/conflicts/{other['id']}/accept").status_code == 404
    page = s1.text(f"/console/conflicts/{resolution['id']}")
    assert "取最严重颜色" in page and "夜间发热" in page and page.count('name="choice:colour"') == 3
    rev = re.search(r'name="rev" value="([^"]+)"', page).group(1)
    green = next(r for r, body in resolution["leaf_bodies"].items() if body["colour"] == "green")
    resp = s1.post(f"/console/conflicts/{resolution['id']}/override",
                   {"rev": rev, "choice:colour": f"leaf:{green}", "choice:phone": "current",
                    "reason": "已退烧，复测正常"})
    assert resp.status_code == 302
    doc = field_db(console_app).get("household:g1:hc")
    assert doc["colour"] == "green" and doc["phone"] == "139 1234 5678"
    assert doc["stamps"]["colour"][1] == "console:s1" and doc["updated_by"] == "s1"
    settled = field_db(console_app).resolutions(rid=resolution["id"])[0]
    assert (settled["settled_by"], settled["override"]) == ("s1", doc["_rev"])
    assert "household:g1:hc" not in s1.text("/console/conflicts")          # settled
    assert "household:g1:hc" in s1.text("/console/conflicts?show=all")
    stale = s1.post(f"/console/conflicts/{resolution['id']}/override",
                    {"rev": rev, "choice:colour": f"leaf:{green}"})
    assert stale.status_code == 409


def test_a_conflict_over_members_shows_their_id_numbers_masked(console_app):
    """The supervisor chooses by leaf, so the page never needs an ID number in
    clear; the chosen leaf's number is written whole."""
    db = field_db(console_app)
    base = stamp_edit(None, fd.household("g1", "hi", colour="yellow"), Clock("seed"))
    base["members"][0]["id_number"] = "110101194803120037"
    db.put(base)
    current = db.get("household:g1:hi")
    a, b = copy.deepcopy(current), copy.deepcopy(current)
    a.update(colour="green")
    a.pop("colour_reason")
    b.update(colour="red", colour_reason="夜间发热")
    b["members"][0]["id_number"] = "110101194803120053"
    resolution = _two_tablets(db, current, a, b)
    s1 = browser_for(console_app, "s1")
    page = s1.text(f"/console/conflicts/{resolution['id']}")
    assert "1101**********0053" in page or "1101**********0037" in page
    assert "110101194803120053" not in page and "110101194803120037" not in page
    assert "张桂兰" in page                                    # the rest of the member shows


def test_a_settled_merge_cannot_be_settled_again(console_app):
    resolution = _flag_conflict(console_app, "household:g1:hs")
    s1 = browser_for(console_app, "s1")
    page = s1.text(f"/console/conflicts/{resolution['id']}")
    rev = re.search(r'name="rev" value="([^"]+)"', page).group(1)
    green = next(r for r, body in resolution["leaf_bodies"].items() if body["colour"] == "green")
    assert s1.post(f"/console/conflicts/{resolution['id']}/override",
                   {"rev": rev, "choice:colour": f"leaf:{green}", "reason": "复测正常"}
                   ).status_code == 302
    settled = field_db(console_app).resolutions(rid=resolution["id"])[0]
    after = field_db(console_app).get("household:g1:hs")["_rev"]
    assert s1.post(f"/console/conflicts/{resolution['id']}/accept").status_code == 409
    again = Couch(console_app, auth=("s1", PASSWORD)).post(
        f"/api/resolutions/{resolution['id']}/settle", json={})
    assert again.status_code == 409
    kept = field_db(console_app).resolutions(rid=resolution["id"])[0]
    assert (kept["settled_by"], kept["override"], kept["settled_at"]) == (
        "s1", settled["override"], settled["settled_at"])
    assert field_db(console_app).get("household:g1:hs")["_rev"] == after
    assert 'id="accept"' not in s1.text(f"/console/conflicts/{resolution['id']}")


def test_lowering_a_flagged_colour_asks_for_a_reason_and_the_timeline_says_who(console_app):
    resolution = _flag_conflict(console_app, "household:g1:hl")
    s1 = browser_for(console_app, "s1")
    page = s1.text(f"/console/conflicts/{resolution['id']}")
    rev = re.search(r'name="rev" value="([^"]+)"', page).group(1)
    green = next(r for r, body in resolution["leaf_bodies"].items() if body["colour"] == "green")
    url = f"/console/conflicts/{resolution['id']}/override"
    refused = s1.post(url, {"rev": rev, "choice:colour": f"leaf:{green}"})
    assert refused.status_code == 400 and "reason" in refused.get_data(as_text=True)
    assert field_db(console_app).get("household:g1:hl")["colour"] == "red"
    assert s1.post(url, {"rev": rev, "choice:colour": f"leaf:{green}",
                         "reason": "家属已接回照顾"}).status_code == 302
    logged = services(console_app).audit.list(action="conflict.override")[0]
    assert logged["detail"]["reason"] == "家属已接回照顾"
    assert logged["detail"]["colour"] == ["red", "green"]
    timeline = s1.text("/console/households/household:g1:hl")
    assert re.search(r'class="decided">改写合并结果： s1 · \d{4}-', timeline)


def test_accept_settles_a_merge_without_a_new_revision(console_app):
    resolution = _flag_conflict(console_app, "household:g2:hc")
    before = field_db(console_app).get("household:g2:hc")["_rev"]
    s2 = browser_for(console_app, "s2")
    assert s2.post(f"/console/conflicts/{resolution['id']}/accept").status_code == 404
    s1 = browser_for(console_app, "s1")
    assert s1.post(f"/console/conflicts/{resolution['id']}/accept").status_code == 302
    settled = field_db(console_app).resolutions(rid=resolution["id"])[0]
    assert settled["settled_by"] == "s1" and settled["override"] is None
    assert field_db(console_app).get("household:g2:hc")["_rev"] == before
    timeline = s1.text("/console/households/household:g2:hc")
    assert "取最严重颜色" in timeline and "已处理" in timeline


def _requests(app):
    now = datetime.now(fd.CST)
    docs = {
        "late": fd.request_doc("g1", "h1", sla="onsite_5m", status="open",
                               opened_at=(now - timedelta(minutes=12)).isoformat()),
        "running": fd.request_doc("g1", "h1", sla="fix_20m", status="assigned",
                                  opened_at=(now - timedelta(minutes=8)).isoformat()),
        "met": fd.request_doc("g2", "h2", sla="plan_2d", status="in_progress",
                              opened_at=(now - timedelta(days=1)).isoformat(),
                              status_times={"in_progress": now.isoformat()}),
        "done": fd.request_doc("g2", "h2", sla="fix_20m", status="resolved",
                               opened_at=(now - timedelta(hours=2)).isoformat(),
                               status_times={"resolved": (now - timedelta(minutes=105))
                                             .isoformat()}),
    }
    write(app, list(docs.values()))
    return {name: doc["_id"] for name, doc in docs.items()}


def _board_ids(browser, query=""):
    return re.findall(r'<tr class="clock-(\w+)" data-id="([^"]+)"',
                      browser.text("/console/requests" + query))


def test_requests_board_overdue_first_and_status_changes(tmp_path):
    app = make_field_app(tmp_path)
    made = _requests(app)
    s1 = browser_for(app, "s1")
    board = _board_ids(s1)
    assert board[0] == ("overdue", made["late"])
    assert ("running", made["running"]) in board and ("met", made["met"]) in board
    assert made["done"] not in dict((i, c) for c, i in board)
    assert ("met", made["done"]) in _board_ids(s1, "?show=done")
    resp = s1.post(f"/console/requests/{made['late']}/status",
                   {"status": "in_progress", "assignee": "w1"})
    assert resp.status_code == 302
    doc = field_db(app).get(made["late"])
    assert doc["status"] == "in_progress" and doc["assignee"] == "w1"
    assert "in_progress" in doc["status_times"] and doc["stamps"]["status"][1] == "console:s1"
    assert ("late", made["late"]) in _board_ids(s1)          # on site, but after 5 minutes
    assert s1.post(f"/console/requests/{made['late']}/status",
                   {"status": "teleported"}).status_code == 400


def test_sla_limits_come_from_the_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("GRIDVISIT_SLA_ONSITE", "3600")
    app = make_field_app(tmp_path)
    assert app.config["SLA_ONSITE"] == 3600
    made = _requests(app)
    assert ("running", made["late"]) in _board_ids(browser_for(app, "s1"))


def test_dashboard_figures(console_app):
    now = datetime.now(fd.CST)
    write(console_app, [
        fd.household("g1", "red1", colour="red"), fd.household("g1", "red2", colour="red"),
        fd.visit("g1", "red2", by="w1", visited_at=(now - timedelta(hours=2)).isoformat()),
        fd.visit("g1", "red1", by="w1", visited_at=(now - timedelta(days=10)).isoformat()),
        fd.household("g3", "red3", colour="red")])
    services(console_app).quarantine.keep(
        "field", {"_id": "visit:g1:bad"}, "w1", "tab", "bad")
    runs = services(console_app).runs
    runs.finish(runs.start("nightly-push", "local:field", "https://hub/x"),
                {"docs_read": 7, "docs_written": 7})
    page = browser_for(console_app, "s1").text("/console/dashboard")
    coverage = re.search(r'id="coverage">(.*?)</table>', page, re.S).group(1)
    assert re.search(r"g1</span></td>\s*<td class=\"num\">3</td>\s*<td class=\"num\">2 \(67%\)"
                     r"</td>\s*<td class=\"num\">3 \(100%\)", coverage), coverage
    red = re.search(r'id="red48">(.*?)</section>', page, re.S).group(1)
    assert "red1" in red and "red2" not in red and "red3" not in red
    assert re.search(r'id="quarantined"><b>1</b>', page)
    assert "nightly-push" in page and "成功" in page
    assert "/console/vendor/chart.umd.min.js" in page
    with browser_for(console_app, "s1").get("/console/vendor/chart.umd.min.js") as chart:
        assert chart.status_code == 200 and b"Chart" in chart.data[:2000]


def test_exports_hold_exactly_the_filtered_rows(console_app):
    write(console_app, [fd.visit("g1", f"x{n}", by="w1", colour_after="red" if n % 2 else
                                 "green", colour_reason="高烧" if n % 2 else "无") for n in range(6)])
    s1 = browser_for(console_app, "s1")
    query = "grid=g1&colour=red"
    shown = set(re.findall(r'<tr data-id="([^"]+)"', s1.text(f"/console/reviews?{query}")))
    raw = s1.get(f"/console/exports/visits.csv?{query}").data
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["ID", "网格", "地址"] and {r[0] for r in rows[1:]} == shown
    assert len(shown) == 3 and all(r[7] == "红色" for r in rows[1:])
    xlsx = s1.get(f"/console/exports/visits.xlsx?{query}")
    assert "attachment" in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert {row[0] for row in values[1:]} == shown
    for kind in ("households", "requests"):
        for fmt in ("csv", "xlsx"):
            assert s1.get(f"/console/exports/{kind}.{fmt}?grid=g1").status_code == 200
    households = s1.get("/console/exports/households.csv").data.decode("utf-8-sig")
    assert "household:g1:h1" in households and "household:g3" not in households
    assert s1.get("/console/exports/secrets.csv").status_code == 404


def test_admin_manages_accounts_grids_and_assignments(console_app):
    admin = browser_for(console_app, "admin")
    accounts = services(console_app).accounts
    assert admin.post("/console/admin/users", {"name": "w4", "display_name": "赵敏",
                                               "role": "worker", "password": "worker-pass-4"}
                      ).status_code == 302
    assert accounts.authenticate("w4", "worker-pass-4") is not None
    assert admin.post("/console/admin/users", {"name": "w4", "role": "worker",
                                               "password": "worker-pass-4"}).status_code == 400
    assert admin.post("/console/admin/users/w4/password",
                      {"password": "new-pass-4444"}).status_code == 302
    assert accounts.authenticate("w4", "new-pass-4444") is not None
    assert admin.post("/console/admin/places", {"kind": "grid", "id": "g4", "name": "网格四",
                                                "parent": "c1"}).status_code == 302
    assert admin.post("/console/admin/assignments", {"user": "w4", "kind": "grid",
                                                     "place": "g4"}).status_code == 302
    directory = services(console_app).directory
    assert directory.grids_of(accounts.by_name("w4")) == {"g4"}
    assert "网格四" in admin.text("/console/admin/grids") and "赵敏" in admin.text(
        "/console/admin/users")
    assert admin.post("/console/admin/users/w4/deactivate").status_code == 302
    assert Couch(console_app, auth=("w4", "new-pass-4444")).get("field").status_code == 401
    assert admin.post("/console/admin/users/admin/deactivate").status_code == 400
    s1 = browser_for(console_app, "s1")
    assert s1.post("/console/admin/users", {"name": "evil", "role": "admin",
                                            "password": "evil-pass-1"}).status_code == 403
    assert accounts.by_name("evil") is None


def test_devices_last_sync_and_revoke_within_scope(console_app):
    api = console_app.test_client()
    tokens = {}
    for name in ("w1", "w3"):
        body = api.post("/api/login", json={"name": name, "password": PASSWORD,
                                            "device": f"平板-{name}"}).get_json()
        tokens[name] = body
    headers = {"Authorization": f"Bearer {tokens['w1']['token']}"}
    assert api.get("/couch/field", headers=headers).status_code == 200
    s1 = browser_for(console_app, "s1")
    page = s1.text("/console/devices")
    assert "平板-w1" in page and "平板-w3" not in page and "从未" not in page
    assert s1.post(f"/console/devices/{tokens['w3']['token_id']}/revoke").status_code == 404
    assert s1.post(f"/console/devices/{tokens['w1']['token_id']}/revoke").status_code == 302
    assert api.get("/couch/field", headers=headers).status_code == 401
    assert "平板-w3" in browser_for(console_app, "admin").text("/console/devices")


def test_every_action_is_in_the_audit_log_for_admins_only(console_app):
    s1 = browser_for(console_app, "s1")
    s1.post("/console/visits/visit:g1:v1", {"state": "rejected", "comment": "重复记录"})
    s1.get("/console/exports/visits.xlsx?colour=red")
    s1.post("/console/logout")
    admin = browser_for(console_app, "admin")
    admin.post("/console/admin/users", {"name": "w5", "role": "worker", "password": "pass-5555-w5"})
    log = services(console_app).audit.list()
    assert [row["action"] for row in log][:5] == ["user.create", "login", "logout", "export",
                                                  "review.rejected"]
    assert log[4]["target"] == "visit:g1:v1" and log[4]["detail"]["comment"] == "重复记录"
    assert log[3]["detail"]["filters"] == {"colour": "red"}
    page = admin.text("/console/audit?user=s1")
    assert "review.rejected" in page and "user.create" not in page
    assert browser_for(console_app, "s1").get("/console/audit").status_code == 403


def test_the_index_follows_the_changes_feed(console_app):
    s1 = browser_for(console_app, "s1")
    assert "visit:g1:late" not in s1.text("/console/reviews")
    worker = Couch(console_app, auth=("w1", PASSWORD))
    late = fd.visit("g1", "h1", by="w1", vid="late", status="draft")
    rev = worker.put(f"field/{late['_id']}", json=late).get_json()["rev"]
    assert "visit:g1:late" not in s1.text("/console/reviews")           # drafts stay out
    late.update(_rev=rev, status="submitted")
    rev = worker.put(f"field/{late['_id']}", json=late).get_json()["rev"]
    assert "visit:g1:late" in s1.text("/console/reviews")
    field_db(console_app).delete(late["_id"], rev)      # e.g. a deletion replicated in
    assert "visit:g1:late" not in s1.text("/console/reviews")
    index = services(console_app).console_index
    assert index.position()[1] == field_db(console_app).update_seq()


def test_the_index_is_rebuilt_when_the_database_is_made_again(console_app):
    s1 = browser_for(console_app, "s1")
    assert "visit:g1:v1" in s1.text("/console/reviews")
    admin = Couch(console_app)
    assert admin.delete("field").status_code == 200
    assert "visit:g1:v1" not in s1.text("/console/reviews")               # no database
    assert admin.put("field").status_code == 201
    write(console_app, [fd.visit("g1", "h1", by="w1", vid="again")])
    page = s1.text("/console/reviews")
    assert "visit:g1:again" in page and "visit:g1:v1" not in page


def test_language_switch(console_app):
    s1 = browser_for(console_app, "s1")
    assert "走访审核" in s1.text("/console/reviews")
    resp = s1.get("/console/lang/en?next=/console/reviews")
    assert resp.headers["Location"] == "/console/reviews"
    page = s1.text("/console/reviews")
    assert "Reviews" in page and "走访审核" not in page
    assert s1.get("/console/lang/zh?next=//evil.example").headers["Location"] == \
        "/console/dashboard"
