"""Attachments: inline base64 in, stubs with digest and length out.

Attachment bytes are stored once per database, addressed by their CouchDB
digest (``md5-<base64 of md5>``); a revision's body keeps only the stub
metadata ``{content_type, digest, length, revpos, stub}``.
"""

import base64
import binascii
import hashlib

from .errors import BadRequest, PreconditionFailed

STUB_KEYS = ("content_type", "digest", "length", "revpos", "encoding", "encoded_length")


def digest_of(data):
    """CouchDB's attachment digest of ``data``: ``md5-`` + base64 md5."""
    return "md5-" + base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def _stub(meta, revpos):
    stub = {key: meta[key] for key in STUB_KEYS if key in meta}
    stub.setdefault("revpos", revpos)
    stub["stub"] = True
    return stub


def prepare(doc_id, attachments, revpos, parent_atts):
    """Turn an incoming ``_attachments`` object into stubs plus new blobs.

    A stub (or a ``follows`` left without its bytes) may name only an
    attachment of ``parent_atts``, the stubs of the revision it descends from,
    as CouchDB requires: bytes are stored once per database, but a stub never
    reaches them by digest alone, or anyone who knew another grid's digest
    could attach that grid's photo to their own document and read it back.
    Returns ``(stubs, blobs)`` where ``blobs`` maps digest to bytes still to
    be stored.

    :raises BadRequest: on malformed attachment objects or base64.
    :raises PreconditionFailed: when a stub names no attachment of its parent.
    """
    if attachments is None:
        return None, {}
    if not isinstance(attachments, dict):
        raise BadRequest(f"{doc_id}: _attachments must be an object")
    stubs, blobs = {}, {}
    for name, meta in attachments.items():
        if not isinstance(meta, dict) or not name:
            raise BadRequest(f"{doc_id}: attachment {name!r} must be a non-empty-named object")
        if meta.get("stub") or meta.get("follows"):
            known = (parent_atts or {}).get(name)
            if not isinstance(known, dict) or meta.get("digest", known.get("digest")) != known.get("digest"):
                raise PreconditionFailed(
                    f"{doc_id}: attachment {name!r} is a stub, but the revision it "
                    "edits has no such attachment")
            stubs[name] = _stub(known, known.get("revpos", revpos))
            continue
        data = meta.get("data")
        if isinstance(data, (bytes, bytearray)):
            raw = bytes(data)
        elif isinstance(data, str):
            try:
                raw = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                raise BadRequest(f"{doc_id}: attachment {name!r} data is not valid base64")
        else:
            raise BadRequest(f"{doc_id}: attachment {name!r} needs data (base64) or stub")
        digest = digest_of(raw)
        blobs[digest] = raw
        stubs[name] = _stub({"content_type": meta.get("content_type") or
                             "application/octet-stream",
                             "digest": digest, "length": len(raw)}, revpos)
    return stubs, blobs


def render(stubs, load, inline, atts_since_pos=0):
    """Attachments for output: stubs, or inline base64 when ``inline``.

    With ``atts_since_pos``, only attachments newer than that position carry
    data; older ones stay stubs (the client already has them).
    """
    out = {}
    for name, stub in stubs.items():
        if inline and stub.get("revpos", 0) > atts_since_pos:
            meta = {k: v for k, v in stub.items() if k != "stub"}
            meta["data"] = base64.b64encode(load(stub["digest"])).decode("ascii")
            out[name] = meta
        else:
            out[name] = dict(stub)
    return out
