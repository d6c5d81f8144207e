"""Accounts: users, roles and password hashes in the server's own tables.

These tables live in ``DATA_DIR/gridvisit.sqlite`` beside the field
databases and are never replicated. Passwords are hashed with scrypt;
because replication clients send Basic credentials on every request, a
verified (name, password) pair is remembered for a few minutes as an HMAC,
never in clear, and forgotten as soon as the stored hash changes.
"""

import hashlib
import hmac
import sqlite3
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask_login import UserMixin
from werkzeug.security import check_password_hash, generate_password_hash

from rules.vocabulary import ROLES
from sync.errors import BadRequest
from sync.integers import is_int_text

NAME_MAX = 64
PASSWORD_MIN = 10
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
VERIFIED_TTL = 300

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    display_name  TEXT NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1,
    created       REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS session_epochs (
    user_id INTEGER PRIMARY KEY,
    epoch   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS account_phones (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    phone   TEXT NOT NULL
);
"""
_COLUMNS = ("SELECT u.id, u.name, u.password_hash, u.role, u.active, u.display_name, "
            "COALESCE(e.epoch, 0) FROM users u LEFT JOIN session_epochs e ON e.user_id = u.id")


class AccountError(BadRequest, ValueError):
    """A user-facing problem with account or directory data (names the field and rule)."""


@dataclass
class User(UserMixin):
    """A signed-in account as flask-login sees it."""

    id: int
    name: str
    role: str
    active: bool
    password_hash: str = ""
    display_name: str = ""
    session_mark: str = ""

    @property
    def is_active(self):
        return bool(self.active)

    @property
    def is_admin(self):
        return self.role == "admin"

    def get_id(self):
        """What a session cookie keeps: the id and the session mark, so a
        cookie ends with a sign-out or a password change."""
        return f"{self.id}.{self.session_mark}"


class Accounts:
    """The users table, with a short-lived cache of verified passwords."""

    def __init__(self, db, secret):
        self.db = db
        self._secret = secret if isinstance(secret, bytes) else str(secret).encode()
        self._verified = {}
        self._lock = threading.Lock()
        if db is not None:                 # (None: a subclass keeps them elsewhere)
            db.ensure(SCHEMA)

    def _connect(self):
        return self.db.connect()

    def _row_to_user(self, row):
        if row is None:
            return None
        # The mark changes with the password hash and with each sign-out.
        mark = hmac.new(self._secret, f"{row[2]}\0{row[6]}".encode(),
                        hashlib.sha256).hexdigest()[:24]
        return User(row[0], row[1], row[3], bool(row[4]), row[2], row[5], mark)

    def get(self, user_id):
        """The user with id ``user_id``, or ``None``."""
        with self._connect() as conn:
            row = conn.execute(_COLUMNS + " WHERE u.id = ?", (user_id,)).fetchone()
        return self._row_to_user(row)

    def by_name(self, name):
        """The user called ``name``, or ``None``."""
        with self._connect() as conn:
            row = conn.execute(_COLUMNS + " WHERE u.name = ?", (name,)).fetchone()
        return self._row_to_user(row)

    def from_session(self, session_id):
        """The user a session cookie's id names, if its mark is still current."""
        user_id, _, mark = str(session_id).partition(".")
        if not is_int_text(user_id) or not mark:
            return None
        user = self.get(int(user_id))
        if user is None or not hmac.compare_digest(user.session_mark, mark):
            return None
        return user

    def end_sessions(self, user_id):
        """End every session cookie of ``user_id`` (sign-out)."""
        with self._connect() as conn:
            conn.execute("INSERT INTO session_epochs (user_id, epoch) VALUES (?, 1) "
                         "ON CONFLICT (user_id) DO UPDATE SET epoch = epoch + 1", (user_id,))

    def count(self):
        """How many accounts exist."""
        with self._connect() as conn:
            return conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]

    def list(self):
        """Every account, by name."""
        with self._connect() as conn:
            rows = conn.execute(_COLUMNS + " ORDER BY u.name").fetchall()
        return [self._row_to_user(row) for row in rows]

    def create(self, name, password, role, display_name=""):
        """Create an account.

        :raises AccountError: for a bad name, short password, unknown role,
            or a name already taken.
        """
        check_new(name, password, role)
        try:
            with self._connect() as conn:
                cur = conn.execute(
                    "INSERT INTO users (name, password_hash, role, display_name, active, created) "
                    "VALUES (?, ?, ?, ?, 1, ?)",
                    (name, generate_password_hash(password), role, display_name or "",
                     time.time()))
        except sqlite3.IntegrityError:
            raise name_taken(name)
        return self.get(cur.lastrowid)

    def set_password(self, name, password):
        """Change a password. :raises AccountError: unknown user, short password."""
        check_password(password)
        with self._connect() as conn:
            cur = conn.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                               (generate_password_hash(password), name))
        if cur.rowcount == 0:
            raise AccountError(f"name: 没有账户 {name!r} / no account called {name!r}")

    def set_role(self, name, role):
        """Change an account's role. :raises AccountError: unknown user or role."""
        check_role(role)
        with self._connect() as conn:
            cur = conn.execute("UPDATE users SET role = ? WHERE name = ?", (role, name))
        if cur.rowcount == 0:
            raise AccountError(f"name: 没有账户 {name!r} / no account called {name!r}")

    def set_active(self, name, active):
        """Activate or deactivate an account. :raises AccountError: unknown user."""
        with self._connect() as conn:
            cur = conn.execute("UPDATE users SET active = ? WHERE name = ?",
                               (int(bool(active)), name))
        if cur.rowcount == 0:
            raise AccountError(f"name: 没有账户 {name!r} / no account called {name!r}")

    def set_phone(self, user_id, phone):
        """Keep the phone a roster gave ``user_id``."""
        with self._connect() as conn:
            conn.execute("INSERT INTO account_phones (user_id, phone) VALUES (?, ?) "
                         "ON CONFLICT(user_id) DO UPDATE SET phone = excluded.phone",
                         (user_id, phone))

    def phones(self):
        """``{user_id: phone}`` of the accounts a roster gave a phone."""
        with self._connect() as conn:
            return dict(conn.execute("SELECT user_id, phone FROM account_phones").fetchall())

    # -- moving between stores (gridvisit migrate-store) -----------------------

    def export(self):
        """Every account as a record (its password hash, never a password)."""
        phones = self.phones()
        return [{"id": u.id, "name": u.name, "password_hash": u.password_hash, "role": u.role,
                 "display_name": u.display_name, "active": u.is_active,
                 "phone": phones.get(u.id)} for u in self.list()]

    def absorb(self, records):
        """Take accounts from another store, each under its id (so device
        tokens and records naming it hold); how many.

        :raises AccountError: when a name is another id's here.
        """
        try:
            with self._connect() as conn:
                for rec in records:
                    conn.execute(
                        "INSERT INTO users (id, name, password_hash, role, display_name, active, "
                        "created) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                        "name = excluded.name, password_hash = excluded.password_hash, "
                        "role = excluded.role, display_name = excluded.display_name, "
                        "active = excluded.active",
                        (rec["id"], rec["name"], rec["password_hash"], rec["role"],
                         rec["display_name"], int(bool(rec["active"])), time.time()))
                    if rec.get("phone"):
                        self.set_phone(rec["id"], rec["phone"])
        except sqlite3.IntegrityError as err:
            raise AccountError(f"name: 账户名与另一编号的账户相同 / an account name is another "
                               f"id's here ({err})") from None
        return len(records)

    def authenticate(self, name, password):
        """The active user whose password this is, or ``None``."""
        user = self.by_name(name)
        if user is None or not user.is_active:
            return None
        mark = hmac.new(self._secret, f"{name}\0{password}".encode(), hashlib.sha256).digest()
        now = time.monotonic()
        with self._lock:
            cached = self._verified.get(mark)
        if cached and cached[0] == user.password_hash and cached[1] > now:
            return user
        if not check_password_hash(user.password_hash, password):
            return None
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[mark] = (user.password_hash, now + VERIFIED_TTL)
        return user


