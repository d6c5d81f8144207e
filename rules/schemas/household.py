"""household:{grid}:{hh} — an address, its people and its colour."""

import re

from marshmallow import ValidationError, validates_schema

from rules.schemas.common import (COLOURS, Choice, DocumentSchema, ListOf, Number, Obj, Stamps,
                                  Strict, Text, Value, colour_reason_problems, current,
                                  fail)
from rules import idnumber
from rules.vocabulary import GENDERS, HOUSEHOLD_STATUSES, MEMBER_STATUSES, TAGS

PHONE = re.compile(r"[0-9 +-]+")


def _this_year():
    return current().now.year


class IdNumber(Value):
    """A resident ID number (rules/idnumber.py): 18 characters, a real birth
    date, a right check digit."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise fail("type", kind="string")
        rule = idnumber.problem(value, current().now)
        if rule is not None:
            raise fail(rule, **({"kind": "id_number"} if rule == "format" else {}))
        return value


class MemberSchema(Strict):
    """One person in the household."""

    id = Text(required=True, min=1, max=64)
    name = Text(required=True, min=1, max=64)
    birth_year = Number(min=1900, max=_this_year, integer=True)
    id_number = IdNumber()
    gender = Choice(GENDERS)
    tags = ListOf(Choice(TAGS), max=len(TAGS), unique=True)
    notes = Text(max=500)
    status = Choice(MEMBER_STATUSES)


MERGE_RULES = ("newest_stamp", "most_severe", "winner")


class LostValueSchema(Strict):
    """A value a merge replaced, and who had written it."""

    value = Text(max=2000)
    user = Text(min=1, max=64)
    device = Text(min=1, max=64)


class MergedFieldSchema(Strict):
    """One field a merge decided against what another edit wrote."""

    field = Text(required=True, min=1, max=100)     # "phone", "members.{id}.name"
    rule = Choice(MERGE_RULES, required=True)
    value = Text(max=2000)
    user = Text(min=1, max=64)
    device = Text(min=1, max=64)
    lost = ListOf(Obj(LostValueSchema), required=True, max=20)


class MergeRecordSchema(Strict):
    """What the latest merge of this household replaced (written by the server)."""

    at = Text(max=64)
    fields = ListOf(Obj(MergedFieldSchema), required=True, max=20)


class HouseholdSchema(DocumentSchema):
    """A household document."""

    stamps = Stamps()
    building = Text(required=True, min=1, max=32)
    unit = Text(max=16)
    room = Text(required=True, min=1, max=16)
    address = Text(max=200)
    head = Text(max=64)
    phone = Text(min=5, max=20, pattern=PHONE, fmt="phone")
    members = ListOf(Obj(MemberSchema), max=30, unique_by="id")
    colour = Choice(COLOURS, required=True)
    colour_reason = Text(max=500)
    notes = Text(max=2000)
    status = Choice(HOUSEHOLD_STATUSES)
    merge = Obj(MergeRecordSchema)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _colour_needs_reason(self, data, raw, **kwargs):
        problems = colour_reason_problems(raw, "colour")
        if problems:
            raise ValidationError(problems)
