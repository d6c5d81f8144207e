"""request:{grid}:{uuid} — a need, complaint or referral handled on an SLA clock (接诉即办)."""

from marshmallow import ValidationError, validates_schema

from rules.schemas.common import (Choice, DateTime, DocumentSchema, Stamps, Text, Value,
                                  same_grid_id)
from rules.schemas.messages import Problem
from rules.schemas.visit import NEED_KINDS, REFERRAL_TARGETS, URGENCIES
from rules.vocabulary import REFERRAL_STATUSES, SATISFACTION, SLAS
from rules.vocabulary import REQUEST_KINDS as KINDS, REQUEST_STATUSES as STATUSES

REFERRAL_ONLY = ("target", "target_name")
WITH_SATISFACTION = ("satisfaction_comment", "satisfaction_at")


def statuses_for(kind):
    """The statuses a request of ``kind`` moves through, in order."""
    return REFERRAL_STATUSES if kind == "referral" else STATUSES


class Status(Value):
    """One of the statuses of the request's kind."""

    def _deserialize(self, value, attr, data, **kwargs):
        statuses = statuses_for(data.get("kind"))
        if isinstance(value, bool) or value not in statuses:
            raise ValidationError(Problem("enum", choices=statuses))
        return value


class StatusTimes(Value):
    """``{status: date-time}``: when each status (of the request's kind) was reached."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.moment = DateTime(required=True)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError(Problem("type", kind="object"))
        statuses = statuses_for(data.get("kind"))
        errors, result = {}, {}
        for status, moment in value.items():
            try:
                if status not in statuses:
                    raise ValidationError(Problem("enum", choices=statuses))
                result[status] = self.moment.deserialize(moment)
            except ValidationError as err:
                errors[str(status)] = err.messages
        if errors:
            raise ValidationError(errors)
        return result


def _present(raw, name):
    return raw.get(name) is not None


class RequestSchema(DocumentSchema):
    """A request document."""

    stamps = Stamps()
    household = Text(required=True, max=200, validate=same_grid_id("household", "household_id"))
    visit = Text(max=200, validate=same_grid_id("visit", "visit_id"))
    kind = Choice(KINDS)
    detail = Text(required=True, min=1, max=1000)
    urgency = Choice(URGENCIES)
    sla = Choice(SLAS)
    status = Status()
    status_times = StatusTimes()
    assignee = Text(min=1, max=64)
    opened_at = DateTime(required=True)
    target = Choice(REFERRAL_TARGETS)
    target_name = Text(max=100)
    member = Text(max=64)
    rule = Text(max=64)
    satisfaction = Choice(SATISFACTION)
    satisfaction_comment = Text(max=500)
    satisfaction_at = DateTime()

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _cross_field(self, data, raw, **kwargs):
        problems = {}
        if raw.get("kind") == "referral":
            if not _present(raw, "target"):
                problems["target"] = [Problem("required", when="referral")]
        else:
            for name in REFERRAL_ONLY:
                if _present(raw, name):
                    problems[name] = [Problem("only_when", when="referral")]
        if _present(raw, "satisfaction"):
            if raw.get("status") != "closed":
                problems["satisfaction"] = [Problem("only_when", when="closed")]
        else:
            for name in WITH_SATISFACTION:
                if _present(raw, name):
                    problems[name] = [Problem("only_when", when="satisfaction")]
        if problems:
            raise ValidationError(problems)
