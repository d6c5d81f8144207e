"""``_all_docs``: documents by id, as CouchDB lists them."""

from .errors import BadRequest
from .integers import parse_int


class AllDocsQuery:
    """The parameters of an ``_all_docs`` request, checked."""

    def __init__(self, keys=None, startkey=None, endkey=None, inclusive_end=True,
                 include_docs=False, limit=None, skip=0, descending=False,
                 conflicts=False):
        if keys is not None and (not isinstance(keys, list)
                                 or not all(isinstance(k, str) for k in keys)):
            raise BadRequest("keys must be a JSON array of document ids")
        for name, value in (("startkey", startkey), ("endkey", endkey)):
            if value is not None and not isinstance(value, str):
                raise BadRequest(f"{name} must be a JSON string (a document id)")
        limit = None if limit is None else parse_int(limit, "limit")
        skip = None if skip is None else parse_int(skip, "skip")
        self.keys = keys
        self.startkey, self.endkey = startkey, endkey
        self.inclusive_end = inclusive_end
        self.include_docs = include_docs
        self.limit, self.skip = limit, skip or 0
        self.descending = descending
        self.conflicts = conflicts


def _parts_sql(parts):
    if parts is None:
        return "", []
    parts = sorted(parts)
    return f" AND part IN ({','.join('?' * len(parts))})", parts


def _range_sql(q, parts):
    part_sql, part_args = _parts_sql(parts)
    where, args = ["deleted = 0" + part_sql], list(part_args)
    low, high = (q.endkey, q.startkey) if q.descending else (q.startkey, q.endkey)
    low_inclusive = not q.descending or q.inclusive_end
    high_inclusive = q.descending or q.inclusive_end
    if low is not None:
        where.append("id >= ?" if low_inclusive else "id > ?")
        args.append(low)
    if high is not None:
        where.append("id <= ?" if high_inclusive else "id < ?")
        args.append(high)
    return " AND ".join(where), args


def ranged(conn, q, parts=None):
    """``(total_rows, offset, [(id, winner, deleted)])`` for a key range."""
    part_sql, part_args = _parts_sql(parts)
    total = conn.execute("SELECT COUNT(*) FROM docs WHERE deleted = 0" + part_sql,
                         part_args).fetchone()[0]
    where, args = _range_sql(q, parts)
    order = "DESC" if q.descending else "ASC"
    sql = f"SELECT id, winner, deleted FROM docs WHERE {where} ORDER BY id {order}"
    sql += " LIMIT ? OFFSET ?"
    args += [-1 if q.limit is None else q.limit, q.skip]
    rows = conn.execute(sql, args).fetchall()
    if q.startkey is None:
        offset = q.skip
    else:
        cmp = "<" if not q.descending else ">"
        offset = conn.execute(
            f"SELECT COUNT(*) FROM docs WHERE deleted = 0{part_sql} AND id {cmp} ?",
            part_args + [q.startkey]).fetchone()[0] + q.skip
    return total, offset, rows


def by_keys(conn, q, parts=None):
    """``(total_rows, [(key, row_or_None)])`` for explicit keys, in order."""
    part_sql, part_args = _parts_sql(parts)
    total = conn.execute("SELECT COUNT(*) FROM docs WHERE deleted = 0" + part_sql,
                         part_args).fetchone()[0]
    found = {}
    keys = q.keys[q.skip:]
    if q.limit is not None:
        keys = keys[:q.limit]
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        marks = ",".join("?" * len(chunk))
        for row in conn.execute(
                f"SELECT id, winner, deleted FROM docs WHERE id IN ({marks}){part_sql}",
                chunk + part_args):
            found[row[0]] = row
    return total, [(key, found.get(key)) for key in keys]
