"""The grid hierarchy and who works where: street → community → grid.

Workers are assigned grids; supervisors (and hub accounts) are assigned
communities and so see all of their grids; admins see everything. Grid
sets handed to clients inside changes seqs are kept here too, by hash, so
the server can tell later which grids a tablet already had.
"""

import hashlib
import json
import re

from rules import scope
from server.accounts.users import AccountError

ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")

SCHEMA = """
CREATE TABLE IF NOT EXISTS streets (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS communities (
    id     TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    street TEXT NOT NULL REFERENCES streets(id)
);
CREATE TABLE IF NOT EXISTS grids (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    community TEXT NOT NULL REFERENCES communities(id)
);
CREATE TABLE IF NOT EXISTS user_grids (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    grid    TEXT NOT NULL REFERENCES grids(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, grid)
);
CREATE TABLE IF NOT EXISTS user_communities (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    community TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, community)
);
CREATE TABLE IF NOT EXISTS grid_sets (
    hash  TEXT PRIMARY KEY,
    grids TEXT NOT NULL
);
"""


def check_id(kind, value):
    """Check a street, community or grid id.

    :raises AccountError: naming the field and the rule.
    """
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise AccountError(f"{kind}: 1–64 个字母、数字、'_' 或 '-' / 1–64 letters, digits, "
                           f"'_' or '-' (got {value!r})")
    return value


def check_assignment(user, grid, community):
    """:raises AccountError: unless exactly one of ``grid`` and ``community``
    is given, and it fits ``user``'s role (workers take grids; supervisors
    and hub accounts take communities)."""
    if (grid is None) == (community is None):
        raise AccountError("assign: 网格和社区须且只须指定一个 / name exactly one of grid or community")
    if grid is not None and user.role != "worker":
        raise AccountError(f"grid: 只有网格员分配网格 / only workers are assigned grids "
                           f"({user.name} is {user.role})")
    if community is not None and user.role not in ("supervisor", "hub"):
        raise AccountError(
            f"community: 只有督导和上级中心账户分配社区 / only supervisors and hub accounts "
            f"take communities ({user.name} is {user.role})")


