"""Early-warning rules: the shared vectors pass in Python and JavaScript,
so the tablet and the server give the same warning for the same visit."""

import json
import subprocess
from datetime import datetime

import pytest

from rules.warning_rules import RuleError, evaluate
from tests.peers import ROOT

VECTORS = json.loads((ROOT / "tests" / "vectors" / "rule_cases.json").read_text("utf-8"))
NOW = datetime.fromisoformat(VECTORS["now"])


@pytest.mark.parametrize("case", VECTORS["cases"], ids=[c["name"] for c in VECTORS["cases"]])
def test_rule_vectors(case):
    got = evaluate(VECTORS["rules"], case["visit"], case["household"], NOW, case.get("answers"))
    expected = case["expected"]
    assert [[w["rule"], w["member"]] for w in got["warnings"]] == expected["fired"]
    assert (got["colour"], got["referral"]) == (expected["colour"], expected["referral"])
    for warning in got["warnings"]:
        assert warning["reason"]["zh"] and warning["reason"]["en"]


@pytest.mark.parametrize("case", VECTORS["bad_rules"], ids=[c["name"] for c in VECTORS["bad_rules"]])
def test_malformed_rules_are_refused(case):
    visit = {"checks": [{"member": "m1", "spo2": 80}]}
    with pytest.raises(RuleError):
        evaluate(case["rules"], visit, {"members": [{"id": "m1"}]}, NOW)


def test_javascript_twin_passes_the_same_vectors():
    proc = subprocess.run(["node", "--test", "tests/js/rules.test.mjs"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert f"# pass {len(VECTORS['cases']) + len(VECTORS['bad_rules'])}" in proc.stdout
