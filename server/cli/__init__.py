"""The ``gridvisit`` command line: one click group, its commands in modules
by subject (:mod:`.commands`, :mod:`.replication`, :mod:`.operations`), the demo seed (:mod:`.demo`)."""

from server.cli import commands, operations, privacy, replication  # noqa: F401  (each registers its commands)
from server.cli.base import main

__all__ = ["main"]
