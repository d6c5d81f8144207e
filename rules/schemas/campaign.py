"""campaign:{place}:{key} — a campaign (专项摸排): its period, whom it targets, its form.

A campaign belongs to a place (``rules.ids``): a community's supervisors
start one for their community; admins and the district hub for a street or
for everyone, and the nightly job brings those down with the rule set. The
questions are the campaign's form (``form:{place}:{key}:{version}``); the
campaign names the version tablets should ask now, while answers keep the
version they were given under.
"""

from marshmallow import ValidationError, validates_schema

from rules import ids
from rules.schemas.common import (COLOURS, Choice, Date, DateTime, DocumentSchema, ListOf, Obj,
                                  Strict, Text, current, fail)
from rules.schemas.messages import Problem
from rules.vocabulary import CAMPAIGN_STATUSES as STATUSES
from rules.vocabulary import CAMPAIGN_TARGETS as TARGETS
from rules.vocabulary import CHANNELS, TAGS

# What each kind of target lists (None: free ids of grids or buildings).
TARGET_VALUES = {"tags": TAGS, "colours": COLOURS, "grids": None, "buildings": None}


class PeriodSchema(Strict):
    """The days a campaign runs, both included."""

    start = Date(required=True)
    end = Date(required=True)

    @validates_schema(skip_on_field_errors=True)
    def _ends_after_it_starts(self, data, **kwargs):
        if data["end"] < data["start"]:
            raise ValidationError({"end": [Problem("not_before_start")]})


class TargetSchema(Strict):
    """The households asked: all of the place, or those with a tag, a colour,
    in a grid or a building (``g1/3`` is building 3 of grid g1)."""

    kind = Choice(TARGETS, required=True)
    values = ListOf(Text(min=1, max=64), max=200, unique=True)

    @validates_schema(pass_original=True, skip_on_field_errors=True)
    def _values_fit_the_kind(self, data, raw, **kwargs):
        kind, values = data["kind"], data.get("values")
        if kind == "all":
            if values:
                raise ValidationError({"values": [Problem("only_when", when="targets")]})
            return
        if not values:
            raise ValidationError({"values": [Problem("required", when="targets")]})
        allowed = TARGET_VALUES[kind]
        wrong = {i: [Problem("enum", choices=allowed)] for i, v in enumerate(values)
                 if allowed is not None and v not in allowed}
        if wrong:
            raise ValidationError({"values": wrong})


def _form_of_this_campaign(value):
    if ids.campaign_of_form(value) != current().doc_id:
        raise fail("format", kind="form_of_campaign")


class CampaignSchema(DocumentSchema):
    """A campaign document; closing it ends its asking, its answers stay.

    Who closed it and when (``closed_by``, ``closed_at``) are kept while it
    is closed and dropped when it is opened again."""

    name = Text(required=True, min=1, max=100)
    description = Text(max=2000)
    period = Obj(PeriodSchema, required=True)
    targets = Obj(TargetSchema, required=True)
    channels = ListOf(Choice(CHANNELS), max=len(CHANNELS), unique=True)
    status = Choice(STATUSES, required=True)
    form = Text(max=300, validate=_form_of_this_campaign)
    created_by = Text(required=True, min=1, max=64)
    created_at = DateTime(required=True)
    closed_by = Text(min=1, max=64)
    closed_at = DateTime()

    @validates_schema(skip_on_field_errors=True)
    def _closed_only_when_closed(self, data, **kwargs):
        if data["status"] != "closed":
            wrong = {key: [Problem("only_when", when="closed")]
                     for key in ("closed_by", "closed_at") if key in data}
            if wrong:
                raise ValidationError(wrong)
