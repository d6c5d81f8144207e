"""The app's services, reached by a typed accessor: ``services().store``.

``create_app`` builds one :class:`Services` and keeps it on the app; every
route, command and job asks :func:`services` for it (flaskr's ``get_db()``),
never a string key, so a misspelt service is an attribute error at import
review time and an editor can follow each one to its class.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from sync import Store

    from server.access.quarantine import Quarantine
    from server.accounts.audit import AuditLog
    from server.accounts.directory import Directory
    from server.accounts.ratelimit import LoginLimiter
    from server.accounts.tokens import Tokens
    from server.accounts.users import Accounts
    from server.console.index import ConsoleIndex
    from server.jobs.runs import ReplicationRuns
    from server.serverdb import ServerDB

KEY = "gridvisit"


@dataclass
class Services:
    """Everything a request, command or job of one app works with."""

    store: Store
    serverdb: ServerDB
    accounts: Accounts
    directory: Directory
    tokens: Tokens
    quarantine: Quarantine
    audit: AuditLog
    limiter: LoginLimiter
    runs: ReplicationRuns
    console_index: ConsoleIndex | None = None      # set when the console is installed


def services(app: Flask | None = None) -> Services:
    """The services of ``app`` (by default the app handling this request)."""
    return (app or current_app).extensions[KEY]


def install(app: Flask, found: Services) -> None:
    """Keep ``found`` as ``app``'s services."""
    app.extensions[KEY] = found
