"""rules:{name} — an early-warning rule set (预警规则), in the shared partition.

The rule language is :mod:`rules.warning_rules`'s; this checks a rule set's
shape against the operators and operands it knows, so a malformed set is
refused before it replicates to every tablet. An answer test names a
campaign id and a question (1–200 characters); a question inside a repeat
(``members/member_condition``) is a list, tested with ``contains`` only.
"""

from marshmallow import ValidationError

from rules import ids
from rules.warning_rules import ANSWER, OPERANDS, OPERATORS, QUESTION, REPEAT_OPERATORS
from rules.schemas.common import (COLOURS, Choice, DocumentSchema, ListOf, Number, Obj, Strict,
                                  Text, Value)
from rules.schemas.messages import Problem
from rules.schemas.visit import REFERRAL_TARGETS

GROUPS = ("all", "any")
MAX_TESTS = 20
MAX_QUESTION = 200


def _group_problems(cond, key):
    items = cond[key]
    if not isinstance(items, list):
        return {key: [Problem("type", kind="list")]}
    if not items:
        return {key: [Problem("required")]}
    if len(items) > MAX_TESTS:
        return {key: [Problem("count", max=MAX_TESTS)]}
    inner = {i: p for i, p in ((i, condition_problems(c)) for i, c in enumerate(items)) if p}
    return {key: inner} if inner else {}


def _answer_problems(cond):
    problems = {}
    if ids.doc_type(cond[ANSWER]) != "campaign":
        problems[ANSWER] = [Problem("format", kind="campaign_id")]
    question = cond.get(QUESTION)
    if question is None:
        problems[QUESTION] = [Problem("required")]
    elif not isinstance(question, str):
        problems[QUESTION] = [Problem("type", kind="string")]
    elif not question.strip() or len(question) > MAX_QUESTION:
        problems[QUESTION] = [Problem("length", min=1, max=MAX_QUESTION)]
    elif "/" in question and cond.get("op") in OPERATORS \
            and cond["op"] not in REPEAT_OPERATORS:
        problems["op"] = [Problem("enum", choices=REPEAT_OPERATORS)]
    return problems


def _test_problems(cond):
    operands = [name for name in (*OPERANDS, ANSWER) if name in cond]
    if len(operands) != 1:
        return [Problem("condition")]
    name = operands[0]
    if name == ANSWER:
        problems = _answer_problems(cond)
    elif isinstance(cond[name], bool) or cond[name] not in OPERANDS[name]:
        problems = {name: [Problem("enum", choices=OPERANDS[name])]}
    else:
        problems = {}
    if "op" not in cond or cond["op"] is None:
        problems["op"] = [Problem("required")]
    elif isinstance(cond["op"], bool) or cond["op"] not in OPERATORS:
        problems["op"] = [Problem("enum", choices=OPERATORS)]
    if "value" not in cond:
        problems["value"] = [Problem("required")]
    return problems


def condition_problems(cond):
    """The errors of one condition (nested like marshmallow's), empty when it is sound."""
    if not isinstance(cond, dict):
        return [Problem("type", kind="object")]
    groups = [key for key in GROUPS if key in cond]
    if groups:
        problems = _group_problems(cond, groups[0])
        known = {groups[0]}
    else:
        problems = _test_problems(cond)
        known = {*OPERANDS, "op", "value"} | ({ANSWER, QUESTION} if ANSWER in cond else set())
        if isinstance(problems, list):
            return problems
    for key in cond:
        if key not in known:
            problems[str(key)] = [Problem("unknown")]
    return problems


class Condition(Value):
    """``{"all": [...]}``, ``{"any": [...]}`` or one test (see :mod:`rules.warning_rules`)."""

    def _deserialize(self, value, attr, data, **kwargs):
        problems = condition_problems(value)
        if problems:
            raise ValidationError(problems)
        return value


class ReasonSchema(Strict):
    """A rule's reason, as the tablet shows it."""

    zh = Text(required=True, min=1, max=500)
    en = Text(required=True, min=1, max=500)


class RuleSchema(Strict):
    """One rule: when it fires and what it suggests."""

    id = Text(required=True, min=1, max=64)
    colour = Choice(COLOURS, required=True)
    referral = Choice(REFERRAL_TARGETS)
    reason = Obj(ReasonSchema, required=True)
    when = Condition(required=True)


class RulesSchema(DocumentSchema):
    """A rule set; it has no grid, and its version rises on every edit."""

    class Meta:
        exclude = ("grid",)

    version_no = Number(data_key="version", required=True, min=1, max=10**9, integer=True)
    rules = ListOf(Obj(RuleSchema), required=True, max=50, unique_by="id")
