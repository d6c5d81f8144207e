"""The supervisor console in process (Flask test client, real SQLite): sign-in,
CSRF, scoping to the supervisor's community, and the review queue.

The app is ``make_field_app``: community c1 (grids g1, g2) with supervisor
s1 and worker w1, community c2 (grid g3) with supervisor s2 and worker w3.
"""

from datetime import datetime, timedelta

import pytest

from tests import fielddocs as fd
from tests.api import PASSWORD, Couch
from tests.console_client import (Browser, browser_for, console_app, field_db,  # noqa: F401
                                  write)
from server.services import services

PAGES = ["/console/dashboard", "/console/reviews", "/console/conflicts", "/console/households",
         "/console/requests", "/console/devices", "/console/households/household:g1:h1",
         "/console/visits/visit:g1:v1", "/console/reviews?colour=green&review=approved&page=2",
         "/console/notices", "/console/requests?kind=referral&show=done", "/console/replication"]
ADMIN_PAGES = ["/console/admin/users", "/console/admin/grids", "/console/admin/rules",
               "/console/audit"]


def test_pages_send_strangers_to_the_login_page(console_app):
    resp = Browser(console_app).get("/console/reviews?grid=g1")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/console/login?next=/console/reviews")


@pytest.mark.parametrize("who", ["w1", "h1"])
def test_only_supervisors_and_admins_sign_in(console_app, who):
    resp = Browser(console_app).login(who)
    assert resp.status_code == 401 and "督导台仅供督导和管理员使用" in resp.get_data(as_text=True)


def test_wrong_password_and_deactivated_accounts_are_refused(console_app):
    assert Browser(console_app).login("s1", "wrong-password").status_code == 401
    services(console_app).accounts.set_active("s1", False)
    assert Browser(console_app).login("s1").status_code == 401


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(console_app):
    browser = Browser(console_app)
    browser.fetch_token()
    resp = browser.post("/console/login", {"name": "s1", "password": PASSWORD,
                                           "next": "/console/requests"})
    assert resp.headers["Location"] == "/console/requests"
    browser.fetch_token()
    resp = browser.post("/console/login", {"name": "s1", "password": PASSWORD,
                                           "next": "https://evil.example/"})
    assert resp.headers["Location"] == "/console/dashboard"


def test_a_form_without_its_csrf_token_is_refused(console_app):
    browser = Browser(console_app)
    browser.fetch_token()
    resp = browser.post("/console/login", {"name": "s1", "password": PASSWORD}, token=False)
    assert resp.status_code == 400 and "令牌" in resp.get_data(as_text=True)
    browser = browser_for(console_app, "s1")
    before = field_db(console_app).info()["update_seq"]
    refused = [browser.post("/console/visits/visit:g1:v1", {"state": "approved"}, token=False),
               browser.post("/console/reviews/approve", {"visit": "visit:g1:v1"}, token=False),
               browser.post("/console/logout", token=False),
               browser.post("/console/reviews/approve", {"visit": "visit:g1:v1",
                                                          "csrf_token": "forged"}, token=False)]
    assert [r.status_code for r in refused] == [400] * 4
    assert field_db(console_app).info()["update_seq"] == before
    assert browser.get("/console/dashboard").status_code == 200      # still signed in


@pytest.mark.parametrize("who", ["s1", "admin"])
def test_every_page_renders(console_app, who):
    browser = browser_for(console_app, who)
    for url in PAGES + (ADMIN_PAGES if who == "admin" else []):
        browser.text(url)
    if who != "admin":
        assert [browser.get(url).status_code for url in ADMIN_PAGES] == [403] * len(ADMIN_PAGES)


def test_a_supervisor_sees_only_their_community(console_app):
    s1, s2 = browser_for(console_app, "s1"), browser_for(console_app, "s2")
    mine, theirs = s1.text("/console/reviews"), s2.text("/console/reviews")
    assert "visit:g1:v1" in mine and "visit:g3:v3" not in mine
    assert "visit:g3:v3" in theirs and "visit:g1:v1" not in theirs
    assert "visit:g3" not in s1.text("/console/reviews?grid=g3")
    assert "household:g3:h3" not in s1.text("/console/households")
    assert "request:g3" not in s1.text("/console/requests")
    for url in ["/console/visits/visit:g3:v3", "/console/households/household:g3:h3",
                "/console/visits/visit:g3:nope", "/console/visits/household:g1:h1"]:
        assert s1.get(url).status_code == 404, url
    csv = s1.get("/console/exports/visits.csv?grid=g3").get_data(as_text=True)
    assert csv.count("\n") == 1                                          # the header only