class Directory:
    """Streets, communities, grids and assignments."""

    def __init__(self, db, accounts):
        self.db = db
        self.accounts = accounts
        db.ensure(SCHEMA)

    # -- hierarchy -------------------------------------------------------

    def put_street(self, street_id, name):
        """Create or rename a street."""
        check_id("street", street_id)
        with self.db.connect() as conn:
            conn.execute("INSERT INTO streets (id, name) VALUES (?, ?) ON CONFLICT(id) "
                         "DO UPDATE SET name = excluded.name", (street_id, name or street_id))

    def put_community(self, community_id, name, street_id):
        """Create or update a community of an existing street.

        :raises AccountError: for a bad id or an unknown street.
        """
        check_id("community", community_id)
        with self.db.connect() as conn:
            if conn.execute("SELECT 1 FROM streets WHERE id = ?", (street_id,)).fetchone() is None:
                raise AccountError(f"street: 没有街道 {street_id!r} / no street {street_id!r}")
            conn.execute("INSERT INTO communities (id, name, street) VALUES (?, ?, ?) "
                         "ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
                         "street = excluded.street", (community_id, name or community_id, street_id))

    def put_grid(self, grid_id, name, community_id):
        """Create or update (rename, move) a grid of an existing community;
        returns the community it was in before, None for a new grid.

        :raises AccountError: for a bad id or an unknown community.
        """
        check_id("grid", grid_id)
        with self.db.connect() as conn:
            if conn.execute("SELECT 1 FROM communities WHERE id = ?",
                            (community_id,)).fetchone() is None:
                raise AccountError(f"community: 没有社区 {community_id!r} / "
                                   f"no community {community_id!r}")
            before = conn.execute("SELECT community FROM grids WHERE id = ?",
                                  (grid_id,)).fetchone()
            conn.execute("INSERT INTO grids (id, name, community) VALUES (?, ?, ?) "
                         "ON CONFLICT(id) DO UPDATE SET name = excluded.name, "
                         "community = excluded.community", (grid_id, name or grid_id, community_id))
        return None if before is None else before[0]

    def grids(self, community=None):
        """Grids with their community and street, as dicts."""
        sql = ("SELECT g.id, g.name, c.id, c.name, s.id, s.name FROM grids g "
               "JOIN communities c ON c.id = g.community JOIN streets s ON s.id = c.street")
        args = ()
        if community is not None:
            sql += " WHERE c.id = ?"
            args = (community,)
        with self.db.connect() as conn:
            rows = conn.execute(sql + " ORDER BY g.id", args).fetchall()
        return [{"id": r[0], "name": r[1], "community": r[2], "community_name": r[3],
                 "street": r[4], "street_name": r[5]} for r in rows]

    def communities(self):
        """Every community with its street, as dicts."""
        with self.db.connect() as conn:
            rows = conn.execute("SELECT c.id, c.name, s.id, s.name FROM communities c "
                                "JOIN streets s ON s.id = c.street ORDER BY c.id").fetchall()
        return [{"id": r[0], "name": r[1], "street": r[2], "street_name": r[3]} for r in rows]

    # -- assignments -----------------------------------------------------

    def _user(self, name):
        user = self.accounts.by_name(name)
        if user is None:
            raise AccountError(f"name: 没有账户 {name!r} / no account called {name!r}")
        return user

    def assign(self, name, grid=None, community=None, remove=False):
        """Give (or with ``remove``, take away) a grid or a community.

        Workers take grids; supervisors and hub accounts take communities.

        :raises AccountError: for an unknown user, grid or community, or an
            assignment that does not fit the user's role.
        """
        user = self._user(name)
        check_assignment(user, grid, community)
        table, column, value = (("user_grids", "grid", grid) if grid is not None
                                else ("user_communities", "community", community))
        parent = "grids" if grid is not None else "communities"
        with self.db.connect() as conn:
            if conn.execute(f"SELECT 1 FROM {parent} WHERE id = ?", (value,)).fetchone() is None:
                raise AccountError(f"{column}: 没有{'网格' if column == 'grid' else '社区'} {value!r} / "
                                   f"no {column} {value!r}")
            if remove:
                conn.execute(f"DELETE FROM {table} WHERE user_id = ? AND {column} = ?",
                             (user.id, value))
            else:
                conn.execute(f"INSERT OR IGNORE INTO {table} (user_id, {column}) VALUES (?, ?)",
                             (user.id, value))

    def grids_of(self, user):
        """The grid ids ``user`` may see, or ``None`` for every grid."""
        if user.role == "admin":
            return None
        with self.db.connect() as conn:
            if user.role == "worker":
                rows = conn.execute("SELECT grid FROM user_grids WHERE user_id = ?",
                                    (user.id,)).fetchall()
            else:
                rows = conn.execute(
                    "SELECT g.id FROM grids g JOIN user_communities uc "
                    "ON uc.community = g.community WHERE uc.user_id = ?", (user.id,)).fetchall()
        return frozenset(row[0] for row in rows)

    def places_of(self, user, grids):
        """The place partitions (``community:{id}``, ``street:{id}``) ``user``
        works in: those of ``grids`` and of the communities they are given
        (a supervisor of a community without grids yet still sees its campaigns)."""
        grids = sorted(grids or ())
        marks = ",".join("?" * len(grids))
        with self.db.connect() as conn:
            rows = conn.execute(
                "SELECT c.id, c.street FROM communities c WHERE c.id IN "
                f"(SELECT community FROM grids WHERE id IN ({marks})) OR c.id IN "
                "(SELECT community FROM user_communities WHERE user_id = ?)",
                (*grids, user.id)).fetchall()
        return scope.places_of({community: (community, street) for community, street in rows})

    def people_for_grid(self, grid):
        """``{name: display name}`` of the active workers and supervisors who can
        see ``grid``'s documents: the only possible assignees of its requests."""
        with self.db.connect() as conn:       # one query, not one per account
            rows = conn.execute(
                "SELECT u.name, u.display_name FROM users u WHERE u.active = 1 AND ("
                " (u.role = 'worker' AND EXISTS (SELECT 1 FROM user_grids ug"
                "   WHERE ug.user_id = u.id AND ug.grid = ?))"
                " OR (u.role = 'supervisor' AND EXISTS (SELECT 1 FROM user_communities uc"
                "   JOIN grids g ON g.community = uc.community"
                "   WHERE uc.user_id = u.id AND g.id = ?))) ORDER BY u.name",
                (grid, grid)).fetchall()
        return {name: display or name for name, display in rows}

    def workers_overseen(self, user):
        """The workers ``user`` oversees: those holding a grid ``user`` sees (all, for admins)."""
        grids = self.grids_of(user)
        return [account for account in self.accounts.list()
                if account.role == "worker" and scope.oversees(grids, self.grids_of(account))]

    def communities_of(self, user):
        """The community ids of a supervisor or hub account (empty otherwise)."""
        with self.db.connect() as conn:
            rows = conn.execute("SELECT community FROM user_communities WHERE user_id = ?",
                                (user.id,)).fetchall()
        return sorted(row[0] for row in rows)

    # -- grid sets named inside seqs -------------------------------------

    def remember_set(self, grids):
        """A short hash naming ``grids``; the set is kept for :meth:`recall_set`."""
        ordered = sorted(grids)
        digest = hashlib.sha1("\n".join(ordered).encode()).hexdigest()[:12]
        with self.db.connect() as conn:
            conn.execute("INSERT OR IGNORE INTO grid_sets (hash, grids) VALUES (?, ?)",
                         (digest, json.dumps(ordered)))
        return digest

    def recall_set(self, digest):
        """The grid set named by ``digest``, or ``None`` if never seen."""
        with self.db.connect() as conn:
            row = conn.execute("SELECT grids FROM grid_sets WHERE hash = ?",
                               (digest,)).fetchone()
        return None if row is None else frozenset(json.loads(row[0]))


def copy_directory(source, target):
    """Copy every account, street, community, grid and assignment from the
    ``(accounts, directory)`` pair ``source`` into ``target`` (accounts keep
    their ids); how many accounts."""
    (from_accounts, from_directory), (to_accounts, to_directory) = source, target
    users = to_accounts.absorb(from_accounts.export())
    for place in from_directory.communities():
        to_directory.put_street(place["street"], place["street_name"])
        to_directory.put_community(place["id"], place["name"], place["street"])
    for grid in from_directory.grids():
        to_directory.put_grid(grid["id"], grid["name"], grid["community"])
    for user in from_accounts.list():
        held = (from_directory.grids_of(user) if user.role == "worker"
                else from_directory.communities_of(user) if user.role in ("supervisor", "hub")
                else ())
        for place in sorted(held):
            key = "grid" if user.role == "worker" else "community"
            to_directory.assign(user.name, **{key: place})
    return users
