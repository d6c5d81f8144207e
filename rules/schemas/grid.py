"""grid:{grid} — reference data: the grid's name, community and street."""

from rules.schemas.common import DocumentSchema, Text


class GridSchema(DocumentSchema):
    """A grid reference document (written by admins and the district hub)."""

    name = Text(required=True, min=1, max=64)
    community = Text(min=1, max=64)
    community_name = Text(min=1, max=64)
    street = Text(min=1, max=64)
    street_name = Text(min=1, max=64)
