"""A requests board that says who owns what: household with grid and
building, assignees by display name chosen from the people who can see the
request (anyone else refused), filters for overdue, assignee, grid and SLA
(the export holds the same rows), and a closed request reopened only with a
reason."""

import csv
import io
import re
from datetime import datetime, timedelta

from server.services import services
from tests import fielddocs as fd
from tests.api import PASSWORD
from tests.console_client import browser_for, console_app, field_db, write  # noqa: F401


def ids_on(browser, query=""):
    return re.findall(r'<tr class="clock-[a-z]+" data-id="([^"]+)"',
                      browser.text(f"/console/requests{query}"))


def status(browser, doc, **form):
    return browser.post(f"/console/requests/{doc['_id']}/status", form)


def test_the_board_names_people_and_places(console_app):
    ext = services(console_app)
    ext.directory.put_grid("g1", "一网格", "c1")
    ext.accounts.create("w7", PASSWORD, "worker", display_name="李娜")
    ext.directory.assign("w7", grid="g1")
    doc = fd.request_doc("g1", "h1", by="w1", assignee="w7")
    write(console_app, [doc])
    page = browser_for(console_app, "s1").text("/console/requests")
    row = page.split(f'data-id="{doc["_id"]}"')[1].split("</tr>")[0]
    assert "3号楼" in row and "一网格" in row and '<td class="assignee">李娜</td>' in row
    assert '<option value="w7" selected>李娜</option>' in row
    assert 'value="w3"' not in row                       # another community's worker


def test_only_someone_who_sees_the_request_can_be_assigned(console_app):
    doc = fd.request_doc("g1", "h1", by="w1")
    write(console_app, [doc])
    s1 = browser_for(console_app, "s1")
    refused = status(s1, doc, status="assigned", assignee="w3")
    assert refused.status_code == 400 and "assignee" in refused.get_data(as_text=True)
    assert field_db(console_app).get(doc["_id"]).get("assignee") is None
    assert status(s1, doc, status="assigned", assignee="w1").status_code == 302
    assert field_db(console_app).get(doc["_id"])["assignee"] == "w1"
    assert status(s1, doc, status="assigned", assignee="s1").status_code == 302
    assert status(browser_for(console_app, "s2"), doc, status="assigned",
                  assignee="w1").status_code == 404


def test_filters_for_overdue_assignee_grid_and_sla_and_the_export_agrees(console_app):
    past = (datetime.now(fd.CST) - timedelta(hours=3)).isoformat(timespec="seconds")
    late = fd.request_doc("g1", "h1", by="w1", opened_at=past, assignee="w1")
    plan = fd.request_doc("g2", "h2", by="s1", sla="plan_2d")
    write(console_app, [late, plan])
    s1 = browser_for(console_app, "s1")
    assert ids_on(s1, "?overdue=1") == [late["_id"]]
    assert ids_on(s1, "?assignee=w1") == [late["_id"]]
    assert ids_on(s1, "?sla=plan_2d") == [plan["_id"]]
    assert ids_on(s1, "?grid=g2") == [plan["_id"]]
    assert ids_on(s1, "?sla=nonsense") == ids_on(s1)       # an unknown SLA: no filter
    raw = s1.get("/console/exports/requests.csv?overdue=1").data.decode("utf-8-sig")
    assert [row[0] for row in list(csv.reader(io.StringIO(raw)))[1:]] == [late["_id"]]


def test_a_closed_request_is_reopened_only_with_a_reason(console_app):
    doc = fd.request_doc("g1", "h1", by="w1", status="closed")
    write(console_app, [doc])
    s1 = browser_for(console_app, "s1")
    refused = status(s1, doc, status="in_progress")
    assert refused.status_code == 400 and "reopen_reason" in refused.get_data(as_text=True)
    assert field_db(console_app).get(doc["_id"])["status"] == "closed"
    assert status(s1, doc, status="in_progress", reopen_reason="居民反映药仍未送到"
                  ).status_code == 302
    assert field_db(console_app).get(doc["_id"])["status"] == "in_progress"
    logged = services(console_app).audit.list(action="request.status")[0]
    assert logged["detail"]["reopen_reason"] == "居民反映药仍未送到"
