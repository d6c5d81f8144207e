"""Early-warning rules: evaluated identically here and on the tablet.

A rule set is data — the ``rules:warning`` document, versioned, edited by
admins and replicated to every tablet — and ``evaluate`` applies it to a
visit being recorded (with its household) on the server;
``fieldapp/js/rules/warnings.js`` is its twin, and both pass
``tests/vectors/rule_cases.json``. Pure Python, no web packages.

A rule::

    {"id": "spo2-low", "colour": "red", "referral": "hospital",
     "reason": {"zh": "血氧饱和度低于 93%", "en": "SpO2 below 93 %"},
     "when": {"all": [{"check": "spo2", "op": "<", "value": 93}]}}

The set in force is ``current_rules(db)``: the field database's
``rules:warning``, else the set shipped in ``rules/data/rules.json`` (the
field app ships the same file, so the document exists only once an admin or
the district has saved a rule set of its own).

Conditions: ``{"all": [...]}``, ``{"any": [...]}``, or a test of one
operand — ``check`` (a member's reading on this visit: temperature, spo2,
bp_systolic, bp_diastolic, antigen, symptoms), ``member`` (the checked
member: age, tags), ``household`` (colour, hours_since_visit) or
``answer`` (what the household answered to a campaign, below). Member
tests are evaluated per checked member, so a rule fires for the member
whose readings match. Operators: ``< <= > >= == != in contains``.

An answer test reads the household's latest answer to one campaign (专项摸排)::

    {"answer": "campaign:community:shijia:winter2026", "question": "has_contact",
     "op": "==", "value": "no"}

``question`` is a question's name as the answer's ``values`` hold it (a
group's questions sit among their parent's); a question inside a repeat is
``repeat/question`` (``members/member_condition``) and reads as the list of
every entry's answer (a select_multiple's choices joined into it), so it is
tested with ``contains`` only: "some entry answered this". Of the answers
the caller passes (``answers``: the household's answer documents, read by
the caller — this module reads no database), the one with the newest
``answered_at`` counts (an unreadable time counts as oldest; a tie goes to
the greater ``_id``); earlier answers are history. A household with no
answer to the campaign, or whose answer leaves the question out (not
relevant), is unknown: the test does not fire. Answer tests read no visit,
so their rules are household rules; the visit form passes no answers, so a
visit records only its readings' warnings, and what a campaign answer says
shows on the console's dashboard and the tablet's 待办.

A household never visited is longer ago than any number of hours
(``hours_since_visit`` is infinite); an unreadable visit time is unknown
(no rule on it fires). A visit with a readable ``visited_at`` is itself the
household's latest visit, so ``hours_since_visit`` counts from it. Rules that test only the household
(``household_rules``) are also checked without a visit: the console's
dashboard and the tablet's 待办 list show the households they flag.
"""

import json
import math
from datetime import datetime, timezone
from pathlib import Path

from sync.errors import BadRequest, NotFound
from rules.vocabulary import SEVERITY

RULES_ID = "rules:warning"
SHIPPED = Path(__file__).resolve().parent / "data" / "rules.json"
# Fixed, so that every server seeding the shipped set writes the same revision.
SHIPPED_AT = "2026-11-01T00:00:00Z"

OPERATORS = ("<", "<=", ">", ">=", "==", "!=", "in", "contains")
# What each kind of test may read (the rules schema checks rule sets against it).
OPERANDS = {
    "check": ("temperature", "spo2", "bp_systolic", "bp_diastolic", "antigen", "symptoms"),
    "member": ("age", "tags"),
    "household": ("colour", "hours_since_visit"),
}
# An answer test: the campaign it reads, and the question (see the module docstring).
ANSWER, QUESTION = "answer", "question"
REPEAT_OPERATORS = ("contains",)            # a question inside a repeat is a list


class RuleError(BadRequest, ValueError):
    """A malformed rule set (names the rule and the problem)."""


def shipped_rules():
    """The rule set shipped with the server, as a ``rules:warning`` document."""
    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))
    return {**shipped, "schema": 2, "updated_at": SHIPPED_AT, "updated_by": "system"}


