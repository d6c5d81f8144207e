"""Campaign answers checked against their form version (rules/answers.py,
rules/xforms_xpath.py): the shared vectors (tests/vectors/campaign_cases.json,
also run by the tablet's engine in tests/js/campaign_answers.test.mjs), and
the server refusing a bad answer into quarantine with the form's own
messages, each answer judged by the version it was given under."""

import json
import subprocess
from datetime import date
from pathlib import Path

import pytest

from rules.answers import check
from rules.xlsform import convert, form_doc
from server.services import services
from tests import campaign_docs as cd
from tests.api import ADMIN, PASSWORD, Couch, make_field_app
from tests.fielddocs import stamp_time
from tests.xlsforms import EVERYTHING, book, q

ROOT = Path(__file__).resolve().parents[1]
VECTORS = json.loads((ROOT / "tests" / "vectors" / "campaign_cases.json")
                     .read_text(encoding="utf-8"))
TODAY = date.fromisoformat(VECTORS["today"])


def test_the_vectors_form_is_what_the_spreadsheet_converts_to_today():
    now = convert(book(EVERYTHING), "winter.xlsx")
    assert {k: now[k] for k in VECTORS["form"]} == VECTORS["form"]


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_the_server_finds_exactly_the_problems_of_each_vector(case):
    found = check(case["values"], VECTORS["form"], TODAY)
    assert [{"field": p["field"], "rule": p["rule"]} for p in found] == case["errors"]
    for problem in found:
        assert problem["zh"] and problem["en"]


def test_the_tablets_form_engine_finds_the_same_problems():
    proc = subprocess.run(["node", "--test", "tests/js/campaign_answers.test.mjs"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    engine_cases = [c for c in VECTORS["cases"] if c["engine"]]
    assert len(engine_cases) >= 14 and f"# pass {len(engine_cases)}" in proc.stdout


def test_a_broken_constraint_speaks_with_the_forms_own_message():
    values = dict(VECTORS["cases"][0]["values"], medicine_days=400)
    [problem] = check(values, VECTORS["form"], TODAY)
    assert (problem["zh"], problem["en"]) == ("天数须在 0–365 之间", "Days must be 0 to 365")


def test_today_is_the_day_the_answer_was_given():
    values = dict(VECTORS["cases"][0]["values"], checked_on="2026-12-08")
    assert check(values, VECTORS["form"], date(2026, 12, 8)) == []
    assert [p["rule"] for p in check(values, VECTORS["form"], TODAY)] == ["constraint"]


# -- through sync ----------------------------------------------------------

@pytest.fixture
def field(tmp_path):
    return make_field_app(tmp_path)


def put(app, who, doc):
    auth = ADMIN if who == "admin" else (who, PASSWORD)
    return Couch(app, auth=auth).post("field/_bulk_docs", json={"docs": [doc]}).get_json()[0]


def publish(app, campaign_id, survey, version):
    doc = form_doc(campaign_id, version, convert(book(survey), "w.xlsx"), "s1", stamp_time())
    assert "ok" in put(app, "s1", doc)
    return doc["_id"]


def answer(campaign_id, form_id, values):
    return cd.answer("g1", campaign_id, form_id, values=values, answered_at=stamp_time())


def test_a_refused_answer_is_quarantined_with_each_question_and_rule(field):
    camp = cd.campaign("community:c1")
    assert "ok" in put(field, "s1", camp)
    form_id = publish(field, camp["_id"], EVERYTHING, 1)
    values = dict(VECTORS["cases"][0]["values"], why_cold="不冷", medicine_days=400)
    doc = answer(camp["_id"], form_id, values)
    row = put(field, "w1", doc)
    assert row["error"] == "forbidden"
    assert "values.medicine_days: 天数须在 0–365 之间 / Days must be 0 to 365" in row["reason"]
    [entry] = [e for e in services(field).quarantine.list() if e["doc_id"] == doc["_id"]]
    assert {(e["field"], e["rule"]) for e in entry["errors"]} == {
        ("values.why_cold", "not_relevant"), ("values.medicine_days", "constraint")}
    assert entry["doc"]["values"] == values                  # nothing the worker said is lost
    good = answer(camp["_id"], form_id, VECTORS["cases"][0]["values"])
    assert "ok" in put(field, "w1", good)


def test_each_answer_is_judged_by_the_version_it_was_given_under(field):
    camp = cd.campaign("community:c1")
    assert "ok" in put(field, "s1", camp)
    v1 = publish(field, camp["_id"], EVERYTHING, 1)
    v2 = publish(field, camp["_id"], EVERYTHING + [
        q("select_one yn", "card_given", "已发放联系卡", "Contact card given", "yes")], 2)
    old = VECTORS["cases"][0]["values"]
    assert "ok" in put(field, "w1", answer(camp["_id"], v1, old))          # v1 had no card question
    refused = put(field, "w1", answer(camp["_id"], v2, old))
    assert refused["error"] == "forbidden" and "values.card_given" in refused["reason"]
    assert "ok" in put(field, "w1", answer(camp["_id"], v2, dict(old, card_given="yes")))
    wrong_version = put(field, "w1", answer(camp["_id"], v1, dict(old, card_given="yes")))
    assert "values.card_given" in wrong_version["reason"]                  # unknown in v1


def test_an_answer_to_a_form_that_is_not_there_is_refused(field):
    camp = cd.campaign("community:c1")
    assert "ok" in put(field, "s1", camp)
    row = put(field, "w1", answer(camp["_id"], camp["_id"].replace("campaign:", "form:") + ":9",
                                  {"heating": "yes"}))
    assert row["error"] == "forbidden" and row["reason"].startswith("form: 问卷版本")
