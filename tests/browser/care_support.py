"""The care loop's shared steps: the supervisor's HTTP calls, an elder at home,
a tablet ready with the rule set, a visit opened, the documents it saved.

The steps are the worker's day of ``tests/tablet_work.py``; this module adds
what only the care-loop tests need (a console page fetched as a user)."""

import urllib.request

from tests.tablet_work import (CST, RULES_HERE, SUPERVISOR, basic, elder_at_home,  # noqa: F401
                               eventually, households, open_visit, put_as, ready_tablet,
                               saved_docs)


def page_as(server, path, user=SUPERVISOR):
    """An HTML page of the server as user."""
    req = urllib.request.Request(server.base + path, headers={"Authorization": basic(user)})
    with server.open(req) as resp:
        return resp.read().decode()
