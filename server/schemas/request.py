"""request:{grid}:{uuid} — a need or complaint handled on an SLA clock (接诉即办)."""

from marshmallow import ValidationError

from .common import Choice, DateTime, DocumentSchema, Stamps, Text, Value, same_grid_id
from .messages import Problem
from .visit import NEED_KINDS, URGENCIES

KINDS = (*NEED_KINDS, "complaint")
SLAS = ("onsite_5m", "fix_20m", "plan_2d")
STATUSES = ("open", "assigned", "in_progress", "resolved", "closed")


class StatusTimes(Value):
    """``{status: date-time}``: when each status was reached."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.moment = DateTime(required=True)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError(Problem("type", kind="object"))
        errors, result = {}, {}
        for status, moment in value.items():
            try:
                if status not in STATUSES:
                    raise ValidationError(Problem("enum", choices=STATUSES))
                result[status] = self.moment.deserialize(moment)
            except ValidationError as err:
                errors[str(status)] = err.messages
        if errors:
            raise ValidationError(errors)
        return result


class RequestSchema(DocumentSchema):
    """A request document."""

    stamps = Stamps()
    household = Text(required=True, max=200, validate=same_grid_id("household", "household_id"))
    visit = Text(max=200, validate=same_grid_id("visit", "visit_id"))
    kind = Choice(KINDS)
    detail = Text(required=True, min=1, max=1000)
    urgency = Choice(URGENCIES)
    sla = Choice(SLAS)
    status = Choice(STATUSES)
    status_times = StatusTimes()
    assignee = Text(min=1, max=64)
    opened_at = DateTime(required=True)
