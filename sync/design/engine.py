"""The JavaScript sandbox of one design document (QuickJS, as CouchDB 3.5).

Every call crosses the boundary as JSON text: documents go in as strings and
whatever the functions emitted comes back as one string, because QuickJS may
not call into Python while a time limit is set. Each call runs under
``time_limit`` seconds and the context under ``memory_limit`` bytes; a call
that runs out of either raises :class:`FunctionError` and the context is
thrown away and made again, so a runaway ``while(true){}`` costs one time
limit and never holds a worker thread. The sandbox offers what CouchDB's
query server does (docs.couchdb.org "Query Server Protocol", "JavaScript"):
``emit``, ``log``, ``sum``, ``toJSON``, ``isArray``, ``require`` for
CommonJS modules kept in the design document, and ``start``, ``send`` and
``getRow`` for list functions (the rows are handed in with the call).
"""

import json
import threading

import quickjs

from ..errors import GridvisitError

# CouchDB's os_process_timeout is 5 s; the server sets it (JS_TIMEOUT).
LIMITS = {"time": 5.0, "memory": 64 * 1024 * 1024}     # seconds per call, bytes per context


def configure(time_limit=None, memory_limit=None):
    """Set the limits of sandboxes made from now on."""
    if time_limit is not None:
        LIMITS["time"] = float(time_limit)
    if memory_limit is not None:
        LIMITS["memory"] = int(memory_limit)

_PRELUDE = r"""
var __emitted = null, __log = [], __fns = {}, __ddoc = {}, __modules = {};
function emit(key, value) {
  if (__emitted === null) throw new Error('emit() is only available in map functions');
  // Kept as JSON text: Python stores it as it is (and parses keys only).
  __emitted.push([JSON.stringify(key === undefined ? null : key) || 'null',
                  JSON.stringify(value === undefined ? null : value) || 'null']);
}
function log(message) {
  __log.push(typeof message === 'string' ? message : JSON.stringify(message));
}
function sum(values) { var s = 0; for (var i = 0; i < values.length; i++) s += values[i]; return s; }
function toJSON(value) { return JSON.stringify(value); }
function isArray(value) { return Array.isArray(value); }
function __require_from(base) {
  return function (path) {
    var parts = path.split('/'), at = path.charAt(0) === '.' ? base.slice() : [];
    for (var i = 0; i < parts.length; i++) {
      if (parts[i] === '..') at.pop(); else if (parts[i] !== '.' && parts[i] !== '') at.push(parts[i]);
    }
    var key = at.join('/');
    if (__modules[key]) return __modules[key].exports;
    var source = __ddoc;
    for (var j = 0; j < at.length; j++) {
      if (source === null || typeof source !== 'object' || !(at[j] in source))
        throw new Error('require: module not found: ' + path);
      source = source[at[j]];
    }
    if (typeof source !== 'string') throw new Error('require: not a module: ' + path);
    var module = {exports: {}, id: key};
    __modules[key] = module;
    new Function('module', 'exports', 'require', source)(
      module, module.exports, __require_from(at.slice(0, -1)));
    return module.exports;
  };
}
var require = __require_from([]);
function __error(e) {
  if (e && typeof e === 'object' && !(e instanceof Error)) return e;
  return {error: (e && e.name) || 'Error', reason: String(e && e.message !== undefined ? e.message : e)};
}
function __compile(name, source) {
  var fn;
  try { fn = eval('(' + source + ')'); } catch (e) { return JSON.stringify({compile: String(e)}); }
  if (typeof fn !== 'function') return JSON.stringify({compile: 'not a function'});
  __fns[name] = fn;
  return '{}';
}
function __map(names, docs) {
  names = JSON.parse(names); docs = JSON.parse(docs);
  var out = [];
  for (var d = 0; d < docs.length; d++) {
    var per = [];
    for (var n = 0; n < names.length; n++) {
      __emitted = [];
      try { __fns[names[n]](names.length > 1 ? JSON.parse(JSON.stringify(docs[d])) : docs[d]); }
      catch (e) { log('map ' + names[n] + ' failed on ' + docs[d]._id + ': ' + String(e)); __emitted = []; }
      per.push(__emitted);
    }
    __emitted = null;
    out.push(per);
  }
  return JSON.stringify(out);
}
function __reduce(name, keys, values, rereduce) {
  try { return JSON.stringify({ok: __fns[name](JSON.parse(keys), JSON.parse(values), rereduce)}); }
  catch (e) { return JSON.stringify({error: __error(e)}); }
}
function __call(name, args) {
  try { return JSON.stringify({ok: __fns[name].apply(null, JSON.parse(args))}); }
  catch (e) { return JSON.stringify({error: __error(e)}); }
}
function __filter(name, docs, req) {
  docs = JSON.parse(docs); req = JSON.parse(req);
  var out = [];
  for (var i = 0; i < docs.length; i++) {
    try { out.push(!!__fns[name](docs[i], req)); } catch (e) { out.push(false); }
  }
  return JSON.stringify(out);
}
var __rows = [], __row = 0, __sent = [], __started = null;
function start(response) { __started = response; }
function send(chunk) { __sent.push(String(chunk)); }
function getRow() { return __row < __rows.length ? __rows[__row++] : null; }
function __list(name, head, rows, req) {
  __rows = JSON.parse(rows); __row = 0; __sent = []; __started = null;
  try {
    var tail = __fns[name](JSON.parse(head), JSON.parse(req));
    if (tail !== undefined && tail !== null) __sent.push(String(tail));
    return JSON.stringify({ok: {start: __started, chunks: __sent}});
  } catch (e) { return JSON.stringify({error: __error(e)}); }
  finally { __rows = []; }
}
function __logs() { var l = __log; __log = []; return JSON.stringify(l); }
"""


