"""An in-process client for the /couch API (Flask test client, real SQLite)."""

import base64

import pytest

from server import create_app

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
    app.extensions["gridvisit.accounts"].create(*ADMIN, "admin")
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
