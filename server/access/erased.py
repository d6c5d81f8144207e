"""Erased ids: documents erased on request may never come back by a write.

An erasure (:mod:`server.jobs.erasure`) adds the ids it purged, among them
the household's. From then on a write of one of them, or of a document
naming an erased household (a visit recorded offline before the tablet
heard of the erasure), is refused per document — ``forbidden``, so
replication goes on — and, unlike every other refusal, *not* kept in
quarantine: keeping it would keep the erased personal data. The tablet
drops it when the erasure notice reaches it (``fieldapp/js/erasure.js``).
"""

SCHEMA = """
CREATE TABLE IF NOT EXISTS erased_ids (
    id    TEXT PRIMARY KEY,
    at    REAL NOT NULL
);
"""
REASON = ("该记录已依申请删除，不再接收 / this record was erased on request and is "
          "no longer accepted")


class ErasedIds:
    """The erased_ids table."""

    def __init__(self, db):
        self.db = db
        db.ensure(SCHEMA)

    def add(self, doc_ids, at):
        """Remember ``doc_ids`` as erased."""
        with self.db.connect() as conn:
            conn.executemany("INSERT OR IGNORE INTO erased_ids (id, at) VALUES (?, ?)",
                             [(i, at) for i in doc_ids])

    def erased(self, doc):
        """True when ``doc`` is, or names as its household, an erased document."""
        if not isinstance(doc, dict):
            return False
        keys = [k for k in (doc.get("_id"), doc.get("household")) if isinstance(k, str)]
        if not keys:
            return False
        with self.db.connect() as conn:
            return conn.execute(
                f"SELECT 1 FROM erased_ids WHERE id IN ({','.join('?' * len(keys))}) LIMIT 1",
                keys).fetchone() is not None
