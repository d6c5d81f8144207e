"""The documentation holds true (Datasette's ``tests/test_docs.py`` is the model):
the README lists every setting with its default, every command and every
module, ``sync/README.md`` every module of the engine, and CI runs the README's
test command."""

import re

import pytest

from server.cli import main
from server.settings import SETTINGS
from tests.codemap import JS_ROOT, ROOT, python_modules

README = (ROOT / "README.md").read_text(encoding="utf-8")
SYNC_README = (ROOT / "sync" / "README.md").read_text(encoding="utf-8")


def _shown(default):
    """How the README's settings table writes a default."""
    if default in ("", None):
        return {"empty", "generated"}
    return {f"`{default}`", str(default)}


@pytest.mark.parametrize("name, default", [(n, d) for n, d, _help in SETTINGS])
def test_readme_documents_every_setting_with_its_default(name, default):
    row = re.search(rf"^\| `{name}` \| ([^|]+) \|", README, re.M)
    assert row, f"{name} is not in the README's settings table"
    assert row.group(1).strip() in _shown(default), (name, row.group(1), default)


@pytest.mark.parametrize("command", sorted(main.commands))
def test_readme_documents_every_command(command):
    assert re.search(rf"^\| `gridvisit {re.escape(command)}\b", README, re.M), command


def _module_paths():
    for name, path in python_modules().items():
        if name.startswith("sync") or path.name == "__main__.py":
            continue
        rel = path.relative_to(ROOT)
        yield (rel.parent.as_posix() + "/") if path.name == "__init__.py" else rel.as_posix()
    for path in sorted(JS_ROOT.rglob("*.js")):
        yield path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("path", sorted(_module_paths()))
def test_readme_layout_lists_every_module(path):
    assert f"| `{path}` |" in README, f"{path} is missing from the README's layout tables"


@pytest.mark.parametrize("module", sorted(n.split(".")[1] for n in python_modules()
                                          if n.startswith("sync.")))
def test_sync_readme_lists_every_engine_module(module):
    assert re.search(rf"^\| `{module}`", SYNC_README, re.M), module


def test_readme_lists_no_module_that_is_gone():
    listed = re.findall(r"^\| `((?:server|rules|fieldapp)/[^`]*)` \|", README, re.M)
    assert [path for path in listed if not (ROOT / path).exists()] == []


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in README and "make test" in ci
