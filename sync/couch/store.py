"""``CouchStore``: gridvisit's named databases kept in an Apache CouchDB.

``CouchStore(url, prefix="gv_")`` keeps database ``field`` as CouchDB's
``gv_field`` and its partitions as ``gv_field$p$…`` (``names.py``), beside
whatever else the CouchDB holds. The URL's credentials go to the HTTP
client only; the store shows itself as ``http://admin:***@host``.
"""

import threading
import time
import uuid

from ..errors import BadRequest, FileExists, NotFound
from ..store import check_db_name
from . import names
from .client import CouchServer, quote
from .database import META_ID, CouchDatabase
from .merging import resolutions_db


CHECK_EVERY = 1.0        # seconds an open database is trusted before its meta is read again


class CouchStore:
    """Named databases in one CouchDB (a single node or a cluster)."""

    def __init__(self, url, partition=None, resolver=None, prefix="gv_", client=None):
        self.server = CouchServer(url, client=client)
        self.partition = partition
        self.resolver = resolver
        self.prefix = prefix
        self._open = {}
        self._checked = {}               # name -> when its meta was last read
        self._lock = threading.Lock()

    def __repr__(self):
        return f"CouchStore({self.server.shown!r})"

    def _roots(self):
        found = self.server.request("GET", "_all_dbs")
        out = []
        for couch_name in found:
            split = names.split(self.prefix, couch_name)
            if split and split[1] is None and "$" not in split[0]:
                out.append(split[0])
        return sorted(out)

    def exists(self, name):
        """Whether database ``name`` exists."""
        try:
            self.get(name)
        except NotFound:
            return False
        return True

    def names(self):
        """All database names, sorted."""
        return self._roots()

    def create(self, name):
        """Create database ``name`` (its root, meta and resolutions databases).

        :raises FileExists: when it exists already.
        :raises BadRequest: when the name is not allowed (``$`` is the store's own).
        """
        check_db_name(name)
        if "$" in name:
            raise BadRequest(f"Name: {name!r}. 此存储的数据库名不能含 $ / "
                             "the CouchDB store keeps $ for its own databases")
        root = names.root(self.prefix, name)
        response = self.server.raw("PUT", quote(root))
        if response.status_code == 412:
            raise FileExists("The database could not be created, the file already exists.")
        if response.status_code not in (201, 202):
            raise self.server.error(response, "PUT", quote(root))
        self.server.request("PUT", quote(resolutions_db(_Named(root))), {"q": "1"},
                            ok=(201, 202, 412))
        self.server.request("PUT", f"{quote(root)}/{META_ID}", body={
            "uuid": uuid.uuid4().hex,
            "instance_start_time": str(int(time.time() * 1_000_000))})
        return self.get(name)

    def get(self, name):
        """The database ``name``; re-read when it was made again elsewhere
        (noticed within ``CHECK_EVERY`` seconds: deleted through this store, at once).

        :raises NotFound: when there is no such database.
        """
        if not isinstance(name, str) or "$" in name:
            raise NotFound("Database does not exist.")
        try:
            check_db_name(name)
        except BadRequest:
            raise NotFound("Database does not exist.") from None
        with self._lock:
            db = self._open.get(name)
            if db is not None and time.monotonic() - self._checked.get(name, 0) < CHECK_EVERY:
                return db                # (every request asks: a read of its meta each was
                                         # the CouchDB store's commonest request)
        fresh = CouchDatabase(self.server, self.prefix, name, self.partition, self.resolver)
        with self._lock:
            self._checked[name] = time.monotonic()
            db = self._open.get(name)
            if db is not None and db.uuid == fresh.uuid:
                fresh.close()
                return db
            if db is not None:
                db.close()
            self._open[name] = fresh
            return fresh

    def delete(self, name):
        """Delete ``name``, its partitions and its resolutions.

        :raises NotFound: when there is no such database.
        """
        db = self.get(name)
        for key in db._wanted_parts(None):
            self.server.request("DELETE", quote(db.couch_name(key)), ok=(200, 202, 404))
        self.server.request("DELETE", quote(resolutions_db(db)), ok=(200, 202, 404))
        with self._lock:
            gone = self._open.pop(name, None)
            self._checked.pop(name, None)
        if gone is not None:
            gone.close()

    def close(self):
        """Close every open database and the HTTP client."""
        with self._lock:
            for db in self._open.values():
                db.close()
            self._open.clear()
        self.server.close()


class _Named:
    """Just a root name, for :func:`resolutions_db` before a database opens."""

    def __init__(self, root):
        self.root = root
