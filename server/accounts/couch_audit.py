"""The audit log kept in CouchDB (issue 22): the same interface as
:class:`server.accounts.audit.AuditLog`, for servers over the CouchDB store.

Every server appends to ``{prefix}gridvisit$audit``, one document per
action, never changed. A document's ``_id`` is its time in nanoseconds
(20 digits) and a random tail, so ``_all_docs`` lists the log in time
order and a time span is a key range; two servers never write one id.
A listing filtered by user or action reads the span's rows and keeps the
matching ones, so its cost grows with the span read (the console reads a
page at a time), not with the whole district's database.
"""

import hashlib
import json
import secrets
import time

from sync.couch.client import quote

DB_SUFFIX = "gridvisit$audit"
BATCH = 1000


def _key(seconds):
    return f"{int(seconds * 1e9):020d}"


class CouchAuditLog:
    """Append and read audit rows shared by every server over one CouchDB."""

    def __init__(self, server, prefix):
        self.server = server
        self.db = quote(prefix + DB_SUFFIX)
        server.request("PUT", self.db, ok=(201, 202, 412))

    def record(self, user, role, action, target=None, detail=None, address=None):
        """Add one row; returns its id."""
        at = time.time()
        row_id = f"{_key(at)}-{secrets.token_hex(4)}"
        self.server.request("PUT", f"{self.db}/{row_id}", body={
            "at": at, "user": user, "role": role, "address": address, "action": action,
            "target": target, "detail": detail or {}})
        return row_id

    def export(self):
        """Every row, oldest first, for another store."""
        return list(self._rows(None, None, None, None))[::-1]

    def absorb(self, rows):
        """Take rows from another store, each once (its id made from the row);
        how many."""
        for row in rows:
            tail = hashlib.sha256(json.dumps(row, sort_keys=True, default=str).encode())
            row_id = f"{_key(row['at'])}-m{tail.hexdigest()[:8]}"
            self.server.request("PUT", f"{self.db}/{row_id}", ok=(201, 202, 409), body={
                k: row[k] for k in ("at", "user", "role", "address", "action", "target",
                                    "detail")})
        return len(rows)

    def _rows(self, user, action, since, until):
        """Matching rows, newest first, read ``BATCH`` at a time."""
        params = {"descending": "true", "include_docs": "true", "limit": BATCH}
        if until is not None:
            params["startkey"] = json.dumps(_key(until))      # (its rows sort after: left out)
        if since is not None:
            params["endkey"] = json.dumps(_key(since))
        prefix = action.replace("%", "") if action else None
        while True:
            rows = self.server.request("GET", f"{self.db}/_all_docs", params)["rows"]
            for row in rows:
                doc = row["doc"]
                if (not user or doc["user"] == user) and \
                        (prefix is None or doc["action"].startswith(prefix)):
                    yield dict({k: v for k, v in doc.items() if not k.startswith("_")},
                               id=doc["_id"])
            if len(rows) < BATCH:
                return
            params = dict(params, startkey=json.dumps(rows[-1]["id"]), skip=1)

    def list(self, user=None, action=None, limit=50, offset=0, since=None, until=None):
        """Rows newest first, optionally of one user, action prefix and time span
        (epoch seconds, ``since`` included, ``until`` not)."""
        out = []
        for n, row in enumerate(self._rows(user, action, since, until)):
            if n >= offset + limit:
                break
            if n >= offset:
                out.append(row)
        return out

    def count(self, user=None, action=None, since=None, until=None):
        """How many rows match."""
        return sum(1 for _row in self._rows(user, action, since, until))
