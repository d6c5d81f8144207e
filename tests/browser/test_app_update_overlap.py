"""A tablet on the previous app version keeps syncing with a newer server
(issue 18): it cached version A in its service worker, the server restarts
serving version B, the update banner appears, the worker records a visit
(offline, then online) still in A and it reaches the server; accepting the
update reloads into B with everything still on the tablet.

The server serves the app from a copy of ``fieldapp/`` (FIELDAPP_DIR) so
the test can change a file the way a deployment does.
"""

import shutil
import time

import pytest

from server import fieldapp
from tests.browser.conftest import Tablet, start_server
from tests.browser.tablet_support import record_visit
from tests.peers import gridvisit_cli
from tests.tls_support import serve_https

HOUSEHOLD = "household:g1:1-1-101"
CACHES = "caches.keys().then(k => k.filter(n => n.startsWith('gridvisit-app-')).sort())"
BUILD = "document.querySelector('meta[name=gridvisit-build]')?.content ?? null"


@pytest.fixture
def app_copy(tmp_path):
    """A copy of the field app the server serves (FIELDAPP_DIR)."""
    folder = tmp_path / "fieldapp"
    shutil.copytree(fieldapp.APP_DIR, folder)
    return folder


@pytest.fixture
def deployment(tmp_path, app_copy, lan_tls):
    """A demo-seeded server serving ``app_copy``; restart() brings it back on its port."""
    data_dir = tmp_path / "server"
    gridvisit_cli(data_dir, "seed-demo")
    env = {"GRIDVISIT_FIELDAPP_DIR": str(app_copy)}
    server = start_server(data_dir, lan_tls, env)
    running = {"peer": server.peer}

    def restart():
        """Stop the server and start it again on the same ports (the same origin)."""
        running["peer"].stop()
        running["peer"] = serve_https(data_dir, server.extra["port"], server.extra["http_port"],
                                      "root", "root-secret", env)
    yield server, restart
    running["peer"].stop()
    assert "Traceback" not in (data_dir / "server.log").read_text()


def _wait_on_server(server, doc_id, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc = server.docs([doc_id])[doc_id]
        if doc is not None:
            return doc
        time.sleep(0.5)
    raise AssertionError(f"{doc_id} never reached the server")


def _visit_with(tablet, notes):
    return next(i for i in tablet.local_ids() if i.startswith("visit:g1:")
                and (tablet.local_doc(i) or {}).get("notes") == notes)


def test_tablet_on_the_previous_version_keeps_syncing_then_updates(browser, deployment,
                                                                   app_copy):
    server, restart = deployment
    version_a = fieldapp.version(app_copy)
    tablet = Tablet(browser, server)
    try:
        tablet.login("wangfang")                 # waits for the service worker to control
        assert tablet.page.evaluate(CACHES) == [f"gridvisit-app-{version_a}"]
        assert tablet.page.evaluate(BUILD) is None

        # The deployment: a changed app file, the server restarted with it.
        index = app_copy / "index.html"
        index.write_text(index.read_text(encoding="utf-8").replace(
            "</head>", '<meta name="gridvisit-build" content="B">\n</head>', 1),
            encoding="utf-8")
        version_b = fieldapp.version(app_copy)
        assert version_b != version_a
        restart()

        # The app's own periodic check (every 30 minutes) finds B; it installs
        # beside A and the banner offers it, while A keeps running the page.
        tablet.page.evaluate("navigator.serviceWorker.getRegistration().then(r => r.update())")
        tablet.page.wait_for_selector("#update:not([hidden]) #update-now")
        assert "有新版本可用" in tablet.page.inner_text("#update")
        tablet.page.wait_for_function(f"{CACHES}.then(k => k.length === 2)")
        assert tablet.page.evaluate(CACHES) == sorted(
            [f"gridvisit-app-{version_a}", f"gridvisit-app-{version_b}"])
        assert tablet.page.evaluate(
            "navigator.serviceWorker.getRegistration().then(r => "
            "[r.active?.state, r.waiting?.state])") == ["activated", "installed"]
        assert tablet.page.evaluate(BUILD) is None

        # Still on A: a visit recorded offline syncs to the newer server once online.
        tablet.offline()
        record_visit(tablet, HOUSEHOLD, temperature=36.5, notes="旧版本离线走访")
        offline_id = _visit_with(tablet, "旧版本离线走访")
        tablet.offline(False)
        assert _wait_on_server(server, offline_id) == tablet.local_doc(offline_id)
        # And one recorded online.
        record_visit(tablet, HOUSEHOLD, outcome="not_home", notes="旧版本在线走访")
        online_id = _visit_with(tablet, "旧版本在线走访")
        assert _wait_on_server(server, online_id) == tablet.local_doc(online_id)
        assert tablet.page.evaluate(BUILD) is None
        tablet.shot("update-banner-old-version")

        # Accepting the update reloads into B; the visits are still on the tablet.
        with tablet.page.expect_navigation():
            tablet.page.click("#update-now")
        tablet.wait_open()
        assert tablet.page.evaluate(BUILD) == "B"
        tablet.page.wait_for_function(f"{CACHES}.then(k => k.length === 1)")
        assert tablet.page.evaluate(CACHES) == [f"gridvisit-app-{version_b}"]
        assert tablet.page.is_hidden("#update")
        for doc_id in (offline_id, online_id):
            assert tablet.local_doc(doc_id) == server.docs([doc_id])[doc_id]
        tablet.page.wait_for_selector(f"[data-household='{HOUSEHOLD}']")   # where it was
        tablet.go("/")
        tablet.page.wait_for_selector(".grid-card[data-grid=g1]")
        tablet.wait_synced()
        assert tablet.errors == []
    finally:
        tablet.close()
