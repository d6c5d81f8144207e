"""rules:{name} — an early-warning rule set (预警规则), in the shared partition.

The rule language is :mod:`server.rules`'s; this checks a rule set's shape
against the operators and operands it knows, so a malformed set is refused
before it replicates to every tablet.
"""

from marshmallow import ValidationError

from rules.warning_rules import OPERANDS, OPERATORS
from rules.schemas.common import (COLOURS, Choice, DocumentSchema, ListOf, Number, Obj, Strict,
                                  Text, Value)
from rules.schemas.messages import Problem
from rules.schemas.visit import REFERRAL_TARGETS

GROUPS = ("all", "any")
MAX_TESTS = 20


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


def _test_problems(cond):
    operands = [name for name in OPERANDS if name in cond]
    if len(operands) != 1:
        return [Problem("condition")]
    problems = {}
    name = operands[0]
    if isinstance(cond[name], bool) or cond[name] not in OPERANDS[name]:
        problems[name] = [Problem("enum", choices=OPERANDS[name])]
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
        known = {*OPERANDS, "op", "value"}
        if isinstance(problems, list):
            return problems
    for key in cond:
        if key not in known:
            problems[str(key)] = [Problem("unknown")]
    return problems


class Condition(Value):
    """``{"all": [...]}``, ``{"any": [...]}`` or one test (see :mod:`server.rules`)."""

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
