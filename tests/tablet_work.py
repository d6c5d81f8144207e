"""A worker's day on the tablet, as the issue-14 browser tests drive it: a
signed-in tablet holding the rule set, the demo households it visits, the
new-visit form and what the tablet stored. Used by tests/browser/test_*.py of
issue 14 and, through tests/browser/care_support.py, the care-loop tests."""

import base64
import uuid
import time
from datetime import datetime, timedelta, timezone

CST = timezone(timedelta(hours=8))
SUPERVISOR = ("zhangwei", "demo-zhangwei")
RULES_HERE = "() => (window.gridvisit.index.rules?.rules || []).length > 0"


def eventually(probe, timeout=60, what="condition"):
    """Poll probe() until it returns something true; :raises AssertionError: on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def basic(user):
    """The HTTP Basic Authorization header of (name, password)."""
    return "Basic " + base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()


def put_as(server, doc, user=SUPERVISOR):
    """PUT doc into the field database as user; :raises AssertionError: unless 201."""
    status, body = server.peer.request("PUT", f"field/{doc['_id']}", doc, auth=False,
                                       headers={"Authorization": basic(user)})
    assert status == 201, (doc["_id"], status, body)
    return body


def households(server, grid):
    """The demo households of grid on the server."""
    ids = [f"household:{grid}:{b}-{u}-{r}" for b in (1, 2, 3) for u in (1, 2)
           for r in (101, 102, 201, 202)]
    return [doc for doc in server.docs(ids).values() if doc]


def elder_at_home(server, grid, skip=()):
    """A green household of grid (not in skip) with a member over 65: (household, member)."""
    year = datetime.now(CST).year
    for hh in households(server, grid):
        if hh["_id"] in skip:
            continue
        for member in hh["members"]:
            if hh["colour"] == "green" and year - member.get("birth_year", year) > 65:
                return hh, member
    raise AssertionError(f"the demo has no green household with an elder in {grid}")


def ready_tablet(tablets, name, viewport=None):
    """A tablet signed in as name that holds the rule set."""
    tablet = tablets(viewport) if viewport else tablets()
    tablet.login(name)
    tablet.page.wait_for_function(RULES_HERE, timeout=60000)
    return tablet


def open_visit(tablet, hh_id):
    """The new-visit form of hh_id."""
    tablet.go(f"/hh/{hh_id}/visit")
    tablet.page.wait_for_selector("#visit-form")


def saved_docs(tablet, hh_id, prefix):
    """The tablet's documents of hh_id whose ids start with prefix."""
    return [doc for doc in (tablet.local_doc(i) for i in tablet.local_ids() if i.startswith(prefix))
            if doc.get("household") == hh_id]


def draft_kept(tablet, hh_id):
    """The tablet's draft of hh_id (None when there is none), read through the app's
    drafts module: the stored document is sealed (docs/tablet_encryption.md)."""
    return tablet.page.evaluate(
        "id => import('./js/drafts.js').then(m => m.draftOf(id))", hh_id)


def write_unchecked(tablet, doc):
    """Write doc into the tablet's database as a build whose validator lagged
    the server's would (no local check), marked pending as the app marks its
    writes; returns the stored doc. The fields every document has are filled in."""
    return tablet.page.evaluate("""async (doc) => {
      const s = window.gridvisit.session();
      const now = new Date().toISOString();
      const full = { type: doc._id.split(':')[0], schema: 2, grid: doc._id.split(':')[1],
        updated_at: now, updated_by: s.user.name, device: s.device, ...doc };
      const key = `gv.pending.${s.user.name}`;
      const pending = new Set(JSON.parse(localStorage.getItem(key) || '[]'));
      pending.add(doc._id);
      localStorage.setItem(key, JSON.stringify([...pending]));
      const res = await window.gridvisit.db().put(full);
      return { ...full, _rev: res.rev };
    }""", doc)


def visit_doc(hh, worker, checks, **fields):
    """A submitted visit of hh by worker with checks (ids and times filled in)."""
    now = datetime.now(CST).isoformat(timespec="milliseconds")
    doc = {"_id": f"visit:{hh['grid']}:{uuid.uuid4()}", "household": hh["_id"], "visited_at": now,
           "worker": worker, "outcome": "met", "checks": checks, "colour_after": hh["colour"],
           "status": "submitted"}
    doc.update(fields)
    return doc


def console_as(browser, server, name="zhangwei"):
    """A console page of server signed in as the supervisor name (closed with the browser context)."""
    context = browser.new_context(viewport={"width": 1360, "height": 860}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai")
    page = context.new_page()
    page.set_default_timeout(45000)   # generous: a loaded 2-core machine is slow, a pass is not
    page.goto(server.base + "/console/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", f"demo-{name}")
    page.click("button[type=submit]")
    page.wait_for_url("**/console/dashboard")
    return page


def review_on_console(page, server, visit_id, state, comment=""):
    """Give visit_id the verdict state (with comment) on its console page."""
    page.goto(server.base + f"/console/visits/{visit_id}")
    page.wait_for_selector("#review-form")       # the console's index may lag the sync a moment
    page.check(f"input[name=state][value={state}]")
    page.fill("textarea[name=comment]", comment)
    page.click("#review-submit")
    page.wait_for_selector(".flash.ok")
