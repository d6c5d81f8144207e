"""Design documents as one user sees them: view queries over the user's
grids only, ``validate_doc_update`` with the user's ``userCtx``, and
design-document filters behind the user's grid filter.

Only admins write design documents. A non-admin sees a design document
only when it lies in a partition they see (``_design/shared-*``, the
shared partition, see :mod:`rules.ids`), and then queries rows of their
grids only, reduced over those rows alone, so nothing of another grid
leaks through a count.
"""

from sync.design import filters, handlers, validation
from sync.design.registry import check_ddoc, design_docs
from sync.errors import BadRequest, Forbidden, NotFound
from sync import revtree

DESIGN = "_design/"


def _readable(view, name):
    """:raises NotFound: unless the user may see ``_design/{name}``."""
    if not view.policy.can_read(DESIGN + name):
        raise NotFound("missing")


def _parts(view):
    return view.policy.grids if view.policy.filters_reads else None


def query(view, name, view_name, q):
    """A view query through ``view``: 404 for a design document the user cannot see.

    :raises NotFound: for a missing or hidden design document or view.
    """
    _readable(view, name)
    return design_docs(view.db).query(name, view_name, q, _parts(view))


def info(view, name):
    """``_info`` of a design document the user can see."""
    _readable(view, name)
    return design_docs(view.db).info(name)


def show(view, name, func, doc, req):
    """A show function of a design document the user can see."""
    _readable(view, name)
    return handlers.show(view.db, name, func, doc, req)


def list_view(view, name, func, view_ddoc, view_name, q, req):
    """A list function of one design document over a view (of the same or
    another design document), both visible to the user."""
    _readable(view, name)
    result = query(view, view_ddoc, view_name, q)
    head = {key: result[key] for key in ("total_rows", "offset") if key in result}
    return handlers.list_view(view.db, name, func, head, result["rows"], req)


def update(view, name, func, doc, req):
    """An update function of a design document the user can see; the caller
    writes what it returns through ``view`` (the user's own rules)."""
    _readable(view, name)
    return handlers.update(view.db, name, func, doc, req)


def user_ctx(view):
    """CouchDB's ``userCtx`` for the user of ``view``."""
    user = view.policy.user
    roles = ["_admin"] if user.is_admin else [user.role]
    return {"db": view.db.name, "name": user.name, "roles": roles}


def check_design_write(user, doc):
    """Refuse a design document from a non-admin, or one whose functions do not compile.

    :raises Forbidden: for a non-admin.
    :raises CompileError: naming the bad function.
    """
    doc_id = doc.get("_id") if isinstance(doc, dict) else None
    if not isinstance(doc_id, str) or not doc_id.startswith(DESIGN):
        return
    if not user.is_admin:
        raise Forbidden("只有管理员可以写入设计文档 / only admins may write design documents")
    check_ddoc(doc)


def validator(view):
    """``check(doc, current)`` running every ``validate_doc_update`` for this user."""
    ddocs = validation.validators(view.db)
    ctx = user_ctx(view)

    def check(doc, current):
        if not ddocs or not isinstance(doc, dict):
            return
        tree, body = current()
        old = None if body is None else dict(body, _id=doc["_id"], _rev=revtree.winner(tree))
        validation.validate(view.db, ddocs, doc, old, ctx)
    return check


def changes_predicate(view, params, make_req):
    """The design-document filter of a ``_changes`` request, or None;
    ``make_req()`` gives CouchDB's ``req`` object (made only for a filter function).

    :raises BadRequest: for ``filter=_view`` without ``view``.
    """
    name = params.get("filter")
    if name == "_design":
        if view.policy.filters_reads:
            raise Forbidden("只有管理员可以读取设计文档 / only admins may read design documents")
        return filters.design_only
    if name == "_view":
        spec = params.get("view")
        if not spec:
            raise BadRequest("filter=_view 需要 view=设计文档名/视图名 / filter=_view needs "
                             "`view=ddoc/view`")
        _readable(view, spec.split("/")[0])
        return filters.view_filter(view.db, spec)
    if name and "/" in name:
        _readable(view, name.split("/")[0])
        return filters.filter_function(view.db, name, make_req())
    return None