def current_rules(db):
    """The rule set in force in field database ``db`` (None: no database):
    its ``rules:warning`` document, else the shipped set."""
    if db is not None:
        try:
            return db.get(RULES_ID)
        except NotFound:
            pass
    return shipped_rules()


def _compare(value, op, expected):
    if value is None:
        return False
    if op == "contains":
        return isinstance(value, list) and expected in value
    if op == "in":
        return isinstance(expected, list) and value in expected
    if op in ("==", "!="):
        return (value == expected) == (op == "==")
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not isinstance(expected, (int, float)):
        return False
    return {"<": value < expected, "<=": value <= expected, ">": value > expected,
            ">=": value >= expected}[op]


def _parse_time(text):
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _moment(answer):
    """How an answer ranks among a household's: newest time first, then ``_id``."""
    moment = _parse_time(answer.get("answered_at"))
    return (-math.inf if moment is None else moment.timestamp(), str(answer.get("_id") or ""))


def latest_answers(answers):
    """``{campaign id: values}`` of the newest answer to each campaign among ``answers``."""
    newest = {}
    for answer in answers or ():
        if not isinstance(answer, dict) or not isinstance(answer.get("campaign"), str):
            continue
        held = newest.get(answer["campaign"])
        if held is None or _moment(answer) > _moment(held):
            newest[answer["campaign"]] = answer
    return {campaign: answer.get("values") for campaign, answer in newest.items()}


def _read(values, names):
    """The value at the path ``names``; through a repeat, every entry's, as one list."""
    if isinstance(values, list) and names:
        found = []
        for entry in values:
            got = _read(entry, names)
            if isinstance(got, list):
                found.extend(got)
            elif got is not None:
                found.append(got)
        return found
    if not names:
        return values
    return _read(values.get(names[0]), names[1:]) if isinstance(values, dict) else None


def _answered(test, latest):
    question = test.get(QUESTION)
    if not isinstance(test[ANSWER], str) or not isinstance(question, str) or not question:
        raise RuleError(f"条件 {test!r}：专项答案的比较须写明摸排编号 answer 和题目 question / "
                        f"condition {test!r}: an answer test names its campaign and question")
    if test[ANSWER] not in latest:
        return None                             # never answered: unknown
    return _read(latest[test[ANSWER]], question.split("/"))


def _operand(test, check, member, household, now, latest):
    if ANSWER in test:
        return _answered(test, latest)
    if "check" in test:
        return (check or {}).get(test["check"])
    if "member" in test:
        if test["member"] == "age":
            year = (member or {}).get("birth_year")
            return now.year - year if isinstance(year, int) else None
        return (member or {}).get(test["member"], [] if test["member"] == "tags" else None)
    if "household" in test:
        if test["household"] == "hours_since_visit":
            stamp = (household or {}).get("last_visit_at")
            if stamp is None:                   # never visited: longer ago than any hours
                return math.inf
            last = _parse_time(stamp)
            return None if last is None else (now - last).total_seconds() / 3600
        return (household or {}).get(test["household"])
    raise RuleError(f"条件 {test!r}：须比较 check、member、household 或 answer 之一 / "
                    f"condition {test!r}: test one of check, member, household or answer")


def _holds(cond, check, member, household, now, latest):
    if "all" in cond:
        return all(_holds(c, check, member, household, now, latest) for c in cond["all"])
    if "any" in cond:
        return any(_holds(c, check, member, household, now, latest) for c in cond["any"])
    if cond.get("op") not in OPERATORS:
        raise RuleError(f"条件 {cond!r}：比较运算符须为 {'、'.join(OPERATORS)} 之一 / "
                        f"condition {cond!r}: op must be one of {', '.join(OPERATORS)}")
    return _compare(_operand(cond, check, member, household, now, latest), cond["op"],
                    cond.get("value"))


def _uses_member(cond):
    if "all" in cond or "any" in cond:
        return any(_uses_member(c) for c in cond.get("all", cond.get("any", [])))
    return "check" in cond or "member" in cond


