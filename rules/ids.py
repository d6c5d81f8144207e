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
| ``campaign:{place}:{key}`` | campaign | the place |
| ``form:{place}:{key}:{version}`` | form | the place |
| ``answer:{grid}:{uuid}`` | answer | 2nd |

``rules:*`` documents belong to no grid but to the shared partition
``SHARED`` ("*"), which every account's view includes. A grid can never be
called "*": segments exclude it. So does a design document an admin shares
with every account by its name, ``_design/shared-{name}`` (its views then
list only the rows of each user's grids); other ``_design/`` ids belong to
no partition, and only admins see them.

A campaign (专项摸排) and the versions of its form belong to a *place*, the
partition of everyone who works there: ``community:{id}`` (every grid of
the community), ``street:{id}`` (every grid of the street) or ``all``
(``SHARED``: everyone). A place partition holds a ``:`` and a grid segment
cannot, so no grid is ever mistaken for a place. Which places a user sees
follows from their grids (``rules.scope.places_of``). Answers belong to
the grid of the household they were given for.
"""

import re

from sync.errors import BadRequest

SEGMENT = r"[A-Za-z0-9_-]{1,64}"
SHARED = "*"
PLACE = rf"(?:community|street):{SEGMENT}|all"
PLACE_KINDS = ("community", "street", "all")

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
    "campaign": re.compile(rf"campaign:(?P<grid>{PLACE}):{SEGMENT}"),
    "form": re.compile(rf"form:(?P<grid>{PLACE}):{SEGMENT}:[1-9][0-9]{{0,5}}"),
    "answer": re.compile(rf"answer:(?P<grid>{SEGMENT}):{SEGMENT}"),
}

PREFIXES = {"grid": "grid:", "household": "household:", "visit": "visit:",
            "request": "request:", "review": "review:", "notice": "notice:",
            "receipt": "receipt:", "sendback": "sendback:", "erasure": "erasure:",
            "rules": "rules:", "campaign": "campaign:", "form": "form:", "answer": "answer:"}


def parse(doc_id):
    """``(type, grid)`` of a well-formed field-document id, else None.

    The grid of a ``rules:*`` id is ``SHARED``; of a campaign or form, its
    place (``community:{id}``, ``street:{id}``, or ``SHARED`` for ``all``).
    """
    if not isinstance(doc_id, str):
        return None
    for kind, pattern in PATTERNS.items():
        match = pattern.fullmatch(doc_id)
        if match:
            grid = match.groupdict().get("grid", SHARED)
            return kind, SHARED if grid == "all" else grid
    return None


def place(kind, key=None):
    """The partition of a place: ``place("community", "c1")`` is ``"community:c1"``,
    ``place("all")`` is ``SHARED``."""
    return SHARED if kind == "all" else f"{kind}:{key}"


def place_segment(partition):
    """How a place partition is written inside an id (``SHARED`` as ``all``)."""
    return "all" if partition == SHARED else partition


def form_id(campaign_id, version):
    """The id of version ``version`` of ``campaign_id``'s form."""
    return f"form:{campaign_id[len('campaign:'):]}:{version}"


def campaign_of_form(form_doc_id):
    """The campaign id a form id belongs to, or None for another id."""
    if doc_type(form_doc_id) != "form":
        return None
    return "campaign:" + form_doc_id[len("form:"):].rsplit(":", 1)[0]


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


SHARED_DESIGN = "_design/shared-"


def grid_of(doc_id):
    """The grid segment of ``doc_id`` (``SHARED`` for rules and shared design
    documents), or None if it is not a field-document id."""
    if isinstance(doc_id, str) and doc_id.startswith(SHARED_DESIGN) \
            and len(doc_id) > len(SHARED_DESIGN):
        return SHARED
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
