"""The field app in a real browser: Debian's Chromium driven by Playwright.

Each test gets its own gridvisit server (``gridvisit serve`` in a subprocess,
seeded with the demo community) and fresh browser contexts, one per tablet.
No browser is downloaded: Playwright drives ``/usr/bin/chromium``, which
``make test`` installs from Debian (``APT_PACKAGES`` in the Makefile).

Tablets and console pages reach the server the way a tablet on the LAN does:
by its name (``tls_support.NAME``) over HTTPS with the community CA. The
certificate is made once per session and copied into every server's data
folder, so each server presents the same key; the one browser of the session
maps the name to loopback (``--host-resolver-rules``) and trusts that key
(``--ignore-certificate-errors-spki-list``: the certificate verifier accepts
the chain, so pages are secure contexts and service workers register, which
``--ignore-certificate-errors`` would not give; an NSS database would need
``certutil`` and change ``~/.pki/nssdb`` for every browser of the user).
"""

import base64
import json
import os
import urllib.request
from pathlib import Path

import pytest

from server.ops import tls
from tests.peers import gridvisit_cli
from tests.tls_support import LOOPBACK, NAME, lan_opener, start_https, tls_init

CHROMIUM = os.environ.get("GRIDVISIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LANDSCAPE = {"width": 1280, "height": 800}
PORTRAIT = {"width": 800, "height": 1280}
# Every run writes its screenshots to an ignored folder; `make screenshots`
# points GRIDVISIT_SCREENSHOTS at docs/screenshots/ to refresh the tracked ones
# on purpose (look at them before committing).
SCREENSHOTS = Path(os.environ.get("GRIDVISIT_SCREENSHOTS")
                   or Path(__file__).resolve().parents[2] / "build" / "screenshots")


class Server:
    """A running, demo-seeded gridvisit server reached by NAME over HTTPS, and
    helpers to ask it things."""

    def __init__(self, peer):
        self.peer = peer
        self.extra = peer.extra        # data_dir, port, http_port and what a fixture adds
        self.data_dir = peer.extra["data_dir"]
        self.base = f"https://{NAME}:{peer.extra['port']}"       # what the browser opens
        self.app = self.base + "/app/"
        self.plain = f"http://{NAME}:{peer.extra['http_port']}"  # redirects, and the CA page
        # For clients that cannot map NAME (node): the address the certificate also names.
        self.loopback = f"https://{LOOPBACK}:{peer.extra['port']}"
        self.ca_file = self.data_dir / "tls" / "ca.crt"
        self.opener = lan_opener(self.data_dir)

    def open(self, req, timeout=30):
        """urlopen ``req`` (a URL under ``base`` or a Request) by NAME, trusting the CA."""
        return self.opener.open(req, timeout=timeout)

    def get(self, path, user="root", password="root-secret"):
        """GET ``path`` (JSON) as ``user`` with HTTP Basic."""
        req = urllib.request.Request(self.base + path)
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
        with self.open(req) as resp:
            return json.loads(resp.read())

    def docs(self, ids):
        """The server's current documents ``ids`` (None where missing)."""
        rows = self.get("/couch/field/_all_docs?include_docs=true&keys="
                        + urllib.request.quote(json.dumps(ids)))["rows"]
        return {row["key"]: row.get("doc") for row in rows}

    def cli(self, *args, stdin=None):
        """Run a ``gridvisit`` command on the server's data directory."""
        return gridvisit_cli(self.data_dir, *args, stdin=stdin)


def start_server(data_dir, lan_tls, env=None):
    """Serve ``data_dir`` over HTTPS with the session's certificate (``lan_tls``)."""
    return Server(start_https(data_dir, username="root", password="root-secret", tls=lan_tls,
                              env=env))


@pytest.fixture(scope="session")
def lan_tls(tmp_path_factory):
    """The ``tls`` folder `gridvisit tls init` made once for the session (NAME and
    127.0.0.1): every test server gets a copy of it."""
    return tls_init(tmp_path_factory.mktemp("lan"))


@pytest.fixture
def server(tmp_path, lan_tls):
    """A fresh server with the demo community (wangfang: g1, g2; liqiang: g3)."""
    data_dir = tmp_path / "server"
    gridvisit_cli(data_dir, "seed-demo")
    served = start_server(data_dir, lan_tls)
    yield served
    served.peer.stop()


@pytest.fixture(scope="session")
def browser(lan_tls):
    """Debian's Chromium, headless, launched once per test session; it finds NAME
    on loopback and trusts the session's server key."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium "
                    "(APT_PACKAGES in the Makefile)")
    from playwright.sync_api import sync_playwright
    spki = tls.spki_sha256(lan_tls / tls.SERVER_CERT)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS + [
            f"--host-resolver-rules=MAP {NAME} {LOOPBACK}",
            f"--ignore-certificate-errors-spki-list={spki}"])
        yield chromium
        chromium.close()


PIN = "135790"      # the PIN every test worker sets at first sign-in


class Tablet:
    """One tablet: a browser context (its own IndexedDB, cache, service worker)."""

    def __init__(self, browser, server, viewport=LANDSCAPE):
        self.server = server
        self.pin = PIN
        self.context = browser.new_context(viewport=viewport, locale="zh-CN",
                                           timezone_id="Asia/Shanghai")
        self.page = self.context.new_page()
        self.errors = []
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))
        self.page.set_default_timeout(45000)   # generous: a loaded 2-core machine is slow, a pass is not

    def open(self, route=""):
        """Start the app afresh (at ``#route``), as after a tablet restart."""
        self.page.goto("about:blank")
        self.page.goto(self.server.app + (f"#{route}" if route else ""))
        self.wait_open()

    def reload(self):
        """Reload the app (a killed app opened again): the lock asks the PIN first."""
        self.page.reload()
        self.wait_open()

    def wait_open(self):
        """Wait until the app is ready, unlocking it with the PIN when it starts locked."""
        self.page.wait_for_function(
            "(window.gridvisit && window.gridvisit.ready) || document.querySelector('#lock-form')")
        if self.page.evaluate("!(window.gridvisit && window.gridvisit.ready)"):
            self.unlock()
            self.page.wait_for_function("window.gridvisit && window.gridvisit.ready")

    def unlock(self, pin=None):
        """Type the PIN into the lock screen and wait until it is gone."""
        self.page.fill("#lock-form input[name=pin]", pin or self.pin)
        self.page.click("#lock-form button[type=submit]")
        self.page.wait_for_selector("#lock", state="detached")

    def set_pin(self, pin=None):
        """The first sign-in's step: set the PIN (twice)."""
        self.page.wait_for_selector("#pin-form")
        self.page.fill("#pin-form input[name=pin]", pin or self.pin)
        self.page.fill("#pin-form input[name=again]", pin or self.pin)
        self.page.click("#pin-form button[type=submit]")

    def login(self, name, password=None):
        """Sign in online and wait until the first sync has brought the grids."""
        self.open("/login")
        self.page.fill("input[name=name]", name)
        self.page.fill("input[name=password]", password or f"demo-{name}")
        self.page.click("#login-form button[type=submit]")
        self.set_pin()
        self.page.wait_for_selector(".grid-card", timeout=60000)   # a loaded machine is slow
        self.wait_synced()
        self.page.wait_for_function("navigator.serviceWorker.controller !== null")

    def wait_synced(self, timeout=60000):
        """Wait until the status bar says everything is on the server (a loaded CI
        machine can stretch the app's retry back-off, hence a minute)."""
        self.page.wait_for_selector("#status .pill-ok[data-pending='0']", timeout=timeout)

    def go(self, route):
        """Follow a hash route inside the running app."""
        self.page.evaluate("route => { location.hash = route; }", route)
        self.page.wait_for_function("r => decodeURIComponent(location.hash) === '#' + r", arg=route)

    def local_doc(self, doc_id):
        """The tablet's own copy of ``doc_id`` (None if it has none)."""
        return self.page.evaluate(
            "id => window.gridvisit.db().get(id).catch(() => null)", doc_id)

    def local_ids(self):
        """Every document id in the tablet's database."""
        return self.page.evaluate(
            "() => window.gridvisit.db().allDocs().then(r => r.rows.map(x => x.id))")

    def offline(self, flag=True):
        """Airplane mode on (or off)."""
        self.context.set_offline(flag)

    def shot(self, name, full_page=False, upright=True):
        """Save a screenshot as {name}.png in SCREENSHOTS; a landscape tablet
        also saves the same screen held upright as {name}-portrait.png
        (``upright=False``: not that one)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.evaluate("document.querySelectorAll('.toast').forEach(t => t.remove())")
        self.page.screenshot(path=str(path), full_page=full_page)
        size = self.page.viewport_size
        if upright and size and size["width"] > size["height"] and not name.endswith("portrait"):
            self.page.set_viewport_size(PORTRAIT)
            self.page.evaluate("new Promise(r => requestAnimationFrame(() => r()))")
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}-portrait.png"),
                                 full_page=full_page)
            self.page.set_viewport_size(size)
        return path

    def close(self):
        """Close the context."""
        self.context.close()


@pytest.fixture
def tablets(browser, server):
    """Make tablets: ``tablets()``; all closed after the test, page errors fail it."""
    made = []

    def make(viewport=LANDSCAPE):
        """A new tablet (browser context) of this test."""
        tablet = Tablet(browser, server, viewport)
        made.append(tablet)
        return tablet
    yield make
    errors = [err for tablet in made for err in tablet.errors]
    for tablet in made:
        tablet.close()
    assert errors == [], errors
