"""The design documents of one database: loaded once per change of the
database, each with its sandbox (per revision) and its view index (per
signature). ``design_docs(db)`` gives the one registry of a database.
"""

import itertools
import threading
import weakref

from ..errors import BadRequest, NotFound
from .engine import CompileError, FunctionError, Sandbox
from .index import ViewIndex, remove_unused, signature
from .query import offset_of, reduce_rows, rows_in, total_rows
from .reduces import BUILTINS

FUNCTION_FIELDS = ("filters", "shows", "lists", "updates")
_registries = weakref.WeakKeyDictionary()
_registries_lock = threading.Lock()


def design_docs(db):
    """The registry of ``db``'s design documents (one per database object)."""
    with _registries_lock:
        registry = _registries.get(db)
        if registry is None:
            registry = _registries[db] = DesignDocs(db)
        return registry


def is_javascript(ddoc):
    """Whether ``ddoc``'s functions are JavaScript (the default language)."""
    return ddoc.get("language", "javascript") == "javascript"


def check_ddoc(doc):
    """Refuse a design document whose functions are malformed.

    :raises CompileError: naming the function and what is wrong.
    """
    if doc.get("_deleted") is True or not is_javascript(doc):
        return        # Mango's index definitions (language "query") are not JavaScript
    views = doc.get("views", {})
    if not isinstance(views, dict):
        raise CompileError("`views` 必须是对象 / `views` must be an object")
    sandbox = Sandbox(doc)
    for name, view in views.items():
        if name == "lib":
            continue
        if not isinstance(view, dict) or not isinstance(view.get("map"), str):
            raise CompileError(f"views.{name}: 需要字符串 map 函数 / needs a `map` function "
                               "as a string")
        sandbox.compile(f"views.{name}.map", view["map"])
        reduce = view.get("reduce")
        if isinstance(reduce, str) and reduce.strip().startswith("_"):
            if reduce.strip() not in BUILTINS:
                raise CompileError(f"views.{name}.reduce: 未知的内置 reduce / unknown built-in "
                                   f"{reduce.strip()!r}; use one of {', '.join(BUILTINS)}")
        elif reduce is not None:
            sandbox.compile(f"views.{name}.reduce", reduce)
    for field in FUNCTION_FIELDS:
        functions = doc.get(field, {})
        if not isinstance(functions, dict):
            raise CompileError(f"`{field}` 必须是对象 / `{field}` must be an object")
        for name, source in functions.items():
            sandbox.compile(f"{field}.{name}", source)
    if "validate_doc_update" in doc:
        sandbox.compile("validate_doc_update", doc["validate_doc_update"])


