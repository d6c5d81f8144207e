"""The changes feed: opaque string seqs and the by-seq query.

A seq is ``"{n}-{epoch}"``: ``n`` counts writes to the database and
``epoch`` names this incarnation of it. Clients must treat seqs as opaque
(CouchDB 2+ does the same); every row's seq works as ``since``. A ``since``
from another incarnation (the database was deleted and created again)
restarts the feed from the beginning rather than skipping documents.
"""

from .errors import BadRequest
from .integers import parse_int


def encode_seq(n, epoch):
    """The opaque string form of seq ``n``."""
    return f"{n}-{epoch}"


# How a seq of the CouchDB store begins (sync/couch/seqs.py): a tablet that
# synced with it before ``gridvisit migrate-store`` brought the community
# back sends one, and starts again from the beginning (it skips what it has).
COUCH_STORE_MARK = "p1-"


def decode_seq(since, epoch, update_seq):
    """The integer position a ``since`` value stands for.

    Accepts ``0``, integers, ``"now"`` and strings this module made.

    :raises BadRequest: for anything else.
    """
    if since is None or since == "" or since == 0:
        return 0
    if since == "now":
        return update_seq
    if isinstance(since, int) and not isinstance(since, bool) and since >= 0:
        return parse_int(since, "since")
    if isinstance(since, list) and since and isinstance(since[0], int):
        return parse_int(since[0], "since")      # CouchDB 1.x clients send [n, "..."]
    if isinstance(since, str) and since.startswith(COUCH_STORE_MARK):
        return 0                     # a tablet that came over by migrate-store
    if isinstance(since, str):
        head, _, tail = since.partition("-")
        if head and head.isascii() and head.isdigit():
            head = parse_int(head, "since")
            if tail and tail != epoch:
                return 0             # another incarnation of the database
            return head
    raise BadRequest(f"since must be a seq from this database, not {since!r}")


def query(conn, since, limit=None, doc_ids=None, descending=False, parts=None,
          until=None):
    """Rows ``(id, seq, leaves, deleted)`` after ``since``, by seq.

    ``parts`` keeps only documents of those partitions; ``until`` stops at
    that seq (inclusive).
    """
    where, args = [], []
    if descending:
        if since:
            where.append("seq <= ?")
            args.append(since)
    else:
        where.append("seq > ?")
        args.append(since)
    if until is not None:
        where.append("seq <= ?")
        args.append(until)
    for column, values in (("id", doc_ids), ("part", parts)):
        if values is not None:
            values = list(values)
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            args.extend(values)
    sql = "SELECT id, seq, leaves, deleted FROM docs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq DESC" if descending else " ORDER BY seq"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return conn.execute(sql, args)


def change_row(doc_id, seq_text, leaves, deleted, all_docs):
    """One ``_changes`` result row (without ``doc``)."""
    revs = leaves.split(" ") if all_docs else [leaves.split(" ", 1)[0]]
    row = {"seq": seq_text, "id": doc_id, "changes": [{"rev": r} for r in revs]}
    if deleted:
        row["deleted"] = True
    return row


class ChangeProbe:
    """A connection of its own that tells cheaply whether others wrote.

    ``version()`` is SQLite's ``data_version``, which moves whenever another
    connection (this process's or another's) commits; ``scan(after)`` reads
    which partitions changed after seq ``after``, as ``(latest_seq,
    {partition: highest seq})``.
    """

    def __init__(self, conn):
        self.conn = conn

    def version(self):
        """A value that differs once another connection has committed."""
        return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def scan(self, after):
        """``(latest_seq, {partition: highest seq})`` of changes after ``after``."""
        self.conn.execute("BEGIN")
        try:
            latest = int(self.conn.execute(
                "SELECT value FROM meta WHERE key = 'update_seq'").fetchone()[0])
            parts = dict(self.conn.execute(
                "SELECT part, MAX(seq) FROM docs WHERE seq > ? GROUP BY part", (after,)))
        finally:
            self.conn.execute("COMMIT")
        return latest, parts

    def close(self):
        """Close the connection."""
        self.conn.close()
