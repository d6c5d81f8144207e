"""erasure:{grid}:{uuid} — an erasure notice: personal data erased on request.

When an admin erases a household or one of its members (``gridvisit erase``,
``POST /api/erasures``) the server writes this notice in the household's
grid, so it replicates to the grid's tablets and to the district hub like
any document. A tablet obeys it (``fieldapp/js/erasure.js``): it purges the
documents named in ``purged`` from its PouchDB and compacts, so the older
revisions of those in ``rewritten`` lose their bodies. It names ids only,
never a person: no name, no reason.
"""

from rules.schemas.common import DateTime
from rules.schemas.common import DocumentSchema
from rules.schemas.common import ListOf
from rules.schemas.common import Text


class ErasureSchema(DocumentSchema):
    """An erasure notice; only admins write it (the server, on an erasure)."""

    household = Text(required=True, min=1, max=200)
    member = Text(max=64)
    purged = ListOf(Text(min=1, max=200), required=True, max=5000)
    rewritten = ListOf(Text(min=1, max=200), required=True, max=5000)
    erased_at = DateTime(required=True)
