"""Strict JSON fields, the validation context, and the fields every document has.

The fields accept JSON as JavaScript sees it, so the field app's validator
can agree with this one: a string is a ``str``; a number is an ``int`` or
finite ``float`` (never a boolean); an integer is a number without a
fractional part (``2.0`` counts, as ``Number.isInteger`` says); string
lengths count Unicode code points. ``null`` in an optional field means
absent; in a required field it is "required".

Every check raises ``ValidationError(Problem(rule, **params))`` so the rule
survives to the error list (see ``messages``).
"""

import math
import re
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from marshmallow import Schema, ValidationError, fields, pre_load

from rules.ids import parse as parse_id
from rules.schemas.messages import Problem
from rules.vocabulary import COLOURS

CLOCK_SKEW = timedelta(minutes=10)
DATETIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                      r"(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2})")
DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
HLC = re.compile(r"[0-9]{13}-[0-9]{4}")


@dataclass(frozen=True)
class Context:
    """What one ``validate`` call knows beyond the fields: the id and the clock."""

    now: datetime
    doc_id: str
    doc_type: str
    grid: str
    version: int


_context = ContextVar("gridvisit_schema_context")


@contextmanager
def using(context):
    """Make ``context`` current for the validators run inside the block."""
    token = _context.set(context)
    try:
        yield context
    finally:
        _context.reset(token)


def current():
    """The context of the ``validate`` call in progress."""
    return _context.get()


def fail(rule, **params):
    """A ValidationError carrying one rule."""
    return ValidationError(Problem(rule, **params))


def _field_kwargs(required, kwargs):
    kwargs.setdefault("allow_none", not required)
    kwargs["error_messages"] = {"required": "required", "null": "required",
                                **kwargs.get("error_messages", {})}
    kwargs["required"] = required
    return kwargs


class Value(fields.Field):
    """Base of the strict fields: marshmallow's own messages replaced by rules."""

    def __init__(self, *, required=False, **kwargs):
        super().__init__(**_field_kwargs(required, kwargs))


class Text(Value):
    """A string of ``min``–``max`` code points; ``min`` ignores surrounding blanks."""

    def __init__(self, *, min=0, max, pattern=None, fmt=None, **kwargs):
        super().__init__(**kwargs)
        self.min, self.max, self.pattern, self.fmt = min, max, pattern, fmt

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise fail("type", kind="string")
        if len(value) > self.max or len(value.strip()) < self.min:
            raise fail("length", min=self.min, max=self.max)
        if self.pattern and not self.pattern.fullmatch(value):
            raise fail("format", kind=self.fmt)
        return value


class Number(Value):
    """A JSON number in ``min``–``max`` (``max`` may be a callable)."""

    def __init__(self, *, min, max, integer=False, unit="", **kwargs):
        super().__init__(**kwargs)
        self.min, self.max, self.integer, self.unit = min, max, integer, unit

    def _deserialize(self, value, attr, data, **kwargs):
        kind = "integer" if self.integer else "number"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail("type", kind=kind)
        if isinstance(value, float) and not (math.isfinite(value)
                                             and (value.is_integer() or not self.integer)):
            raise fail("type", kind=kind)
        high = self.max() if callable(self.max) else self.max
        if not self.min <= value <= high:
            raise fail("range", min=self.min, max=high, unit=self.unit)
        return value


