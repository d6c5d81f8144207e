"""Field-document schemas: the shared vectors, the error shape, and properties.

The table-driven cases live in ``tests/vectors/schema_cases.json`` so that the
field app's JavaScript validator can run the very same documents; this file
reads them and checks the field and rule of every error.
"""

import copy
import json
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.schemas import ValidationFailed, doc_type, grid_of, validate

VECTORS = json.loads((Path(__file__).parent / "vectors" / "schema_cases.json")
                     .read_text(encoding="utf-8"))
NOW = datetime.fromisoformat(VECTORS["now"])
VALID = VECTORS["valid"]
INVALID = VECTORS["invalid"]
RULES = {"required", "type", "length", "range", "enum", "format", "count", "unique", "unknown",
         "future", "version", "matches_id", "same_grid", "kind", "only_when_met",
         "not_before_visit", "below_systolic", "content_type", "file_size", "only_when",
         "after_published", "condition", "checksum", "birth_date"}


def valid_doc(name):
    """A deep copy of the valid vector called ``name``."""
    return copy.deepcopy(next(case["doc"] for case in VALID if case["name"] == name))


def errors_of(doc, now=NOW):
    """The error list ``validate`` raises for ``doc`` (fails if it passes)."""
    with pytest.raises(ValidationFailed) as info:
        validate(doc, now)
    return info.value.errors


def test_vectors_are_plentiful_and_cover_every_rule():
    assert len(VALID) >= 25 and len(INVALID) >= 50
    assert {case["rule"] for case in INVALID} == RULES
    names = [case["name"] for case in VALID + INVALID]
    assert len(names) == len(set(names))
    for kind in ("household", "visit", "request", "review", "grid", "notice", "receipt", "sendback",
                 "rules"):
        assert any(doc_type(case["doc"].get("_id")) == kind for case in VALID)


@pytest.mark.parametrize("case", VALID, ids=[case["name"] for case in VALID])
def test_valid_vector(case):
    assert validate(case["doc"], NOW) is None


@pytest.mark.parametrize("case", INVALID, ids=[case["name"] for case in INVALID])
def test_invalid_vector(case):
    errors = errors_of(case["doc"])
    assert [(e["field"], e["rule"]) for e in errors] == [(case["field"], case["rule"])]
    assert errors[0]["zh"] and errors[0]["en"]


def test_error_shape_and_messages():
    doc = valid_doc("visit: full, submitted, photo stub")
    doc["checks"][0]["temperature"] = 44
    doc["colour_after"] = "purple"
    with pytest.raises(ValidationFailed) as info:
        validate(doc, NOW)
    failed = info.value
    assert failed.errors[0] == {"field": "checks[0].temperature", "rule": "range",
                                "zh": "体温须在 34–43 °C 之间",
                                "en": "temperature must be between 34 and 43 °C"}
    assert failed.errors[1]["field"] == "colour_after"
    assert failed.reason == "; ".join(f"{e['field']}: {e['zh']} / {e['en']}" for e in failed.errors)
    assert failed.reason.startswith("checks[0].temperature: 体温须在 34–43 °C 之间 / temperature")
    assert str(failed) == failed.reason


def test_every_problem_is_reported_at_once():
    doc = valid_doc("household: full, schema 2 with stamps")
    doc.update(building="", colour="blue", colr=1, members=[{"id": "m1"}, {"id": "m1", "name": ""}])
    fields = {(e["field"], e["rule"]) for e in errors_of(doc)}
    assert fields == {("building", "length"), ("colour", "enum"), ("colr", "unknown"),
                      ("members[0].name", "required"), ("members[1].name", "length"),
                      ("members[1].id", "unique")}


def test_no_marshmallow_default_messages_leak():
    defaults = ("Missing data", "Unknown field", "Not a valid", "Invalid", "may not be null")
    for case in INVALID:
        for e in errors_of(case["doc"]):
            assert not any(text in e["en"] or text in e["zh"] for text in defaults), e
            assert any("\u4e00" <= ch <= "\u9fff" for ch in e["zh"]), e


@pytest.mark.parametrize("doc_id, kind, grid", [
    ("grid:dongsi-03", "grid", "dongsi-03"),
    ("household:dongsi-03:3-2-301", "household", "dongsi-03"),
    ("visit:g_1:5f0c2a7e-8d1b", "visit", "g_1"),
    ("request:G2:abc", "request", "G2"),
    ("review:visit:dongsi-03:5f0c2a7e", "review", "dongsi-03"),
    ("review:dongsi-03:5f0c2a7e", None, None),
    ("household:dongsi-03", None, None),
    ("household:东四:301", None, None),
    ("grid:" + "g" * 65, None, None),
    ("_design/app", None, None),
    ("_local/checkpoint", None, None),
    ("", None, None),
    (None, None, None),
    (42, None, None),
])
def test_doc_type_and_grid_of(doc_id, kind, grid):
    assert doc_type(doc_id) == kind
    assert grid_of(doc_id) == grid


