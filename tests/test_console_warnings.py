"""Early warnings the workers overrode (不采纳), on the console's dashboard:
the derived index's ``warnings`` table and the dashboard card "预警未采纳",
in process (Flask test client, real SQLite).

Same app as ``test_console.py``: community c1 (grids g1, g2) with
supervisor s1 and worker w1, community c2 (grid g3) with supervisor s2 and
worker w3.
"""

import re
from datetime import datetime, timedelta

from tests import fielddocs as fd
from tests.console_client import browser_for, console_app, field_db, write  # noqa: F401


def _ago(**delta):
    return (datetime.now(fd.CST) - timedelta(**delta)).isoformat(timespec="seconds")


def warning(decision, rule="fever", reason="发热 37.3 °C 以上，请明天复访", why=None):
    found = {"rule": rule, "member": "m1", "colour": "yellow", "reason": reason,
             "decision": decision}
    if decision == "overridden":
        found["override_reason"] = why or "刚运动完，十分钟后复测正常"
    return found


def warned(grid, hh, by, vid, warnings, **ago):
    return fd.visit(grid, hh, by=by, vid=vid, visited_at=_ago(**(ago or {"hours": 1})),
                    rules_version=1, colour_after="yellow", colour_reason="发热",
                    warnings=warnings)


def _card(page):
    return re.search(r'<section class="card" id="overridden">.*?</section>', page, re.S).group(0)


def _latest(page):
    return re.findall(r'<tr data-visit="([^"]+)">', _card(page))


def _decisions(page):
    return {grid: (int(a), int(o)) for grid, a, o in re.findall(
        r'<tr data-grid="([^"]+)">.*?<td class="num accepted">(\d+)</td>\s*'
        r'<td class="num overridden[^"]*">(\d+)</td>', _card(page), re.S)}


def _scenario(app):
    docs = {
        "new": warned("g1", "h1", "w1", "new", [warning("overridden", why="家属说已就医")],
                      hours=2),
        "two": warned("g2", "h2", "w1", "two", [warning("accepted", "spo2-low", "血氧偏低"),
                                                warning("overridden")], days=2),
        "accepted": warned("g1", "h1", "w1", "accepted", [warning("accepted")], hours=3),
        "old": warned("g1", "h1", "w1", "old", [warning("overridden", why="上月的事")], days=20),
        "ancient": warned("g1", "h1", "w1", "ancient", [warning("overridden")], days=40),
        "draft": warned("g1", "h1", "w1", "draft", [warning("overridden")], hours=1),
        "other": warned("g3", "h3", "w3", "other", [warning("overridden", why="外社区原因")],
                        hours=1),
    }
    docs["draft"]["status"] = "draft"
    write(app, list(docs.values()))
    return {k: d["_id"] for k, d in docs.items()}


def test_supervisor_sees_overridden_warnings_of_their_community_only(console_app):
    ids = _scenario(console_app)
    page = browser_for(console_app, "s1").text("/console/dashboard")
    card = _card(page)
    assert "预警未采纳" in card and "不采纳原因" in card
    assert _latest(page) == [ids["new"], ids["two"], ids["old"]]           # newest first
    assert ids["accepted"] not in card and ids["draft"] not in card
    assert ids["other"] not in page and "外社区原因" not in page
    assert re.search(r'<span class="badge red"[^>]*>2</span>', card)      # last 7 days
    assert "家属说已就医" in card and "张桂兰" in card                      # the member
    link = f'href="/console/visits/{ids["new"]}"'
    assert link in card
    assert _decisions(page) == {"g1": (1, 2), "g2": (1, 1)}               # 30 days


def test_the_link_opens_the_visit_with_the_override_reason(console_app):
    ids = _scenario(console_app)
    s1 = browser_for(console_app, "s1")
    href = re.search(r'<a href="([^"]+)">', _card(s1.text("/console/dashboard"))).group(1)
    assert href == f"/console/visits/{ids['new']}"
    visit = s1.text(href)
    assert "不采纳" in visit and "家属说已就医" in visit


def test_other_supervisor_and_admin_scopes(console_app):
    ids = _scenario(console_app)
    s2 = browser_for(console_app, "s2").text("/console/dashboard")
    assert _latest(s2) == [ids["other"]] and _decisions(s2) == {"g3": (0, 1)}
    assert ids["new"] not in s2
    admin = browser_for(console_app, "admin").text("/console/dashboard")
    assert set(_latest(admin)) == {ids["new"], ids["two"], ids["old"], ids["other"]}
    assert _decisions(admin) == {"g1": (1, 2), "g2": (1, 1), "g3": (0, 1)}


def test_only_accepted_warnings_leave_the_card_empty(console_app):
    accepted = warned("g1", "h1", "w1", "fine", [warning("accepted")], hours=1)
    write(console_app, [accepted])
    page = browser_for(console_app, "s1").text("/console/dashboard")
    assert _latest(page) == [] and accepted["_id"] not in _card(page)
    assert _decisions(page) == {"g1": (1, 0)}
    assert re.search(r'<span class="badge "[^>]*>0</span>', _card(page))


def test_index_follows_edits_and_deletions(console_app):
    doc = warned("g1", "h1", "w1", "edited", [warning("overridden")], hours=1)
    rev = write(console_app, [doc])[0]["rev"]
    s1 = browser_for(console_app, "s1")
    assert _latest(s1.text("/console/dashboard")) == [doc["_id"]]
    doc.update(_rev=rev, warnings=[warning("accepted")])
    rev = write(console_app, [doc])[0]["rev"]
    page = browser_for(console_app, "s1").text("/console/dashboard")
    assert _latest(page) == [] and _decisions(page) == {"g1": (1, 0)}
    field_db(console_app).bulk_docs([{"_id": doc["_id"], "_rev": rev, "_deleted": True}])
    page = browser_for(console_app, "s1").text("/console/dashboard")
    assert _decisions(page) == {}


def test_an_old_index_is_rebuilt_with_warnings(console_app, tmp_path):
    from server.console import index as console_index
    ids = _scenario(console_app)
    path = tmp_path / "old.sqlite"
    old = console_index.ConsoleIndex(path, fd.CST)
    old.conn().execute("UPDATE meta SET value = '2' WHERE key = 'version'")
    old.conn().execute("DROP TABLE warnings")
    again = console_index.ConsoleIndex(path, fd.CST)
    again.refresh(field_db(console_app))
    rows = again.conn().execute("SELECT visit, decision FROM warnings ORDER BY visit, pos")
    assert (ids["new"], "overridden") in rows.fetchall()
