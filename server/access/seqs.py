"""The changes feed of one user's grids, with seqs that remember the grids.

A filtered seq reads ``"{n}-{epoch}-{set}"``: position ``n`` in the
database, seen with the grid set named ``set`` (a hash the directory keeps).
When the user's grids change, the next request names the old set; the feed
then first *backfills* every document of the newly added grids up to ``n``
(their seqs are older than the tablet's checkpoint, so a plain
``seq > n`` would never send them), then goes on after ``n`` with all the
user's grids. While backfilling, seqs read ``"{n}-{epoch}-{set}-{b}"``:
backfilled up to ``b``. Every row's seq works as ``since``. Grids taken
away simply stop flowing.
"""

from sync.changes import COUCH_STORE_MARK
from sync.errors import BadRequest
from sync.integers import is_int_text, parse_int


class FilteredFeed:
    """``changes`` for a user who sees only ``grids``."""

    def __init__(self, db, grids, directory):
        self.db = db
        self.grids = frozenset(grids)
        self.directory = directory
        self._current = None

    def current_set(self):
        """The hash naming the user's grid set now."""
        if self._current is None:
            self._current = self.directory.remember_set(self.grids)
        return self._current

    def parse(self, since):
        """``(n, old_grids, backfilled_to)`` for a ``since`` value.

        A seq without a grid set (from an unfiltered view, or from an older
        incarnation of the database) restarts the feed from the beginning,
        which is always safe: the replicator skips what it already has.

        :raises BadRequest: for a malformed value.
        """
        update_seq = self.db.update_seq()
        if since in (None, "", 0, "0"):
            return 0, self.grids, None
        if since == "now":
            return update_seq, self.grids, None
        if isinstance(since, int) and not isinstance(since, bool):
            parse_int(since, "since")             # range-checked as for the admin
            return 0, self.grids, None
        if not isinstance(since, str):
            raise BadRequest(f"since must be a seq from this database, not {since!r}")
        if since.startswith(COUCH_STORE_MARK):       # from before migrate-store
            return 0, self.grids, None
        parts = since.split("-")
        if not (parts[0].isascii() and parts[0].isdigit()):
            raise BadRequest(f"since must be a seq from this database, not {since!r}")
        n = parse_int(parts[0], "since")
        if len(parts) < 3 or parts[1] != self.db.epoch:
            return 0, self.grids, None
        old = self.directory.recall_set(parts[2])
        if old is None:
            return 0, self.grids, None
        backfilled = int(parts[3]) if len(parts) > 3 and is_int_text(parts[3]) else None
        return n, old, backfilled

    def position(self, since):
        """The database position a ``since`` stands for (for waiting)."""
        return self.parse(since)[0]

    def _token(self, n, set_hash, backfilled=None):
        text = f"{n}-{self.db.epoch}-{set_hash}"
        return text if backfilled is None else f"{text}-{backfilled}"

    @staticmethod
    def _n(seq_text):
        return int(seq_text.split("-", 1)[0])

    def changes(self, since=0, limit=None, descending=False, **params):
        """One page of the user's feed (parameters as ``Database.changes``).

        The grid filter comes first (``parts``, in SQL); a design document's
        ``predicate`` then sees only the user's own documents.
        """
        n, old, backfilled = self.parse(since)
        current = self.current_set()
        if descending:
            page = self.db.changes(since=n, limit=limit, descending=True,
                                   parts=self.grids, **params)
            for row in page["results"]:
                row["seq"] = self._token(self._n(row["seq"]), current)
            page["last_seq"] = self._token(self._n(page["last_seq"]), current)
            return page
        results, pending = [], 0
        added = self.grids - old
        if added and n > 0:
            old_hash = self.directory.remember_set(old)
            back = self.db.changes(since=backfilled or 0, limit=limit, parts=added, until=n,
                                   **params)
            for row in back["results"]:
                row["seq"] = self._token(n, old_hash, self._n(row["seq"]))
            results = back["results"]
            if back["pending"]:
                last = results[-1]["seq"] if results else self._token(n, old_hash, backfilled)
                return {"results": results, "last_seq": last,
                        "pending": back["pending"] + self._pending_after(n)}
        room = None if limit is None else limit - len(results)
        if room == 0:
            return {"results": results, "last_seq": self._token(n, current),
                    "pending": self._pending_after(n)}
        page = self.db.changes(since=n, limit=room, parts=self.grids, **params)
        for row in page["results"]:
            row["seq"] = self._token(self._n(row["seq"]), current)
        results.extend(page["results"])
        pending += page["pending"]
        return {"results": results, "last_seq": self._token(self._n(page["last_seq"]), current),
                "pending": pending}

    def _pending_after(self, n):
        page = self.db.changes(since=n, limit=0, parts=self.grids)
        return page["pending"]
