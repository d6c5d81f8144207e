"""``validate_doc_update``: every design document's validation function,
run on every write (docs.couchdb.org "Validate Document Update Functions").

Each gets ``(newDoc, oldDoc, userCtx, secObj)``; throwing ``{forbidden:
reason}`` refuses the write with 403, ``{unauthorized: reason}`` with 401,
anything else thrown refuses it with 403 naming what was thrown. Design
documents themselves are not validated by them (as in CouchDB: only
admins write those), nor are ``_local`` documents.
"""

from ..errors import Forbidden, Unauthorized
from .engine import FunctionError
from .registry import design_docs, is_javascript

SECURITY = {"admins": {"names": [], "roles": []}, "members": {"names": [], "roles": []}}


def validators(db):
    """The design documents of ``db`` that carry ``validate_doc_update``."""
    return [ddoc for _id, ddoc in sorted(design_docs(db).all().items())
            if isinstance(ddoc.get("validate_doc_update"), str) and is_javascript(ddoc)]


def validate(db, ddocs, new_doc, old_doc, user_ctx, sec_obj=None):
    """Run each of ``ddocs``' validation on a write.

    :raises Forbidden: when one throws ``forbidden`` (or anything else).
    :raises Unauthorized: when one throws ``unauthorized``.
    """
    doc_id = new_doc.get("_id", "")
    if not ddocs or doc_id.startswith("_design/") or doc_id.startswith("_local/"):
        return
    registry = design_docs(db)
    for ddoc in ddocs:
        sandbox = registry.sandbox(ddoc)
        sandbox.compile("validate_doc_update", ddoc["validate_doc_update"])
        try:
            out = sandbox.call("validate_doc_update", new_doc, old_doc, user_ctx,
                               sec_obj or SECURITY)
        except FunctionError as err:
            raise Forbidden(f"{ddoc['_id']} validate_doc_update: {err.reason}") from None
        thrown = out.get("error")
        if thrown is None:
            continue
        if isinstance(thrown, dict) and "unauthorized" in thrown:
            raise Unauthorized(str(thrown["unauthorized"]))
        if isinstance(thrown, dict) and "forbidden" in thrown:
            raise Forbidden(str(thrown["forbidden"]))
        raise Forbidden(f"{ddoc['_id']} validate_doc_update threw: {thrown}")
