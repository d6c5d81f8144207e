"""The project's own modules and their imports, read from the source (no import
runs): what the layering, import-cycle and docs tests check.

Python imports are read with ``ast`` (every import, at the top or inside a
function, except those under ``if TYPE_CHECKING:``); an import names the
module it reaches (``from server.couch import feeds`` → ``server.couch.feeds``,
``from server.services import services`` → ``server.services``), not the
packages above it, which Python runs first and which may import anything.
JavaScript imports are the field app's ``import … from '…'``, ``export … from
'…'`` and ``import('…')`` of relative paths.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sync", "rules", "server")
JS_ROOT = ROOT / "fieldapp" / "js"
JS_IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}/[^'"]+)\1""")


def python_modules():
    """``{dotted name: path}`` of every Python module of the product."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _type_checking(node):
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(tree):
    skipped = {id(n) for block in ast.walk(tree) if _type_checking(block)
               for n in ast.walk(block)}
    return [n for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in skipped]


def python_imports(name, path, modules):
    """The modules (project modules, or top-level names of others) ``name`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    reached = set()
    for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            reached.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = package.split(".")[:len(package.split(".")) - node.level + 1]
            source = ".".join(base + ([node.module] if node.module else []))
        else:
            source = node.module
        for alias in node.names:
            candidate = f"{source}.{alias.name}"
            reached.add(candidate if candidate in modules else source)
    return reached


def python_graph():
    """``{module: {project modules it imports}}``."""
    modules = python_modules()
    return {name: {m for m in python_imports(name, path, modules) if m in modules}
            for name, path in modules.items()}


def external_imports(name):
    """Top-level names of the packages outside the project that ``name`` imports."""
    modules = python_modules()
    return {m.split(".")[0] for m in python_imports(name, modules[name], modules)
            if m not in modules and m.split(".")[0] not in PACKAGES}


def js_graph():
    """``{module path relative to fieldapp/js: {module paths it imports}}``."""
    graph = {}
    for path in sorted(JS_ROOT.rglob("*.js")):
        text = path.read_text(encoding="utf-8")
        graph[path.relative_to(JS_ROOT).as_posix()] = {
            (path.parent / spec).resolve().relative_to(JS_ROOT.resolve()).as_posix()
            for _quote, spec in JS_IMPORT.findall(text) if spec.endswith(".js")}
    return graph


def cycles(graph):
    """Every import cycle of ``graph``, each as the list of its modules."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):                       # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found
