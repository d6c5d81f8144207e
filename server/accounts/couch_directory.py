"""Accounts and the grid directory kept in CouchDB (issue 22): the same
interfaces as :class:`server.accounts.users.Accounts` and
:class:`server.accounts.directory.Directory`, for servers over the CouchDB store.

Everything lives in ``{prefix}gridvisit$directory``, one document per thing:
``user:{name}`` (id, password hash, role, display name, active, session
epoch, roster phone, and the grids or communities assigned), ``uid:{id}`` (the claim on a
user id, so two servers never hand out one id), ``street:{id}``,
``community:{id}`` and ``grid:{id}``.

Each server process reads them from a copy in memory that follows the
database's ``_changes`` feed (:class:`server.couchdocs.FollowedDocs`): a
change made through any server is seen by every request that begins after
it was written, and writes go through CouchDB's MVCC. Checks before a
write (that a street, a grid, an account exists) read the same copy.
"""

import time

from werkzeug.security import generate_password_hash

from rules import scope
from sync.errors import Conflict

from server.accounts.directory import Directory, check_assignment, check_id
from server.accounts.users import (AccountError, Accounts, check_new, check_password,
                                   check_role, name_taken)
from server.couchdocs import FollowedDocs

DB_SUFFIX = "gridvisit$directory"


class DirectoryDocs(FollowedDocs):
    """The directory database's documents, as a copy that follows ``_changes``;
    ``current()`` gives them by ``_id`` and the user documents by user id."""

    def __init__(self, server, prefix):
        super().__init__(server, prefix + DB_SUFFIX)

    def indexed(self, kinds):
        return {doc["id"]: doc for doc in kinds.get("user", ())}


class CouchAccounts(Accounts):
    """Accounts as documents ``user:{name}`` of the directory database."""

    def __init__(self, docs, secret):
        super().__init__(None, secret)
        self.docs = docs

    def _row(self, doc):
        if doc is None:
            return None
        return self._row_to_user((doc["id"], doc["name"], doc["password_hash"], doc["role"],
                                  doc["active"], doc["display_name"], doc["epoch"]))

    def get(self, user_id):
        """The user with id ``user_id``, or ``None``."""
        return self._row(self.docs.current()[1].get(user_id))

    def by_name(self, name):
        """The user called ``name``, or ``None``."""
        return self._row(self.docs.doc(f"user:{name}")) if isinstance(name, str) else None

    def end_sessions(self, user_id):
        """End every session cookie of ``user_id`` (sign-out)."""
        doc = self.docs.current()[1].get(user_id)
        if doc is not None:
            self._change(doc["name"], lambda d: dict(d, epoch=d["epoch"] + 1))

    def count(self):
        """How many accounts exist."""
        return len(self.docs.current()[1])

    def list(self):
        """Every account, by name."""
        return [self._row(doc) for doc in self.docs.of_type("user")]

    def set_phone(self, user_id, phone):
        """Keep the phone a roster gave ``user_id``."""
        doc = self.docs.current()[1].get(user_id)
        if doc is not None:
            self._change(doc["name"], lambda d: dict(d, phone=phone))

    def phones(self):
        """``{user_id: phone}`` of the accounts a roster gave a phone."""
        return {user_id: doc["phone"] for user_id, doc in self.docs.current()[1].items()
                if doc.get("phone")}

    def absorb(self, records):
        """Take accounts from another store, each under its id; how many.

        :raises AccountError: when a name is another id's here.
        """
        for rec in records:
            try:
                self.docs.server.request("PUT", f"{self.docs.db}/uid:{int(rec['id'])}", body={})
            except Conflict:
                pass                     # claimed already (by this account, an earlier run)

            def change(doc, rec=rec):
                if doc is not None and doc["id"] != rec["id"]:
                    raise AccountError(f"name: 账户 {rec['name']!r} 在此编号不同 / "
                                       f"{rec['name']!r} has another id here")
                held = doc or {"created": time.time(), "epoch": 0, "grids": [], "communities": []}
                return dict(held, **{k: rec[k] for k in ("id", "name", "password_hash", "role",
                                                         "display_name", "active", "phone")})
            self.docs.update(f"user:{rec['name']}", change)
        return len(records)

    def _claim_id(self):
        """A user id no server has handed out (a ``uid:{id}`` document claims it)."""
        taken = [int(doc["_id"][4:]) for doc in self.docs.of_type("uid")]
        user_id = max(taken, default=0) + 1
        while True:
            try:
                self.docs.server.request("PUT", f"{self.docs.db}/uid:{user_id}", body={})
                return user_id
            except Conflict:             # another server took it just now
                user_id += 1

    def create(self, name, password, role, display_name=""):
        """Create an account under an id no server has handed out.

        :raises AccountError: as :meth:`Accounts.create`.
        """
        check_new(name, password, role)
        if self.by_name(name) is not None:
            raise name_taken(name)
        user_id = self._claim_id()
        record = {"id": user_id, "name": name, "password_hash": generate_password_hash(password),
                  "role": role, "display_name": display_name or "", "active": True,
                  "created": time.time(), "epoch": 0, "grids": [], "communities": []}

        def change(doc):
            if doc is not None:
                raise name_taken(name)      # made through another server meanwhile
            return record
        self.docs.update(f"user:{name}", change)
        return self.get(user_id)

    def _change(self, name, change):
        def apply(doc):
            if doc is None:
                raise AccountError(f"name: 没有账户 {name!r} / no account called {name!r}")
            return change(doc)
        self.docs.update(f"user:{name}", apply)

    def set_password(self, name, password):
        """Change a password. :raises AccountError: unknown user, short password."""
        check_password(password)
        hashed = generate_password_hash(password)
        self._change(name, lambda doc: dict(doc, password_hash=hashed))

    def set_role(self, name, role):
        """Change an account's role. :raises AccountError: unknown user or role."""
        check_role(role)
        self._change(name, lambda doc: dict(doc, role=role))

    def set_active(self, name, active):
        """Activate or deactivate an account. :raises AccountError: unknown user."""
        self._change(name, lambda doc: dict(doc, active=bool(active)))


