"""Hybrid logical clock and field stamps: rules/hlc.py, rules/stamps.py and their JS twin.

Both languages run the cases in ``tests/vectors/stamp_cases.json``; the JS
suite (``node --test tests/js/``) runs here as a subprocess, so ``pytest``
covers both. Property tests (hypothesis) and a Python-vs-JS differential test
on random documents follow the vectors.
"""

import copy
import json
import math
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.hlc import ZERO, Clock, StampError, compare, newer
from rules.stamps import SAW_FIELDS, changed_keys, json_equal, stamp_edit, stamp_of
from tests.peers import ROOT

VECTORS = json.loads((ROOT / "tests" / "vectors" / "stamp_cases.json").read_text("utf-8"))


class Wall:
    """A settable wall clock: ``Wall(now)()`` returns ``now``."""

    def __init__(self, now=None):
        self.now = now

    def __call__(self):
        return self.now


def by_name(cases):
    return pytest.mark.parametrize("case", cases, ids=[c["name"] for c in cases])


# ---------------------------------------------------------------- vectors --

@by_name(VECTORS["edits"])
def test_edit_vectors(case):
    assert case["device"] == case["clock"]["device"]
    clock = Clock.from_json(case["clock"], Wall(case["now"]))
    old, new = copy.deepcopy(case["old"]), copy.deepcopy(case["new"])
    if "error" in case:
        with pytest.raises(StampError, match=case["error"]):
            stamp_edit(old, new, clock)
    else:
        result = stamp_edit(old, new, clock)
        assert result.get("stamps") == case["expected_stamps"]
        assert {k: v for k, v in result.items() if k != "stamps"} == \
               {k: v for k, v in case["new"].items() if k != "stamps"}
        assert result is not new
        assert not new.get("members") or result["members"] is not new["members"]
    assert (old, new) == (case["old"], case["new"])          # inputs untouched
    assert clock.to_json() == case["expected_clock"]


@by_name(VECTORS["clock"])
def test_clock_vectors(case):
    wall = Wall()
    clock = Clock.from_json(case["clock"], wall)
    for step in case["steps"]:
        wall.now = step["now"]
        run = clock.tick if step["op"] == "tick" else (lambda: clock.receive(step["hlc"]))
        if "error" in step:
            before = clock.to_json()
            with pytest.raises(StampError, match=step["error"]):
                run()
            assert clock.to_json() == before
        else:
            assert run() == step["expect"] == clock.hlc
    assert clock.to_json() == case["expected_clock"]


@pytest.mark.parametrize("bad", VECTORS["bad_hlcs"], ids=repr)
def test_bad_hlcs_are_refused_everywhere(bad):
    clock = Clock("tab-0317", Wall(1795482900000))
    for attempt in (lambda: clock.receive(bad), lambda: Clock("tab-0317", None, bad),
                    lambda: compare([bad, "tab-0317"], ["1795482900000-0000", "tab-0317"]),
                    lambda: Clock.from_json({"device": "tab-0317", "hlc": bad})):
        with pytest.raises(StampError, match="malformed hlc"):
            attempt()
    assert clock.hlc == ZERO


@by_name(VECTORS["states"]["good"])
def test_good_states(case):
    clock = Clock.from_json(case["state"])
    assert clock.to_json() == case["expected"]
    assert Clock.from_json(json.dumps(clock.to_json())).to_json() == case["expected"]


@by_name(VECTORS["states"]["bad"])
def test_bad_states(case):
    with pytest.raises(StampError):
        Clock.from_json(case["state"])


@by_name(VECTORS["compare"])
def test_compare_vectors(case):
    assert compare(case["a"], case["b"]) == case["expected"]
    assert compare(case["b"], case["a"]) == -case["expected"]
    assert newer(case["a"], case["b"]) == (case["expected"] == 1)


@pytest.mark.parametrize("bad", VECTORS["bad_stamps"], ids=repr)
def test_bad_stamps(bad):
    good = ["1795482900000-0000", "tab-0317"]
    for a, b in ((bad, good), (good, bad), (bad, None)):
        with pytest.raises(StampError):
            compare(a, b)


@by_name(VECTORS["stamp_of"])
def test_stamp_of_vectors(case):
    if "error" in case:
        with pytest.raises(StampError, match=case["error"]):
            stamp_of(case["doc"], case["key"])
    else:
        assert stamp_of(case["doc"], case["key"]) == case["expected"]


def test_stamp_error_is_a_bad_request_and_a_value_error():
    from sync.errors import BadRequest
    with pytest.raises(BadRequest) as caught:
        Clock("tab-0317").receive("2026-11-24")
    assert isinstance(caught.value, ValueError) and caught.value.status == 400


def test_default_wall_clock_is_now():
    import time
    stamp = Clock("tab-0317").tick()
    assert abs(int(stamp[:13]) - time.time() * 1000) < 5000