class FunctionError(GridvisitError):
    """A design-document function failed to compile, threw, or ran out of time or memory.

    CouchDB answers 500 ``os_process_error``; gridvisit keeps the name but
    answers 400: the fault is in the design document, and retrying it fails again.
    """

    status = 400
    error = "os_process_error"


class CompileError(FunctionError):
    """A design-document function is not valid JavaScript."""

    status = 400
    error = "compilation_error"


class Sandbox:
    """One QuickJS context holding one design document's functions.

    Calls are serialised by a lock (a context is single-threaded).
    """

    def __init__(self, ddoc, time_limit=None, memory_limit=None):
        self.ddoc = ddoc
        self.time_limit = time_limit or LIMITS["time"]
        self.memory_limit = memory_limit or LIMITS["memory"]
        self.logs = []
        self._sources = {}
        self._lock = threading.Lock()
        self._context = None

    def _fresh(self):
        context = quickjs.Context()
        context.set_memory_limit(self.memory_limit)
        context.set_max_stack_size(1024 * 1024)
        context.eval(_PRELUDE)
        context.eval("__ddoc = " + json.dumps(self.ddoc) + ";")
        context.set_time_limit(self.time_limit)
        for name, source in self._sources.items():
            self._compile_in(context, name, source)
        return context

    @staticmethod
    def _compile_in(context, name, source):
        result = json.loads(context.get("__compile")(name, source))
        if "compile" in result:
            raise CompileError(f"{name}: {result['compile']}")

    def compile(self, name, source):
        """Make ``source`` callable as ``name``.

        :raises CompileError: when it is not a JavaScript function.
        """
        if not isinstance(source, str):
            raise CompileError(f"{name}: a function must be a string of JavaScript")
        with self._lock:
            if self._sources.get(name) == source:
                return
            context = self._context or self._fresh()
            self._compile_in(context, name, source)
            self._context = context
            self._sources[name] = source

    def _run(self, entry, *args):
        with self._lock:
            if self._context is None:
                self._context = self._fresh()
            try:
                out = self._context.get(entry)(*args)
                if "out of memory" in out:
                    self._context = None      # caught inside, but the context is spent
                if self._context is not None:
                    self.logs.extend(json.loads(self._context.get("__logs")())[-100:])
                    del self.logs[:-100]
                return json.loads(out)
            except quickjs.JSException as err:
                # Timed out, out of memory or a broken context: start a new one.
                self._context = None
                message = str(err).splitlines()[0] if str(err) else "engine error"
                if "interrupted" in message:
                    message = f"function timed out after {self.time_limit:g} s"
                raise FunctionError(f"{entry.strip('_')}: {message}") from None

    def map_text(self, names, docs_json):
        """``[[[ [key, value], ... ] per function] per document]`` for a JSON array
        of docs, each key and value as JSON text."""
        return self._run("__map", json.dumps(names), docs_json)

    def map(self, names, docs_json):
        """:meth:`map_text` with keys and values decoded."""
        return [[[[json.loads(k), json.loads(v)] for k, v in emitted] for emitted in per_doc]
                for per_doc in self.map_text(names, docs_json)]

    def reduce(self, name, keys, values, rereduce):
        """``{"ok": result}`` or ``{"error": {...}}`` of reduce function ``name``."""
        return self._run("__reduce", name, json.dumps(keys), json.dumps(values), rereduce)

    def call(self, name, *args):
        """``{"ok": result}`` or ``{"error": thrown}`` of function ``name`` on ``args``."""
        return self._run("__call", name, json.dumps(list(args)))

    def list(self, name, head, rows, req):
        """``{"ok": {"start", "chunks"}}`` or ``{"error"}`` of list function ``name``."""
        return self._run("__list", name, json.dumps(head), json.dumps(rows), json.dumps(req))

    def filter(self, name, docs, req):
        """One boolean per document of filter function ``name``."""
        return self._run("__filter", name, json.dumps(docs), json.dumps(req))
