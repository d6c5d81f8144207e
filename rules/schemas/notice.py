"""notice:{grid}:{uuid} — a notice (通知) to a grid, one document per grid it reaches."""

from marshmallow import ValidationError, validates_schema

from rules.schemas.common import Choice, DateTime, DocumentSchema, Obj, Strict, Text, current
from rules.schemas.messages import Problem
from rules.vocabulary import AUDIENCES, NOTICE_PRIORITIES as PRIORITIES


class AudienceSchema(Strict):
    """Whom the notice was published to: a grid, a community, or everyone."""

    kind = Choice(AUDIENCES, required=True)
    id = Text(min=1, max=64)

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _id_names_the_audience(self, data, raw, **kwargs):
        kind, named = raw.get("kind"), raw.get("id")
        if kind == "everyone" and named is not None:
            raise ValidationError({"id": [Problem("only_when", when="audience")]})
        if kind in ("grid", "community") and named is None:
            raise ValidationError({"id": [Problem("required", when="audience")]})
        if kind == "grid" and isinstance(named, str) and named != current().grid:
            raise ValidationError({"id": [Problem("matches_id", expected=current().grid)]})


class NoticeSchema(DocumentSchema):
    """A notice document; withdrawing a notice deletes it."""

    title = Text(required=True, min=1, max=100)
    body = Text(required=True, min=1, max=2000)
    priority = Choice(PRIORITIES, required=True)
    audience = Obj(AudienceSchema, required=True)
    published_by = Text(required=True, min=1, max=64)
    published_by_name = Text(max=64)
    published_at = DateTime(required=True)
    expires_at = DateTime(future=True)

    @validates_schema(skip_on_field_errors=False)
    def _expires_after_publishing(self, data, **kwargs):
        published, expires = data.get("published_at"), data.get("expires_at")
        if published is not None and expires is not None and expires <= published:
            raise ValidationError({"expires_at": [Problem("after_published")]})
