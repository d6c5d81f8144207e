"""The console in Chromium: a served console over the lived-in demo community,
a signed-in page, screenshots (fixtures and helpers shared by the console's
browser tests)."""

import pytest

from server import create_app
from server.services import services
from tests.browser.conftest import SCREENSHOTS, start_server
from tests.console_data import populate


@pytest.fixture(scope="module")
def console_server(tmp_path_factory, lan_tls):
    """``gridvisit serve`` over the demo community plus two weeks of recent work
    (a ``conftest.Server``: by NAME over HTTPS)."""
    data_dir = tmp_path_factory.mktemp("console") / "server"
    app = create_app({"DATA_DIR": str(data_dir)})
    summary = populate(app)
    services(app).store.close()
    served = start_server(data_dir, lan_tls)
    served.extra["summary"] = summary
    served.extra["base"] = served.base
    yield served
    served.peer.stop()


@pytest.fixture
def page(browser, console_server):
    """A signed-out console page in its own context; page errors fail the test."""
    context = browser.new_context(viewport={"width": 1360, "height": 860}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(45000)   # generous: a loaded 2-core machine is slow, a pass is not
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    # Anything the Content-Security-Policy blocked (an inline script, a style).
    page.on("console", lambda msg: errors.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    page.base = console_server.extra["base"]
    yield page
    context.close()
    assert errors == []


def sign_in(page, name):
    """Sign ``name`` in to the console (demo password) and wait for the dashboard."""
    page.goto(page.base + "/console/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", f"demo-{name}")
    page.click("button[type=submit]")
    page.wait_for_url("**/console/dashboard")


def shot(page, name, full_page=False):
    """Save a console screenshot as ``console-{name}.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=full_page)
