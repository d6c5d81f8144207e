"""Schemas of the field documents (docs/documents.md), one module per type.

``validate(doc)`` returns None for a valid document and raises
``ValidationFailed`` otherwise, listing every problem as
``{"field", "rule", "zh", "en"}``. The rule names and field paths are the
contract shared with the field app's validator; the table-driven cases in
``tests/vectors/schema_cases.json`` pin them down for both.

CouchDB's special fields (``_id``, ``_rev``, ``_revisions``, ...) are
ignored, except ``_id`` (which names the type and grid) and a visit's
``_attachments`` (its photos). A ``_deleted: true`` document is a
tombstone: only its id is checked.
"""

from datetime import datetime, timezone

from marshmallow import ValidationError

from sync.errors import Forbidden

from rules import ids
from rules.schemas.answer import AnswerSchema
from rules.schemas.campaign import CampaignSchema
from rules.schemas.campaign_form import FormSchema
from rules.schemas.common import Context, using
from rules.schemas.grid import GridSchema
from rules.schemas.household import HouseholdSchema
from rules.schemas.erasure import ErasureSchema
from rules.schemas.messages import error, flatten
from rules.schemas.notice import NoticeSchema
from rules.schemas.receipt import ReceiptSchema
from rules.schemas.request import RequestSchema
from rules.schemas.review import ReviewSchema
from rules.schemas.rules import RulesSchema
from rules.schemas.sendback import SendbackSchema
from rules.schemas.visit import VisitSchema

__all__ = ["ValidationFailed", "validate", "doc_type", "grid_of", "SCHEMAS"]

doc_type = ids.doc_type
grid_of = ids.grid_of

SCHEMAS = {
    "grid": GridSchema(),
    "household": HouseholdSchema(),
    "visit": VisitSchema(),
    "request": RequestSchema(),
    "review": ReviewSchema(),
    "notice": NoticeSchema(),
    "receipt": ReceiptSchema(),
    "sendback": SendbackSchema(),
    "erasure": ErasureSchema(),
    "rules": RulesSchema(),
    "campaign": CampaignSchema(),
    "form": FormSchema(),
    "answer": AnswerSchema(),
}


class ValidationFailed(Forbidden):
    """A document broke the contract; ``errors`` lists each field and rule.

    Its ``reason`` is all of them in one line, ``field: zh / en; ...``: a
    write refused this way is CouchDB's per-document ``forbidden``.
    """

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['zh']} / {e['en']}" for e in errors))


def _id_problem(doc):
    """The error for a missing or malformed ``_id``, or None."""
    if "_id" not in doc:
        return error("_id", "required")
    doc_id = doc["_id"]
    if not isinstance(doc_id, str):
        return error("_id", "type", kind="string")
    if ids.parse(doc_id) is None:
        if ids.prefix_kind(doc_id):
            return error("_id", "format", kind="doc_id")
        return error("_id", "kind")
    return None


def _schema_version(doc):
    version = doc.get("schema")
    return 1 if version == 1 and not isinstance(version, bool) else 2


def validate(doc, now=None):
    """Check ``doc`` against its type's schema; ``now`` bounds future times.

    :raises ValidationFailed: listing every problem found.
    """
    if not isinstance(doc, dict):
        raise ValidationFailed([error("_id", "type", kind="document")])
    problem = _id_problem(doc)
    if problem:
        raise ValidationFailed([problem])
    if doc.get("_deleted") is True:
        return None
    if now is None:
        now = datetime.now(timezone.utc).astimezone()
    elif now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    kind, grid = ids.parse(doc["_id"])
    context = Context(now=now, doc_id=doc["_id"], doc_type=kind, grid=grid,
                      version=_schema_version(doc))
    with using(context):
        try:
            SCHEMAS[kind].load(doc)
        except ValidationError as err:
            raise ValidationFailed(flatten(err.messages)) from None
    return None
