"""The field app (``fieldapp/``), served under ``/app/`` for tablets.

Everything the app needs at start-up comes from this server, never a CDN:
the app shell, and the browser builds of PouchDB, pinyin-match (pinyin
and initials search) and ODK Web Forms with Vue (campaign forms) straight
from ``node_modules`` (installed from
``package-lock.json``). The
service worker (scope ``/app/``) precaches all of it under a cache name
that carries a digest of the files, so a deployment with any changed file
is a new version: tablets install it in the background and offer to
switch. ``FIELDAPP_DIR`` points at another copy of the app's files (a
deployment's own build, or a test that serves a changed version).
"""

import hashlib
import json
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, send_from_directory

bp = Blueprint("fieldapp", __name__, url_prefix="/app")

ROOT = Path(__file__).resolve().parents[1]
APP_DIR = ROOT / "fieldapp"
NODE_MODULES = ROOT / "node_modules"
# Served as /app/vendor/{name}: PouchDB's browser build and its IndexedDB
# adapter (purge needs it); pinyin-match's UMD build (window.PinyinMatch);
# the campaign form engine, ODK Web Forms (ES modules, docs/campaign-forms.md)
# and the Vue runtime it imports as "vue" (the import map in index.html).
WEB_FORMS = "@getodk/web-forms/dist"
VENDOR = {
    "pouchdb.min.js": "pouchdb/dist/pouchdb.min.js",
    "pouchdb.indexeddb.min.js": "pouchdb/dist/pouchdb.indexeddb.min.js",
    "pinyin-match.js": "pinyin-match/dist/main.js",
    "vue.js": "vue/dist/vue.runtime.esm-browser.prod.js",
    # The entry and the chunk it imports (its name carries the build's hash);
    # the map widget's chunk is left out: gridvisit asks no geo questions.
    **{f"web-forms/{path.name}": f"{WEB_FORMS}/{path.name}"
       for path in sorted((NODE_MODULES / WEB_FORMS).glob("*.js"))
       if not path.name.startswith("MapBlock")},
}
# CommonJS packages with no browser build, served as one classic script made
# at serve time: each file runs in its own function scope with a small
# ``require`` that knows only the files listed; the named modules' exports
# become globals. transform-pouch (and the pouchdb-wrappers it installs with)
# seals the tablet's documents on their way into IndexedDB (fieldapp/js/seal.js).
CJS_BUNDLES = {
    "transform-pouch.js": ({"TransformPouch": "transform-pouch",
                            "PouchDBWrappers": "pouchdb-wrappers"}, {
        "transform-pouch": "transform-pouch/index.js",
        "pouchdb-wrappers": "transform-pouch/node_modules/pouchdb-wrappers/index.js",
    }),
}
SERVED = {".html": "text/html", ".js": "text/javascript", ".json": "application/json",
          ".css": "text/css",
          ".png": "image/png", ".svg": "image/svg+xml",
          ".webmanifest": "application/manifest+json"}
NO_CACHE = "no-cache"            # revalidate; offline copies live in the service worker


def app_dir():
    """The folder the app's files are served from: FIELDAPP_DIR, else ``fieldapp/``."""
    return Path(current_app.config.get("FIELDAPP_DIR") or APP_DIR)


def shell_files(folder=APP_DIR):
    """Paths (relative to /app/) of every file the service worker precaches."""
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and p.suffix in SERVED and p.name != "sw.js")
    return files + [f"vendor/{name}" for name in [*VENDOR, *CJS_BUNDLES]]


def _path_of(folder, rel):
    if rel.startswith("vendor/"):
        return NODE_MODULES / VENDOR[rel[len("vendor/"):]]
    return folder / rel


def cjs_bundle(name):
    """The classic script of CJS_BUNDLES[name], or None when a file is missing."""
    globals_, files = CJS_BUNDLES[name]
    parts = ["(function () {", "  var defs = {}, cache = {};",
             "  function require(id) {",
             "    if (!cache[id]) { var module = { exports: {} }; cache[id] = module;"
             " defs[id].call(module.exports, module, module.exports, require); }",
             "    return cache[id].exports;", "  }"]
    for module_id, rel in files.items():
        path = NODE_MODULES / rel
        if not path.is_file():
            return None
        # ``window`` is undefined inside: transform-pouch's own last line would
        # register its (empty, CommonJS-shadowed) ``exports`` as a plugin, which
        # PouchDB 9 refuses; seal.js registers the real exports instead.
        parts.append(f"  defs[{json.dumps(module_id)}] = function (module, exports, require, window) {{")
        parts.append(path.read_text(encoding="utf-8"))
        parts.append("  };")
    for global_name, module_id in globals_.items():
        parts.append(f"  window[{json.dumps(global_name)}] = require({json.dumps(module_id)});")
    parts.append("})();")
    return "\n".join(parts) + "\n"


def _bytes_of(folder, rel):
    name = rel[len("vendor/"):]
    if rel.startswith("vendor/") and name in CJS_BUNDLES:
        text = cjs_bundle(name)
        return b"missing" if text is None else text.encode()
    path = _path_of(folder, rel)
    return path.read_bytes() if path.is_file() else b"missing"


def version(folder=APP_DIR):
    """A digest of every precached file: it changes whenever one does."""
    digest = hashlib.sha256()
    for rel in shell_files(folder):
        digest.update(rel.encode() + b"\0")
        digest.update(_bytes_of(folder, rel))
    return digest.hexdigest()[:12]


def _send(directory, name):
    response = send_from_directory(directory, name, mimetype=SERVED.get(Path(name).suffix),
                                   max_age=0)
    response.headers["Cache-Control"] = NO_CACHE
    return response


@bp.get("")
def no_slash():
    """``/app`` → ``/app/`` so relative URLs resolve inside the scope."""
    return redirect("/app/", code=301)


@bp.get("/")
def index():
    """The app shell."""
    return _send(app_dir(), "index.html")


@bp.get("/sw.js")
def service_worker():
    """The service worker, stamped with this deployment's version and file list."""
    folder = app_dir()
    text = (folder / "sw.js").read_text(encoding="utf-8")
    text = text.replace("__VERSION__", version(folder)).replace(
        "__PRECACHE__", json.dumps(["./"] + shell_files(folder)))
    response = current_app.response_class(text, mimetype="text/javascript")
    response.headers["Cache-Control"] = NO_CACHE
    response.headers["Service-Worker-Allowed"] = "/app/"
    return response


@bp.get("/vendor/<path:name>")
def vendor(name):
    """A browser build from node_modules (``npm ci`` installs them)."""
    if name in CJS_BUNDLES:
        text = cjs_bundle(name)
        if text is None:
            abort(404, description=f"{name}: a file under node_modules is missing: run `npm ci`")
        response = current_app.response_class(text, mimetype="text/javascript")
        response.headers["Cache-Control"] = NO_CACHE
        return response
    if name not in VENDOR:
        abort(404)
    path = NODE_MODULES / VENDOR[name]
    if not path.is_file():
        abort(404, description=f"node_modules/{VENDOR[name]} is missing: run `npm ci`")
    response = send_from_directory(path.parent, path.name, mimetype="text/javascript", max_age=0)
    response.headers["Cache-Control"] = NO_CACHE
    return response


@bp.get("/<path:name>")
def asset(name):
    """A file of the app: HTML, modules, styles, icons, the manifest."""
    if Path(name).suffix not in SERVED or name == "sw.js":
        abort(404)
    return _send(app_dir(), name)
