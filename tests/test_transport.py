"""HTTPS as the app sees it: X-Forwarded-* from trusted proxies only, HSTS and
Secure cookies over HTTPS, the plain listener's redirect, and the CA page."""

import pytest

from server import create_app
from server.ops import tls
from tests.api import ADMIN, make_app

LOGIN = {"name": ADMIN[0], "password": ADMIN[1]}
PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "shijia.lan",
         "X-Forwarded-For": "192.168.1.23"}


def _login(app, headers=None, base_url="http://localhost"):
    return app.test_client().post("/couch/_session", json=LOGIN, headers=headers or {},
                                  base_url=base_url)


def test_plain_http_gets_no_hsts_and_cookies_without_secure(tmp_path):
    resp = _login(make_app(tmp_path))
    assert resp.status_code == 200
    assert "Strict-Transport-Security" not in resp.headers
    assert "Secure" not in resp.headers["Set-Cookie"]


def test_https_gets_hsts_and_secure_cookies(tmp_path):
    resp = _login(make_app(tmp_path), base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"] == "max-age=15552000"
    assert resp.headers["Set-Cookie"].endswith("; Secure")


def test_hsts_off_when_set_to_zero(tmp_path):
    resp = _login(make_app(tmp_path, HSTS_SECONDS=0), base_url="https://localhost")
    assert "Strict-Transport-Security" not in resp.headers
    assert "; Secure" in resp.headers["Set-Cookie"]


def test_forwarded_headers_from_an_untrusted_client_are_ignored(tmp_path):
    resp = _login(make_app(tmp_path), headers=PROXY)
    assert "Strict-Transport-Security" not in resp.headers
    assert "Secure" not in resp.headers["Set-Cookie"]


def test_forwarded_headers_from_a_trusted_proxy_count(tmp_path):
    tls.init(tmp_path, ["shijia.lan"], [])
    app = make_app(tmp_path, TRUSTED_PROXIES="10.0.0.5, 127.0.0.0/8")
    resp = _login(app, headers=PROXY)
    assert "Strict-Transport-Security" in resp.headers
    assert resp.headers["Set-Cookie"].endswith("; Secure")
    page = app.test_client().get("/ca", headers=PROXY)
    assert "https://shijia.lan/ca" in page.get_data(as_text=True)    # the proxy's host


def test_a_bad_trusted_proxy_entry_is_named(tmp_path):
    with pytest.raises(ValueError, match="not-an-ip"):
        create_app({"DATA_DIR": str(tmp_path), "TRUSTED_PROXIES": "10.0.0.1,not-an-ip"})


def test_plain_listener_redirects_to_https_but_serves_the_ca_page(tmp_path):
    tls.init(tmp_path, ["shijia.lan"], ["192.168.1.10"])
    client = create_app({"DATA_DIR": str(tmp_path), "REDIRECT_TO_HTTPS_PORT": 443}).test_client()
    resp = client.get("/app/?x=1", base_url="http://shijia.lan:8080")
    assert resp.status_code == 308
    assert resp.headers["Location"] == "https://shijia.lan/app/?x=1"
    post = client.post("/couch/_session", json=LOGIN, base_url="http://192.168.1.10")
    assert (post.status_code, post.headers["Location"]) == (
        308, "https://192.168.1.10/couch/_session")
    page = client.get("/ca", base_url="http://shijia.lan:8080")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "https://shijia.lan/app/" in text and "<svg" in text
    assert client.get("/ca/gridvisit-ca.crt").status_code == 200


def test_ca_page_shows_steps_qr_code_and_fingerprint(tmp_path):
    folder = tls.init(tmp_path, ["shijia.lan"], [])
    client = make_app(tmp_path).test_client()
    resp = client.get("/ca", base_url="http://shijia.lan:8080")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert text.index("安卓平板") < text.index("Android")             # Chinese first
    assert "iPad" in text and "证书信任设置" in text
    assert tls.fingerprint(folder / "ca.crt") in text
    assert 'class="qr"' in text and "<svg" in text
    cert = client.get("/ca/gridvisit-ca.crt")
    assert cert.mimetype == "application/x-x509-ca-cert"
    assert cert.data == (folder / "ca.crt").read_bytes()


def test_ca_page_without_a_ca_says_how_to_make_one(tmp_path):
    resp = make_app(tmp_path).test_client().get("/ca")
    assert resp.status_code == 404
    assert "gridvisit tls init" in resp.get_data(as_text=True)
