"""Real PouchDB tablets (node) against a real ``gridvisit serve``, for the
access tests: the admin side (the JSON API, documents written as admin),
the tablet side (``tests/interop/workers.js``: one node process holding one
PouchDB memory database, driven command by command) and their fixtures.

``field`` starts a server with street ``s``; community ``c1`` with grids
``g1`` and ``g2``, community ``c2`` with grid ``g3``; workers ``w1`` on g1
and ``w2`` on g2, a supervisor of c1; valid field documents in every grid.
"""

import base64
import json
import queue
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests import fielddocs as fd
from tests.peers import INTEROP, ROOT, start_gridvisit
from tests.stores import STORES, store_env


FIELD = "field"
PASSWORD = "password-123"
GRIDS = {"g1": "c1", "g2": "c1", "g3": "c2"}
WORKERS = {"w1": "g1", "w2": "g2"}


# -- the admin side -----------------------------------------------------------

def api_base(peer):
    return f"http://127.0.0.1:{peer.extra['port']}/api"


def api(peer, method, path, body=None, auth="admin"):
    """One request to the JSON API; ``(status, json)``.

    ``auth``: "admin" (the admin's Basic auth), ``(name, password)``, or None.
    """
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{api_base(peer)}/{path.lstrip('/')}", data=data,
                                 method=method)
    req.add_header("Content-Type", "application/json")
    if auth == "admin":
        auth = (peer.username, peer.password)
    if auth:
        cred = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        req.add_header("Authorization", f"Basic {cred}")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, json.loads(raw) if raw[:1] in (b"{", b"[") else raw


def ok(status_body, expect=(200, 201)):
    status, body = status_body
    assert status in expect, (status, body)
    return body


def admin_write(peer, docs):
    """Write ``docs`` as admin (new edits); every row must be ok."""
    status, rows = peer.request("POST", f"{FIELD}/_bulk_docs", {"docs": docs})
    assert status == 201 and all(r.get("ok") for r in rows), (status, rows)
    return {r["id"]: r["rev"] for r in rows}


def server_ids(peer):
    """Every live document id in the field db, as admin sees it."""
    status, body = peer.request("GET", f"{FIELD}/_all_docs")
    assert status == 200, body
    return {row["id"] for row in body["rows"]}


def grid_docs(grid, households=3, tag=""):
    """A grid's reference doc, households, a visit and a request per household."""
    docs = [fd.grid_doc(grid)] if not tag else []
    for i in range(households):
        hh = f"h{tag}{i}"
        docs += [fd.household(grid, hh), fd.visit(grid, hh, by="seed"),
                 fd.request_doc(grid, hh, by="seed")]
    return docs


COMMUNITIES = {"c1": "史家社区", "c2": "演乐社区"}


def set_up_directory(peer, grids, workers, create=True):
    """Through the admin API: the field database (unless not ``create``:
    another server over the same CouchDB made it), street ``s``, the
    communities of ``grids`` (``{grid: community}``), the workers
    (``{name: grid}``) and supervisor ``s1`` of ``c1``."""
    if create:
        status, body = peer.request("PUT", FIELD)
        assert status == 201, body
    ok(api(peer, "POST", "streets", {"id": "s", "name": "朝阳门街道"}))
    for community in sorted(set(grids.values())):
        ok(api(peer, "POST", "communities", {"id": community, "name": COMMUNITIES[community],
                                             "parent": "s"}))
    for grid, community in grids.items():
        ok(api(peer, "POST", "grids", {"id": grid, "name": f"{grid} 网格", "parent": community}))
    for name, grid in workers.items():
        ok(api(peer, "POST", "users", {"name": name, "password": PASSWORD,
                                       "role": "worker", "display_name": f"网格员{name}"}))
        ok(api(peer, "POST", "assignments", {"user": name, "grid": grid}))
    ok(api(peer, "POST", "users", {"name": "s1", "password": PASSWORD, "role": "supervisor"}))
    ok(api(peer, "POST", "assignments", {"user": "s1", "community": "c1"}))


