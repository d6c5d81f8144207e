"""The community's certificates: a CA that tablets install once, and the server
certificate it signs for the LAN names and addresses, kept in ``DATA_DIR/tls``.

Made with the ``cryptography`` package, so an install needs no ``openssl`` command.
"""

import base64
import datetime
import hashlib
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sync.errors import BadRequest

CA_DAYS = 3650               # tablets install the CA once; ten years
SERVER_DAYS = 825            # the longest iPadOS and Android accept for a server certificate
BACKDATE = datetime.timedelta(hours=1)   # a tablet whose clock runs a little slow still accepts
CA_CERT, CA_KEY = "ca.crt", "ca.key"
SERVER_CERT, SERVER_KEY = "server.crt", "server.key"
CN_MAX = 64                  # X.520 upper bound of a common name


class TlsError(BadRequest):
    """A certificate could not be made or read."""

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


def _write_private(path, data):
    # Born 0600 under a temporary name, then renamed: no moment where another
    # user could read the key, and never half a key under the real name.
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.unlink(missing_ok=True)
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return scratch


def _write_public(path, data):
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_bytes(data)
    return scratch


def _key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _alt_names(names, ips):
    entries = []
    for name in names:
        if not name or any(c in name for c in ",/ ="):
            raise TlsError(f"名称无效 / not a host name: {name!r}")
        try:
            # A Chinese LAN name goes into the certificate as its punycode A-label.
            entries.append(x509.DNSName(name.encode("idna").decode("ascii")))
        except (UnicodeError, ValueError):
            raise TlsError(f"名称无效 / not a host name: {name!r}") from None
    for ip in ips:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(ip)))
        except ValueError:
            raise TlsError(f"--ip 不是 IP 地址 / --ip is not an address: {ip!r}") from None
    if not entries:
        raise TlsError("至少给出一个 --name 或 --ip / give at least one --name or --ip")
    return entries


def _ca_name(community):
    common = f"{community} gridvisit CA"
    if len(common) > CN_MAX:
        raise TlsError(f"--community 过长（最多 {CN_MAX - len(' gridvisit CA')} 字）/ "
                       f"--community is too long: {community!r}")
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "gridvisit"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_ca(folder, community):
    """Make the community CA (certificate and 0600 key) in ``folder``.

    :raises TlsError: when the community name does not fit a certificate.
    """
    name = _ca_name(community)
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    start = datetime.datetime.now(datetime.timezone.utc) - BACKDATE
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    key_tmp = _write_private(folder / CA_KEY, _key_pem(key))
    cert_tmp = _write_public(folder / CA_CERT, cert.public_bytes(serialization.Encoding.PEM))
    os.replace(key_tmp, folder / CA_KEY)
    os.replace(cert_tmp, folder / CA_CERT)


def _load_ca(folder):
    try:
        ca_key = serialization.load_pem_private_key((folder / CA_KEY).read_bytes(), None)
        ca_cert = x509.load_pem_x509_certificate((folder / CA_CERT).read_bytes())
    except FileNotFoundError:
        raise TlsError("没有社区 CA / no community CA in " + str(folder)) from None
    except ValueError as err:
        raise TlsError(f"社区 CA 无法读取，可用 --new-ca 重建 / the community CA cannot be read "
                       f"(remake it with --new-ca): {err}") from None
    return ca_key, ca_cert


def make_server_cert(folder, names, ips):
    """Sign a server certificate for ``names`` and ``ips`` with the CA in ``folder``.

    :raises TlsError: on a bad name or address, or when the CA is missing or unreadable.
    """
    alt = _alt_names(names, ips)
    ca_key, ca_cert = _load_ca(folder)
    key = ec.generate_private_key(ec.SECP256R1())
    common = next((n for n in [*names, *ips] if len(n) <= CN_MAX), "gridvisit")
    start = datetime.datetime.now(datetime.timezone.utc) - BACKDATE
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=SERVER_DAYS))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ca_ski), critical=False)
            .sign(ca_key, hashes.SHA256()))
    # Certificate and key land together, each by an atomic rename.
    key_tmp = _write_private(folder / SERVER_KEY, _key_pem(key))
    cert_tmp = _write_public(folder / SERVER_CERT, cert.public_bytes(serialization.Encoding.PEM))
    os.replace(key_tmp, folder / SERVER_KEY)
    os.replace(cert_tmp, folder / SERVER_CERT)


def init(data_dir, names, ips, community="community", new_ca=False):
    """Make (or keep) the CA and issue a server certificate; the folder used.

    An existing CA is kept so tablets that installed it need do nothing.
    :raises TlsError: on a bad name, address or community, or an unreadable CA.
    """
    folder = tls_dir(data_dir)
    _alt_names(names, ips)
    if new_ca or not ((folder / CA_KEY).exists() and (folder / CA_CERT).exists()):
        make_ca(folder, community)
    make_server_cert(folder, names, ips)
    return folder


def load(pem_path):
    """The first certificate in a PEM file.

    :raises TlsError: when the file is missing or holds no certificate.
    """
    try:
        return x509.load_pem_x509_certificate(Path(pem_path).read_bytes())
    except (OSError, ValueError) as err:
        raise TlsError(f"无法读取证书 / cannot read the certificate {pem_path}: {err}") from None


def der_of(pem_path):
    """The DER bytes of the first certificate in a PEM file."""
    return load(pem_path).public_bytes(serialization.Encoding.DER)


def fingerprint(pem_path):
    """SHA-256 fingerprint of a certificate, as colon-separated hex."""
    digest = hashlib.sha256(der_of(pem_path)).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def spki_sha256(pem_path):
    """Base64 SHA-256 of a certificate's public key (what Chromium's SPKI lists take)."""
    der = load(pem_path).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def _alt_text(entry):
    if isinstance(entry, x509.IPAddress):
        return f"IP Address:{entry.value}"
    return f"DNS:{entry.value}"


def describe(pem_path):
    """Subject alternative names and expiry of a certificate, in openssl's words."""
    cert = load(pem_path)
    end = cert.not_valid_after_utc.strftime("%b %d %H:%M:%S %Y GMT")
    try:
        alt = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = ", ".join(_alt_text(entry) for entry in alt)
    except x509.ExtensionNotFound:
        names = "(none)"
    return f"notAfter={end}\nX509v3 Subject Alternative Name:\n    {names}"


def expires_within(pem_path, seconds):
    """Whether the certificate expires within ``seconds`` from now."""
    left = load(pem_path).not_valid_after_utc - datetime.datetime.now(datetime.timezone.utc)
    return left.total_seconds() < seconds
