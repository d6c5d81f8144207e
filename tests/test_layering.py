"""sync/ stays free of web packages (see sync/README.md)."""

import subprocess
import sys

from tests.peers import ROOT

WEB = ("flask", "flask_login", "marshmallow", "jinja2", "werkzeug")


def test_sync_imports_without_web_packages():
    code = ("import sys\n"
            f"for name in {WEB!r}: sys.modules[name] = None\n"   # make them unimportable
            "import sync, sync.store, sync.database, sync.revtree\n"
            "import pkgutil, importlib\n"
            "for m in pkgutil.iter_modules(sync.__path__): importlib.import_module('sync.' + m.name)\n"
            f"print(sorted(n for n in {WEB!r} if sys.modules.get(n)))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
