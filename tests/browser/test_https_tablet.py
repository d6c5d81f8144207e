"""The field app the way a tablet on the LAN sees it (issue 18): by a name,
not 127.0.0.1. Over HTTPS with the community CA trusted it installs its
service worker, opens offline and records a visit; over plain HTTP it
explains why HTTPS is needed instead of breaking silently.

Every browser test reaches its server this way (tests/browser/conftest.py
says how the name and the certificate are given to Chromium); this one
checks the parts only a tablet meeting the server for the first time sees:
the CA page on the plain-HTTP listener, and a server without a certificate.
"""

import time

import pytest

from tests.browser.conftest import Tablet
from tests.browser.tablet_support import record_visit
from tests.peers import gridvisit_cli, start_gridvisit
from tests.tls_support import NAME

HOUSEHOLD = "household:g1:1-1-101"


@pytest.fixture
def plain_app(tmp_path):
    """The app of a demo-seeded server without a certificate (plain HTTP only), by NAME."""
    data_dir = tmp_path / "server"
    gridvisit_cli(data_dir, "seed-demo")
    peer = start_gridvisit(data_dir, username="root", password="root-secret")
    yield f"http://{NAME}:{peer.extra['port']}/app/"
    peer.stop()


def test_tablet_over_https_by_name_works_offline(server, tablets):
    tablet = tablets()
    # First the CA page over plain HTTP, as a tablet meets it before trusting the CA.
    tablet.page.goto(server.plain + "/ca")
    tablet.page.wait_for_selector("svg.qr")
    assert "安装社区证书" in tablet.page.title()
    tablet.shot("ca-install-page", full_page=True)
    tablet.login("wangfang")                 # waits for the service worker to control
    assert tablet.page.evaluate("[window.isSecureContext, location.protocol, location.hostname]") \
        == [True, "https:", NAME]
    tablet.offline()
    tablet.reload()                     # from the service worker's cache
    tablet.page.wait_for_selector(".grid-card[data-grid=g1]")
    tablet.page.wait_for_selector("#status [data-online=false]")
    record_visit(tablet, HOUSEHOLD, temperature=36.6, notes="离线走访 over HTTPS")
    visit_id = next(i for i in tablet.local_ids() if i.startswith("visit:g1:")
                    and (tablet.local_doc(i) or {}).get("notes") == "离线走访 over HTTPS")
    assert server.docs([visit_id])[visit_id] is None      # still only on the tablet
    tablet.offline(False)
    deadline = time.monotonic() + 30
    while server.docs([visit_id])[visit_id] is None and time.monotonic() < deadline:
        time.sleep(0.5)
    assert server.docs([visit_id])[visit_id] == tablet.local_doc(visit_id)


def test_tablet_over_plain_http_by_name_is_told_why_https(browser, plain_app):
    # Plain HTTP on purpose: what a tablet sees of a server that has no certificate.
    tablet = Tablet(browser, server=None)
    try:
        tablet.page.goto(plain_app)
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
