"""Seqs of a feed merged from several CouchDB databases: one position per partition.

A token is ``"p1-" + base64url(JSON {partition: CouchDB seq})``, the root
database under ``""``. CouchDB's own seqs are opaque and valid on every
node of a cluster, so a token made by one gridvisit server resumes on any
other. A partition the token does not name starts from its beginning: a
grid newly given to a worker is backfilled with no grid set to remember,
and a grid taken away simply drops out.
"""

import base64
import json

from ..changes import COUCH_STORE_MARK as MARK      # the embedded store knows it too
from ..errors import BadRequest


def encode(positions):
    """The token for ``{partition: seq}``."""
    text = json.dumps(positions, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return MARK + base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode(since):
    """``{partition: seq}`` of a client's ``since``; ``{}`` means from the beginning.

    ``0``/``"0"``/``None`` and a seq of another store (an embedded server's
    ``"42-…"``) start from the beginning, which is always safe: the
    replicator skips what it has.

    :raises BadRequest: for a token that does not decode, naming ``since``.
    """
    if not isinstance(since, str) or not since.startswith(MARK):
        if since is not None and not isinstance(since, (str, int)) or isinstance(since, bool):
            raise BadRequest(f"since: 须为本数据库给出的序号 / must be a seq from this "
                             f"database, not {since!r}")
        return {}
    body = since[len(MARK):]
    try:
        found = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, UnicodeDecodeError):
        found = None
    if not isinstance(found, dict) or not all(isinstance(v, (str, int)) for v in found.values()):
        raise BadRequest(f"since: 无法识别的序号 / not a seq of this database: {since[:80]!r}")
    return found