def evaluate(rules_doc, visit, household, now=None, answers=None):
    """Warnings for a visit: ``{"warnings": [...], "colour", "referral"}``.

    Each warning names the rule, the member (when the rule is about one),
    the suggested colour and referral, and the reason in Chinese and
    English; ``colour`` is the most severe suggestion, ``referral`` the one
    of the most severe rule (the first such rule wins a tie). ``answers``
    are the household's campaign answer documents, for answer tests.

    :raises RuleError: for a malformed rule set.
    """
    now = now or datetime.now(timezone.utc)
    latest = latest_answers(answers)
    if isinstance(visit, dict) and _parse_time(visit.get("visited_at")) is not None:
        # The visit being recorded is the household's latest: "not visited for
        # 48 hours" never fires inside the very visit that clears it.
        household = {**(household or {}), "last_visit_at": visit["visited_at"]}
    members = {m.get("id"): m for m in (household or {}).get("members") or []
               if isinstance(m, dict)}
    checks = [c for c in (visit or {}).get("checks") or [] if isinstance(c, dict)]
    warnings = []
    for rule in (rules_doc or {}).get("rules", []):
        if not isinstance(rule, dict) or "id" not in rule or "when" not in rule:
            raise RuleError(f"规则 {rule!r} 须有 id 和 when / rule {rule!r}: needs id and when")
        try:
            if _uses_member(rule["when"]):
                hits = [c.get("member") for c in checks
                        if _holds(rule["when"], c, members.get(c.get("member")), household,
                                  now, latest)]
            else:
                hits = [None] if _holds(rule["when"], None, None, household, now, latest) else []
        except RuleError as err:
            raise RuleError(f"规则 {rule['id']} / rule {rule['id']}: {err}") from None
        for member in hits:
            warnings.append({"rule": rule["id"], "member": member,
                             "colour": rule.get("colour"), "referral": rule.get("referral"),
                             "reason": rule.get("reason", {})})
    ranked = sorted(warnings, key=lambda w: -SEVERITY.get(w["colour"], -1))
    return {"warnings": warnings,
            "colour": ranked[0]["colour"] if ranked else None,
            "referral": next((w["referral"] for w in ranked if w["referral"]), None)}


def household_rules(rules_doc):
    """The rules of a set that read no visit — only the household (a red
    household not visited for 48 hours) or its campaign answers — so that
    they can be checked any time, not only while a visit is recorded."""
    rules = [r for r in (rules_doc or {}).get("rules", [])
             if isinstance(r, dict) and isinstance(r.get("when"), dict)
             and not _uses_member(r["when"])]
    return {**(rules_doc or {}), "rules": rules}


def campaigns_read(rules_doc):
    """The campaign ids the set's answer tests read (a caller fetches only their answers)."""
    found = set()
    for rule in (rules_doc or {}).get("rules", []):
        if isinstance(rule, dict):
            found |= _campaigns_of(rule.get("when"))
    return found


def _campaigns_of(cond):
    if not isinstance(cond, dict):
        return set()
    inner = cond.get("all") if "all" in cond else cond.get("any")
    found = {cond[ANSWER]} if isinstance(cond.get(ANSWER), str) else set()
    for item in inner if isinstance(inner, list) else []:
        found |= _campaigns_of(item)
    return found


def colours_needed(rules_doc):
    """The household colours a household rule can fire for, or None for any.

    A rule whose ``when`` requires ``colour == X`` (or ``colour in [...]``)
    at its top level fires for those colours only; lets the console read
    only the red households, say, instead of every household.
    """
    needed = set()
    for rule in (rules_doc or {}).get("rules", []):
        colours = _colours_of(rule.get("when") or {})
        if colours is None:
            return None
        needed |= colours
    return needed


def _colours_of(cond):
    tests = cond["all"] if isinstance(cond.get("all"), list) else [cond]
    for test in tests:
        if isinstance(test, dict) and test.get("household") == "colour":
            if test.get("op") == "==" and isinstance(test.get("value"), str):
                return {test["value"]}
            if test.get("op") == "in" and isinstance(test.get("value"), list):
                return {v for v in test["value"] if isinstance(v, str)}
    return None

