"""Device tokens kept in CouchDB (issue 22): the same interface as
:class:`server.accounts.tokens.Tokens`, for servers over the CouchDB store.

Every gridvisit server over one CouchDB then checks a tablet's token
against the same record, so a token issued by one server works on all of
them, and a revocation through any server is refused by every server at
the tablet's next request (each check reads CouchDB; nothing is cached).

The records live in ``{prefix}gridvisit$tokens`` (``$`` keeps it apart from
the field databases), one document per token, ``_id`` ``t{id}``; the id is
taken from the token's hash, so checking a token is one document read.
Only the hash of a token is stored, as in SQLite. Accounts are still each
server's own (their ids must agree across servers: the same people made in
the same order), which is the next step of issue 22.
"""

import hashlib
import secrets
import time

from sync.couch.client import quote
from sync.errors import Conflict, NotFound

from server.accounts.tokens import DEVICE_MAX, SEEN_EVERY, Tokens
from server.accounts.users import AccountError

DB_SUFFIX = "gridvisit$tokens"


def _hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _id_of(token_hash):
    """The token's id: 52 bits of its hash, exact as a JSON number everywhere
    (JavaScript's, pouchdb-server's and the console's doubles too)."""
    return int(token_hash[:13], 16)


class CouchTokens:
    """Issue, check, list and revoke device tokens kept in CouchDB."""

    def __init__(self, server, prefix, name_of):
        self.server = server
        self.db = quote(prefix + DB_SUFFIX)
        self.name_of = name_of           # user id -> account name, for listings
        server.request("PUT", self.db, ok=(201, 202, 412))

    def _path(self, token_id):
        return f"{self.db}/t{int(token_id)}"

    def _get(self, token_id):
        try:
            return self.server.request("GET", self._path(token_id))
        except NotFound:
            return None

    def _by_token(self, token):
        token_hash = _hash(token)
        doc = self._get(_id_of(token_hash))
        return doc if doc is not None and doc["token_hash"] == token_hash else None

    def _update(self, token_id, change):
        """Apply ``change(doc)`` (False: nothing to do) until it is written; the
        result of the last ``change``."""
        while True:
            doc = self._get(token_id)
            if doc is None or not change(doc):
                return False
            try:
                self.server.request("PUT", self._path(token_id), body=doc)
                return True
            except Conflict:             # another server wrote it meanwhile: look again
                continue

    def issue(self, user, device):
        """A new token for ``user`` on ``device``; returns ``(token, id)``.

        :raises AccountError: when the device name is empty or too long.
        """
        device = (device or "").strip()
        if not device or len(device) > DEVICE_MAX:
            raise AccountError(f"device: 平板名称 1–{DEVICE_MAX} 个字符 / 1–{DEVICE_MAX} characters "
                               "naming the tablet")
        while True:
            token = "gv_" + secrets.token_urlsafe(32)
            token_hash = _hash(token)
            token_id = _id_of(token_hash)
            try:
                self.server.request("PUT", self._path(token_id), body={
                    "id": token_id, "user_id": user.id, "device": device,
                    "token_hash": token_hash, "created": time.time(), "last_seen": None,
                    "revoked": None, "wiped": None})
                return token, token_id
            except Conflict:             # that id is taken already: draw again
                continue

    def check(self, token):
        """``(user_id, token_id, device)`` for a live token, else None."""
        doc = self._by_token(token)
        if doc is None or doc["revoked"] is not None:
            return None
        now = time.time()
        if doc["last_seen"] is None or now - doc["last_seen"] > SEEN_EVERY:
            try:
                self.server.request("PUT", self._path(doc["id"]), body=dict(doc, last_seen=now))
            except Conflict:
                pass                     # another server saw it just now
        return doc["user_id"], doc["id"], doc["device"]

    def list(self, user_ids=None):
        """Tokens (never their values) with owner, device and last use."""
        found = self.server.request("GET", f"{self.db}/_all_docs", {"include_docs": "true"})
        wanted = None if user_ids is None else set(user_ids)
        out = []
        for row in found["rows"]:
            doc = row["doc"]
            if wanted is not None and doc["user_id"] not in wanted:
                continue
            out.append({"id": doc["id"], "user": self.name_of(doc["user_id"]),
                        "device": doc["device"], "created": doc["created"],
                        "last_seen": doc["last_seen"], "revoked": doc["revoked"],
                        "wiped": doc["wiped"]})
        return sorted(out, key=lambda d: d["created"])

    def owner(self, token_id):
        """The user id owning token ``token_id``, or None."""
        doc = self._get(token_id)
        return None if doc is None else doc["user_id"]

    def revoke(self, token_id):
        """Revoke a token; True if it was live."""
        def change(doc):
            if doc["revoked"] is not None:
                return False
            doc["revoked"] = time.time()
            return True
        return self._update(token_id, change)

    def to_wipe(self, token):
        """``(user_id, token_id, device)`` of a revoked token not yet wiped, else None."""
        doc = self._by_token(token)
        if doc is None or doc["revoked"] is None or doc["wiped"] is not None:
            return None
        return doc["user_id"], doc["id"], doc["device"]

    def wiped(self, token):
        """Record that the tablet of a revoked ``token`` erased itself; True if it was due."""
        doc = self._by_token(token)
        if doc is None:
            return False

        def change(current):
            if current["revoked"] is None or current["wiped"] is not None:
                return False
            current["wiped"] = time.time()
            return True
        return self._update(doc["id"], change)

    # -- moving between stores (gridvisit migrate-store) -----------------------

    def export(self):
        """Every token's record (its hash, never a token), for another store."""
        found = self.server.request("GET", f"{self.db}/_all_docs", {"include_docs": "true"})
        return [{k: row["doc"][k] for k in Tokens.FIELDS} for row in found["rows"]]

    def absorb(self, records):
        """Take tokens from another store: new ones added, known ones keep the
        later of each time (a revocation or wipe there holds here); how many."""
        for rec in records:
            token_id = _id_of(rec["token_hash"])

            def change(doc, rec=rec):
                if doc["token_hash"] != rec["token_hash"]:
                    return False         # (52 bits shared by two tokens: keep ours)
                doc["last_seen"] = max(doc["last_seen"] or 0, rec["last_seen"] or 0) or None
                doc["revoked"] = doc["revoked"] or rec["revoked"]
                doc["wiped"] = doc["wiped"] or rec["wiped"]
                return True
            try:
                self.server.request("PUT", self._path(token_id),
                                    body=dict(rec, id=token_id))
            except Conflict:
                self._update(token_id, change)
        return len(records)

