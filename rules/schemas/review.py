"""review:visit:{grid}:{uuid} — a supervisor's verdict on one visit."""

from marshmallow import ValidationError, validates_schema

from rules.schemas.common import (Choice, DocumentSchema, DateTime, Text, current, fail,
                                   same_grid_id)
from rules.schemas.messages import Problem
from rules.vocabulary import REVIEW_STATES as STATES


def _is_reviewed_visit(value):
    expected = current().doc_id[len("review:"):]
    if value != expected:
        raise fail("matches_id", expected=expected)


class ReviewSchema(DocumentSchema):
    """A review document; its id is ``review:`` + the visit id."""

    visit = Text(required=True, max=200, validate=_is_reviewed_visit)
    state = Choice(STATES, required=True)
    comment = Text(max=1000)
    reviewer = Text(min=1, max=64)
    reviewed_at = DateTime()
    closed_by = Text(max=200, validate=same_grid_id("visit", "visit_id"))

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _verdict_needs_comment(self, data, raw, **kwargs):
        comment = raw.get("comment")
        blank = comment is None or (isinstance(comment, str) and not comment.strip())
        if blank and raw.get("state") in ("needs_fix", "rejected"):
            raise ValidationError({"comment": [Problem("required", when="review")]})
