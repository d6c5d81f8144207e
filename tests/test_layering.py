"""The layers hold (README "Layout"): the engine knows no product and no web,
the product's rules know no web, the CouchDB protocol knows neither console
nor API, and the per-user view and accounts sit below every blueprint."""

import subprocess
import sys

import pytest

from tests.codemap import ROOT, external_imports, python_graph

WEB = ("flask", "flask_login", "flask_wtf", "jinja2", "werkzeug")
# (package, packages of the project it must never import)
FORBIDDEN = [
    ("sync", ("rules", "server")),
    ("rules", ("server",)),
    ("server.couch", ("server.console", "server.api", "server.jobs", "server.cli")),
    ("server.access", ("server.couch", "server.console", "server.api", "server.jobs",
                       "server.cli", "server.accounts")),
    ("server.accounts", ("server.couch", "server.console", "server.api", "server.jobs",
                         "server.cli")),
    ("server.jobs", ("server.couch", "server.console", "server.api", "server.cli")),
    ("server.ops", ("server.couch", "server.console", "server.api", "server.jobs", "server.cli",
                    "server.access")),
    ("server.api", ("server.console", "server.cli")),
    ("server.console", ("server.api", "server.cli")),
]


def _inside(module, package):
    return module == package or module.startswith(package + ".")


def test_sync_imports_without_web_packages():
    code = ("import sys\n"
            f"for name in {WEB + ('marshmallow',)!r}: sys.modules[name] = None\n"
            "import sync, sync.store, sync.database, sync.revtree\n"
            "import pkgutil, importlib\n"
            "for m in pkgutil.walk_packages(sync.__path__, 'sync.'): importlib.import_module(m.name)\n"
            "print(sorted(n for n in sys.modules if n.split('.')[0] in ('rules', 'server')))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_rules_import_without_web_packages():
    code = ("import sys\n"
            f"for name in {WEB!r}: sys.modules[name] = None\n"
            "import rules, pkgutil, importlib\n"
            "for m in pkgutil.walk_packages(rules.__path__, 'rules.'): importlib.import_module(m.name)\n"
            "print(sorted(n for n in sys.modules if n.split('.')[0] == 'server'))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("package, forbidden", FORBIDDEN, ids=[p for p, _ in FORBIDDEN])
def test_a_layer_never_imports_the_layers_above_it(package, forbidden):
    graph = python_graph()
    crossings = sorted((module, target) for module, targets in graph.items()
                       if _inside(module, package) for target in targets
                       if any(_inside(target, f) for f in forbidden))
    assert crossings == []


@pytest.mark.parametrize("package", ["sync", "rules"])
def test_engine_and_rules_name_no_web_package_anywhere(package):
    graph = python_graph()
    named = sorted((module, ext) for module in graph if _inside(module, package)
                   for ext in external_imports(module) if ext in WEB)
    assert named == []
