"""gridvisit's sync core: revision trees, the document store, changes.

Pure Python: nothing here imports Flask or any other web package (see
README.md in this folder).
"""

from .database import Database
from .store import Store

__all__ = ["Database", "Store"]
