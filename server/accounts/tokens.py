"""Device tokens: long-lived bearer credentials for field tablets.

A tablet signs in once with name and password and receives a token named
for the device. Only a hash of the token is stored. A supervisor or admin
(or the worker) can revoke it, e.g. for a lost tablet. A revoked token is
marked for wiping: until the tablet reports it wiped (:meth:`Tokens.wiped`)
it may still push its pending work (see :mod:`server.accounts.auth`) and is
told to wipe everywhere else; once wiped it is dead, 401 everywhere.
"""

import hashlib
import secrets
import sqlite3
import time

from server.accounts.users import AccountError

SCHEMA = """
CREATE TABLE IF NOT EXISTS device_tokens (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device      TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created     REAL NOT NULL,
    last_seen   REAL,
    revoked     REAL,
    wiped       REAL
);
"""
SEEN_EVERY = 60          # seconds between last_seen writes for one token
DEVICE_MAX = 64


def _hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Tokens:
    """Issue, check, list and revoke device tokens."""

    def __init__(self, db):
        self.db = db
        db.ensure(SCHEMA)
        with self.db.connect() as conn:            # tables made before remote wipe
            columns = {row[1] for row in conn.execute("PRAGMA table_info(device_tokens)")}
            if "wiped" not in columns:
                conn.execute("ALTER TABLE device_tokens ADD COLUMN wiped REAL")

    def issue(self, user, device):
        """A new token for ``user`` on ``device``; returns ``(token, id)``.

        :raises AccountError: when the device name is empty or too long.
        """
        device = (device or "").strip()
        if not device or len(device) > DEVICE_MAX:
            raise AccountError(f"device: 平板名称 1–{DEVICE_MAX} 个字符 / 1–{DEVICE_MAX} characters "
                               "naming the tablet")
        token = "gv_" + secrets.token_urlsafe(32)
        with self.db.connect() as conn:
            cur = conn.execute(
                "INSERT INTO device_tokens (user_id, device, token_hash, created) "
                "VALUES (?, ?, ?, ?)", (user.id, device, _hash(token), time.time()))
        return token, cur.lastrowid

    def check(self, token):
        """``(user_id, token_id, device)`` for a live token, else None."""
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT user_id, id, device, last_seen FROM device_tokens "
                "WHERE token_hash = ? AND revoked IS NULL", (_hash(token),)).fetchone()
            if row is None:
                return None
            now = time.time()
            if row[3] is None or now - row[3] > SEEN_EVERY:
                conn.execute("UPDATE device_tokens SET last_seen = ? WHERE id = ?", (now, row[1]))
        return row[0], row[1], row[2]

    def list(self, user_ids=None):
        """Tokens (never their values) with owner, device and last use."""
        sql = ("SELECT t.id, u.name, t.device, t.created, t.last_seen, t.revoked, t.wiped "
               "FROM device_tokens t JOIN users u ON u.id = t.user_id")
        args = []
        if user_ids is not None:
            sql += f" WHERE t.user_id IN ({','.join('?' * len(user_ids))})"
            args = list(user_ids)
        with self.db.connect() as conn:
            rows = conn.execute(sql + " ORDER BY t.id", args).fetchall()
        return [{"id": r[0], "user": r[1], "device": r[2], "created": r[3],
                 "last_seen": r[4], "revoked": r[5], "wiped": r[6]} for r in rows]

    def owner(self, token_id):
        """The user id owning token ``token_id``, or None."""
        with self.db.connect() as conn:
            row = conn.execute("SELECT user_id FROM device_tokens WHERE id = ?",
                               (token_id,)).fetchone()
        return None if row is None else row[0]

    def revoke(self, token_id):
        """Revoke a token; True if it was live."""
        with self.db.connect() as conn:
            cur = conn.execute("UPDATE device_tokens SET revoked = ? WHERE id = ? "
                               "AND revoked IS NULL", (time.time(), token_id))
        return cur.rowcount == 1

    def to_wipe(self, token):
        """``(user_id, token_id, device)`` of a revoked token not yet wiped, else None."""
        with self.db.connect() as conn:
            row = conn.execute(
                "SELECT user_id, id, device FROM device_tokens WHERE token_hash = ? "
                "AND revoked IS NOT NULL AND wiped IS NULL", (_hash(token),)).fetchone()
        return None if row is None else tuple(row)

    def wiped(self, token):
        """Record that the tablet of a revoked ``token`` erased itself; True if it was due."""
        with self.db.connect() as conn:
            cur = conn.execute("UPDATE device_tokens SET wiped = ? WHERE token_hash = ? "
                               "AND revoked IS NOT NULL AND wiped IS NULL",
                               (time.time(), _hash(token)))
        return cur.rowcount == 1

    # -- moving between stores (gridvisit migrate-store) -----------------------

    FIELDS = ("user_id", "device", "token_hash", "created", "last_seen", "revoked", "wiped")

    def export(self):
        """Every token's record (its hash, never a token), for another store."""
        with self.db.connect() as conn:
            rows = conn.execute(f"SELECT {', '.join(self.FIELDS)} FROM device_tokens "
                                "ORDER BY id").fetchall()
        return [dict(zip(self.FIELDS, row)) for row in rows]

    def absorb(self, records):
        """Take tokens from another store: new ones added, known ones keep the
        later of each time (a revocation or wipe there holds here); how many
        were taken (a token of an account this server lacks is not)."""
        taken = 0
        with self.db.connect() as conn:
            for rec in records:
                try:
                    conn.execute(
                        f"INSERT INTO device_tokens ({', '.join(self.FIELDS)}) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(token_hash) DO UPDATE SET "
                        "last_seen = nullif(max(coalesce(last_seen, 0), "
                        "coalesce(excluded.last_seen, 0)), 0), "
                        "revoked = coalesce(revoked, excluded.revoked), "
                        "wiped = coalesce(wiped, excluded.wiped)",
                        tuple(rec[f] for f in self.FIELDS))
                    taken += 1
                except sqlite3.IntegrityError:   # no such account here
                    continue
        return taken

