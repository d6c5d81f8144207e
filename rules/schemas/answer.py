"""answer:{grid}:{uuid} — one household's answers to a campaign (摸排答卷).

Written once by the worker who asked (immutable, like a submitted visit),
in the grid of the household it was given for — or, for a phone or WeChat
contact outside any household record, in the worker's grid. ``values`` is
the form's data as the engine gives it (question name → value, a repeat as
a list of such objects); ``form`` names the form version it was given
under, against which ``rules.answers`` checks every value.
"""

from marshmallow import ValidationError, validates_schema

from rules import ids
from rules.schemas.common import (Choice, DateTime, DocumentSchema, Ext, Text, fail,
                                  same_grid_id)
from rules.schemas.messages import Problem
from rules.vocabulary import CHANNELS


def _campaign_id(value):
    if ids.doc_type(value) != "campaign":
        raise fail("format", kind="campaign_id")


def _form_id(value):
    if ids.doc_type(value) != "form":
        raise fail("format", kind="form_id")


class AnswerSchema(DocumentSchema):
    """An answer document; its values are checked against its form version."""

    campaign = Text(required=True, min=1, max=300, validate=_campaign_id)
    form = Text(required=True, min=1, max=300, validate=_form_id)
    household = Text(max=200, validate=same_grid_id("household", "household_id"))
    visit = Text(max=200, validate=same_grid_id("visit", "visit_id"))
    channel = Choice(CHANNELS, required=True)
    worker = Text(required=True, min=1, max=64)
    answered_at = DateTime(required=True)
    values = Ext(required=True)

    @validates_schema(skip_on_field_errors=True)
    def _form_of_the_campaign(self, data, **kwargs):
        if ids.campaign_of_form(data["form"]) != data["campaign"]:
            raise ValidationError({"form": [Problem("format", kind="form_of_campaign")]})
