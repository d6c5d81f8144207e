"""Documents as clients send them: ids, special fields, bodies.

A stored body is the client's JSON without ``_id``, ``_rev``,
``_revisions`` and ``_deleted``; ``_attachments`` stays, as stubs.
"""

from .errors import BadRequest, InvalidDocId

# Fields CouchDB accepts in a document and handles itself.
SPECIAL_IN = {"_id", "_rev", "_revisions", "_deleted", "_attachments",
              # sent back by some clients from a previous read; ignored
              "_conflicts", "_deleted_conflicts", "_revs_info", "_local_seq"}
MAX_ID_BYTES = 1024


def check_id(doc_id, allow_local=False):
    """Check a document id as CouchDB does.

    :raises InvalidDocId: for empty, non-string, too long, or reserved ids.
    """
    if not isinstance(doc_id, str) or not doc_id:
        raise InvalidDocId("Document id must be a non-empty string")
    if len(doc_id.encode("utf-8")) > MAX_ID_BYTES:
        raise InvalidDocId(f"Document id is longer than {MAX_ID_BYTES} bytes")
    if doc_id.startswith("_"):
        if doc_id.startswith("_design/") and len(doc_id) > len("_design/"):
            return doc_id
        if allow_local and doc_id.startswith("_local/") and len(doc_id) > len("_local/"):
            return doc_id
        raise InvalidDocId(
            f"Only reserved document ids may start with underscore: {doc_id!r}")
    return doc_id


def split(doc):
    """Split a client document into ``(id, rev, deleted, body, attachments)``.

    :raises BadRequest: when the document is not an object or uses an
        unknown special field.
    """
    if not isinstance(doc, dict):
        raise BadRequest("Document must be a JSON object")
    body = {}
    for key, value in doc.items():
        if key.startswith("_"):
            if key not in SPECIAL_IN:
                raise BadRequest(f"Bad special document member: {key}")
            continue
        body[key] = value
    deleted = doc.get("_deleted", False)
    if not isinstance(deleted, bool):
        raise BadRequest("_deleted must be true or false")
    rev = doc.get("_rev")
    if rev is not None and not isinstance(rev, str):
        raise BadRequest("_rev must be a string")
    return doc.get("_id"), rev, deleted, body, doc.get("_attachments")


def replicated_rev(doc):
    """The rev a replicated (``new_edits=false``) document carries: the head
    of its ``_revisions`` when it has a usable one (it wins over ``_rev``, as
    in CouchDB), else its ``_rev``; None when neither is there."""
    history = doc.get("_revisions") if isinstance(doc, dict) else None
    if isinstance(history, dict):
        start, ids = history.get("start"), history.get("ids")
        if isinstance(start, int) and not isinstance(start, bool) and isinstance(ids, list) \
                and ids and isinstance(ids[0], str):
            return f"{start}-{ids[0]}"
    rev = doc.get("_rev") if isinstance(doc, dict) else None
    return rev if isinstance(rev, str) else None


def assemble(doc_id, rev, deleted, body):
    """The client view of a stored revision (attachments rendered later)."""
    doc = {"_id": doc_id, "_rev": rev}
    doc.update(body)
    if deleted:
        doc["_deleted"] = True
    return doc