class Bool(Value):
    """``true`` or ``false``, nothing truthy."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise fail("type", kind="boolean")
        return value


class Choice(Value):
    """One of ``choices``."""

    def __init__(self, choices, **kwargs):
        super().__init__(**kwargs)
        self.choices = tuple(choices)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or value not in self.choices:
            raise fail("enum", choices=self.choices)
        return value


class DateTime(Value):
    """An ISO 8601 date-time with an offset, at most 10 minutes in the future
    unless ``future`` (a deadline such as a notice's expiry)."""

    def __init__(self, *, future=False, **kwargs):
        super().__init__(**kwargs)
        self.future = future

    def _deserialize(self, value, attr, data, **kwargs):
        match = DATETIME.fullmatch(value) if isinstance(value, str) else None
        if not match:
            raise fail("format", kind="datetime")
        year, month, day, hour, minute, second, fraction, offset = match.groups()
        try:
            if offset == "Z":
                tz = timezone.utc
            else:
                hours, minutes = int(offset[1:3]), int(offset[4:6])
                if minutes > 59:
                    raise ValueError(offset)
                sign = -1 if offset[0] == "-" else 1
                tz = timezone(sign * timedelta(hours=hours, minutes=minutes))
            micro = int((fraction or "0")[:6].ljust(6, "0"))
            moment = datetime(int(year), int(month), int(day), int(hour), int(minute),
                              int(second), micro, tzinfo=tz)
        except (ValueError, OverflowError):
            raise fail("format", kind="datetime") from None
        if not self.future and moment > current().now + CLOCK_SKEW:
            raise fail("future")
        return moment


class Date(Value):
    """A calendar date ``YYYY-MM-DD``."""

    def _deserialize(self, value, attr, data, **kwargs):
        match = DATE.fullmatch(value) if isinstance(value, str) else None
        try:
            if match:
                return date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
        raise fail("format", kind="date")


class Ext(Value):
    """Any JSON object, kept for forward compatibility."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise fail("type", kind="object")
        return value


def _add_error(errors, index, member, problem):
    """Add ``problem`` to item ``index`` (at its ``member`` if given) of List errors."""
    entry = errors.get(index, {} if member else [])
    if member is None:
        entry = {**entry, "_schema": [*entry.get("_schema", []), problem]} \
            if isinstance(entry, dict) else [*entry, problem]
    else:
        entry = dict(entry) if isinstance(entry, dict) else {"_schema": entry}
        entry[member] = [*entry.get(member, []), problem]
    errors[index] = entry


class ListOf(fields.List):
    """A list of at most ``max`` items; optionally unique (by ``unique_by`` member)."""

    def __init__(self, inner, *, max, unique=False, unique_by=None, required=False, **kwargs):
        super().__init__(inner, **_field_kwargs(required, kwargs))
        self.max, self.unique, self.unique_by = max, unique or unique_by is not None, unique_by

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise fail("type", kind="list")
        if len(value) > self.max:
            raise fail("count", max=self.max)
        errors, result = {}, None
        try:
            result = super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as err:
            errors, result = dict(err.messages), err.valid_data
        if self.unique:
            seen = set()
            for index, item in enumerate(value):
                key = item.get(self.unique_by) if (self.unique_by and isinstance(item, dict)) \
                    else (None if self.unique_by else item)
                if not isinstance(key, str):
                    continue
                if key in seen:
                    _add_error(errors, index, self.unique_by, Problem("unique", value=key))
                seen.add(key)
        if errors:
            raise ValidationError(errors, valid_data=result)
        return result


class Obj(fields.Nested):
    """A nested object validated by a ``Strict`` schema."""

    def __init__(self, nested, *, required=False, **kwargs):
        super().__init__(nested, **_field_kwargs(required, kwargs))

    def _deserialize(self, value, attr, data, **kwargs):
        # A non-object never reaches the nested schema's own validators
        # (which read the raw mapping); the error is the one it would give.
        if not isinstance(value, dict):
            raise ValidationError({"_schema": [self.schema.error_messages["type"]]})
        return super()._deserialize(value, attr, data, **kwargs)


class Strict(Schema):
    """A schema that rejects unknown members with rule names as messages."""

    error_messages = {"type": "type:object", "unknown": "unknown"}


def _matches(attribute):
    def check(value):
        expected = getattr(current(), attribute)
        if value != expected:
            raise fail("matches_id", expected=expected)
    return check


def same_grid_id(prefix, fmt):
    """A validator: the value is a ``{prefix}:{grid}:{key}`` id of this document's grid."""
    def check(value):
        parsed = parse_id(value)
        if parsed is None or parsed[0] != prefix:
            raise fail("format", kind=fmt)
        if parsed[1] != current().grid:
            raise fail("same_grid", grid=current().grid)
    return check


# Fields a stamp may not name: they identify the document and no edit changes them.
UNSTAMPED = {"type", "schema", "grid", "stamps", "merge"}


class Stamps(Value):
    """``{field: [hlc, device]}``, schema 2 only; keys name a field of the document."""

    def _deserialize(self, value, attr, data, **kwargs):
        if current().version < 2:
            raise fail("version")
        if not isinstance(value, dict):
            raise fail("type", kind="object")
        names = {f.data_key or name for name, f in self.parent.load_fields.items()} - UNSTAMPED
        errors = {}
        for key, stamp in value.items():
            head = re.split(r"[.:/\[]", str(key), maxsplit=1)[0]
            if head not in names:
                errors[str(key)] = [Problem("unknown")]
            elif not (isinstance(stamp, list) and len(stamp) == 2
                      and isinstance(stamp[0], str) and HLC.fullmatch(stamp[0])
                      and isinstance(stamp[1], str) and 1 <= len(stamp[1]) <= 64):
                errors[str(key)] = [Problem("format", kind="stamp")]
        if errors:
            raise ValidationError(errors)
        return value


class DocumentSchema(Strict):
    """The fields every field document has; CouchDB's ``_`` fields are ignored."""

    type_ = Text(data_key="type", required=True, max=64, validate=_matches("doc_type"))
    version = Choice((2, 1), data_key="schema", required=True)
    grid = Text(required=True, max=64, validate=_matches("grid"))
    updated_at = DateTime(required=True)
    updated_by = Text(required=True, min=1, max=64)
    device = Text(min=1, max=64)
    ext = Ext()

    @pre_load
    def _drop_couch_fields(self, data, **kwargs):
        # Keep the underscore fields a type declares itself (a visit's _attachments).
        own = {f.data_key for f in self.load_fields.values() if f.data_key}
        return {key: value for key, value in data.items()
                if not (isinstance(key, str) and key.startswith("_")) or key in own}


def colour_reason_problems(raw, colour_field):
    """``{"colour_reason": [...]}`` when a yellow or red colour has no reason."""
    reason = raw.get("colour_reason")
    blank = reason is None or (isinstance(reason, str) and not reason.strip())
    if blank and raw.get(colour_field) in ("yellow", "red"):
        return {"colour_reason": [Problem("required", when="colour")]}
    return {}
