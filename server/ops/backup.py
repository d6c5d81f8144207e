"""Backups that restore: every SQLite file of a data folder copied with
SQLite's online backup API (a consistent snapshot while tablets keep
syncing), the keys beside them, a manifest with checksums; and the restore.

A restored server keeps its identity (``server_uuid``, ``secret_key``, TLS
files) so tablets and sessions still know it, but its ``_local`` documents
(replication checkpoints) are emptied: a checkpoint from before the backup
would let a tablet believe the server already has what it sent since, while
without one the tablet compares revisions again and pushes its newer work
(``_revs_diff`` keeps that cheap). Tombstones come back with the tablets
too, so nothing deleted since the backup comes back to life.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

from sync.errors import GridvisitError

MANIFEST = "manifest.json"
FORMAT = 1
KEPT_FILES = ("secret_key", "server_uuid")
SKIPPED_DIRS = ("run",)             # metrics of the running processes, rebuilt at start


class BackupError(GridvisitError):
    """A backup could not be made or restored."""

    status = 400
    error = "backup_error"


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def database_files(data_dir):
    """Every SQLite database in ``data_dir`` (relative paths, sorted)."""
    root = Path(data_dir)
    # View indexes (dbs/{db}.sqlite.views/) are left out: rebuilt from the
    # database on the first query, never ahead of it.
    return sorted(p.relative_to(root) for p in root.rglob("*.sqlite")
                  if p.is_file() and p.relative_to(root).parts[0] not in SKIPPED_DIRS
                  and not p.parent.name.endswith(".views"))


def _copy_database(source, target):
    src = sqlite3.connect(source, timeout=60)
    dst = sqlite3.connect(target)
    try:
        # Pages in steps, so writers wait at most one step; SQLite restarts
        # the copy if another connection writes meanwhile, and the result is
        # the database as of one moment.
        src.backup(dst, pages=1024, sleep=0.005)
        dst.execute("PRAGMA journal_mode=DELETE")      # one self-contained file
    finally:
        dst.close()
        src.close()


def _private(path):
    os.chmod(path, 0o600)


def backup(data_dir, dest):
    """Copy ``data_dir`` into the new folder ``dest``; the manifest written.

    :raises BackupError: when ``dest`` exists and is not empty, or ``data_dir`` has no data.
    """
    root, dest = Path(data_dir), Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"目标目录不为空 / the destination is not empty: {dest}")
    files = database_files(root)
    if not files:
        raise BackupError(f"数据目录中没有数据库 / no databases in {root}")
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(dest, 0o700)           # the keys are in it
    entries = {}
    for rel in files:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        _copy_database(root / rel, dest / rel)
        _private(dest / rel)
        entries[rel.as_posix()] = _sha256(dest / rel)
    extras = [Path(name) for name in KEPT_FILES if (root / name).exists()]
    if (root / "tls").is_dir():
        extras += sorted(p.relative_to(root) for p in (root / "tls").iterdir() if p.is_file())
    for rel in extras:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, dest / rel)
        entries[rel.as_posix()] = _sha256(dest / rel)
    manifest = {"format": FORMAT, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "source": str(root.resolve()), "files": entries}
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return manifest


def verify(source):
    """The manifest of the backup in ``source``, every file checked against it.

    :raises BackupError: when the manifest is missing or a file is missing or changed.
    """
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"不是 gridvisit 备份 / not a gridvisit backup: {source}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式 {manifest.get('format')} 不支持 / unsupported format")
    for rel, digest in manifest["files"].items():
        path = source / rel
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"备份文件缺失或已损坏 / missing or damaged in the backup: {rel}")
    return manifest


def _forget_checkpoints(path):
    conn = sqlite3.connect(path)
    try:
        has = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                           "AND name = 'local_docs'").fetchone()
        if has:
            with conn:
                conn.execute("DELETE FROM local_docs")
    finally:
        conn.close()


def restore(source, data_dir, replace=False):
    """Bring the backup in ``source`` back as ``data_dir``; the folder set aside, if any.

    Stop the server first. With ``replace`` an existing data folder is moved
    aside (``<data_dir>.before-restore-<time>``), never deleted.
    :raises BackupError: when the backup is damaged or ``data_dir`` has data and not ``replace``.
    """
    manifest = verify(source)
    source, data_dir = Path(source), Path(data_dir)
    aside = None
    if data_dir.exists() and any(data_dir.iterdir()):
        if not replace:
            raise BackupError(f"数据目录已有数据，加 --replace 将其移到一旁 / {data_dir} has data: "
                              "add --replace to move it aside")
        aside = data_dir.with_name(f"{data_dir.name}.before-restore-{int(time.time())}")
        data_dir.rename(aside)
    data_dir.mkdir(parents=True, exist_ok=True)
    for rel in manifest["files"]:
        target = data_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, target)
        if rel.endswith(".sqlite"):
            if rel.startswith("dbs/"):
                _forget_checkpoints(target)
            _private(target)
    return aside


def backup_folder(data_dir, setting):
    """Where scheduled backups go: BACKUP_DIR, or ``<DATA_DIR>-backups`` beside the data."""
    if setting:
        return Path(setting)
    root = Path(data_dir).resolve()
    return root.with_name(root.name + "-backups")


def backup_and_prune(data_dir, folder, keep, now=None):
    """One dated backup into ``folder``, then only the newest ``keep`` kept; its path."""
    folder = Path(folder)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    dest = folder / f"gridvisit-{stamp}"
    backup(data_dir, dest)
    made = sorted(p for p in folder.glob("gridvisit-*") if (p / MANIFEST).is_file())
    for old in made[:max(0, len(made) - keep)]:
        shutil.rmtree(old)
    return dest


def _seconds_until(at, now):
    hour, minute = (int(part) for part in at.split(":"))
    moment = time.localtime(now)
    target = time.mktime((moment.tm_year, moment.tm_mon, moment.tm_mday, hour, minute, 0,
                          0, 0, -1))
    return target - now if target > now else target + 86400 - now


def start_schedule(data_dir, at, folder, keep):
    """Back up every day at ``at`` ("HH:MM", local time) in a thread of the serving process."""
    import threading
    import traceback

    def loop():
        while True:
            time.sleep(max(1.0, _seconds_until(at, time.time())))
            try:
                dest = backup_and_prune(data_dir, folder, keep)
                print(f"[backup] {dest}", flush=True)
            except Exception:                     # keep the schedule alive
                traceback.print_exc()
    thread = threading.Thread(target=loop, daemon=True, name="backup")
    thread.start()
    return thread