class CouchDirectory(Directory):
    """Streets, communities, grids and assignments as documents of the
    directory database (grid sets stay in ``db``: the CouchDB store's seqs
    name no grid set)."""

    def __init__(self, db, accounts, docs):
        super().__init__(db, accounts)
        self.docs = docs

    def _put(self, kind, item_id, body):
        self.docs.update(f"{kind}:{item_id}", lambda doc: dict(body, type=kind))

    def _need(self, kind, item_id, word):
        if not isinstance(item_id, str) or self.docs.doc(f"{kind}:{item_id}") is None:
            raise AccountError(f"{kind}: 没有{word} {item_id!r} / no {kind} {item_id!r}")

    def put_street(self, street_id, name):
        """Create or rename a street."""
        check_id("street", street_id)
        self._put("street", street_id, {"name": name or street_id})

    def put_community(self, community_id, name, street_id):
        """Create or update a community of an existing street.

        :raises AccountError: for a bad id or an unknown street.
        """
        check_id("community", community_id)
        self._need("street", street_id, "街道")
        self._put("community", community_id, {"name": name or community_id, "street": street_id})

    def put_grid(self, grid_id, name, community_id):
        """Create or update (rename, move) a grid of an existing community;
        returns the community it was in before, None for a new grid.

        :raises AccountError: for a bad id or an unknown community.
        """
        check_id("grid", grid_id)
        self._need("community", community_id, "社区")
        before = self.docs.doc(f"grid:{grid_id}")
        self._put("grid", grid_id, {"name": name or grid_id, "community": community_id})
        return None if before is None else before["community"]

    def _communities(self):
        docs = self.docs.current()[0]
        return {doc["_id"][len("community:"):]: (doc, docs.get(f"street:{doc['street']}"))
                for doc in self.docs.of_type("community")}

    def grids(self, community=None):
        """Grids with their community and street, as dicts."""
        places = self._communities()
        out = []
        for doc in self.docs.of_type("grid"):
            if community is not None and doc["community"] != community:
                continue
            place, street = places[doc["community"]]
            out.append({"id": doc["_id"][len("grid:"):], "name": doc["name"],
                        "community": doc["community"], "community_name": place["name"],
                        "street": place["street"], "street_name": street["name"]})
        return out

    def communities(self):
        """Every community with its street, as dicts."""
        return [{"id": community_id, "name": place["name"], "street": place["street"],
                 "street_name": street["name"]}
                for community_id, (place, street) in sorted(self._communities().items())]

    def assign(self, name, grid=None, community=None, remove=False):
        """Give (or with ``remove``, take away) a grid or a community.

        :raises AccountError: for an unknown user, grid or community, or an
            assignment that does not fit the user's role.
        """
        check_assignment(self._user(name), grid, community)
        field, value = ("grids", grid) if grid is not None else ("communities", community)
        kind = "grid" if grid is not None else "community"
        self._need(kind, value, "网格" if kind == "grid" else "社区")

        def change(doc):
            held = set(doc[field])
            if (value in held) != bool(remove):
                return None              # nothing to do
            held.symmetric_difference_update({value})
            return dict(doc, **{field: sorted(held)})
        self.docs.update(f"user:{name}", change)

    def _held(self, user):
        return self.docs.doc(f"user:{user.name}") or {"grids": [], "communities": []}

    def grids_of(self, user):
        """The grid ids ``user`` may see, or ``None`` for every grid."""
        if user.role == "admin":
            return None
        held = self._held(user)
        if user.role == "worker":
            return frozenset(held["grids"])
        mine = set(held["communities"])
        return frozenset(doc["_id"][len("grid:"):] for doc in self.docs.of_type("grid")
                         if doc["community"] in mine)

    def places_of(self, user, grids):
        """The place partitions ``user`` works in (see :meth:`Directory.places_of`)."""
        docs = self.docs.current()[0]
        wanted = set(self._held(user)["communities"])
        wanted.update(docs[f"grid:{g}"]["community"] for g in grids or () if f"grid:{g}" in docs)
        return scope.places_of({c: (c, docs[f"community:{c}"]["street"]) for c in wanted
                                if f"community:{c}" in docs})

    def people_for_grid(self, grid):
        """``{name: display name}`` of the active workers and supervisors who can
        see ``grid``'s documents: the only possible assignees of its requests."""
        found = self.docs.doc(f"grid:{grid}")
        community = None if found is None else found["community"]
        return {doc["name"]: doc["display_name"] or doc["name"]
                for doc in self.docs.of_type("user")
                if doc["active"] and found is not None
                and ((doc["role"] == "worker" and grid in doc["grids"])
                     or (doc["role"] == "supervisor" and community in doc["communities"]))}

    def communities_of(self, user):
        """The community ids of a supervisor or hub account (empty otherwise)."""
        return sorted(self._held(user)["communities"])