class DesignDocs:
    """Design documents of one database, their sandboxes and view indexes."""

    def __init__(self, db):
        self.db = db
        self._lock = threading.Lock()
        self._seq = None
        self._docs = {}
        self._sandboxes = {}
        self._indexes = {}

    def all(self):
        """``{id: ddoc}`` of the live design documents, as of now (read again
        only when one of them changed: this runs on every write)."""
        seq = self.db.design_stamp()
        with self._lock:
            if seq != self._seq:
                found = self.db.all_docs(startkey="_design/", endkey="_design0",
                                         include_docs=True)
                self._docs = {row["id"]: row["doc"] for row in found["rows"] if row.get("doc")}
                self._seq = seq
            return self._docs

    def get(self, name):
        """Design document ``_design/{name}``. :raises NotFound:."""
        ddoc = self.all().get("_design/" + name)
        if ddoc is None:
            raise NotFound("missing")
        return ddoc

    def sandbox(self, ddoc):
        """The sandbox of this revision of ``ddoc``."""
        key = (ddoc["_id"], ddoc.get("_rev"))
        with self._lock:
            sandbox = self._sandboxes.get(key)
            if sandbox is None:
                for old in [k for k in self._sandboxes if k[0] == key[0]]:
                    del self._sandboxes[old]
                sandbox = self._sandboxes[key] = Sandbox(ddoc)
            return sandbox

    def index(self, ddoc):
        """The view index of ``ddoc`` (one per signature, kept on disk)."""
        sandbox = self.sandbox(ddoc)
        with self._lock:
            key = (ddoc["_id"], ddoc.get("_rev"))
            index = self._indexes.get(key)
            if index is None:
                for old in [k for k in self._indexes if k[0] == key[0]]:
                    del self._indexes[old]
                index = self._indexes[key] = ViewIndex(self.db, ddoc, sandbox)
            return index

    def cleanup(self):
        """Delete the index files no live design document uses (``_view_cleanup``);
        the signatures removed."""
        used = {signature(d) for d in self.all().values()
                if is_javascript(d) and isinstance(d.get("views"), dict)}
        with self._lock:
            for key in [k for k, index in self._indexes.items() if index.signature not in used]:
                del self._indexes[key]
        return remove_unused(self.db, used)

    def compact(self, name):
        """Compact the view index of ``_design/{name}`` (``_compact/{ddoc}``).

        :raises NotFound: for a missing design document.
        """
        ddoc = self.get(name)
        if is_javascript(ddoc) and isinstance(ddoc.get("views"), dict):
            self.index(ddoc).compact()

    def query(self, name, view, q, parts=None):
        """The answer to view query ``q`` on ``_design/{name}/_view/{view}``.

        ``parts`` keeps only rows of documents in those partitions.

        :raises NotFound: for a missing design document or view.
        :raises QueryParseError: for parameters that do not fit the view.
        :raises FunctionError: when a function fails or runs out of time.
        """
        ddoc = self.get(name)
        if not is_javascript(ddoc):
            raise BadRequest(f"只支持 JavaScript 视图 / only JavaScript views are served here, "
                             f"not language {ddoc.get('language')!r}")
        spec = (ddoc.get("views") or {}).get(view)
        if view == "lib" or not isinstance(spec, dict) or "map" not in spec:
            raise NotFound("missing_named_view")
        reducing = q.check_for("reduce" in spec)
        index = self.index(ddoc)
        if q.update == "true":
            index.update()
        number = index.number(view)
        with index.read() as conn:
            base, rows = rows_in(conn, q, number, parts)
            if reducing:
                sandbox = index.sandbox
                out = reduce_rows(rows, q, spec["reduce"],
                                  lambda k, v, re: _js_reduce(sandbox, view, spec, k, v, re))
                out = out[q.skip:] if q.limit is None else out[q.skip:q.skip + q.limit]
                result = {"rows": out}
            else:
                stop = None if q.limit is None else q.skip + q.limit
                out = [{"id": i, "key": k, "value": v}
                       for k, i, v in itertools.islice(rows, q.skip, stop)]
                if q.include_docs:
                    self._add_docs(out, q, parts)
                result = {"total_rows": total_rows(conn, number, parts),
                          "offset": (base if base is not None
                                     else offset_of(conn, q, number, parts)) + q.skip,
                          "rows": out}
        if q.update == "lazy":
            threading.Thread(target=_quietly, args=(index.update,), daemon=True).start()
        if q.update_seq:
            result["update_seq"] = index.seq()
        return result

    def _add_docs(self, rows, q, parts):
        for row in rows:
            value = row["value"]
            doc_id = value["_id"] if isinstance(value, dict) and isinstance(
                value.get("_id"), str) else row["id"]
            rev = value.get("_rev") if isinstance(value, dict) and "_id" in value else None
            if parts is not None and (self.db.partition is None
                                      or self.db.partition(doc_id) not in parts):
                row["doc"] = None
                continue
            try:
                row["doc"] = self.db.get(doc_id, rev if isinstance(rev, str) else None,
                                         conflicts=q.conflicts)
            except NotFound:
                row["doc"] = None

    def info(self, name):
        """``GET /{db}/_design/{name}/_info``."""
        ddoc = self.get(name)
        index = self.index(ddoc)
        return {"name": name, "view_index": {
            "signature": index.signature, "language": ddoc.get("language", "javascript"),
            "sizes": {"file": index.size(), "active": index.size(), "external": 0},
            "update_seq": index.seq(), "purge_seq": 0, "updater_running": index.updating,
            "compact_running": False, "waiting_clients": 0, "waiting_commit": False}}


def _js_reduce(sandbox, view, spec, keys, values, rereduce):
    sandbox.compile("reduce:" + view, spec["reduce"])
    out = sandbox.reduce("reduce:" + view, keys, values, rereduce)
    if "error" in out:
        err = out["error"]
        raise FunctionError(f"reduce {view}: {err.get('reason', err)}")
    return out["ok"]


def _quietly(fn):
    try:
        fn()
    except FunctionError:
        pass  # the next query reports it