@pytest.mark.parametrize("doc", [None, "household", 3, [], [{"_id": "grid:g"}]])
def test_non_documents_fail_on_id(doc):
    assert [(e["field"], e["rule"]) for e in errors_of(doc)] == [("_id", "type")]


def test_clock_skew_allowance_follows_now():
    doc = valid_doc("household: full, schema 2 with stamps")    # updated 09:15 Beijing time
    just_before = datetime(2026, 11, 24, 1, 5, tzinfo=timezone.utc)  # 09:05 Beijing time
    assert validate(doc, just_before) is None
    assert [e["rule"] for e in errors_of(doc, just_before - timedelta(seconds=1))] == ["future"]


def test_default_now_is_the_real_clock():
    doc = valid_doc("household: full, schema 2 with stamps")
    assert validate(doc) is None
    doc["updated_at"] = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    with pytest.raises(ValidationFailed):
        validate(doc)


def test_naive_now_is_taken_as_utc():
    doc = valid_doc("household: full, schema 2 with stamps")
    assert validate(doc, NOW.astimezone(timezone.utc).replace(tzinfo=None)) is None


def test_validate_does_not_change_the_document():
    for case in VALID + INVALID:
        before = copy.deepcopy(case["doc"])
        try:
            validate(case["doc"], NOW)
        except ValidationFailed:
            pass
        assert case["doc"] == before


# ---- properties: validate() returns None or raises ValidationFailed, nothing else ----

JSON_SCALARS = (st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
                | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30))
JSON = st.recursive(JSON_SCALARS,
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                    max_leaves=20)
PREFIXES = ["grid:g1", "household:g1:h1", "visit:g1:v1", "request:g1:r1", "review:visit:g1:v1",
            "review:visit:g2:v1", "household:g 1:h1", "_design/x", ""]
KEYS = sorted({key for case in VALID for key in case["doc"]})


def assert_outcome_is_clean(doc):
    """validate() returns None or raises ValidationFailed with complete errors."""
    try:
        assert validate(doc, NOW) is None
    except ValidationFailed as failed:
        assert failed.errors
        for e in failed.errors:
            assert set(e) == {"field", "rule", "zh", "en"}
            assert all(isinstance(e[k], str) and e[k] for k in e), e
        assert isinstance(failed.reason, str) and failed.reason


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSON,
                 st.builds(lambda doc_id, body: {**body, "_id": doc_id},
                           st.sampled_from(PREFIXES),
                           st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8),
                                           JSON, max_size=12))))
def test_arbitrary_json_never_crashes(doc):
    assert_outcome_is_clean(doc)


def _paths(value, prefix=()):
    """Every (container, key) path inside a JSON value."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield prefix + (key,)
        yield from _paths(child, prefix + (key,))


def _apply(doc, path, action, value):
    target = doc
    for key in path[:-1]:
        target = target[key]
    if action == "delete":
        del target[path[-1]]
    else:
        target[path[-1]] = value


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_valid_documents_never_crash(data):
    doc = copy.deepcopy(data.draw(st.sampled_from(VALID))["doc"])
    for _ in range(data.draw(st.integers(1, 3))):
        paths = list(_paths(doc))
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        action = data.draw(st.sampled_from(["set", "set", "delete"]))
        _apply(doc, path, action, data.draw(JSON))
    assert_outcome_is_clean(doc)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_couch_fields_never_matter(data):
    case = data.draw(st.sampled_from(VALID))
    doc = copy.deepcopy(case["doc"])
    couch_keys = st.text(max_size=10).map(lambda s: "_x" + s)
    extra = data.draw(st.dictionaries(couch_keys, JSON, max_size=3))
    doc.update(extra)
    assert validate(doc, NOW) is None


JS_ERRORS = """
import { readFileSync } from 'node:fs';
import { validate } from './fieldapp/js/rules/validate.js';
const V = JSON.parse(readFileSync('tests/vectors/schema_cases.json', 'utf8'));
process.stdout.write(JSON.stringify(V.invalid.map((c) => validate(c.doc, V.now))));
"""


def test_the_field_app_words_every_error_as_the_server_does():
    root = Path(__file__).parent.parent
    out = subprocess.run(["node", "--input-type=module", "-e", JS_ERRORS], cwd=root, text=True,
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    for case, js in zip(INVALID, json.loads(out.stdout)):
        assert js == errors_of(case["doc"]), case["name"]
