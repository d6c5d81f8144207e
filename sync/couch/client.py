"""One CouchDB server over HTTP: requests, errors in gridvisit's tree, masked URLs.

Credentials ride in the ``httpx.Client``'s auth, never in a URL that a
message or log line could show: :func:`masked_url` prints
``http://admin:***@host``.
"""

import json
import urllib.parse

import httpx

from ..errors import TransportError
from ..remote import ERRORS


def masked_url(url):
    """``url`` with its password shown as ``***`` (for messages and logs)."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def quote(segment):
    """One path segment: a database name or document id, ``/`` included."""
    return urllib.parse.quote(segment, safe="")


def quote_id(doc_id):
    """A document id as a path: ``_design/`` and ``_local/`` keep their slash
    (CouchDB answers ``_design%2F…`` with a redirect), the rest is quoted."""
    for prefix in ("_design/", "_local/"):
        if doc_id.startswith(prefix):
            return prefix + quote(doc_id[len(prefix):])
    return quote(doc_id)


class CouchServer:
    """Requests to one CouchDB server (or cluster coordinator)."""

    def __init__(self, url, timeout=60.0, client=None):
        parts = urllib.parse.urlsplit(url.rstrip("/"))
        auth = None
        if parts.username is not None:
            auth = (urllib.parse.unquote(parts.username),
                    urllib.parse.unquote(parts.password or ""))
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        self.base = urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))
        self.shown = masked_url(url.rstrip("/"))
        self.http = client or httpx.Client(
            auth=auth, timeout=httpx.Timeout(timeout, connect=10.0),
            headers={"Accept": "application/json"})

    def __repr__(self):
        return f"CouchServer({self.shown!r})"

    def request(self, method, path, params=None, body=None, ok=(200, 201, 202),
                timeout=None, content=None, headers=None):
        """JSON answer of ``method path``.

        :raises GridvisitError: CouchDB's error as gridvisit's (404 NotFound,
            409 Conflict, …); TransportError when CouchDB cannot be reached.
        """
        response = self.raw(method, path, params, body, timeout, content, headers)
        if response.status_code in ok:
            return response.json()
        raise self.error(response, method, path)

    def raw(self, method, path, params=None, body=None, timeout=None, content=None,
            headers=None):
        """The ``httpx.Response`` of ``method path``. :raises TransportError:."""
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json"}
        extra = {} if timeout is None else {"timeout": timeout}
        try:
            return self.http.request(method, f"{self.base}/{path}", params=params,
                                     content=content, headers=headers, **extra)
        except httpx.HTTPError as err:
            failure = TransportError(f"{method} {self.base}/{path}: {type(err).__name__}")
            raise failure from err

    def error(self, response, method, path):
        """gridvisit's error for a CouchDB error answer (no credentials in it)."""
        try:
            body = response.json()
            reason = body.get("reason") or body.get("error") or ""
        except ValueError:
            body, reason = {}, response.text[:200]
        cls = ERRORS.get(response.status_code, TransportError)
        err = cls(reason if cls is not TransportError
                  else f"{method} {self.base}/{path}: {response.status_code} {reason}")
        if isinstance(body, dict) and isinstance(body.get("error"), str) and cls is not TransportError:
            err.error = body["error"]
        return err

    def close(self):
        """Close the connections."""
        self.http.close()
