"""Multipart documents, as Apache CouchDB's replicator sends and expects.

Reading (``GET /db/doc?open_revs=[...]`` with ``Accept: multipart/mixed``):
one part per revision; a revision with attachment bytes is a nested
``multipart/related`` (the JSON body first, its attachments marked
``"follows": true``, then each attachment's bytes in that order); a
missing revision is ``{"missing": rev}`` with ``error="true"``.

Writing (``PUT /db/doc?new_edits=false`` with ``multipart/related``): the
JSON body first, then one part per ``follows`` attachment, in the order
the JSON lists them (or matched by ``Content-Disposition`` file name).
"""

import base64
import email.parser
import gzip
import email.policy
import secrets
import zlib

from sync.errors import BadRequest
from server.jsonbody import loads, strict_dumps

CRLF = b"\r\n"


def _boundary():
    return secrets.token_hex(16)


def _json_bytes(value):
    return strict_dumps(value, separators=(",", ":")).encode("utf-8")


def related(doc):
    """``(content_type, body)`` of one revision as ``multipart/related``.

    Inline attachment data leaves the JSON and follows it as raw parts.
    """
    doc = dict(doc)
    atts = {}
    raw_parts = []
    for name, meta in (doc.get("_attachments") or {}).items():
        meta = dict(meta)
        if "data" in meta:
            data = base64.b64decode(meta.pop("data"))
            meta["follows"] = True
            meta.pop("stub", None)
            raw_parts.append((name, meta.get("content_type", "application/octet-stream"), data))
        atts[name] = meta
    if atts:
        doc["_attachments"] = atts
    boundary = _boundary()
    out = [b"--" + boundary.encode(), b"Content-Type: application/json", b"",
           _json_bytes(doc)]
    for name, ctype, data in raw_parts:
        disposition = 'attachment; filename="' + name.replace('"', "%22") + '"'
        out += [b"--" + boundary.encode(), b"Content-Disposition: " + disposition.encode(),
                b"Content-Type: " + ctype.encode(), b"Content-Length: " + str(len(data)).encode(),
                b"", data]
    out.append(b"--" + boundary.encode() + b"--")
    return f'multipart/related; boundary="{boundary}"', CRLF.join(out)


def mixed(results):
    """``(content_type, body)`` for ``open_revs`` results as ``multipart/mixed``."""
    boundary = _boundary()
    out = []
    for entry in results:
        out.append(b"--" + boundary.encode())
        if "ok" in entry:
            doc = entry["ok"]
            if any("data" in meta for meta in (doc.get("_attachments") or {}).values()):
                ctype, body = related(doc)
                out += [b"Content-Type: " + ctype.encode(), b"", body]
            else:
                out += [b"Content-Type: application/json", b"", _json_bytes(doc)]
        else:
            out += [b'Content-Type: application/json; error="true"', b"",
                    _json_bytes({"missing": entry.get("missing")})]
    out.append(b"--" + boundary.encode() + b"--")
    return f'multipart/mixed; boundary="{boundary}"', CRLF.join(out)


def wants_multipart(accept):
    """Whether an Accept header asks for multipart rather than JSON."""
    accept = (accept or "").lower()
    return "multipart/" in accept and "application/json" not in accept.split(",")[0]


def parse_related(content_type, body):
    """The document of a ``multipart/related`` request, attachments inlined.

    :raises BadRequest: when the body is not a JSON part followed by the
        attachments its ``follows`` stubs announce.
    """
    head = b"Content-Type: " + content_type.encode("latin-1") + CRLF + CRLF
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise BadRequest("multipart/related body has no parts (boundary missing?)")
    parts = list(message.iter_parts())
    if not parts or parts[0].get_content_type() != "application/json":
        raise BadRequest("the first part of multipart/related must be the JSON document")
    doc = loads(parts[0].get_payload(decode=True) or b"", "JSON part of multipart/related")
    if not isinstance(doc, dict):
        raise BadRequest("the JSON part must be a document object")
    if not isinstance(doc.get("_attachments", {}), dict):
        raise BadRequest("_attachments: 必须是 JSON 对象 / must be a JSON object "
                         "(attachment name → attachment)")
    follows = [name for name, meta in (doc.get("_attachments") or {}).items()
               if isinstance(meta, dict) and meta.get("follows")]
    by_name = {}
    rest = parts[1:]
    for index, part in enumerate(rest):
        filename = part.get_filename()
        by_name[filename if filename in follows else
                (follows[index] if index < len(follows) else None)] = part
    for name in follows:
        part = by_name.get(name)
        if part is None:
            raise BadRequest(f"attachment {name!r} is marked follows but has no part")
        meta = dict(doc["_attachments"][name])
        meta.pop("follows", None)
        meta.pop("stub", None)
        data = part.get_payload(decode=True) or b""
        if meta.get("encoding") == "gzip":       # CouchDB sends compressible types gzipped
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as err:
                raise BadRequest(f"attachment {name!r} says gzip but is not: {err}")
        meta["data"] = base64.b64encode(data).decode("ascii")
        meta.setdefault("content_type", part.get_content_type())
        for key in ("digest", "length", "encoded_length", "encoding"):
            meta.pop(key, None)              # recomputed from the bytes themselves
        doc["_attachments"][name] = meta
    return doc
