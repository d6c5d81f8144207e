"""Compressed request bodies: ``Content-Encoding: gzip`` (or deflate).

Some CouchDB clients (IBM's ``ibmcloudant``) gzip what they send, as
CouchDB accepts. This WSGI middleware inflates such bodies before Flask
reads them, refusing with 413 any that inflate beyond ``max_bytes`` (a
zip bomb stays small on the wire) and with 400 any that are not valid.
"""

import io
import json
import zlib

DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS,
            "deflate": zlib.MAX_WBITS}


def _error(start_response, status, error, reason):
    body = json.dumps({"error": error, "reason": reason}).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(body)))])
    return [body]


class InflateRequests:
    """Wrap a WSGI app so it sees compressed request bodies inflated."""

    def __init__(self, app, max_bytes):
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ, start_response):
        encoding = environ.get("HTTP_CONTENT_ENCODING", "").strip().lower()
        if encoding in ("", "identity"):
            return self.app(environ, start_response)
        if encoding not in DECODERS:
            return _error(start_response, "415 Unsupported Media Type", "bad_content_type",
                          f"Content-Encoding {encoding!r} is not supported (use gzip)")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.max_bytes:
            return _error(start_response, "413 Request Entity Too Large", "too_large",
                          "The request body is larger than the server accepts.")
        raw = environ["wsgi.input"].read(length) if length else b""
        inflater = zlib.decompressobj(DECODERS[encoding])
        try:
            body = inflater.decompress(raw, self.max_bytes + 1)
        except zlib.error as err:
            return _error(start_response, "400 Bad Request", "bad_request",
                          f"The {encoding} request body is corrupt: {err}")
        if len(body) > self.max_bytes or inflater.unconsumed_tail:
            return _error(start_response, "413 Request Entity Too Large", "too_large",
                          "The request body inflates beyond what the server accepts.")
        environ = dict(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_CONTENT_ENCODING", None)
        return self.app(environ, start_response)
