"""Upgrades (issue 18): every file of a data folder carries its layout
version; a folder of the layout released before versions existed
(``tests/fixtures/layout-0``, the demo community) migrates and serves."""

import sqlite3
from pathlib import Path

import pytest

from server import create_app
from server.ops import migrations
from server import serverdb
from server.services import services
from sync import sqlite as engine_sqlite
from tests.peers import gridvisit_cli

FIXTURES = Path(__file__).parent / "fixtures"


def _load(layout, data_dir):
    """A data folder made from the SQL dumps of ``layout``."""
    source = FIXTURES / layout
    for dump in source.rglob("*.sql"):
        target = data_dir / dump.relative_to(source).with_suffix(".sqlite")
        target.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(target)
        conn.executescript(dump.read_text(encoding="utf-8"))
        conn.close()
    for name in ("secret_key", "server_uuid"):
        (data_dir / name).write_text((source / name).read_text())
    return data_dir


def _version(path):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_every_kind_migrates_to_the_version_new_files_are_born_at():
    assert migrations.latest("server") == serverdb.LAYOUT_VERSION
    assert migrations.latest("database") == engine_sqlite.LAYOUT_VERSION


@pytest.mark.parametrize("layout", sorted(p.name for p in FIXTURES.glob("layout-*")))
def test_an_earlier_layout_migrates_and_serves(tmp_path, layout):
    data = _load(layout, tmp_path / "data")
    count_before = sqlite3.connect(data / "dbs" / "field.sqlite").execute(
        "SELECT count(*) FROM docs").fetchone()[0]
    check = gridvisit_cli(data, "migrate", "--check", check=False)
    assert check.returncode == 1
    assert "gridvisit.sqlite (server): 0 → 1" in check.stdout
    assert "dbs/field.sqlite (database): 0 → 1" in check.stdout
    done = gridvisit_cli(data, "migrate")
    assert "2 step(s) migrated" in done.stdout
    assert _version(data / "gridvisit.sqlite") == _version(data / "dbs" / "field.sqlite") == 1
    assert "0 step(s) migrated" in gridvisit_cli(data, "migrate").stdout
    app = create_app({"DATA_DIR": str(data)})
    ext = services(app)
    assert ext.accounts.authenticate("wangfang", "demo-wangfang") is not None
    field = ext.store.get("field")
    assert field.info()["doc_count"] > 0
    rows = field.all_docs(include_docs=True)["rows"]
    assert len(rows) <= count_before and any(r["id"].startswith("household:g1:") for r in rows)
    assert gridvisit_cli(data, "migrate", "--check").returncode == 0


def test_new_files_are_born_at_the_latest_version(tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path)})
    services(app).store.create("field")
    assert _version(tmp_path / "gridvisit.sqlite") == serverdb.LAYOUT_VERSION
    assert _version(tmp_path / "dbs" / "field.sqlite") == engine_sqlite.LAYOUT_VERSION
    assert migrations.pending(tmp_path) == []


def test_a_newer_layout_is_refused_in_chinese_and_english(tmp_path):
    create_app({"DATA_DIR": str(tmp_path)})
    conn = sqlite3.connect(tmp_path / "gridvisit.sqlite")
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    done = gridvisit_cli(tmp_path, "migrate", check=False)
    assert done.returncode == 1
    assert "比本程序新" in done.stderr and "newer than this gridvisit" in done.stderr
    assert _version(tmp_path / "gridvisit.sqlite") == 99
