"""The Apache CouchDB store: gridvisit's databases kept in a CouchDB (cluster).

One CouchDB database per partition (grid) of each gridvisit database, so
a worker's feed reads only their grids' databases (``docs/scaling.md``
has the numbers behind that layout). Speaks CouchDB's documented HTTP API
through httpx; imports no web framework.
"""

from .database import CouchDatabase
from .store import CouchStore

__all__ = ["CouchDatabase", "CouchStore"]