def serve_field(tmp_path, env=None):
    """Start the server of ``field`` (``env``: its store, :func:`store_env`)."""
    peer = start_gridvisit(tmp_path / "server", env=env)
    try:
        set_up_directory(peer, GRIDS, WORKERS)
        written = {grid: admin_write(peer, grid_docs(grid)) for grid in GRIDS}
        peer.extra["written"] = {grid: set(revs) for grid, revs in written.items()}
        yield peer
    finally:
        peer.stop()


@pytest.fixture(params=STORES)
def field(request, tmp_path):
    """A running server with the directory, two workers and data in g1–g3,
    over each store (``tests/stores.py``)."""
    yield from serve_field(tmp_path, store_env(request))


@pytest.fixture
def embedded_field(tmp_path):
    """``field`` over the embedded store only: for what the CouchDB store
    does not serve yet (design documents' views and filters, Mango)."""
    yield from serve_field(tmp_path)


# -- the tablet side ----------------------------------------------------------

class Tablet:
    """A node process running ``workers.js``: one PouchDB memory db."""

    def __init__(self, tmp_path, name):
        self.name = name
        self.stderr = (tmp_path / f"tablet-{name}.stderr").open("w+")
        self.proc = subprocess.Popen(["node", str(INTEROP / "workers.js")], cwd=ROOT,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True, bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.n = 0

    def _read(self):
        try:
            for line in self.proc.stdout:
                if line.strip():
                    self.lines.put(line)
        except ValueError:                  # closed by close()
            pass
        self.lines.put(None)

    def call(self, cmd, timeout=60, **args):
        """Run one command; its result (an error reply fails the test)."""
        reply = self.try_call(cmd, timeout, **args)
        assert reply["ok"], f"{self.name} {cmd}: {reply}\n{self.log()}"
        return reply["result"]

    def try_call(self, cmd, timeout=60, **args):
        self.n += 1
        self.proc.stdin.write(json.dumps(dict(args, cmd=cmd, n=self.n)) + "\n")
        self.proc.stdin.flush()
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.name} {cmd}: no answer in {timeout} s\n{self.log()}")
        assert line is not None, f"{self.name} exited:\n{self.log()}"
        reply = json.loads(line)
        assert reply.get("n") == self.n, reply
        return reply

    def log(self):
        self.stderr.flush()
        self.stderr.seek(0)
        return self.stderr.read()[-4000:]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.try_call("exit", timeout=10)
            except AssertionError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.stderr.close()


@pytest.fixture
def tablets(tmp_path):
    made = []

    def make(name):
        tablet = Tablet(tmp_path, name)
        made.append(tablet)
        return tablet
    yield make
    for tablet in made:
        tablet.close()


def sign_in(peer, tablet, name, auth="bearer", cookies=False):
    """Log ``tablet`` in as ``name``; open the field db with a token or Basic URL.

    With ``cookies`` the tablet also keeps the session cookie that the login
    sets and sends it along with the token, as a browser does; without, the
    token alone says who syncs.
    """
    login = tablet.call("login", api=api_base(peer), name=name, password=PASSWORD,
                        device=f"tablet-{name}", cookies=cookies)
    assert login["status"] == 200 and login["has_token"], login
    assert login["field_db"] == FIELD
    if auth == "bearer":
        tablet.call("open", url=f"{peer.base}/{FIELD}", auth="bearer")
    else:
        parts = urllib.parse.urlsplit(peer.base)
        url = parts._replace(netloc=f"{name}:{PASSWORD}@{parts.netloc}").geturl()
        tablet.call("open", url=f"{url}/{FIELD}", auth="url")
    return login


def assert_clean(rep, what):
    assert rep["error"] is None, f"{what}: {rep['error']}"
    result = rep["result"]
    assert result["ok"] is True and result["status"] == "complete", f"{what}: {result}"
    assert result["doc_write_failures"] == 0 and result["errors"] == [], f"{what}: {result}"
    assert rep["denied"] == [], f"{what}: {rep['denied']}"


def changes_sinces(rep):
    """The ``since`` of every ``_changes`` request one replication made."""
    out = []
    for req in rep["requests"]:
        url = urllib.parse.urlsplit(req["url"])
        if url.path.endswith("/_changes"):
            out.append(urllib.parse.parse_qs(url.query).get("since", ["0"])[0])
    return out


def grid_of(doc_id):
    return doc_id.split(":")[2] if doc_id.startswith("review:") else doc_id.split(":")[1]
