"""Every setting of the server, declared once: (name, default, help).

A setting comes from ``create_app(test_config)``, else the environment
variable ``GRIDVISIT_<NAME>``, else its default. README.md documents each
one; ``tests/test_docs.py`` checks that it does.
"""

import os

SETTINGS = (
    ("DATA_DIR", "instance",
     "Directory holding the databases, accounts and secret key."),
    ("FIELD_DB", "field",
     "Name of the field database that tablets sync; the only one non-admins may use."),
    ("SECRET_KEY", None,
     "Key that signs session cookies; generated and kept in DATA_DIR when unset."),
    ("MAX_REQUEST_BYTES", 64 * 1024 * 1024,
     "Largest request body accepted (photos arrive inline); larger gets 413."),
    ("CORS_ORIGINS", "",
     "Comma-separated origins allowed to call /couch with credentials (CORS)."),
    ("CHANGES_TIMEOUT", 60,
     "Longest a longpoll or continuous _changes request waits, in seconds."),
    ("JS_TIMEOUT", 5,
     "Longest one call of a design document's JavaScript (map, reduce, filter, validation) "
     "may run, in seconds; past it the call fails and the engine is reset."),
    ("LOGIN_LIMIT_ACCOUNT", 5,
     "Failed logins of one account from one address before each further try waits "
     "(1 s, doubling); four times this from all addresses slows the account everywhere."),
    ("LOGIN_LIMIT_ADDRESS", 30,
     "Failed logins from one client address (any accounts) before its tries wait, doubling."),
    ("LOGIN_WINDOW", 900,
     "Seconds without a failure after which failed logins are forgotten."),
    ("LOGIN_DELAY_MAX", 900,
     "Longest wait, in seconds, for one address (or one account from one address)."),
    ("LOGIN_ACCOUNT_DELAY_MAX", 60,
     "Longest wait, in seconds, an account's failures from other addresses impose on it."),
    ("HUB_URL", "",
     "The district hub database (CouchDB URL) for the nightly jobs; empty: none."),
    ("HUB_USER", "",
     "Account on the hub (or put it in HUB_URL); never printed or logged."),
    ("HUB_PASSWORD", "",
     "Password on the hub; set it in the environment, never printed or logged."),
    ("COUCHDB_URL", "",
     "Apache CouchDB 3.x (an admin URL) that keeps the field databases instead of SQLite "
     "files in DATA_DIR (docs/scaling.md); empty: the embedded store. Its password is never "
     "printed or logged."),
    ("COUCHDB_PREFIX", "gv_",
     "Prefix of gridvisit's database names in COUCHDB_URL, so several deployments can share "
     "one CouchDB."),
    ("NIGHTLY_AT", "",
     "HH:MM to run the nightly jobs inside `gridvisit serve`; empty: use cron."),
    ("WORKERS", 2,
     "Worker processes of the WSGI server (gunicorn); one per core is a good start."),
    ("THREADS", 256,
     "Threads per worker process; each waiting longpoll holds one."),
    ("SLA_ONSITE", 5 * 60,
     "Seconds a request with SLA onsite_5m may wait for someone on site (in_progress)."),
    ("SLA_FIX", 20 * 60,
     "Seconds a request with SLA fix_20m may take until it is resolved."),
    ("SLA_PLAN", 2 * 24 * 3600,
     "Seconds a request with SLA plan_2d may wait for a plan (in_progress)."),
    ("CONSOLE_TIMEZONE", "+08:00",
     "UTC offset the console shows times in and counts days by."),
    ("CONSOLE_PAGE_SIZE", 50,
     "Rows per page in the console's lists."),
    ("REPORT_FONT", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
     "TrueType font (or collection) with Chinese glyphs for the weekly report's PDF."),
    ("TLS_CERT", "",
     "Server certificate (PEM) for HTTPS, relative to DATA_DIR or absolute; empty: the one "
     "`gridvisit tls init` made, if any."),
    ("TLS_KEY", "",
     "Private key (PEM) of TLS_CERT; set both or neither."),
    ("HTTP_PORT", 8080,
     "Plain-HTTP port `gridvisit serve` also listens on while serving HTTPS: redirects to "
     "HTTPS, serves the CA page; 0: none."),
    ("TRUSTED_PROXIES", "",
     "Comma-separated addresses or networks of reverse proxies whose X-Forwarded-* headers "
     "count; others' are dropped."),
    ("HSTS_SECONDS", 15552000,
     "max-age of Strict-Transport-Security sent on HTTPS responses; 0: none."),
    ("BACKUP_AT", "",
     "HH:MM to back up inside `gridvisit serve` every day; empty: none (or use cron)."),
    ("BACKUP_DIR", "",
     "Folder of the scheduled backups; empty: DATA_DIR-backups beside the data folder."),
    ("BACKUP_KEEP", 14,
     "Scheduled backups kept; older ones are removed after each new one."),
    ("FIELDAPP_DIR", "",
     "Folder the field app's files are served from under /app/; empty: the fieldapp/ "
     "folder shipped with the server."),
    ("LOCK_IDLE_SECONDS", 300,
     "Seconds without a touch after which the field app locks behind the worker's PIN "
     "(sent to tablets at sign-in and with /api/me)."),
    ("PIN_MAX_TRIES", 5,
     "Wrong PINs in a row a tablet allows before PIN_LOCKOUT applies."),
    ("PIN_LOCKOUT", "password",
     "What too many wrong PINs do: password (sign in again online with the full password) "
     "or wipe (erase the tablet's data, keys and unsent work)."),
    ("VISIT_RETENTION_YEARS", 0,
     "Visits older than this many years are anonymised by the nightly jobs (household, "
     "worker, checks, notes and photos removed, older revisions purged); 0: kept."),
    ("REQUEST_LOG", "-",
     "Where the JSON line per request goes: - for standard error, a file path, or empty for "
     "none."),
)

DEFAULTS = {name: default for name, default, _help in SETTINGS}


def _coerce(default, text):
    if isinstance(default, bool):
        return text.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(text)
    return text


def load(overrides=None):
    """The effective settings: overrides, then environment, then defaults."""
    values = {}
    for name, default, _help in SETTINGS:
        env = os.environ.get(f"GRIDVISIT_{name}")
        values[name] = default if env is None else _coerce(default, env)
    values.update(overrides or {})
    check(values)
    return values


# Settings whose values are limited: (name, test, rule as said in the error).
RULES = (
    ("PIN_LOCKOUT", lambda v: v in ("password", "wipe"), "须为 password 或 wipe / must be "
     "password or wipe"),
    ("PIN_MAX_TRIES", lambda v: isinstance(v, int) and 1 <= v <= 100,
     "须为 1–100 的整数 / must be a whole number from 1 to 100"),
    ("LOCK_IDLE_SECONDS", lambda v: isinstance(v, int) and 5 <= v <= 86400,
     "须为 5–86400 秒 / must be 5 to 86400 seconds"),
)


def check(values):
    """Refuse a setting outside its rule. :raises ValueError: naming the setting and the rule."""
    for name, test, rule in RULES:
        if name in values and not test(values[name]):
            raise ValueError(f"GRIDVISIT_{name}={values[name]!r}: {rule}")
