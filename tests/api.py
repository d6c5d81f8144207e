"""An in-process client for the /couch API (Flask test client, real SQLite)."""

import base64

import pytest

from tests import fielddocs as fd

from server import create_app
from server.services import services

ADMIN = ("admin", "admin-secret")


def basic(user, password):
    """An Authorization header for HTTP Basic."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


class Couch:
    """Thin helpers over the test client, signed in as the admin."""

    def __init__(self, app, auth=ADMIN):
        self.app = app
        self.client = app.test_client()
        self.headers = basic(*auth) if auth else {}

    def call(self, method, path, json=None, data=None, headers=None, **kw):
        all_headers = dict(self.headers, **(headers or {}))
        url = path if path.startswith("/api/") else "/couch/" + path.lstrip("/")
        return self.client.open(url, method=method, json=json,
                                data=data, headers=all_headers, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def put(self, path, json=None, **kw):
        return self.call("PUT", path, json=json, **kw)

    def post(self, path, json=None, **kw):
        return self.call("POST", path, json=json, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)


def make_app(tmp_path, **config):
    """A fresh app over ``tmp_path`` with an admin account."""
    app = create_app({"DATA_DIR": str(tmp_path), **config})
    services(app).accounts.create(*ADMIN, "admin")
    return app


USERS = {"w1": ("worker", "g1"), "w3": ("worker", "g3"), "s1": ("supervisor", "c1"),
         "h1": ("hub", "c1"), "gone": ("worker", "g1")}
PASSWORD = "password-123"


def make_field_app(tmp_path, **config):
    """An app with a field db, grids g1 g2 (c1) and g3 (c2), and users of each role."""
    app = make_people_app(tmp_path, **config)
    ext = services(app)
    db = ext.store.create("field")
    visit1 = fd.visit("g1", "h1", by="w1", vid="v1")
    docs = [fd.grid_doc("g1"), fd.grid_doc("g3"), fd.household("g1", "h1"),
            fd.household("g2", "h2"), fd.household("g3", "h3"), visit1,
            fd.visit("g3", "h3", by="w3", vid="v3"), fd.review(visit1["_id"], by="s1")]
    docs[2]["_attachments"] = {"door.png": {"content_type": "image/png",
                                            "data": base64.b64encode(b"\x89PNG..").decode()}}
    assert all("ok" in row for row in db.bulk_docs(docs))
    return app


def make_people_app(tmp_path, **config):
    """An app with grids g1 g2 (c1) and g3 (c2) and users of each role, no database."""
    app = make_app(tmp_path, **config)
    ext = services(app)
    directory, accounts = ext.directory, ext.accounts
    directory.put_street("s", "朝阳门街道")
    directory.put_community("c1", "史家社区", "s")
    directory.put_community("c2", "演乐社区", "s")
    for grid, community in (("g1", "c1"), ("g2", "c1"), ("g3", "c2")):
        directory.put_grid(grid, grid, community)
    for name, (role, place) in USERS.items():
        accounts.create(name, PASSWORD, role)
        directory.assign(name, **({"grid": place} if role == "worker" else {"community": place}))
    accounts.set_active("gone", False)
    return app



@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def couch(app):
    """An admin client with a fresh database called ``db``."""
    client = Couch(app)
    assert client.put("db").status_code == 201
    return client
