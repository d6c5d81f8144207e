"""The field app the way a tablet on the LAN sees it (issue 18): by a name,
not 127.0.0.1. Over HTTPS with the community CA trusted it installs its
service worker, opens offline and records a visit; over plain HTTP it
explains why HTTPS is needed instead of breaking silently.

The name is mapped to loopback with ``--host-resolver-rules``; the
certificate is trusted with ``--ignore-certificate-errors-spki-list`` (the
SHA-256 of the server certificate's public key) in a browser launched for
this test alone. The SPKI list makes the certificate verifier accept the
chain, so the page is a secure context and service workers register (with
``--ignore-certificate-errors`` they do not); an NSS database would need
``certutil`` (libnss3-tools) and would change ``~/.pki/nssdb`` for every
browser of the user, where the flag touches only this launch.
"""

import base64
import json
import time
import urllib.error
import urllib.request

import pytest

from server.ops import tls
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, Tablet
from tests.browser.tablet_support import record_visit
from tests.peers import gridvisit_cli
from tests.tls_support import NAME, ca_context, start_https

HOUSEHOLD = "household:g1:1-1-101"


class LanServer:
    """A seeded server reached as a tablet on the LAN reaches it: by NAME."""

    def __init__(self, peer, scheme, port):
        self.peer = peer
        self.app = f"{scheme}://{NAME}:{port}/app/"
        self.base = peer.base.rsplit("/couch", 1)[0]
        self.context = ca_context(peer.extra["data_dir"]) if scheme == "https" else None

    def doc(self, doc_id):
        """The server's copy of ``doc_id`` (None if it has none), asked as root."""
        req = urllib.request.Request(f"{self.base}/couch/field/{urllib.request.quote(doc_id)}")
        req.add_header("Authorization", "Basic " + base64.b64encode(b"root:root-secret").decode())
        try:
            with urllib.request.urlopen(req, timeout=30, context=self.context) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as err:
            if err.code == 404:
                return None
            raise


def _launch(browser, extra):
    return browser.browser_type.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
        f"--host-resolver-rules=MAP {NAME} 127.0.0.1", *extra])


@pytest.fixture
def https_server(tmp_path):
    """A demo-seeded server serving HTTPS with its own community CA."""
    data_dir = tmp_path / "server"
    gridvisit_cli(data_dir, "seed-demo")
    peer = start_https(data_dir, username="root", password="root-secret")
    yield peer
    peer.stop()


@pytest.fixture
def plain_server(tmp_path):
    """A demo-seeded server without a certificate (plain HTTP only)."""
    from tests.peers import start_gridvisit
    data_dir = tmp_path / "server"
    gridvisit_cli(data_dir, "seed-demo")
    peer = start_gridvisit(data_dir, username="root", password="root-secret")
    yield peer
    peer.stop()


def test_tablet_over_https_by_name_works_offline(browser, https_server):
    server = LanServer(https_server, "https", https_server.extra["port"])
    spki = tls.spki_sha256(https_server.extra["data_dir"] / "tls" / "server.crt")
    lan_browser = _launch(browser, [f"--ignore-certificate-errors-spki-list={spki}"])
    tablet = Tablet(lan_browser, server)
    try:
        # First the CA page over plain HTTP, as a tablet meets it before trusting the CA.
        tablet.page.goto(f"http://{NAME}:{https_server.extra['http_port']}/ca")
        tablet.page.wait_for_selector("svg.qr")
        assert "安装社区证书" in tablet.page.title()
        tablet.shot("ca-install-page", full_page=True)
        tablet.login("wangfang")                 # waits for the service worker to control
        assert tablet.page.evaluate("[window.isSecureContext, location.hostname]") == \
            [True, NAME]
        tablet.offline()
        tablet.reload()                     # from the service worker's cache
        tablet.page.wait_for_selector(".grid-card[data-grid=g1]")
        tablet.page.wait_for_selector("#status [data-online=false]")
        record_visit(tablet, HOUSEHOLD, temperature=36.6, notes="离线走访 over HTTPS")
        visit_id = next(i for i in tablet.local_ids() if i.startswith("visit:g1:")
                        and (tablet.local_doc(i) or {}).get("notes") == "离线走访 over HTTPS")
        assert server.doc(visit_id) is None      # still only on the tablet
        tablet.offline(False)
        deadline = time.monotonic() + 30
        while server.doc(visit_id) is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert server.doc(visit_id) == tablet.local_doc(visit_id)
        assert tablet.errors == []
    finally:
        tablet.close()
        lan_browser.close()


def test_tablet_over_plain_http_by_name_is_told_why_https(browser, plain_server):
    server = LanServer(plain_server, "http", plain_server.extra["port"])
    lan_browser = _launch(browser, [])
    tablet = Tablet(lan_browser, server)
    try:
        tablet.page.goto(server.app)
        notice = tablet.page.wait_for_selector("#insecure")
        text = notice.inner_text()
        assert text.index("请通过 HTTPS 打开走访应用") < text.index("Open the visit app over HTTPS")
        assert tablet.page.evaluate("[window.isSecureContext, 'serviceWorker' in navigator]") \
            == [False, False]
        assert tablet.page.get_attribute("#insecure a[href='/ca']", "href") == "/ca"
        tablet.shot("https-needed")
        assert tablet.errors == []
    finally:
        tablet.close()
        lan_browser.close()
