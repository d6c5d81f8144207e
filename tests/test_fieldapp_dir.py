"""FIELDAPP_DIR: the server serves the field app from another folder, and the
service worker's version follows that folder's files."""

import shutil

from server import fieldapp
from tests.api import make_app


def _get(client, path):
    """(status, text) of ``path``, the response closed (it may hold a file open)."""
    with client.get(path) as resp:
        return resp.status_code, resp.get_data(as_text=True)


def test_the_app_and_its_version_come_from_fieldapp_dir(tmp_path):
    folder = tmp_path / "fieldapp"
    shutil.copytree(fieldapp.APP_DIR, folder)
    client = make_app(tmp_path / "data", FIELDAPP_DIR=str(folder)).test_client()
    shipped = fieldapp.version()
    assert f"'{shipped}'" in _get(client, "/app/sw.js")[1]

    (folder / "index.html").write_text("<!doctype html><title>B</title>", encoding="utf-8")
    (folder / "js" / "extra.js").write_text("export const b = 1;\n", encoding="utf-8")
    changed = fieldapp.version(folder)
    assert changed != shipped
    worker = _get(client, "/app/sw.js")[1]
    assert f"'{changed}'" in worker and '"js/extra.js"' in worker
    assert _get(client, "/app/")[1] == "<!doctype html><title>B</title>"
    assert _get(client, "/app/js/extra.js")[0] == 200
    assert _get(client, "/app/../server/ops/tls.py")[0] == 404


def test_without_the_setting_the_shipped_app_is_served(tmp_path):
    client = make_app(tmp_path).test_client()
    assert _get(client, "/app/")[1] == (fieldapp.APP_DIR / "index.html").read_text(
        encoding="utf-8")
    assert f"'{fieldapp.version()}'" in _get(client, "/app/sw.js")[1]
