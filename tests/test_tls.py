"""`gridvisit tls init` and `gridvisit serve` over HTTPS: the community CA, the
server certificate for LAN names and addresses, the plain-HTTP listener."""

import datetime
import http.client
import ipaddress
import json
import os
import ssl
import stat
import urllib.error
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from server.ops import tls
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


def test_certificates_have_the_structure_tablets_require(tmp_path):
    folder = tls.init(tmp_path, ["shijia.lan", "网格.lan"], ["192.168.1.10", "fd00::10"],
                      community="石家社区")
    ca = x509.load_pem_x509_certificate((folder / "ca.crt").read_bytes())
    server = x509.load_pem_x509_certificate((folder / "server.crt").read_bytes())
    # The CA: may sign servers only (pathlen 0), ten years, P-256.
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    assert ca.not_valid_after_utc - ca.not_valid_before_utc == datetime.timedelta(days=3650)
    assert ca.public_key().curve.name == "secp256r1"
    # The server: the names and addresses given, serverAuth, not a CA, 825 days.
    alt = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert alt.get_values_for_type(x509.DNSName) == ["shijia.lan", "xn--0xvs72c.lan"]
    assert alt.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("192.168.1.10"), ipaddress.ip_address("fd00::10")]
    eku = server.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not server.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = server.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    assert server.not_valid_after_utc - server.not_valid_before_utc == datetime.timedelta(
        days=825)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert server.not_valid_before_utc < now < server.not_valid_after_utc
    assert server.issuer == ca.subject
    server.verify_directly_issued_by(ca)
    assert server.public_key().curve.name == "secp256r1"
    aki = server.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    # Keys: PEM the server loads, readable by the owner only.
    for name in ("ca.key", "server.key"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600
        serialization.load_pem_private_key((folder / name).read_bytes(), None)
    assert not list(folder.glob(".*.tmp"))


def test_a_key_is_private_even_under_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        folder = tls.init(tmp_path, ["shijia.lan"], [])
    finally:
        os.umask(old)
    assert stat.S_IMODE((folder / "server.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((folder / "ca.key").stat().st_mode) == 0o600


def test_a_community_name_too_long_for_a_certificate_is_refused(tmp_path):
    with pytest.raises(tls.TlsError, match="--community 过长"):
        tls.init(tmp_path, ["shijia.lan"], [], community="社" * 60)
    assert not (tmp_path / "tls" / "ca.key").exists()
