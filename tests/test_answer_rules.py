"""Early-warning rules that read campaign answers (issue 20, item 5): a
household whose latest answer to the winter campaign (冬季重点人群关爱摸排,
the demo's XLSForm) says it has no one to call in an emergency is flagged
yellow on the console's dashboard and its 需走访 filter; a later answer
with a contact clears it; another community's supervisor never sees it.
The rule editor words the test with the campaign's and the form's own
labels and refuses a malformed one, naming the rule. Flask test client,
real SQLite, the campaign and form converted by pyxform from
docs/campaign-winter.xlsx."""

import copy
import json
import re
from datetime import datetime, timedelta

from rules.answers import check
from rules.warning_rules import (campaigns_read, current_rules, evaluate, household_rules,
                                 latest_answers)
from server.cli import demo, demo_campaign
from server.console import stats
from tests import fielddocs as fd
from tests.console_client import browser_for, console_app, field_db, write  # noqa: F401

CAMPAIGN = f"campaign:community:c1:{demo_campaign.KEY}"
RULE = dict(copy.deepcopy(demo.NO_CONTACT),
            when=dict(demo.NO_CONTACT["when"], answer=CAMPAIGN))
NO_CONTACT = {key: value for key, value in demo_campaign.VALUES.items()
              if not key.startswith("contact_")} | {"has_contact": "no"}


def _campaign(app):
    """The winter campaign in community c1 (g1, g2), its form and the demo's
    answer of household 1-1-101 (it has a contact); the form document."""
    stamped = datetime.now(fd.CST) - timedelta(hours=6)
    campaign, form, answer = demo_campaign.documents("c1", stamped, "s1", "w1", "tablet-1")
    write(app, [campaign, form, answer, fd.household("g1", "1-1-101")])
    return form


def _answer(form, grid, hh, values, minutes_ago, key):
    """An answer of household ``hh`` given ``minutes_ago``, checked against its form."""
    at = datetime.now(fd.CST) - timedelta(minutes=minutes_ago)
    assert check(values, form, at.date()) == []
    stamp = at.isoformat(timespec="seconds")
    return {"_id": f"answer:{grid}:{key}", "type": "answer", "schema": 2, "grid": grid,
            "campaign": form["campaign"], "form": form["_id"], "household": f"household:{grid}:{hh}",
            "channel": "door", "worker": "w1", "answered_at": stamp, "values": values,
            "updated_at": stamp, "updated_by": "w1", "device": "tablet-1"}


def _save_rules(app, extra):
    db = field_db(app)
    doc = current_rules(db)
    doc.update(version=doc["version"] + 1, rules=doc["rules"] + extra)
    db.put(doc)


def _card(app, user="s1"):
    page = browser_for(app, user).text("/console/dashboard")
    card = re.search(r'id="red48">(.*?)</section>', page, re.S).group(1)
    rows = dict(re.findall(r'<tr data-household="([^"]+)">(.*?)</tr>', card, re.S))
    return rows


def test_no_emergency_contact_makes_the_household_yellow_on_the_dashboard(console_app):
    form = _campaign(console_app)
    _save_rules(console_app, [RULE])
    write(console_app, [fd.household("g1", "alone"), fd.household("g1", "later"),
                        _answer(form, "g1", "alone", NO_CONTACT, 60, "a1"),
                        _answer(form, "g1", "later", NO_CONTACT, 120, "b1")])
    rows = _card(console_app)
    # Green households no other rule flags: listed, with the rule's colour beside its reason.
    assert set(rows) == {"household:g1:alone", "household:g1:later"}
    alone = rows["household:g1:alone"]
    assert 'data-rule="no-emergency-contact" data-colour="yellow"' in alone
    assert '<span class="chip yellow">黄色</span>' in alone and "无紧急联系人" in alone
    assert '<span class="chip green">' in alone          # the household's own colour is unchanged

    # A later answer found a contact: the newest answer counts, the household drops off.
    write(console_app, [_answer(form, "g1", "later", demo_campaign.VALUES, 10, "b2")])
    assert set(_card(console_app)) == {"household:g1:alone"}
    # The households page's 需走访 filter reads the same.
    listing = browser_for(console_app, "s1").text("/console/households?due=1")
    assert "household:g1:alone" in listing and "household:g1:later" not in listing
    # Another community's supervisor sees none of c1's answers.
    assert _card(console_app, "s2") == {}


