"""The community CA for tablets, over plain HTTP: a page at ``/ca`` with install
steps for Android and iPad (Chinese first, then English) and a QR code of its
own address, and the certificate itself at ``/ca/gridvisit-ca.crt``."""

import io

import segno
from flask import Blueprint, current_app, render_template, request, send_file

from server.ops import tls

bp = Blueprint("capage", __name__, url_prefix="/ca")
CERT_NAME = "gridvisit-ca.crt"


def _ca_path():
    return tls.tls_dir(current_app.config["DATA_DIR"]) / tls.CA_CERT


def qr_svg(text):
    """A QR code of ``text`` as inline SVG markup."""
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", scale=5, xmldecl=False,
                                     svgclass="qr", lineclass=None)
    return out.getvalue().decode()


def _host_name():
    host = request.host
    if host.startswith("["):
        return host[:host.index("]") + 1]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


@bp.get("", strict_slashes=False)
def page():
    """The install page: download link, QR code, steps, fingerprint."""
    ca = _ca_path()
    https_port = current_app.config.get("REDIRECT_TO_HTTPS_PORT")
    app_url = None
    if https_port:
        port = "" if https_port == 443 else f":{https_port}"
        app_url = f"https://{_host_name()}{port}/app/"
    here = request.url_root.rstrip("/") + "/ca"
    status = 200 if ca.exists() else 404
    return render_template(
        "ca.html", has_ca=ca.exists(), here=here, qr=qr_svg(here), app_url=app_url,
        cert_url=f"{here}/{CERT_NAME}",
        fingerprint=tls.fingerprint(ca) if ca.exists() else None), status


@bp.get(f"/{CERT_NAME}")
def certificate():
    """The CA certificate, as the type Android and iPadOS offer to install."""
    ca = _ca_path()
    if not ca.exists():
        return page()
    return send_file(io.BytesIO(ca.read_bytes()), mimetype="application/x-x509-ca-cert",
                     as_attachment=True, download_name=CERT_NAME, max_age=0)
