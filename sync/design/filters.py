"""``_changes`` filters from design documents: ``filter=ddoc/name`` runs the
filter function ``(doc, req)`` of ``ddoc``; ``filter=_view&view=ddoc/view``
keeps documents the view's map emits anything for; ``filter=_design``
keeps design documents (docs.couchdb.org "Filter Functions", "/db/_changes").
Each gives a predicate over a change's document.
"""

import json

from ..errors import BadRequest, NotFound
from .registry import design_docs


def _split(spec, what):
    if not isinstance(spec, str) or spec.count("/") != 1 or "" in spec.split("/"):
        raise BadRequest(f"`{what}` 必须写作 设计文档名/函数名 / must be `ddoc/name`, "
                         f"not {spec!r}")
    return spec.split("/")


def filter_function(db, spec, req):
    """A predicate for ``filter=ddoc/name`` given CouchDB's ``req`` object.

    :raises NotFound: when the design document or filter is missing.
    """
    ddoc_name, name = _split(spec, "filter")
    registry = design_docs(db)
    ddoc = registry.get(ddoc_name)
    source = (ddoc.get("filters") or {}).get(name)
    if not isinstance(source, str):
        raise NotFound(f"missing json key: {name}")
    sandbox = registry.sandbox(ddoc)
    sandbox.compile("filter:" + name, source)
    return lambda doc: sandbox.filter("filter:" + name, [doc], req)[0]


def view_filter(db, spec):
    """A predicate for ``filter=_view&view=ddoc/view``: the map emits for the doc.

    :raises NotFound: when the design document or view is missing.
    """
    ddoc_name, view = _split(spec, "view")
    registry = design_docs(db)
    ddoc = registry.get(ddoc_name)
    source = ((ddoc.get("views") or {}).get(view) or {}).get("map")
    if not isinstance(source, str):
        raise NotFound("missing_named_view")
    sandbox = registry.sandbox(ddoc)
    sandbox.compile("map:" + view, source)

    def emits(doc):
        return bool(sandbox.map(["map:" + view], json.dumps([doc]))[0][0])
    return emits


def design_only(doc):
    """``filter=_design``: design documents only."""
    return doc.get("_id", "").startswith("_design/")
