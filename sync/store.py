"""The document store: named databases, one SQLite file each.

``Store(data_dir)`` keeps its databases in ``data_dir/dbs/``; names follow
CouchDB's rule (``^[a-z][a-z0-9_$()+/-]*$``) and map to file names by
percent-encoding, so ``a/b`` and ``a%2Fb`` cannot collide.
"""

import os
import re
import shutil
import threading
import urllib.parse
from pathlib import Path

from .database import Database
from .errors import BadRequest, FileExists, NotFound

DB_NAME_RE = re.compile(r"[a-z][a-z0-9_$()+/-]{0,237}")
SUFFIX = ".sqlite"


def check_db_name(name):
    """Check a database name as CouchDB does.

    :raises BadRequest: with CouchDB's ``illegal_database_name`` error.
    """
    if not isinstance(name, str) or not DB_NAME_RE.fullmatch(name):
        err = BadRequest(
            f"Name: {name!r}. Only lowercase characters (a-z), digits (0-9), and any of "
            "the characters _, $, (, ), +, -, and / are allowed. Must begin with a letter.")
        err.error = "illegal_database_name"
        raise err
    return name


class Store:
    """Named databases under one data directory.

    ``partition(doc_id)`` names the partition a document belongs to (for
    gridvisit, its grid), kept beside each document for filtered feeds;
    ``resolver`` merges conflicting leaves on write (see ``resolve.py``).
    """

    def __init__(self, data_dir, partition=None, resolver=None):
        self.partition = partition
        self.resolver = resolver
        self.root = Path(data_dir) / "dbs"
        self.root.mkdir(parents=True, exist_ok=True)
        self._open = {}
        self._lock = threading.Lock()

    def _path(self, name):
        return self.root / (urllib.parse.quote(name, safe="") + SUFFIX)

    def exists(self, name):
        """Whether database ``name`` exists."""
        return self._path(name).exists()

    def names(self):
        """All database names, sorted."""
        return sorted(urllib.parse.unquote(p.name[:-len(SUFFIX)])
                      for p in self.root.glob("*" + SUFFIX))

    def create(self, name):
        """Create database ``name`` and return it.

        :raises FileExists: when it exists already.
        :raises BadRequest: when the name is not allowed.
        """
        check_db_name(name)
        with self._lock:
            if self._path(name).exists():
                raise FileExists("The database could not be created, the file already exists.")
            return self._opened(name)

    def get(self, name):
        """The open database ``name``.

        A database deleted and created again by another process (another
        server worker) is a new file: it is noticed by its inode and opened
        afresh, never served from the old, unlinked one.

        :raises NotFound: when there is no such database.
        """
        if not isinstance(name, str) or not DB_NAME_RE.fullmatch(name):
            raise NotFound("Database does not exist.")
        with self._lock:
            try:
                inode = os.stat(self._path(name)).st_ino
            except FileNotFoundError:
                inode = None
            db = self._open.get(name)
            if db is not None and db.inode == inode:
                return db
            if db is not None:          # deleted (and maybe made again) elsewhere
                db.close()
                del self._open[name]
            if inode is None:
                raise NotFound("Database does not exist.")
            return self._opened(name)

    def _opened(self, name):
        db = Database(name, self._path(name), self.partition, self.resolver)
        db.inode = os.stat(self._path(name)).st_ino
        self._open[name] = db
        return db

    def delete(self, name):
        """Delete database ``name`` and its file.

        :raises NotFound: when there is no such database.
        """
        with self._lock:
            path = self._path(name) if isinstance(name, str) else None
            if path is None or not DB_NAME_RE.fullmatch(name) or not path.exists():
                raise NotFound("Database does not exist.")
            db = self._open.pop(name, None)
            if db is not None:
                db.close()
            for extra in ("", "-wal", "-shm"):
                try:
                    os.unlink(str(path) + extra)
                except FileNotFoundError:
                    pass
            shutil.rmtree(str(path) + ".views", ignore_errors=True)   # its view indexes
            shutil.rmtree(str(path) + ".bells", ignore_errors=True)   # its doorbell (sync.doorbell)

    def close(self):
        """Close every open database."""
        with self._lock:
            for db in self._open.values():
                db.close()
            self._open.clear()
