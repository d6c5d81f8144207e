"""The care loop's shared steps: the supervisor's HTTP calls, an elder at home,
a tablet ready with the rule set, a visit opened, the documents it saved."""

import base64
import time
import urllib.request
from datetime import datetime, timedelta, timezone


SUPERVISOR = ("zhangwei", "demo-zhangwei")
CST = timezone(timedelta(hours=8))
RULES_HERE = "() => (window.gridvisit.index.rules?.rules || []).length > 0"


def eventually(probe, timeout=60, what="condition"):
    """Poll probe() until it returns something true (a loaded machine is slow)."""
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
    """PUT doc into the field database as user; the response body."""
    status, body = server.peer.request("PUT", f"field/{doc['_id']}", doc, auth=False,
                                       headers={"Authorization": basic(user)})
    assert status == 201, (doc["_id"], status, body)
    return body


def page_as(server, path, user=SUPERVISOR):
    """An HTML page of the server as user."""
    req = urllib.request.Request(server.base + path, headers={"Authorization": basic(user)})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.read().decode()


def households(server, grid):
    """The demo households of grid on the server."""
    ids = [f"household:{grid}:{b}-{u}-{r}" for b in (1, 2, 3) for u in (1, 2)
           for r in (101, 102, 201, 202)]
    return [doc for doc in server.docs(ids).values() if doc]


def elder_at_home(server, grid):
    """A green household of grid with a member over 65: (household, member)."""
    year = datetime.now(CST).year
    for hh in households(server, grid):
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