def test_js_twin_passes_the_same_vectors():
    node = shutil.which("node")
    assert node, "node (>= 20) is needed to run the field app's tests"
    out = subprocess.run([node, "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "# fail 0" in out.stdout and "# pass 0" not in out.stdout


# ------------------------------------------------------------- properties --

MS = st.integers(0, 9 * 10 ** 12)
HLCS = st.builds(lambda ms, c: f"{ms:013d}-{c:04d}", MS, st.integers(0, 9999))
NOWS = st.one_of(MS, st.integers(-10 ** 6, 0), st.floats(0, 9 * 10 ** 12, allow_nan=False))
OPS = st.lists(st.one_of(st.tuples(st.just("tick"), NOWS),
                         st.tuples(st.just("receive"), NOWS, HLCS),
                         st.tuples(st.just("persist"))), max_size=60)


@given(start=HLCS, ops=OPS)
def test_clock_stamps_strictly_increase(start, ops):
    wall = Wall()
    clock, last = Clock("tab-0317", wall, start), start
    for op in ops:
        if op[0] == "persist":                     # a restart from localStorage loses nothing
            clock = Clock.from_json(json.dumps(clock.to_json()), wall)
            continue
        wall.now = op[1]
        stamp = clock.tick() if op[0] == "tick" else clock.receive(op[2])
        assert stamp > last and stamp == clock.hlc
        if op[0] == "receive":
            assert stamp > op[2]
        assert int(stamp[:13]) >= math.floor(op[1])
        last = stamp


NAMES = ["张桂兰", "李建国", "王秀英", "刘伟", "陈静", "李小明"]
TAGS = ["over65", "elderly_alone", "chronic", "pregnant", "disabled", "immunocompromised"]
TEXT = st.sampled_from(["", "高血压", "糖尿病，胰岛素注射", "独居", "子女在深圳工作"])
pick = st.sampled_from
MEMBER = st.fixed_dictionaries({"id": pick(["m1", "m2", "m3", "成员4"])}, optional={
    "name": pick(NAMES),
    "birth_year": pick([1948, 1951, 1951.0, 2015]),
    "gender": pick(["male", "female", "other"]),
    "tags": st.lists(pick(TAGS), max_size=4),
    "notes": st.none() | TEXT,
})
STAMP = st.tuples(HLCS, pick(["tab-0317", "tab-0522", "desk-zhao"])).map(list)
STAMPED = pick(["colour", "phone", "members.m1.name", "notes"])
DOC = st.fixed_dictionaries({
    "_id": st.just("household:dongsi-03:3-2-301"), "type": st.just("household"),
    "schema": st.just(2), "grid": st.just("dongsi-03"),
}, optional={
    "_rev": pick(["1-a", "2-b"]),
    "updated_by": pick(["wangfang", "zhaolei"]),
    "device": pick(["tab-0317", "tab-0522"]),
    "ext": st.dictionaries(TEXT, TEXT, max_size=2),
    "head": pick(NAMES),
    "phone": pick(["138 1234 5678", "010-6401 2345"]),
    "colour": pick(["green", "yellow", "red"]),
    "colour_reason": st.none() | TEXT,
    "notes": TEXT,
    "status_times": st.dictionaries(pick(["open", "assigned"]), pick(["09:40", "10:05"])),
    "members": st.lists(MEMBER, max_size=4, unique_by=lambda m: m["id"]),
    "stamps": st.dictionaries(STAMPED, STAMP, max_size=4),
})
SETTINGS = settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])


def shuffled(doc, data):
    """The same JSON document with key and member order permuted."""
    doc = copy.deepcopy(doc)
    if "members" in doc:
        doc["members"] = [dict(data.draw(st.permutations(list(m.items())))) for m in doc["members"]]
        doc["members"] = data.draw(st.permutations(doc["members"]))
    return dict(data.draw(st.permutations(list(doc.items()))))


@SETTINGS
@given(old=DOC, start=HLCS, now=MS, data=st.data())
def test_unchanged_document_adds_no_stamps(old, start, now, data):
    clock = Clock("tab-0317", Wall(now), start)
    result = stamp_edit(old, shuffled(old, data), clock)
    assert result.get("stamps") == old.get("stamps")
    assert clock.hlc == start and changed_keys(old, old) == []


@SETTINGS
@given(old=DOC, new=DOC, start=HLCS, now=MS)
def test_an_edit_stamps_exactly_its_changes_after_everything_it_saw(old, new, start, now):
    clock = Clock("tab-0522", Wall(now), start)
    result = stamp_edit(old, new, clock)
    keys = changed_keys(old, new)
    before = old.get("stamps", {})
    saw = {f"{field}.base": field for field in SAW_FIELDS if field in keys}
    for key, stamp in result.get("stamps", {}).items():
        if key in keys:
            assert stamp == [clock.hlc, "tab-0522"]
            assert all(newer(stamp, s) for s in before.values()) and clock.hlc > start
        elif key in saw:
            assert stamp == before[saw[key]]            # the stamp the edit replaced
        else:
            assert stamp == before[key]
    expected = set(before) | set(keys)
    for base_key, field in saw.items():
        expected = expected | {base_key} if field in before else expected - {base_key}
    assert set(result.get("stamps", {})) == expected
    assert (clock.hlc == start) == (not keys)
    assert stamp_edit(result, copy.deepcopy(result), clock).get("stamps") == result.get("stamps")
    assert json_equal(old, old) and json_equal(new, json.loads(json.dumps(new)))


JS_DIFF = """
import { Clock } from './fieldapp/js/rules/hlc.js';
import { stampEdit } from './fieldapp/js/rules/stamps.js';
let text = ''; for await (const chunk of process.stdin) text += chunk;
const out = JSON.parse(text).map(([old, neu, state, now]) => {
  const clock = Clock.fromJSON(state, () => now);
  const result = stampEdit(old, neu, clock);
  return [result.stamps ?? null, clock.toJSON()];
});
process.stdout.write(JSON.stringify(out));
"""


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pairs=st.lists(st.tuples(st.none() | DOC, DOC, HLCS, MS), min_size=20, max_size=40))
def test_python_and_js_stamp_random_edits_alike(pairs):
    cases = [[old, new, {"device": "tab-0317", "hlc": h}, now] for old, new, h, now in pairs]
    expected = []
    for old, new, state, now in cases:
        clock = Clock.from_json(state, Wall(now))
        expected.append([stamp_edit(old, new, clock).get("stamps"), clock.to_json()])
    out = subprocess.run(["node", "--input-type=module", "-e", JS_DIFF], cwd=ROOT, text=True,
                         input=json.dumps(cases), capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == expected
