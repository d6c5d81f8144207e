"""Backups that restore (issue 18): `gridvisit backup` while a server takes
writes, `gridvisit restore`, and a tablet (real PouchDB on disk) that synced
after the backup pushing its newer work to the restored server again
without deleted documents coming back."""

import json
import sqlite3
import stat
import threading
import urllib.error
import urllib.request

import pytest

from server import create_app
from server.ops import backup
from server.services import services
from tests.api import basic
from tests.peers import gridvisit_cli, run_node, start_gridvisit

AUTH = basic("root", "root-secret")


def _call(peer, method, path, body=None):
    req = urllib.request.Request(f"{peer.base}/{path}", method=method, headers=dict(
        AUTH, **({"Content-Type": "application/json"} if body is not None else {})),
        data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def _all_docs(data_dir, name):
    app = create_app({"DATA_DIR": str(data_dir)})
    rows = services(app).store.get(name).all_docs(include_docs=True)["rows"]
    return {row["id"]: row["doc"] for row in rows}


def test_backup_under_write_load_restores_a_consistent_snapshot(tmp_path):
    peer = start_gridvisit(tmp_path / "live", username="root", password="root-secret")
    stop = threading.Event()
    written = []

    def writer():
        n = 0
        while not stop.is_set():
            # One document after another: a consistent snapshot holds a prefix.
            _call(peer, "PUT", f"load/doc-{n:05d}", {"n": n, "text": "走访记录" * 50})
            written.append(n)
            n += 1

    try:
        _call(peer, "PUT", "load")
        thread = threading.Thread(target=writer)
        thread.start()
        while len(written) < 50:
            stop.wait(0.05)
        done = gridvisit_cli(tmp_path / "live", "backup", str(tmp_path / "copy"))
        assert "backed up" in done.stdout
        during = len(written)
        while len(written) < during + 30:            # writes went on after the backup
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join(30)
        peer.stop()
    manifest = json.loads((tmp_path / "copy" / "manifest.json").read_text())
    assert {"gridvisit.sqlite", "dbs/load.sqlite", "secret_key", "server_uuid"} <= set(
        manifest["files"])
    assert stat.S_IMODE((tmp_path / "copy" / "secret_key").stat().st_mode) == 0o600
    conn = sqlite3.connect(tmp_path / "copy" / "dbs" / "load.sqlite")
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()

    gridvisit_cli(tmp_path / "restored", "restore", str(tmp_path / "copy"))
    restored = _all_docs(tmp_path / "restored", "load")
    live = _all_docs(tmp_path / "live", "load")
    numbers = sorted(doc["n"] for doc in restored.values())
    assert 50 <= len(numbers) < len(live)
    assert numbers == list(range(len(numbers)))          # a prefix: one moment's state
    assert all(restored[doc_id] == live[doc_id] for doc_id in restored)
    for name in ("secret_key", "server_uuid"):
        assert (tmp_path / "restored" / name).read_text() == (tmp_path / "live" / name).read_text()
    # Accounts came back: the same password signs in.
    app = create_app({"DATA_DIR": str(tmp_path / "restored")})
    assert services(app).accounts.authenticate("root", "root-secret") is not None


def test_restore_refuses_damaged_backups_and_keeps_existing_data(tmp_path):
    make = tmp_path / "data"
    create_app({"DATA_DIR": str(make)})
    backup.backup(make, tmp_path / "copy")
    with pytest.raises(backup.BackupError, match="not empty"):
        backup.backup(make, tmp_path / "copy")
    refused = gridvisit_cli(tmp_path / "data", "restore", str(tmp_path / "copy"), check=False)
    assert refused.returncode == 1 and "--replace" in refused.stderr
    aside = backup.restore(tmp_path / "copy", make, replace=True)
    assert aside.exists() and (aside / "gridvisit.sqlite").exists()     # moved, not deleted
    with open(tmp_path / "copy" / "gridvisit.sqlite", "r+b") as handle:
        handle.seek(200)
        handle.write(b"damage")
    with pytest.raises(backup.BackupError, match="gridvisit.sqlite"):
        backup.restore(tmp_path / "copy", tmp_path / "elsewhere")


def test_tablet_that_synced_after_the_backup_converges_with_the_restored_server(tmp_path):
    tablet_dir = tmp_path / "tablet"
    tablet_dir.mkdir()
    peer = start_gridvisit(tmp_path / "live", username="root", password="root-secret")
    try:
        _call(peer, "PUT", "notes")
        url = peer.url("notes").replace("admin:admin-secret", "root:root-secret")
        first = run_node("tablet_steps.js", {"dir": str(tablet_dir), "remote": url, "put": [
            {"_id": "note-1", "v": 1}, {"_id": "note-2", "v": 1}, {"_id": "doomed", "v": 1}]})
        assert first["push"]["docs_written"] == 3
        gridvisit_cli(tmp_path / "live", "backup", str(tmp_path / "copy"))
        # After the backup the tablet records more, edits, deletes, and syncs.
        second = run_node("tablet_steps.js", {
            "dir": str(tablet_dir), "remote": url, "put": [{"_id": "note-3", "v": 1}],
            "update": {"note-1": {"v": 2}}, "remove": ["doomed"]})
        assert second["push"]["docs_written"] == 3
    finally:
        peer.stop()

    gridvisit_cli(tmp_path / "restored", "restore", str(tmp_path / "copy"))
    before = _all_docs(tmp_path / "restored", "notes")
    assert "note-3" not in before and before["note-1"]["v"] == 1 and "doomed" in before
    gridvisit_cli(tmp_path / "restored", "create-user", "root2", "--role", "admin",
                  stdin="root2-secret\n")
    peer = start_gridvisit(tmp_path / "restored", username="root3", password="root3-secret")
    try:
        url = peer.url("notes").replace("root3:root3-secret", "root2:root2-secret")
        third = run_node("tablet_steps.js", {"dir": str(tablet_dir), "remote": url})
    finally:
        peer.stop()
    assert third["push"]["docs_written"] == 3         # its newer work, pushed again
    after = _all_docs(tmp_path / "restored", "notes")
    assert after["note-1"]["v"] == 2 and after["note-3"]["v"] == 1
    assert "doomed" not in after                       # deleted stays deleted
    assert third["docs"]["doomed"]["deleted"] is True   # and the tablet did not get it back
    tablet = {i: d for i, d in third["docs"].items() if not d.get("deleted")}
    assert tablet == after


def test_scheduled_backups_keep_the_newest(tmp_path):
    data = tmp_path / "data"
    create_app({"DATA_DIR": str(data)})
    folder = backup.backup_folder(data, "")
    assert folder == tmp_path / "data-backups"
    made = [backup.backup_and_prune(data, folder, keep=2, now=1_800_000_000 + 60 * i)
            for i in range(3)]
    kept = sorted(p.name for p in folder.iterdir())
    assert kept == [made[1].name, made[2].name]
    backup.verify(made[2])