def test_a_supervisor_cannot_act_on_another_community(console_app):
    s1 = browser_for(console_app, "s1")
    db = field_db(console_app)
    g3_request = next(r["id"] for r in db.all_docs()["rows"] if r["id"].startswith("request:g3"))
    before = db.info()["update_seq"]
    attempts = [
        s1.post("/console/visits/visit:g3:v3", {"state": "approved"}),
        s1.post("/console/reviews/approve", {"visit": ["visit:g1:v1", "visit:g3:v3"]}),
        s1.post(f"/console/requests/{g3_request}/status", {"status": "closed"}),
    ]
    assert [r.status_code for r in attempts] == [404] * 3
    assert db.info()["update_seq"] == before


def _review(app, visit_id):
    return field_db(app).get(f"review:{visit_id}")


def test_send_back_with_a_comment_writes_a_review_the_worker_can_sync(console_app):
    s1 = browser_for(console_app, "s1")
    resp = s1.post("/console/visits/visit:g1:v1", {"state": "needs_fix", "comment": "  "})
    assert resp.status_code == 400 and "必须填写意见" in resp.get_data(as_text=True)
    assert _review(console_app, "visit:g1:v1")["state"] == "approved"     # unchanged
    resp = s1.post("/console/visits/visit:g1:v1", {"state": "needs_fix",
                                                   "comment": "请补充血压记录和门牌照片"})
    assert resp.status_code == 302
    review = _review(console_app, "visit:g1:v1")
    assert (review["state"], review["comment"], review["reviewer"], review["grid"]) == (
        "needs_fix", "请补充血压记录和门牌照片", "s1", "g1")
    worker = Couch(console_app, auth=("w1", PASSWORD))
    pulled = worker.get("field/_changes?include_docs=true").get_json()["results"]
    assert any(row["id"] == "review:visit:g1:v1" and row["doc"]["comment"] ==
               "请补充血压记录和门牌照片" for row in pulled)
    page = s1.text("/console/reviews?review=needs_fix")
    assert "visit:g1:v1" in page


def test_bulk_approve_approves_only_the_selected_visits(console_app):
    visits = [fd.visit("g1", f"h{n}", by="w1", vid=f"b{n}") for n in range(4)]
    write(console_app, visits)
    s1 = browser_for(console_app, "s1")
    resp = s1.post("/console/reviews/approve",
                   {"visit": [v["_id"] for v in visits[:3]], "back": "/console/reviews"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/console/reviews"
    states = {v["_id"]: _review(console_app, v["_id"])["state"] for v in visits[:3]}
    assert set(states.values()) == {"approved"}
    pending = s1.text("/console/reviews?review=pending")
    assert visits[3]["_id"] in pending and visits[0]["_id"] not in pending


def _queue_ids(browser, query=""):
    import re
    page = browser.text("/console/reviews" + query)
    return re.findall(r'<tr data-id="([^"]+)"', page)


def test_review_queue_filters_pages_and_orders_newest_first(console_app):
    now = datetime.now(fd.CST).replace(microsecond=0)
    docs = []
    for n in range(60):
        grid = "g1" if n % 2 else "g2"
        at = now - timedelta(hours=3 * n + 1)
        docs.append(fd.visit(grid, f"q{n}", by="w1" if n % 3 else "w9", vid=f"q{n:02d}",
                             visited_at=at.isoformat(), colour_after="red" if n % 5 == 0
                             else "green", colour_reason="高烧" if n % 5 == 0 else None,
                             outcome="not_home" if n % 7 == 0 else "met"))
        if docs[-1]["colour_reason"] is None:
            del docs[-1]["colour_reason"]
    write(console_app, docs)
    s1 = browser_for(console_app, "s1")
    first = _queue_ids(s1)
    assert len(first) == 50 and first[:3] == ["visit:g1:v1", "visit:g2:q00", "visit:g1:q01"]
    second = _queue_ids(s1, "?page=2")
    assert len(second) == 11 and not set(first) & set(second)          # 60 + v1 = 61
    red = _queue_ids(s1, "?colour=red")
    assert red == [f"visit:g{1 if n % 2 else 2}:q{n:02d}" for n in range(0, 60, 5)]
    assert _queue_ids(s1, "?grid=g1&worker=w9&outcome=not_home") == [
        f"visit:g1:q{n:02d}" for n in range(60) if n % 2 and n % 3 == 0 and n % 7 == 0]
    day = (now - timedelta(hours=3 * 30 + 1)).date().isoformat()
    on_day = _queue_ids(s1, f"?date_from={day}&date_to={day}")
    expected = [d["_id"] for d in docs
                if datetime.fromisoformat(d["visited_at"]).date().isoformat() == day]
    assert on_day == expected and on_day
    assert _queue_ids(s1, "?review=approved") == ["visit:g1:v1"]
    assert _queue_ids(s1, "?colour=purple&date_from=yesterday")[:2] == ["visit:g1:v1",
                                                                         "visit:g2:q00"]
