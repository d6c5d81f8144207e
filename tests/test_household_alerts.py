"""Households the rule set flags without a visit being recorded (issue 9:
"a red household not visited for 48 hours"): the console dashboard's card
reads the household rules of the rule set in force, so an admin's edit of
the threshold or the colour changes what supervisors see; the same rules
fill the tablet's 待办 list (tests/browser/test_todo_list.py)."""

import json
import re
from datetime import datetime, timedelta

import pytest

from server.console.i18n import WORDS
from rules.warning_rules import (RuleError, colours_needed, current_rules, evaluate,
                                 household_rules, shipped_rules)
from tests import fielddocs as fd
from tests.console_client import browser_for, console_app, field_db, write  # noqa: F401

NEVER = WORDS["never"][0]


def _card(app, user="s1"):
    page = browser_for(app, user).text("/console/dashboard")
    card = re.search(r'id="red48">(.*?)</section>', page, re.S).group(1)
    return card, re.findall(r'<tr data-household="([^"]+)">', card)


def _households(app, now):
    """g1: red visited 10 days ago, red visited 2 h ago, red never visited,
    yellow visited 3 days ago; g3 (another community): red never visited."""
    write(app, [
        fd.household("g1", "old", colour="red"), fd.household("g1", "fresh", colour="red"),
        fd.household("g1", "never", colour="red"), fd.household("g1", "yel", colour="yellow"),
        fd.visit("g1", "old", by="w1", visited_at=(now - timedelta(days=10)).isoformat()),
        fd.visit("g1", "fresh", by="w1", visited_at=(now - timedelta(hours=2)).isoformat()),
        fd.visit("g1", "yel", by="w1", visited_at=(now - timedelta(days=3)).isoformat()),
        fd.household("g3", "theirs", colour="red")])


def _edit_rules(app, change):
    db = field_db(app)
    doc = current_rules(db)              # the shipped set until one is saved
    change(doc)
    doc["version"] += 1
    db.put(doc)


def test_the_card_lists_what_the_shipped_household_rule_flags(console_app):
    _households(console_app, datetime.now(fd.CST))
    card, rows = _card(console_app)
    # Never visited first (longest unvisited), then the one seen 10 days ago;
    # the red household seen 2 hours ago, the yellow one and another
    # community's household are not listed.
    assert rows == ["household:g1:never", "household:g1:old"]
    assert card.count('data-rule="red-not-visited"') == 2
    never, old = re.findall(r'<tr data-household=.*?</tr>', card, re.S)
    assert "红色户 48 小时未走访" in never and f'<td class="nowrap">{NEVER}</td>' in never
    assert NEVER not in old and "独居老人" in old             # the household's own reason too
    admin_rows = _card(console_app, "admin")[1]
    assert "household:g3:theirs" in admin_rows and len(admin_rows) == 3


def test_an_admins_edit_of_the_rule_changes_the_card(console_app):
    _households(console_app, datetime.now(fd.CST))

    def yellow_after_a_day(doc):
        rule = next(r for r in doc["rules"] if r["id"] == "red-not-visited")
        rule["when"]["all"][0]["value"] = "yellow"
        rule["when"]["all"][1]["value"] = 24
    _edit_rules(console_app, yellow_after_a_day)
    assert _card(console_app)[1] == ["household:g1:yel"]

    def no_household_rules(doc):
        doc["rules"] = [r for r in doc["rules"] if r["id"] != "red-not-visited"]
    _edit_rules(console_app, no_household_rules)
    card, rows = _card(console_app)
    assert rows == [] and "无" in card


def test_a_rule_set_the_console_cannot_read_is_said_not_a_500(console_app):
    _households(console_app, datetime.now(fd.CST))

    def broken(doc):
        rule = next(r for r in doc["rules"] if r["id"] == "red-not-visited")
        rule["when"]["all"][1]["op"] = "~"
    _edit_rules(console_app, broken)
    resp = browser_for(console_app, "s1").get("/console/dashboard")
    text = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "预警规则无法读取" in text and "op must be one of" in text


def test_household_rules_are_the_ones_that_read_no_visit():
    rules = household_rules(shipped_rules())
    assert [r["id"] for r in rules["rules"]] == ["red-not-visited"]
    assert rules["version"] == shipped_rules()["version"]
    assert colours_needed(rules) == {"red"}
    any_colour = {"rules": [{"id": "x", "when": {"household": "hours_since_visit",
                                                 "op": ">", "value": 720}}]}
    assert colours_needed(any_colour) is None
    either = {"rules": [{"id": "y", "when": {"all": [
        {"household": "colour", "op": "in", "value": ["red", "yellow"]},
        {"household": "hours_since_visit", "op": ">", "value": 72}]}}]}
    assert colours_needed(either) == {"red", "yellow"}
    assert colours_needed({"rules": []}) == set()


def test_a_malformed_household_rule_raises_rule_error():
    broken = {"rules": [{"id": "z", "when": {"household": "colour", "op": "~", "value": 1}}]}
    with pytest.raises(RuleError, match="op must be one of"):
        evaluate(household_rules(broken), None, {"colour": "red"})
    assert json.dumps(household_rules(None)) == '{"rules": []}'


def test_the_households_page_and_export_filter_on_due_a_visit(console_app):
    _households(console_app, datetime.now(fd.CST))
    s1 = browser_for(console_app, "s1")
    card, _rows = _card(console_app)
    assert 'href="/console/households?due=1"' in card            # "all 2 on the households page"
    page = s1.text("/console/households?due=1")
    listed = set(re.findall(r'href="/console/households/(household:[^"]+)"', page))
    assert listed == {"household:g1:never", "household:g1:old"}
    assert re.search(r'name="due" value="1"\s+checked', page)
    everyone = set(re.findall(r'href="/console/households/(household:[^"]+)"',
                              s1.text("/console/households")))
    assert {"household:g1:fresh", "household:g1:yel"} <= everyone
    with s1.get("/console/exports/households.csv?due=1") as resp:
        ids = [line.split(",")[0] for line in resp.get_data(as_text=True).splitlines()[1:]]
    assert sorted(ids) == ["household:g1:never", "household:g1:old"]
    # Combined with another filter, and with no household rules at all.
    assert "household:g1:" not in s1.text("/console/households?due=1&colour=yellow")

    def no_household_rules(doc):
        doc["rules"] = [r for r in doc["rules"] if r["id"] != "red-not-visited"]
    _edit_rules(console_app, no_household_rules)
    assert "household:g1:" not in s1.text("/console/households?due=1")
