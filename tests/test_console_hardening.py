"""The console resists the obvious attacks without hurting its own users: a
Content-Security-Policy with no inline script and no framing, logout only
with the CSRF token, sign-in throttling that slows a guesser without
locking the real supervisor out (and an admin unlock), failed sign-ins and
every action in a readable, date-filtered audit log, confirmations before
hard-to-undo actions, and passwords of 10+ characters not on the common
list."""

import re

import pytest

from server.accounts.ratelimit import LoginLimiter
from server.accounts.users import AccountError, common_passwords
from server.services import services
from tests.api import PASSWORD
from tests.console_client import TOKEN_RE, Browser, browser_for, console_app  # noqa: F401

PAGES = ["/console/dashboard", "/console/reviews", "/console/conflicts", "/console/households",
         "/console/requests", "/console/notices", "/console/replication", "/console/devices",
         "/console/admin/users", "/console/admin/grids", "/console/admin/rules", "/console/audit",
         "/console/visits/visit:g1:v1", "/console/households/household:g1:h1"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def sign_in(app, name, password, address):
    """A sign-in attempt from ``address``: (status, browser)."""
    browser = Browser(app)
    page = browser.client.get("/console/login", environ_base={"REMOTE_ADDR": address})
    browser.token = TOKEN_RE.search(page.get_data(as_text=True)).group(1)
    resp = browser.client.post("/console/login", data={
        "name": name, "password": password, "csrf_token": browser.token},
        environ_base={"REMOTE_ADDR": address})
    return resp.status_code, resp.get_data(as_text=True)


def test_every_console_page_has_a_strict_policy_and_no_inline_script(console_app):
    admin = browser_for(console_app, "admin")
    for url in PAGES + ["/console/login"]:
        resp = admin.get(url)
        assert resp.status_code == 200, url
        policy = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy and resp.headers["X-Frame-Options"] == "DENY"
        page = resp.get_data(as_text=True)
        assert not INLINE_SCRIPT.search(page), url
        assert not HANDLER.search(page), (url, HANDLER.search(page))
    assert "frame-ancestors 'none'" in admin.get("/console/visits/visit:g3:nope").headers[
        "Content-Security-Policy"]


def test_logout_needs_the_csrf_token(console_app):
    s1 = browser_for(console_app, "s1")
    assert s1.post("/console/logout", token=False).status_code == 400
    assert s1.get("/console/dashboard").status_code == 200          # still signed in
    assert s1.post("/console/logout").status_code == 302
    assert s1.get("/console/dashboard").status_code == 302


def test_a_guesser_is_slowed_but_the_real_supervisor_still_signs_in(console_app):
    for _ in range(5):
        assert sign_in(console_app, "s1", "wrong-guess", "203.0.113.9")[0] == 401
    status, page = sign_in(console_app, "s1", PASSWORD, "203.0.113.9")
    assert status == 401 and "秒后再试" in page and "seconds" in page
    assert sign_in(console_app, "s1", PASSWORD, "198.51.100.7")[0] == 302
    log = services(console_app).audit.list(action="login.failed")
    assert len(log) == 5 and {(r["target"], r["address"]) for r in log} == {
        ("s1", "203.0.113.9")}


def test_waits_double_and_an_account_wide_wait_is_at_most_a_minute():
    limiter = LoginLimiter(per_account=5, per_address=30, window=900, max_delay=900,
                           account_max_delay=60)
    for n in range(5):
        limiter.failed("s1", "a", now=100.0)
    assert limiter.wait("s1", "a", now=100.0) == 1
    limiter.failed("s1", "a", now=101.0)
    assert limiter.wait("s1", "a", now=101.0) == 2
    for n in range(30):
        limiter.failed("s1", f"bot{n}", now=200.0)
    assert 0 < limiter.wait("s1", "home", now=200.0) <= 60
    assert limiter.wait("s1", "home", now=261.0) == 0
    assert limiter.wait("w1", "home", now=200.0) == 0                # other accounts untouched
    assert limiter.wait("s1", "a", now=200.0 + 901) == 0              # forgotten after the window


def test_an_admin_clears_a_throttled_account(console_app):
    for _ in range(6):
        sign_in(console_app, "s1", "wrong-guess", "203.0.113.9")
    admin = browser_for(console_app, "admin")
    assert "登录受限" in admin.text("/console/admin/users")
    assert browser_for(console_app, "s2").post("/console/admin/users/s1/unlock").status_code == 403
    assert admin.post("/console/admin/users/s1/unlock").status_code == 302
    assert sign_in(console_app, "s1", PASSWORD, "203.0.113.9")[0] == 302
    assert services(console_app).audit.list(action="user.unlock")[0]["target"] == "s1"


def test_the_audit_log_reads_as_words_and_filters_by_date(console_app):
    s1 = browser_for(console_app, "s1")
    s1.post("/console/visits/visit:g1:v1", {"state": "approved", "comment": "好"})
    sign_in(console_app, "s1", "wrong-guess", "203.0.113.9")
    admin = browser_for(console_app, "admin")
    page = admin.text("/console/audit")
    assert "批准走访" in page and "登录失败" in page and "走访 · g1" in page
    assert 'href="/console/visits/visit:g1:v1"' in page
    admin.get("/console/lang/en")
    assert "Visit approved" in admin.text("/console/audit")
    assert "visit:g1:v1" not in admin.text("/console/audit?since=2999-01-01").split("<tbody>")[1]
    assert "Visit approved" in admin.text("/console/audit?since=2000-01-01&until=2999-12-31")
    bad = admin.get("/console/audit?since=yesterday")
    assert bad.status_code == 400 and "year-month-day" in bad.get_data(as_text=True)


def test_hard_to_undo_actions_ask_first(console_app):
    api = console_app.test_client()
    api.post("/api/login", json={"name": "w1", "password": PASSWORD, "device": "平板-w1"})
    admin = browser_for(console_app, "admin")
    devices = admin.text("/console/devices")
    assert re.search(r'data-confirm="确定吊销设备[^"]*平板-w1\?"', devices)
    assert re.search(r'data-confirm="确定停用账号 [^"]+\?"', admin.text("/console/admin/users"))
    reviews = browser_for(console_app, "s1").text("/console/reviews")
    assert 'data-confirm="确定批准这 {n} 条走访？"' in reviews
    assert "/static/console/console.js" in reviews


@pytest.mark.parametrize("password, rule", [("short-9ch", "至少 10 个字符"),
                                            ("Password123", "常见密码"),
                                            ("qwertyuiop", "常见密码")])
def test_weak_passwords_are_refused_everywhere(console_app, password, rule):
    admin = browser_for(console_app, "admin")
    resp = admin.post("/console/admin/users", {"name": "w9", "role": "worker",
                                               "password": password})
    assert resp.status_code == 400 and rule in resp.get_data(as_text=True)
    assert "password" in resp.get_data(as_text=True)
    assert services(console_app).accounts.by_name("w9") is None
    with pytest.raises(AccountError, match=rule):
        services(console_app).accounts.set_password("w1", password)


def test_the_common_password_list_is_ours_and_long_enough_to_matter():
    found = common_passwords()
    assert len(found) > 100 and "woaini1314" in found and "password123" in found
    assert PASSWORD not in found and all(len(p) >= 10 for p in found)
