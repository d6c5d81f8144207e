"""Versions of the files in a data folder and the migrations between them.

Each SQLite file carries its layout version in ``PRAGMA user_version``:
the server's tables (``gridvisit.sqlite``, ``server.serverdb``) and every
database (``dbs/``, ``sync.sqlite``); a new file is born at the latest
version. Version 0 is the layout as released before versions were written
(kept in ``tests/fixtures/layout-0/``); version 1 is today's. The console's
index (``console/``) is derived and rebuilds itself when its own version
changes, so it has no migrations. A migration is a step
from one version to the next, run in one transaction with the new version
number, so a crash leaves the file at one version or the other and two
processes starting together migrate each file once. Documents carry their
own ``schema`` number, which the schemas read (``rules.schemas``).
"""

import sqlite3
from pathlib import Path

from sync.errors import GridvisitError


class MigrationError(GridvisitError):
    """The data folder is newer than this gridvisit, or a migration failed."""

    status = 500
    error = "migration_error"


def _baseline(_conn):
    """0 → 1: the layout is unchanged; from now on it carries its version."""


# kind → {version: step from version - 1}; add a step, never change one, and
# raise the kind's LAYOUT_VERSION with it.
MIGRATIONS = {
    "server": {1: _baseline},
    "database": {1: _baseline},
}


def kind_of(rel):
    """Which kind of file the data-folder path ``rel`` is (None: not ours to migrate)."""
    rel = Path(rel)
    if rel.as_posix() == "gridvisit.sqlite":
        return "server"
    if rel.parts[0] == "dbs" and rel.suffix == ".sqlite":
        return "database"
    return None


def latest(kind):
    """The version this gridvisit writes for files of ``kind``."""
    return max(MIGRATIONS[kind])


def _files(data_dir):
    root = Path(data_dir)
    for path in sorted(root.rglob("*.sqlite")):
        kind = kind_of(path.relative_to(root))
        if kind:
            yield path.relative_to(root), kind


def _version(path):
    conn = sqlite3.connect(path, timeout=60)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def pending(data_dir):
    """[(path, kind, version, latest)] of every file not at its latest version.

    :raises MigrationError: when a file is newer than this gridvisit knows.
    """
    found = []
    for rel, kind in _files(data_dir):
        version = _version(Path(data_dir) / rel)
        if version > latest(kind):
            raise MigrationError(
                f"{rel} 的版本 {version} 比本程序新（{latest(kind)}）："
                "请安装更新的 gridvisit / "
                f"{rel} is at version {version}, newer than this gridvisit ({latest(kind)}): "
                "install the newer gridvisit, or restore a backup")
        if version < latest(kind):
            found.append((rel, kind, version, latest(kind)))
    return found


def _step(path, kind, version):
    conn = sqlite3.connect(path, timeout=60, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")            # one migrator per file at a time
        try:
            if conn.execute("PRAGMA user_version").fetchone()[0] != version - 1:
                conn.execute("ROLLBACK")               # another process got here first
                return False
            MIGRATIONS[kind][version](conn)
            conn.execute(f"PRAGMA user_version = {int(version)}")
            conn.execute("COMMIT")
            return True
        except Exception:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()


def migrate(data_dir):
    """Bring every file of ``data_dir`` to its latest version; the steps taken.

    :raises MigrationError: when a file is newer than this gridvisit, or a step fails.
    """
    done = []
    for rel, kind, version, target in pending(data_dir):
        for step in range(version + 1, target + 1):
            try:
                if _step(Path(data_dir) / rel, kind, step):
                    done.append((rel.as_posix(), step - 1, step))
            except sqlite3.Error as err:
                raise MigrationError(f"{rel} {step - 1}→{step} 迁移失败 / migration failed: "
                                     f"{err}") from None
    return done
