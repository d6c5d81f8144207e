"""Field-document ids carry their type and grid, so access needs no lookup.

Each segment is 1–64 of ``A-Z a-z 0-9 _ -``:

| id | type | grid |
|---|---|---|
| ``grid:{grid}`` | grid | 2nd segment |
| ``household:{grid}:{hh}`` | household | 2nd |
| ``visit:{grid}:{uuid}`` | visit | 2nd |
| ``request:{grid}:{uuid}`` | request | 2nd |
| ``review:visit:{grid}:{uuid}`` | review | 3rd |
| ``notice:{grid}:{uuid}`` | notice | 2nd |
| ``receipt:{grid}:{uuid}`` | receipt | 2nd |
| ``sendback:{grid}:{uuid}`` | sendback | 2nd |
| ``erasure:{grid}:{uuid}`` | erasure | 2nd |
| ``rules:{name}`` | rules | ``SHARED`` |

``rules:*`` documents belong to no grid but to the shared partition
``SHARED`` ("*"), which every account's view includes. A grid can never be
called "*": segments exclude it.
"""

import re

from sync.errors import BadRequest

SEGMENT = r"[A-Za-z0-9_-]{1,64}"
SHARED = "*"

PATTERNS = {
    "grid": re.compile(rf"grid:(?P<grid>{SEGMENT})"),
    "household": re.compile(rf"household:(?P<grid>{SEGMENT}):{SEGMENT}"),
    "visit": re.compile(rf"visit:(?P<grid>{SEGMENT}):{SEGMENT}"),
    "request": re.compile(rf"request:(?P<grid>{SEGMENT}):{SEGMENT}"),
    "review": re.compile(rf"review:visit:(?P<grid>{SEGMENT}):{SEGMENT}"),
    "notice": re.compile(rf"notice:(?P<grid>{SEGMENT}):{SEGMENT}"),
    "receipt": re.compile(rf"receipt:(?P<grid>{SEGMENT}):{SEGMENT}"),
    "sendback": re.compile(rf"sendback:(?P<grid>{SEGMENT}):{SEGMENT}"),
    "erasure": re.compile(rf"erasure:(?P<grid>{SEGMENT}):{SEGMENT}"),
    "rules": re.compile(rf"rules:{SEGMENT}"),
}

PREFIXES = {"grid": "grid:", "household": "household:", "visit": "visit:",
            "request": "request:", "review": "review:", "notice": "notice:",
            "receipt": "receipt:", "sendback": "sendback:", "erasure": "erasure:",
            "rules": "rules:"}


def parse(doc_id):
    """``(type, grid)`` of a well-formed field-document id, else None.

    The grid of a ``rules:*`` id is ``SHARED``.
    """
    if not isinstance(doc_id, str):
        return None
    for kind, pattern in PATTERNS.items():
        match = pattern.fullmatch(doc_id)
        if match:
            return kind, match.groupdict().get("grid", SHARED)
    return None


def prefix_kind(doc_id):
    """The type an id's prefix claims, well-formed or not; None for other ids."""
    for kind, prefix in PREFIXES.items():
        if doc_id.startswith(prefix):
            return kind
    return None


def doc_type(doc_id):
    """The document type of ``doc_id`` ("household", "visit", ...) or None."""
    parsed = parse(doc_id)
    return parsed[0] if parsed else None


def grid_of(doc_id):
    """The grid segment of ``doc_id`` (``SHARED`` for rules), or None if it is
    not a field-document id."""
    parsed = parse(doc_id)
    return parsed[1] if parsed else None


class IdFilter:
    """The ``--filter`` of a replication: document types and grids, read from ids.

    ``IdFilter.parse(["type=household,visit", "grid=g1"])``; implements
    :class:`sync.replicator.DocFilter`.
    """

    def __init__(self, wanted, spec):
        self.wanted = wanted
        self.spec = sorted(spec)        # as given: replication ids (and checkpoints) name it so

    @classmethod
    def parse(cls, specs):
        """The filter of ``specs`` (``NAME=V[,V]`` each), or None when there are none.

        :raises BadRequest: for an unknown filter name or an empty value.
        """
        if not specs:
            return None
        wanted = {}
        for spec in specs:
            name, _, values = spec.partition("=")
            if name not in ("type", "grid") or not values:
                raise BadRequest(f"filter {spec!r}: use type=KIND[,KIND] or grid=GRID[,GRID]")
            wanted.setdefault(name, set()).update(v.strip() for v in values.split(",") if v.strip())
        return cls(wanted, specs)

    def accept(self, doc_id):
        """Whether ``doc_id`` is of a wanted type and grid."""
        if "type" in self.wanted and doc_type(doc_id) not in self.wanted["type"]:
            return False
        return "grid" not in self.wanted or grid_of(doc_id) in self.wanted["grid"]
