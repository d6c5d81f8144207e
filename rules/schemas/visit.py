"""visit:{grid}:{uuid} — one door knock, with member checks, needs and photos."""

import base64
import binascii

from marshmallow import ValidationError, validates_schema

from rules.schemas.common import (COLOURS, Bool, Choice, Date, DateTime, DocumentSchema, ListOf,
                                  Number, Obj, Strict, Text, Value, colour_reason_problems,
                                  current, fail, same_grid_id)
from rules.schemas.messages import Problem
from rules.vocabulary import (ANTIGEN, CHANNELS, DECISIONS, NEED_KINDS, OUTCOMES, PHOTO_TYPES,
                              REFERRAL_TARGETS, SYMPTOMS, URGENCIES)
from rules.vocabulary import VISIT_STATUSES as STATUSES

PHOTO_MAX_BYTES = 5 * 1024 * 1024


def _schema_2_only(value):
    if current().version < 2:
        raise fail("version")


class CheckSchema(Strict):
    """One member's health check on a visit."""

    member = Text(required=True, min=1, max=64)
    temperature = Number(min=34, max=43, unit=" °C")
    symptoms = ListOf(Choice(SYMPTOMS), max=len(SYMPTOMS), unique=True)
    antigen = Choice(ANTIGEN)
    bp_systolic = Number(min=60, max=260, unit=" mmHg")
    bp_diastolic = Number(min=30, max=160, unit=" mmHg")
    spo2 = Number(min=50, max=100, unit="%", validate=_schema_2_only)
    medication_on_hand = Bool()

    @validates_schema(skip_on_field_errors=False)
    def _diastolic_below_systolic(self, data, **kwargs):
        high, low = data.get("bp_systolic"), data.get("bp_diastolic")
        if high is not None and low is not None and low >= high:
            raise ValidationError({"bp_diastolic": [Problem("below_systolic")]})


class NeedSchema(Strict):
    """A need raised on a visit."""

    kind = Choice(NEED_KINDS, required=True)
    detail = Text(max=500)
    urgency = Choice(URGENCIES)


class WarningSchema(Strict):
    """What the early-warning rules suggested on a visit, and what the worker decided."""

    rule = Text(required=True, min=1, max=64)
    member = Text(max=64)
    colour = Choice(COLOURS, required=True)
    referral = Choice(REFERRAL_TARGETS)
    reason = Text(required=True, min=1, max=500)
    decision = Choice(DECISIONS, required=True)
    override_reason = Text(min=1, max=500)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _override_needs_reason(self, data, raw, **kwargs):
        reason = raw.get("override_reason")
        if raw.get("decision") == "overridden" and reason is None:
            raise ValidationError({"override_reason": [Problem("required", when="override")]})
        if raw.get("decision") == "accepted" and reason is not None:
            raise ValidationError({"override_reason": [Problem("only_when", when="override")]})


def photo_size(attachment):
    """Decoded byte length of an attachment (inline base64 or stub), or None if unknown.

    :raises ValidationError: when inline data is not base64.
    """
    data = attachment.get("data")
    if data is not None:
        try:
            if not isinstance(data, str):
                raise ValueError(data)
            return len(base64.b64decode(data, validate=True))
        except (ValueError, binascii.Error):
            raise fail("format", kind="base64") from None
    length = attachment.get("length")
    if isinstance(length, int) and not isinstance(length, bool):
        return length
    return None


class Photos(Value):
    """``_attachments``: JPEG or PNG photos of at most 5 MB each."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise fail("type", kind="object")
        errors = {}
        for name, attachment in value.items():
            try:
                if not isinstance(attachment, dict):
                    raise fail("format", kind="attachment")
                media = attachment.get("content_type")
                media = media.split(";")[0].strip().lower() if isinstance(media, str) else None
                if media not in PHOTO_TYPES:
                    raise fail("content_type")
                size = photo_size(attachment)
                if size is not None and size > PHOTO_MAX_BYTES:
                    raise fail("file_size")
            except ValidationError as err:
                errors[str(name)] = err.messages
        if errors:
            raise ValidationError(errors)
        return value


class VisitSchema(DocumentSchema):
    """A visit document: immutable once submitted."""

    attachments = Photos(data_key="_attachments")
    household = Text(required=True, max=200, validate=same_grid_id("household", "household_id"))
    visited_at = DateTime(required=True)
    worker = Text(required=True, min=1, max=64)
    outcome = Choice(OUTCOMES, required=True)
    checks = ListOf(Obj(CheckSchema), max=30, unique_by="member")
    needs = ListOf(Obj(NeedSchema), max=20)
    services = ListOf(Text(min=1, max=200), max=20)
    colour_after = Choice(COLOURS, required=True)
    colour_reason = Text(max=500)
    follow_up_on = Date()
    notes = Text(max=2000)
    status = Choice(STATUSES)
    warnings = ListOf(Obj(WarningSchema), max=20, validate=_schema_2_only)
    rules_version = Number(min=1, max=10**9, integer=True, validate=_schema_2_only)
    supersedes = Text(max=200, validate=same_grid_id("visit", "visit_id"))
    channel = Choice(CHANNELS)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _cross_field(self, data, raw, **kwargs):
        problems = colour_reason_problems(raw, "colour_after")
        checks = raw.get("checks")
        if raw.get("outcome") in OUTCOMES[1:] and isinstance(checks, list) and checks:
            problems["checks"] = [Problem("only_when_met")]
        visited, follow_up = data.get("visited_at"), data.get("follow_up_on")
        # The visit's date is the date written in visited_at, in its own offset.
        if visited is not None and follow_up is not None and follow_up < visited.date():
            problems["follow_up_on"] = [Problem("not_before_visit")]
        if problems:
            raise ValidationError(problems)
