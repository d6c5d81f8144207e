"""No import cycles, in the server's Python or the field app's JavaScript.

A cycle makes the order modules load in matter and hides which one owns what;
the restructure removed the last ones (``cli`` ⇄ ``cli_replication``,
``server`` ⇄ ``couch_db``, ``app.js → screens → login.js → app.js``).
"""

from tests.codemap import cycles, js_graph, python_graph


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
