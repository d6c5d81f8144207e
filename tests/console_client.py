"""A signed-in browser, in process: the Flask test client with the console's
CSRF token, for ``tests/test_console*.py``."""

import re
from datetime import datetime, timedelta

import pytest

from tests import fielddocs as fd
from tests.api import PASSWORD, make_field_app
from server.services import services

TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """A test client that signs in to the console and posts forms with the token."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self.token = None

    def fetch_token(self, url="/console/login"):
        page = self.client.get(url)
        found = TOKEN_RE.search(page.get_data(as_text=True))
        assert found, f"no CSRF token on {url}"
        self.token = found.group(1)
        return self.token

    def login(self, name, password=PASSWORD):
        self.fetch_token()
        resp = self.client.post("/console/login", data={
            "name": name, "password": password, "csrf_token": self.token})
        return resp

    def get(self, url, **kw):
        return self.client.get(url, **kw)

    def post(self, url, data=None, token=True, **kw):
        data = dict(data or {})
        if token:
            data["csrf_token"] = self.token
        return self.client.post(url, data=data, **kw)

    def text(self, url):
        resp = self.get(url)
        assert resp.status_code == 200, (url, resp.status_code, resp.get_data(as_text=True)[:500])
        return resp.get_data(as_text=True)


def field_db(app):
    """The app's field database."""
    return services(app).store.get("field")


def add_supervisor(app, name="s2", community="c2"):
    """A supervisor of another community."""
    services(app).accounts.create(name, PASSWORD, "supervisor")
    services(app).directory.assign(name, community=community)


def write(app, docs):
    """Write documents as a tablet would have; every one must be accepted."""
    rows = field_db(app).bulk_docs(docs)
    assert all("ok" in row for row in rows), rows
    return rows


@pytest.fixture
def console_app(tmp_path):
    """make_field_app (g1 g2 in c1, g3 in c2; w1 s1 w3 h1 admin) plus a c2
    supervisor ``s2``, a request in g1 and one in g3."""
    app = make_field_app(tmp_path)
    add_supervisor(app)
    write(app, [fd.request_doc("g1", "h1", by="w1"), fd.request_doc("g3", "h3", by="w3")])
    return app


def browser_for(app, name):
    """A browser signed in as ``name``."""
    browser = Browser(app)
    resp = browser.login(name, "admin-secret" if name == "admin" else PASSWORD)
    assert resp.status_code == 302, resp.get_data(as_text=True)[:400]
    browser.fetch_token("/console/dashboard")
    return browser


def ago(**delta):
    """The time ``delta`` ago in Beijing time, as the documents write it."""
    return (datetime.now(fd.CST) - timedelta(**delta)).isoformat(timespec="seconds")


def audit_rows(app, action):
    """The audit log's rows of ``action``."""
    return [r for r in services(app).audit.list(action=action)]


def notice_docs(app, key=None):
    """The notice documents in the field database (of notice ``key`` when given)."""
    rows = field_db(app).all_docs(include_docs=True)["rows"]
    return [r["doc"] for r in rows if r["id"].startswith("notice:")
            and (key is None or r["id"].endswith(":" + key))]


def publish_notice(browser, audience, **fields):
    """Publish a cold-wave notice from the console's form."""
    data = {"title": "寒潮预警", "body": "今晚降温，请逐户提醒独居老人做好保暖。",
            "priority": "urgent", "audience": audience}
    data.update(fields)
    return browser.post("/console/notices", data)
