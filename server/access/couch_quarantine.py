"""The quarantine kept in CouchDB (issue 22): the same interface as
:class:`server.access.quarantine.Quarantine`, for servers over the CouchDB
store, so a document refused through one server is on every server's desk.

Everything lives in ``{prefix}gridvisit$quarantine``, one document per
entry: ``entry:{id}`` (12 digits) with the refused document, who sent it,
from which device, when and why, and its ``outcome`` once worked. Entry
ids stay small integers, as the desk's addresses and the send-backs name
them: a new entry claims ``max + 1`` with a ``PUT`` only one server can
win (409: the next). Each server reads the entries from a copy that
follows the database's changes (:class:`server.couchdocs.FollowedDocs`);
refusals are rare, so the copy is small.

The same document sent again by the same user is kept once; two servers
refusing it at the same instant may keep it twice (both are shown), never
not at all.
"""

import json
import time

from rules import ids
from sync.errors import GridvisitError

from server.access.quarantine import DONE, OPEN, refused
from server.couchdocs import FollowedDocs, numbered

DB_SUFFIX = "gridvisit$quarantine"


def _doc_id(entry_id):
    return numbered("entry", entry_id)


def _row(doc):
    outcome = doc.get("outcome") or {}
    return {"id": doc["id"], "db": doc["db"], "doc_id": doc["doc_id"], "rev": doc["rev"],
            "grid": doc["grid"], "user": doc["user"], "device": doc["device"],
            "at": doc["at"], "reason": doc["reason"], "errors": doc["errors"],
            "doc": doc["doc"], "status": outcome.get("status", "open"),
            "handled_by": outcome.get("by"), "handled_at": outcome.get("at"),
            "note": outcome.get("note"), "released_rev": outcome.get("rev"),
            "sendback": outcome.get("sendback")}


def _body(row):
    keep = ("id", "db", "doc_id", "rev", "grid", "user", "device", "at", "reason", "errors",
            "doc", "digest")
    return {k: row[k] for k in keep if k in row}


class QuarantineDocs(FollowedDocs):
    """The quarantine database's documents; ``current()`` also gives the
    entries as rows, newest first."""

    def __init__(self, server, prefix):
        super().__init__(server, prefix + DB_SUFFIX)

    def indexed(self, kinds):
        return sorted((_row(doc) for doc in kinds.get("entry", ())),
                      key=lambda r: (r["at"], r["id"]), reverse=True)


class CouchQuarantine:
    """Refused documents shared by every server over one CouchDB."""

    def __init__(self, server, prefix):
        self.docs = QuarantineDocs(server, prefix)

    def _entries(self):
        return self.docs.current()[1]

    def keep(self, dbname, doc, user, device, reason, errors=()):
        """Keep a refused document; the same document sent again is kept once."""
        doc_id, rev, body, digest = refused(doc)
        if any(e["db"] == dbname and e["user"] == user and e.get("digest") == digest
               for e in self.docs.of_type("entry")):
            return
        self.docs.claim("entry", {
            "db": dbname, "doc_id": doc_id, "rev": rev,
            "grid": ids.grid_of(doc_id) if doc_id else None, "user": user, "device": device,
            "at": time.time(), "reason": reason, "errors": list(errors),
            "doc": json.loads(body), "digest": digest})

    def _matching(self, grids, state):
        wanted = OPEN if state == "open" else DONE if state == "done" else None
        return [e for e in self._entries()
                if (grids is None or e["grid"] in grids)
                and (wanted is None or e["status"] in wanted)]

    def list(self, grids=None, limit=100, offset=0, state="all"):
        """Quarantined documents, newest first; only ``grids`` unless None;
        ``state`` "open" (not yet fixed), "done" or "all"."""
        return self._matching(grids, state)[offset:offset + limit]

    def count(self, grids=None, state="all"):
        """How many documents are quarantined (in ``grids`` unless None)."""
        return len(self._matching(grids, state))

    def get(self, entry_id):
        """One entry, or None."""
        doc = self.docs.doc(_doc_id(entry_id))
        return None if doc is None else _row(doc)

    def settle(self, entry_id, status, by, note=None, rev=None, sendback=None):
        """Record what became of an entry (replacing a ``sent_back``)."""
        def change(doc):
            if doc is None:
                return None
            before = doc.get("outcome") or {}
            doc["outcome"] = {"status": status, "by": by, "at": time.time(), "note": note,
                              "rev": rev, "sendback": sendback or before.get("sendback")}
            return doc
        self.docs.update(_doc_id(entry_id), change)

    def accepted(self, dbname, doc_ids, user):
        """Mark ``user``'s open entries of ``doc_ids`` resolved: their fixed
        version was just accepted. Returns the ids of their send-backs."""
        wanted = set(doc_ids)
        if not wanted:
            return []
        found = [e for e in self._entries() if e["db"] == dbname and e["user"] == user
                 and e["doc_id"] in wanted and e["status"] in OPEN]
        for entry in found:
            self.settle(entry["id"], "resolved", user, sendback=entry["sendback"])
        return [e["sendback"] for e in found if e["sendback"]]

    def scrub(self, dbname, doc_ids, household, rewrite):
        """Erasure (issue 21): every entry of ``doc_ids`` or naming ``household``
        becomes ``rewrite(doc)``, or is deleted when that is None; then the
        database is compacted, so no older revision keeps the erased data."""
        wanted, text = set(doc_ids), json.dumps(household)[1:-1]
        for entry in list(self._entries()):
            if entry["db"] != dbname or not (
                    entry["doc_id"] in wanted
                    or text in json.dumps(entry["doc"], ensure_ascii=False)):
                continue
            scrubbed = rewrite(entry["doc"])
            self.docs.update(_doc_id(entry["id"]), lambda doc, s=scrubbed: (
                None if doc is None else {"_deleted": True} if s is None else dict(doc, doc=s)))
        try:
            self.docs.server.request("POST", f"{self.docs.db}/_compact", body={})
        except GridvisitError:           # compaction is CouchDB's to schedule too
            pass

    def export(self):
        """Every entry with its outcome, oldest first, for another store."""
        return self._entries()[::-1]

    def absorb(self, entries):
        """Take entries from another store under their ids (each once); how many."""
        for entry in entries:
            body = dict(_body(entry), digest=refused(entry["doc"])[3])
            if entry["status"] != "open" or entry.get("handled_by"):
                body["outcome"] = {"status": entry["status"], "by": entry["handled_by"],
                                   "at": entry["handled_at"], "note": entry["note"],
                                   "rev": entry["released_rev"], "sendback": entry["sendback"]}
            self.docs.create(_doc_id(entry["id"]), body)
        return len(entries)
