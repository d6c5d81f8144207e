"""receipt:{grid}:{uuid} — a worker has read a notice (已读回执)."""

from rules.schemas.common import DateTime, DocumentSchema, Text, same_grid_id


class ReceiptSchema(DocumentSchema):
    """A read receipt; access rules make sure the reader wrote it."""

    notice = Text(required=True, max=200, validate=same_grid_id("notice", "notice_id"))
    reader = Text(required=True, min=1, max=64)
    read_at = DateTime(required=True)