def test_the_dashboard_reads_answers_only_when_a_rule_needs_them(console_app):
    form = _campaign(console_app)
    write(console_app, [fd.household("g1", "alone"),
                        _answer(form, "g1", "alone", NO_CONTACT, 60, "a1")])
    assert _card(console_app) == {}                       # the shipped set reads no answers
    assert campaigns_read(current_rules(field_db(console_app))) == set()
    _save_rules(console_app, [RULE])
    assert campaigns_read(household_rules(current_rules(field_db(console_app)))) == {CAMPAIGN}
    assert list(_card(console_app)) == ["household:g1:alone"]
    # One read of the answers of the grids asked for, those of the campaigns read only.
    db = field_db(console_app)
    assert set(stats.campaign_answers(db, ["g1"], {CAMPAIGN})) == {
        "household:g1:1-1-101", "household:g1:alone"}
    assert stats.campaign_answers(db, ["g2", "g3"], {CAMPAIGN}) == {}
    assert stats.campaign_answers(db, None, {"campaign:community:c1:other"}) == {}


def test_an_answer_in_a_repeat_fires_for_any_entry():
    ill = dict(RULE, id="key-person-ill", when={
        "answer": CAMPAIGN, "question": "members/member_condition", "op": "contains",
        "value": "ill"})
    values = dict(demo_campaign.VALUES, members=[
        {"member_name": "户主", "member_condition": "good"},
        {"member_name": "老伴", "member_condition": "ill", "member_note": "发烧"}])
    answers = [{"_id": "answer:g1:x", "campaign": CAMPAIGN, "answered_at": fd.stamp_time(),
                "values": values}]
    got = evaluate({"rules": [ill]}, None, {"colour": "green"}, answers=answers)
    assert [w["rule"] for w in got["warnings"]] == ["key-person-ill"]
    assert latest_answers(answers) == {CAMPAIGN: values}
    assert evaluate({"rules": [ill]}, None, {"colour": "green"})["warnings"] == []


def test_the_rule_editor_words_an_answer_test_with_the_forms_labels(console_app):
    _campaign(console_app)
    admin = browser_for(console_app, "admin")
    rules = current_rules(field_db(console_app))["rules"] + [RULE]
    page = admin.text("/console/admin/rules")
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    resp = admin.post("/console/admin/rules", data={"version": version,
                                                   "rules": json.dumps(rules, ensure_ascii=False)})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    page = admin.text("/console/admin/rules")
    row = re.search(r'<tr data-rule="no-emergency-contact">(.*?)</tr>', page, re.S).group(1)
    assert "专项摸排“冬季重点人群关爱摸排”中“是否有紧急联系人”的最新答案 = 否" in row
    assert 'id="rules-help-answer"' in page
    saved = current_rules(field_db(console_app))
    assert saved["rules"][-1] == RULE and saved["rules"][:-1] == rules[:-1]


def test_the_rule_editor_refuses_a_malformed_answer_test_naming_the_rule(console_app):
    admin = browser_for(console_app, "admin")
    before = current_rules(field_db(console_app))
    page = admin.text("/console/admin/rules")
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    bad = dict(RULE, when={"answer": CAMPAIGN, "question": "members/member_condition",
                           "op": "==", "value": "ill"})
    resp = admin.post("/console/admin/rules", data={
        "version": version, "rules": json.dumps(before["rules"] + [bad], ensure_ascii=False)})
    assert resp.status_code == 400
    text = resp.get_data(as_text=True)
    errors = re.search(r'id="rules-errors">(.*?)</div>', text, re.S).group(1)
    n = len(before["rules"]) + 1
    assert f"第{n}条规则（no-emergency-contact） · when.op" in errors
    assert "须为以下之一：contains" in errors
    assert current_rules(field_db(console_app)) == before          # nothing saved
