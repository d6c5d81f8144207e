"""Who may see what: the one answer used by sync, the API and the console.

A user sees a set of grids (``None``: every grid, as an admin does) and,
whoever they are, the shared partition ``ids.SHARED`` (the rule sets every
tablet needs), plus the places their grids lie in (``community:{id}``,
``street:{id}``: the campaigns of those places, see ``rules.ids``). A document is visible when its id's grid is among them: ids
carry their grid, so the answer needs no lookup. A supervisor oversees the
workers who hold a grid the supervisor sees. Which grids a user sees is the
directory's to say (``server.accounts.directory.Directory.grids_of``).
"""

from rules import ids


def with_shared(grids, places=()):
    """``grids`` plus the shared partition and ``places`` (``None`` stays every grid)."""
    return None if grids is None else frozenset(grids) | {ids.SHARED} | frozenset(places)


def places_of(grid_places):
    """The place partitions of grids, from ``{grid: (community, street)}``."""
    out = set()
    for community, street in grid_places.values():
        if community:
            out.add(ids.place("community", community))
        if street:
            out.add(ids.place("street", street))
    return frozenset(out)


def visible(grids, doc_id, kind=None):
    """Whether someone seeing ``grids`` (None: every grid) may see ``doc_id``.

    With ``kind``, the id must also be a well-formed id of that type.
    """
    if kind is not None and (not isinstance(doc_id, str) or ids.doc_type(doc_id) != kind):
        return False
    if grids is None:
        return True
    return isinstance(doc_id, str) and ids.grid_of(doc_id) in with_shared(grids)


def oversees(grids, worker_grids):
    """Whether someone seeing ``grids`` (None: every grid) oversees a worker of ``worker_grids``."""
    return grids is None or bool(frozenset(grids) & frozenset(worker_grids))
