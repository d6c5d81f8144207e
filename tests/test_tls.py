"""`gridvisit tls init` and `gridvisit serve` over HTTPS: the community CA, the
server certificate for LAN names and addresses, the plain-HTTP listener."""

import http.client
import json
import ssl
import stat
import urllib.error
import urllib.request

import pytest

from server import tls
from tests.peers import gridvisit_cli
from tests.tls_support import ca_context, start_https


def test_tls_init_makes_a_ca_and_a_server_certificate_with_private_keys(tmp_path):
    done = gridvisit_cli(tmp_path, "tls", "init", "--name", "shijia.lan",
                         "--ip", "192.168.1.10", "--community", "石家社区")
    folder = tmp_path / "tls"
    assert "DNS:shijia.lan, IP Address:192.168.1.10" in done.stdout
    for key in ("ca.key", "server.key"):
        assert stat.S_IMODE((folder / key).stat().st_mode) == 0o600
    # The CA verifies the server certificate (a chain a tablet would accept).
    context = ssl.create_default_context(cafile=str(folder / "ca.crt"))
    assert context.get_ca_certs()[0]["subject"][1][0][1] == "石家社区 gridvisit CA"
    assert not tls.expires_within(folder / "server.crt", 800 * 86400)
    assert tls.expires_within(folder / "server.crt", 830 * 86400)


def test_tls_init_again_keeps_the_ca_tablets_installed(tmp_path):
    gridvisit_cli(tmp_path, "tls", "init", "--name", "shijia.lan")
    first = tls.fingerprint(tmp_path / "tls" / "ca.crt")
    gridvisit_cli(tmp_path, "tls", "init", "--name", "shijia.lan", "--ip", "192.168.1.11")
    assert tls.fingerprint(tmp_path / "tls" / "ca.crt") == first
    assert "192.168.1.11" in tls.describe(tmp_path / "tls" / "server.crt")
    gridvisit_cli(tmp_path, "tls", "init", "--name", "shijia.lan", "--new-ca")
    assert tls.fingerprint(tmp_path / "tls" / "ca.crt") != first


@pytest.mark.parametrize("args, words", [
    (["--ip", "192.168.1.300"], "--ip 不是 IP 地址 / --ip is not an address"),
    ([], "至少给出一个 --name 或 --ip / give at least one --name or --ip"),
    (["--name", "a b"], "名称无效 / not a host name"),
])
def test_tls_init_refuses_bad_names_in_chinese_and_english(tmp_path, args, words):
    done = gridvisit_cli(tmp_path, "tls", "init", *args, check=False)
    assert done.returncode == 1 and words in done.stderr
    assert not (tmp_path / "tls" / "ca.key").exists()


def test_half_a_certificate_setting_is_refused(tmp_path):
    with pytest.raises(tls.TlsError, match="TLS_CERT"):
        tls.cert_paths({"DATA_DIR": str(tmp_path), "TLS_CERT": "x.crt", "TLS_KEY": ""})


def test_serve_terminates_tls_and_redirects_plain_http(tmp_path):
    peer = start_https(tmp_path / "server")
    try:
        port, http_port = peer.extra["port"], peer.extra["http_port"]
        context = ca_context(peer.extra["data_dir"])
        # HTTPS by the address in the certificate, keep-alive across requests.
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
        conn.request("GET", "/couch/")
        first = conn.getresponse()
        assert json.loads(first.read())["couchdb"] == "Welcome"
        assert first.headers["Strict-Transport-Security"] == "max-age=15552000"
        conn.request("POST", "/couch/_session", body=json.dumps(
            {"name": "admin", "password": "admin-secret"}),
            headers={"Content-Type": "application/json"})
        login = conn.getresponse()
        login.read()
        assert login.status == 200 and "; Secure" in login.headers["Set-Cookie"]
        conn.close()
        # Plain HTTP: a redirect to the same path over HTTPS, the CA page as it is.
        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        plain.request("GET", "/couch/field?x=1", headers={"Host": f"shijia.test:{http_port}"})
        moved = plain.getresponse()
        moved.read()
        assert moved.status == 308
        assert moved.headers["Location"] == f"https://shijia.test:{port}/couch/field?x=1"
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/ca/gridvisit-ca.crt") as r:
            assert r.read() == (peer.extra["data_dir"] / "tls" / "ca.crt").read_bytes()
        # A client that does not trust the community CA is refused.
        with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
            urllib.request.urlopen(f"https://127.0.0.1:{port}/couch/",
                                   context=ssl.create_default_context(), timeout=10)
    finally:
        peer.stop()
    assert "Traceback" not in peer.log.read_text()