def check_name(name):
    """Refuse an account name that is blank, too long, padded or has ``: / \\ NUL``.

    :raises AccountError: naming the rule.
    """
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX \
            or any(c in name for c in ":/\\\0") or name != name.strip():
        raise AccountError(
            f"name: 1–{NAME_MAX} 个字符，不含 ':' '/'，首尾无空格 / 1–{NAME_MAX} characters, "
            f"no ':' '/' or surrounding spaces (got {name!r})")


def check_new(name, password, role):
    """Check a new account's name, password and role. :raises AccountError:."""
    check_name(name)
    check_password(password)
    check_role(role)


def check_role(role):
    """:raises AccountError: unless ``role`` is one of the roles."""
    if role not in ROLES:
        raise AccountError(f"role: 角色须为 {'、'.join(ROLES)} 之一 / must be one of "
                           f"{', '.join(ROLES)} (got {role!r})")


def name_taken(name):
    """The error for creating an account whose name is taken."""
    return AccountError(f"name: 账户 {name!r} 已存在 / an account called {name!r} exists already")


@cache
def common_passwords():
    """The refused common passwords (lower case), from ``common_passwords.txt``."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines
                     if line.strip() and not line.startswith("#"))


def check_password(password):
    """Refuse a short or common password. :raises AccountError: naming the rule."""
    if not isinstance(password, str) or len(password) < PASSWORD_MIN:
        raise AccountError(f"password: 至少 {PASSWORD_MIN} 个字符 / at least {PASSWORD_MIN} characters")
    if password.lower() in common_passwords():
        raise AccountError("password: 这是常见密码，容易被猜中，请换一个 / "
                           "this is a common password, easily guessed; choose another")
