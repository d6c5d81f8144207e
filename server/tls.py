"""The community's certificates: a CA that tablets install once, and the server
certificate it signs for the LAN names and addresses, kept in ``DATA_DIR/tls``.

Made with the ``openssl`` command (OpenSSL 3, in every Linux the server runs
on) rather than a Python package, so a fresh install needs nothing more.
"""

import base64
import hashlib
import ipaddress
import os
import shutil
import ssl
import subprocess
import tempfile
from pathlib import Path

from sync.errors import GridvisitError

CA_DAYS = 3650               # tablets install the CA once; ten years
SERVER_DAYS = 825            # the longest iPadOS and Android accept for a server certificate
CA_CERT, CA_KEY = "ca.crt", "ca.key"
SERVER_CERT, SERVER_KEY = "server.crt", "server.key"


class TlsError(GridvisitError):
    """A certificate could not be made or read."""

    status = 500
    error = "tls_error"


def tls_dir(data_dir):
    """The folder of the community's certificates in ``data_dir``."""
    return Path(data_dir) / "tls"


def cert_paths(config):
    """(certificate, key) to serve HTTPS with, or None when there is none.

    The TLS_CERT and TLS_KEY settings win; else the pair `gridvisit tls init` made.
    :raises TlsError: when one of the two settings is given without the other.
    """
    cert, key = config.get("TLS_CERT") or "", config.get("TLS_KEY") or ""
    if bool(cert) != bool(key):
        raise TlsError("TLS_CERT 与 TLS_KEY 须同时设置 / TLS_CERT and TLS_KEY go together")
    if cert:
        base = Path(config["DATA_DIR"])
        return base / cert, base / key       # absolute paths stay absolute
    made = tls_dir(config["DATA_DIR"])
    if (made / SERVER_CERT).exists() and (made / SERVER_KEY).exists():
        return made / SERVER_CERT, made / SERVER_KEY
    return None


def _openssl(*args, cwd=None):
    if not shutil.which("openssl"):
        raise TlsError("找不到 openssl 命令，请安装 openssl / the openssl command is missing: "
                       "install the openssl package")
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise TlsError(f"openssl {args[0]} 失败 / failed: {done.stderr.strip()[-400:]}")
    return done.stdout


def _new_key(path):
    # The key is born 0600: no moment where another user could read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    _openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", str(path))
    os.chmod(path, 0o600)


def _alt_names(names, ips):
    entries = []
    for name in names:
        if not name or any(c in name for c in ",/ ="):
            raise TlsError(f"名称无效 / not a host name: {name!r}")
        entries.append(f"DNS:{name}")
    for ip in ips:
        try:
            entries.append(f"IP:{ipaddress.ip_address(ip)}")
        except ValueError:
            raise TlsError(f"--ip 不是 IP 地址 / --ip is not an address: {ip!r}") from None
    if not entries:
        raise TlsError("至少给出一个 --name 或 --ip / give at least one --name or --ip")
    return ",".join(entries)


def make_ca(folder, community):
    """Make the community CA (certificate and 0600 key) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    _new_key(folder / CA_KEY)
    _openssl("req", "-x509", "-new", "-utf8", "-key", CA_KEY, "-out", CA_CERT,
             "-days", str(CA_DAYS), "-subj", f"/O=gridvisit/CN={community} gridvisit CA",
             "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             "-addext", "subjectKeyIdentifier=hash", cwd=folder)


def make_server_cert(folder, names, ips):
    """Sign a server certificate for ``names`` and ``ips`` with the CA in ``folder``.

    :raises TlsError: on a bad name or address, or when the CA is missing.
    """
    alt = _alt_names(names, ips)
    if not (folder / CA_KEY).exists():
        raise TlsError("没有社区 CA / no community CA in " + str(folder))
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        (scratch / "ext.cnf").write_text(
            f"subjectAltName={alt}\nbasicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid\n")
        key = scratch / SERVER_KEY
        _new_key(key)
        common = (names or ips)[0]
        _openssl("req", "-new", "-key", str(key), "-out", str(scratch / "server.csr"),
                 "-subj", f"/CN={common}")
        _openssl("x509", "-req", "-in", str(scratch / "server.csr"), "-CA", CA_CERT,
                 "-CAkey", CA_KEY, "-CAcreateserial", "-days", str(SERVER_DAYS),
                 "-sha256", "-extfile", str(scratch / "ext.cnf"),
                 "-out", str(scratch / SERVER_CERT), cwd=folder)
        # Certificate and key land together, each by an atomic rename.
        os.replace(key, folder / SERVER_KEY)
        os.replace(scratch / SERVER_CERT, folder / SERVER_CERT)
    (folder / "ca.srl").unlink(missing_ok=True)


def init(data_dir, names, ips, community="community", new_ca=False):
    """Make (or keep) the CA and issue a server certificate; the folder used.

    An existing CA is kept so tablets that installed it need do nothing.
    :raises TlsError: on a bad name or address or when openssl fails.
    """
    folder = tls_dir(data_dir)
    _alt_names(names, ips)
    if new_ca or not (folder / CA_KEY).exists():
        make_ca(folder, community)
    make_server_cert(folder, names, ips)
    return folder


def der_of(pem_path):
    """The DER bytes of the first certificate in a PEM file."""
    return ssl.PEM_cert_to_DER_cert(Path(pem_path).read_text())


def fingerprint(pem_path):
    """SHA-256 fingerprint of a certificate, as colon-separated hex."""
    digest = hashlib.sha256(der_of(pem_path)).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def spki_sha256(pem_path):
    """Base64 SHA-256 of a certificate's public key (what Chromium's SPKI lists take)."""
    public = _openssl("x509", "-in", str(pem_path), "-noout", "-pubkey")
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=public.encode(),
                         capture_output=True, check=True).stdout
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def describe(pem_path):
    """Subject alternative names and expiry of a certificate, as openssl prints them."""
    out = _openssl("x509", "-in", str(pem_path), "-noout", "-enddate", "-ext", "subjectAltName")
    return out.strip()


def expires_within(pem_path, seconds):
    """Whether the certificate expires within ``seconds`` from now."""
    done = subprocess.run(["openssl", "x509", "-in", str(pem_path), "-noout",
                           "-checkend", str(int(seconds))], capture_output=True)
    return done.returncode != 0
