"""form:{place}:{key}:{version} — one version of a campaign's questions.

A form version is written once (a new spreadsheet makes a new version) and
carries both the XForm pyxform made, which the tablet's form engine renders,
and the *question model* both sides read without an XML parser: one entry
per question in form order, with its path, type, labels, choice list and
the XPath of its required, constraint, relevant and calculation (see
``rules.xlsform`` for how it is made, ``rules.answers`` for how answers are
checked against it).
"""

from marshmallow import ValidationError, validates_schema

from rules import ids
from rules.schemas.common import (Bool, Choice, DateTime, DocumentSchema, ListOf, Number, Obj,
                                  Strict, Text, Value, current, fail)
from rules.schemas.messages import Problem
from rules.vocabulary import QUESTION_TYPES

XPATH_MAX = 2000
PATH_MAX = 300


class LabelSchema(Strict):
    """Words in Chinese and, optionally, English."""

    zh = Text(max=2000)
    en = Text(max=2000)


class ChoiceItemSchema(Strict):
    """One choice of a list."""

    name = Text(required=True, min=1, max=200)
    label = Obj(LabelSchema)


class ChoiceLists(Value):
    """``{list name: [choice, ...]}``."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise fail("type", kind="object")
        errors = {}
        for name, items in value.items():
            try:
                ListOf(Obj(ChoiceItemSchema), max=1000, unique_by="name",
                       required=True).deserialize(items)
            except ValidationError as err:
                errors[str(name)] = err.messages
        if errors:
            raise ValidationError(errors)
        return value


class QuestionSchema(Strict):
    """One question (or group, repeat, note, calculation) of the model."""

    name = Text(required=True, min=1, max=200)
    path = Text(required=True, min=2, max=PATH_MAX)
    type = Choice(QUESTION_TYPES, required=True)
    parent = Text(max=PATH_MAX)
    label = Obj(LabelSchema)
    hint = Obj(LabelSchema)
    list = Text(min=1, max=200)
    required = Bool()
    required_message = Obj(LabelSchema)
    constraint = Text(max=XPATH_MAX)
    constraint_message = Obj(LabelSchema)
    relevant = Text(max=XPATH_MAX)
    calculation = Text(max=XPATH_MAX)
    default = Text(max=XPATH_MAX)
    read_only = Bool()
    appearance = Text(max=200)
    repeat_count = Text(max=XPATH_MAX)

    @validates_schema(skip_on_field_errors=True)
    def _selects_name_a_list(self, data, **kwargs):
        if data["type"] in ("select_one", "select_multiple") and not data.get("list"):
            raise ValidationError({"list": [Problem("required", when="select")]})


class SourceSchema(Strict):
    """The spreadsheet a version was made from."""

    file = Text(required=True, min=1, max=200)
    sha256 = Text(required=True, min=64, max=64)
    size = Number(required=True, min=0, max=64 * 1024 * 1024, integer=True)


def _this_campaign(value):
    if ids.campaign_of_form(current().doc_id) != value:
        raise fail("matches_id", expected=ids.campaign_of_form(current().doc_id))


def _this_version(value):
    expected = int(current().doc_id.rsplit(":", 1)[1])
    if value != expected:
        raise fail("matches_id", expected=expected)


class FormSchema(DocumentSchema):
    """A form version: the XForm and its question model."""

    campaign = Text(required=True, min=1, max=300, validate=_this_campaign)
    form_version = Number(required=True, min=1, max=999999, integer=True, validate=_this_version)
    title = Text(required=True, min=1, max=200)
    xform_id = Text(required=True, min=1, max=200)
    root = Text(required=True, min=1, max=200)
    xform = Text(required=True, min=1, max=2_000_000)
    questions = ListOf(Obj(QuestionSchema), max=1000, unique_by="path", required=True)
    choices = ChoiceLists(required=True)
    languages = ListOf(Text(min=1, max=64), max=10, unique=True)
    source = Obj(SourceSchema)
    uploaded_by = Text(required=True, min=1, max=64)
    uploaded_at = DateTime(required=True)
