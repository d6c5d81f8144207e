"""A remote CouchDB-protocol database over HTTP (CouchDB, pouchdb-server,
Cloudant, another gridvisit), with the same methods the replicator drives
on a local ``Database``.

Requests go through one ``httpx.Client`` (connection reuse, timeouts).
Network errors and 5xx answers are retried with exponential back-off.
Credentials come from the URL's user info or from the caller and are
never put into messages: ``safe_url`` strips them.
"""

import json
import time
import urllib.parse

import httpx

from .errors import (BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge,
                     PreconditionFailed, GridvisitError, TransportError, Unauthorized)

RETRY_STATUSES = {500, 502, 503, 504, 429}
ERRORS = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound,
          405: BadRequest, 409: Conflict, 412: PreconditionFailed, 413: PayloadTooLarge}


def safe_url(url):
    """``url`` without user name and password (for messages and logs)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


class RemoteDatabase:
    """One database on a CouchDB-protocol server."""

    def __init__(self, url, auth=None, timeout=60.0, retries=5, backoff=0.5, client=None):
        parts = urllib.parse.urlsplit(url.rstrip("/"))
        if parts.username and auth is None:
            auth = (urllib.parse.unquote(parts.username),
                    urllib.parse.unquote(parts.password or ""))
        self.url = safe_url(url.rstrip("/"))
        self.retries = retries
        self.backoff = backoff
        self._has_bulk_get = None          # learnt on first use
        self._client = client or httpx.Client(
            auth=auth, timeout=httpx.Timeout(timeout, connect=10.0),
            headers={"Accept": "application/json"}, follow_redirects=True)

    def __repr__(self):
        return f"RemoteDatabase({self.url!r})"

    def close(self):
        """Close the HTTP connections."""
        self._client.close()

    def _request(self, method, path, params=None, body=None, ok=(200, 201, 202),
                 timeout=None, retries=None):
        url = f"{self.url}/{path}" if path else self.url + "/"
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"} if content is not None else None
        retries = self.retries if retries is None else retries
        extra = {} if timeout is None else {"timeout": timeout}
        for attempt in range(retries + 1):
            try:
                response = self._client.request(method, url, params=params, content=content,
                                                headers=headers, **extra)
            except httpx.HTTPError as err:
                failure = TransportError(f"{method} {url}: {type(err).__name__}: {err}")
                failure.__cause__ = err
            else:
                if response.status_code in ok:
                    return response.json()
                if response.status_code not in RETRY_STATUSES:
                    raise self._error(response, method, url)
                failure = self._error(response, method, url)
            if attempt == retries:
                raise failure
            time.sleep(self.backoff * (2 ** attempt))

    @staticmethod
    def _error(response, method, url):
        try:
            reason = response.json().get("reason") or response.text[:200]
        except ValueError:
            reason = response.text[:200]
        cls = ERRORS.get(response.status_code, TransportError)
        err = cls(f"{method} {url}: {response.status_code} {reason}")
        if cls is TransportError:
            err.status = 502
        return err

    # -- the interface the replicator drives ------------------------------

    def info(self):
        """``GET /db``."""
        return self._request("GET", "")

    def create(self):
        """``PUT /db``; an existing database is fine."""
        try:
            self._request("PUT", "")
        except PreconditionFailed:
            pass

    def server_uuid(self):
        """The server's uuid (part of replication ids), or its URL."""
        root = self.url.rsplit("/", 1)[0] + "/"
        try:
            response = self._client.get(root)
            return response.json().get("uuid") or root
        except (httpx.HTTPError, ValueError):
            return root

    def endpoint_id(self):
        """What names this database in replication ids: its server's uuid and name."""
        return f"{self.server_uuid()}{self.url.rsplit('/', 1)[-1]}"

    def changes(self, since=0, limit=None, style="all_docs", doc_ids=None, feed="normal",
                timeout=None, **_ignored):
        """One page of ``_changes`` (normal, or longpoll to wait for one)."""
        params = {"style": style, "since": since if isinstance(since, str) else json.dumps(since),
                  "feed": feed}
        if limit is not None:
            params["limit"] = limit
        if timeout is not None:
            params["timeout"] = timeout
        if doc_ids is not None:
            params["filter"] = "_doc_ids"
            return self._request("POST", "_changes", params, {"doc_ids": doc_ids})
        return self._request("GET", "_changes", params)

    def wait_for_changes(self, since, seconds):
        """Whether a change after ``since`` came within about ``seconds``.

        A longpoll bounded on our side too: some servers (pouchdb-server)
        ignore ``timeout``, and a caller must be able to stop waiting.

        :raises TransportError: when the server cannot be reached; the
            caller decides whether to retry (and must back off first).
        """
        try:
            page = self._request("GET", "_changes", {
                "feed": "longpoll", "limit": 1, "style": "all_docs",
                "since": since if isinstance(since, str) else json.dumps(since),
                "timeout": int(seconds * 1000)}, timeout=seconds + 2, retries=0)
        except TransportError as err:
            if isinstance(err.__cause__, httpx.TimeoutException):
                return False                      # a server that ignores ``timeout``
            raise
        return bool(page.get("results"))

    def revs_diff(self, wanted):
        """``POST _revs_diff``."""
        return self._request("POST", "_revs_diff", body=wanted) if wanted else {}

    def bulk_get(self, requests, revs=True, attachments=True, latest=True, **_ignored):
        """``POST _bulk_get``, or one ``open_revs`` read per revision on
        servers without it (CouchDB 1.x)."""
        params = {"revs": "true", "attachments": str(bool(attachments)).lower(),
                  "latest": str(bool(latest)).lower()}
        if self._has_bulk_get is not False:
            try:
                found = self._request("POST", "_bulk_get", params, {"docs": requests})
            except (NotFound, BadRequest):
                if self._has_bulk_get:             # it worked before: a real error
                    raise
                self._has_bulk_get = False
            else:
                self._has_bulk_get = True
                return found["results"]
        return [self._open_revs(item, params) for item in requests]

    def _open_revs(self, item, params):
        query = dict(params, open_revs=json.dumps([item["rev"]]))
        path = urllib.parse.quote(item["id"], safe="")
        found = self._request("GET", path, query)
        return {"id": item["id"], "docs": found}

    def bulk_docs(self, docs, new_edits=False):
        """``POST _bulk_docs``: the per-document results (errors only, for
        ``new_edits=false`` on CouchDB)."""
        if not docs:
            return []
        return self._request("POST", "_bulk_docs", body={"docs": docs, "new_edits": new_edits})

    def leaf_revs(self, doc_id):
        """The revisions of ``doc_id``'s leaves (``open_revs=all``); [] when it is absent."""
        path = urllib.parse.quote(doc_id, safe="")
        try:
            found = self._request("GET", path, {"open_revs": "all"})
        except NotFound:
            return []
        return [leaf["ok"]["_rev"] for leaf in found if "ok" in leaf]

    def purge(self, request):
        """``POST _purge`` of ``{id: [revs]}`` (CouchDB 2.3+ semantics)."""
        return self._request("POST", "_purge", body=request)

    def get_local(self, doc_id):
        """A ``_local`` document. :raises NotFound:."""
        return self._request("GET", "_local/" + urllib.parse.quote(
            doc_id[len("_local/"):], safe=""))

    def put_local(self, doc_id, doc):
        """Write a ``_local`` document."""
        return self._request("PUT", "_local/" + urllib.parse.quote(
            doc_id[len("_local/"):], safe=""), body=doc)

    def ensure_full_commit(self):
        """``POST _ensure_full_commit`` (a no-op on modern servers)."""
        try:
            self._request("POST", "_ensure_full_commit", body={})
        except GridvisitError:
            pass
