"""sendback:{grid}:{uuid} — a refused document sent back to its worker (退回修改).

A supervisor working the quarantine (隔离区) sends a refused document back
to the worker who wrote it: this document, in the same grid, replicates to
the worker's tablets, whose 待办 shows it until the worker's own fixed
version is accepted; the server then marks it ``resolved``.
"""

from rules.schemas.common import Choice
from rules.schemas.common import DateTime
from rules.schemas.common import DocumentSchema
from rules.schemas.common import ListOf
from rules.schemas.common import Text

STATUSES = ("open", "resolved")


class SendbackSchema(DocumentSchema):
    """A send-back; only supervisors and admins write it."""

    doc_id = Text(required=True, min=1, max=200)
    refused_rev = Text(max=200)
    worker = Text(required=True, min=1, max=64)
    reason = Text(required=True, min=1, max=2000)
    paths = ListOf(Text(min=1, max=200), max=50)
    note = Text(required=True, min=1, max=1000)
    refused_at = DateTime(required=True)
    sent_by = Text(required=True, min=1, max=64)
    sent_by_name = Text(max=64)
    sent_at = DateTime(required=True)
    status = Choice(STATUSES, required=True)
    resolved_at = DateTime()
