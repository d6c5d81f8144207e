"""No import cycles, in the server's Python or the field app's JavaScript.

A cycle makes the order modules load in matter and hides which one owns what;
the restructure removed the last ones (``cli`` ⇄ ``cli_replication``,
``server`` ⇄ ``couch_db``, ``app.js → screens → login.js → app.js``).
"""

import ast

from tests.codemap import ROOT, cycles, js_graph, python_graph


def test_python_modules_import_no_cycle():
    assert cycles(python_graph()) == []


def test_field_app_modules_import_no_cycle():
    assert cycles(js_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert sorted(cycles(graph)) == [["a", "b", "c"], ["e"]]


def test_the_graphs_see_real_imports():
    py, js = python_graph(), js_graph()
    assert "server.couch.feeds" in py["server.couch.databases"] or \
        "server.couch.params" in py["server.couch.feeds"]
    assert "sync.errors" in py["sync.database"]
    assert "rules/validate.js" in js["db.js"] and "start.js" in js["screens/login.js"]


def _imported_names():
    """``(module, source, name)`` of every ``from source import name`` in the project and tests."""
    roots = [ROOT / package for package in ("sync", "rules", "server", "tests", "bench")]
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module:
                    for alias in node.names:
                        yield path.relative_to(ROOT).as_posix(), node.module, alias.name


def test_no_private_name_is_imported_from_another_module():
    private = [(where, source, name) for where, source, name in _imported_names()
               if name.startswith("_") and not name.startswith("__")]
    assert private == []


def test_tests_import_helpers_from_support_modules_never_from_other_tests():
    crossing = [(where, source) for where, source, _name in _imported_names()
                if where.startswith("tests/") and source.rpartition(".")[2].startswith("test_")]
    assert crossing == []
