"""gridvisit server: the Flask app factory."""

import os
import secrets
import time
from pathlib import Path

from flask import Flask

from rules import fieldmerge, ids
from server import console, couch, cors, errors, fieldapp, jsonbody, settings
from server.access.couch_quarantine import CouchQuarantine
from server.access.quarantine import Quarantine
from server.accounts import auth
from server.accounts.audit import AuditLog
from server.accounts.couch_audit import CouchAuditLog
from server.accounts.couch_directory import CouchAccounts, CouchDirectory, DirectoryDocs
from server.accounts.couch_tokens import CouchTokens
from server.accounts.directory import Directory
from server.accounts.ratelimit import LoginLimiter
from server.accounts.tokens import Tokens
from server.accounts.users import Accounts
from server.api import endpoints as api, quarantine as api_quarantine
from server.couch.encoding import InflateRequests
from server.couch.params import ID64Converter
from server.couch.rawpath import RawPath
from server.jobs.couch_runs import CouchReplicationRuns
from server.jobs.runs import ReplicationRuns
from server.ops import capage, health, metrics, requestlog
from server.serverdb import ServerDB
from server.services import Services, install
from server.ops.transport import Transport
from server.version import __version__
from sync import Store
from sync.couch import CouchStore
from sync.design import engine as js_engine

__all__ = ["create_app", "__version__"]


def _kept_token(data_dir, name):
    """A random token made once and kept in the data directory.

    Every worker process (and every restart) must see the same value: the
    server's uuid names it in clients' replication ids.
    """
    path = Path(data_dir) / name
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(16 if name == "server_uuid" else 32))
    for _ in range(50):                  # another process may be writing it now
        value = path.read_text().strip()
        if value:
            return value
        time.sleep(0.01)
    raise RuntimeError(f"{path} is empty")


def _name_of(accounts):
    """user id -> account name (None when gone), for token listings."""
    def name_of(user_id):
        user = accounts.get(user_id)
        return None if user is None else user.name
    return name_of


def create_app(test_config=None):
    """Build the app: settings, store, accounts, blueprints, error pages."""
    app = Flask(__name__)
    config = settings.load(test_config)
    data_dir = Path(config["DATA_DIR"]).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    config["DATA_DIR"] = str(data_dir)
    config["SECRET_KEY"] = config["SECRET_KEY"] or _kept_token(data_dir, "secret_key")
    config["SERVER_UUID"] = _kept_token(data_dir, "server_uuid")
    app.config.update(config)
    app.config["MAX_CONTENT_LENGTH"] = config["MAX_REQUEST_BYTES"]
    app.config["SESSION_COOKIE_NAME"] = "AuthSession"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    jsonbody.init_app(app)
    app.url_map.converters["id64"] = ID64Converter
    js_engine.configure(time_limit=config["JS_TIMEOUT"])

    # No rule set is written here: until an admin or the district saves one,
    # the shipped set is in force on the server (warning_rules.current_rules)
    # and on the tablet (the field app ships it), and a tablet's first sync
    # carries its grids only.
    resolver = metrics.counting_merges(fieldmerge.resolve_field_doc)
    store = CouchStore(config["COUCHDB_URL"], ids.grid_of, resolver,
                       prefix=config["COUCHDB_PREFIX"]) \
        if config["COUCHDB_URL"] else Store(data_dir, partition=ids.grid_of, resolver=resolver)
    serverdb = ServerDB(data_dir / "gridvisit.sqlite")
    # Over CouchDB the accounts, the directory, the device tokens, the audit
    # log, the quarantine and the replication runs are shared by every server
    # (issue 22).
    if config["COUCHDB_URL"]:
        shared = DirectoryDocs(store.server, config["COUCHDB_PREFIX"])
        accounts = CouchAccounts(shared, config["SECRET_KEY"])
        directory = CouchDirectory(serverdb, accounts, shared)
        tokens = CouchTokens(store.server, config["COUCHDB_PREFIX"], _name_of(accounts))
        audit = CouchAuditLog(store.server, config["COUCHDB_PREFIX"])
        quarantine = CouchQuarantine(store.server, config["COUCHDB_PREFIX"])
        runs = CouchReplicationRuns(store.server, config["COUCHDB_PREFIX"])
    else:
        accounts = Accounts(serverdb, config["SECRET_KEY"])
        directory = Directory(serverdb, accounts)
        tokens = Tokens(serverdb)
        audit = AuditLog(serverdb)
        quarantine = Quarantine(serverdb)
        runs = ReplicationRuns(serverdb)
    install(app, Services(
        store=store, serverdb=serverdb, accounts=accounts,
        directory=directory, tokens=tokens,
        quarantine=quarantine, audit=audit,
        limiter=LoginLimiter(config["LOGIN_LIMIT_ACCOUNT"], config["LOGIN_LIMIT_ADDRESS"],
                             config["LOGIN_WINDOW"], config["LOGIN_DELAY_MAX"],
                             config["LOGIN_ACCOUNT_DELAY_MAX"]),
        runs=runs))

    auth.init_app(app)
    couch.session.init_app(app)
    cors.init_app(app)
    errors.init_app(app)
    app.register_blueprint(couch.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_quarantine.bp)
    console.init_app(app)
    app.register_blueprint(fieldapp.bp)
    app.register_blueprint(capage.bp)
    app.register_blueprint(health.bp)
    requestlog.init_app(app)
    metrics.init_app(app)
    app.wsgi_app = RawPath(app.wsgi_app)
    app.wsgi_app = InflateRequests(app.wsgi_app, config["MAX_REQUEST_BYTES"])
    # Outermost: the scheme and client address must be settled before anything reads them.
    app.wsgi_app = Transport(app.wsgi_app, config["TRUSTED_PROXIES"], config["HSTS_SECONDS"],
                             config.get("REDIRECT_TO_HTTPS_PORT"))
    return app
