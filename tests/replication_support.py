"""Helpers for the replication tests with real peers (``gridvisit
replicate`` run as a subprocess, pouchdb-server as the hub): a field
corpus, loaders, revision-tree comparison, running the command line and
reading its run records, and the fixtures those tests share.

Revision trees are compared document by document:
``GET {db}/{id}?open_revs=all&revs=true`` on a server against
``Database.open_revs(id, "all", revs=True)`` locally (or against the other
server): the same leaves, each with the same ``_revisions``, ``_deleted``,
body and attachment stubs (content type, digest, length, revpos).
"""

import base64
import contextlib
import hashlib
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sync import Store
from sync.checkpoint import replication_id
from sync.remote import RemoteDatabase
from tests import fielddocs
from tests.peers import (NODE_BIN, ROOT, wait_http, gridvisit_cli, start_pouchdb_server)
from server.services import services

BATCH = 500                         # the replicator's default batch size
HUB_USER, HUB_PASSWORD = "district-sync", "Hub-pa55:w0rd/中"   # ':' '/' need quoting


# ----------------------------------------------------------------- data --

def hex_id(rng):
    return "%032x" % rng.getrandbits(128)


def with_history(doc, labels, deleted=False):
    """``doc`` as a replicated leaf whose history is named by ``labels`` (root first)."""
    ids = [hashlib.md5(f"{doc['_id']}/{label}".encode()).hexdigest() for label in labels]
    doc = dict(doc, _rev=f"{len(ids)}-{ids[-1]}",
               _revisions={"start": len(ids), "ids": ids[::-1]})
    if deleted:
        doc["_deleted"] = True
    return doc


def photo(rng, size):
    raw = bytes([0xFF, 0xD8, 0xFF, 0xE0]) + bytes(rng.getrandbits(8) for _ in range(size))
    return {"content_type": "image/jpeg", "data": base64.b64encode(raw).decode()}


def field_corpus(n, seed=1, grids=10):
    """``n`` distinct valid field documents as ``new_edits=false`` leaves.

    Some have several revisions of history, some are conflicted (a second
    branch: households and requests, which gridvisit merges on write, and
    visits, which stay conflicted), a few visits carry a photo and a few
    drafts are deleted. Returns the list of leaves (one id may appear twice).
    """
    rng = random.Random(seed)
    names = [f"g{g:02d}" for g in range(grids)]
    leaves, seen, visits = [], set(), []

    def add(doc):
        leaves.append(doc)
        seen.add(doc["_id"])

    for g in names:
        add(with_history(fielddocs.grid_doc(g), ["a", "b"][:1 + (g[-1] in "02468")]))
    i = 0
    while len(seen) < n:
        i += 1
        g = names[i % grids]
        roll = rng.random()
        if roll < 0.20:
            colour = rng.choice(["green", "yellow", "red"])
            doc = fielddocs.household(g, f"h{i:05d}", colour=colour)
            depth = rng.choice([1, 1, 2, 3, 5])
            labels = [f"r{k}" for k in range(depth)]
            add(with_history(doc, labels))
            if i % 20 == 0:                      # edited offline on a second tablet
                add(with_history(dict(doc, phone="139 0000 0000", colour="red",
                                       colour_reason="独居老人，需要关注"),
                                  labels[:-1] + ["t2a", "t2b"]))
        elif roll < 0.27:
            doc = fielddocs.request_doc(g, f"h{i:05d}", by="w")
            doc["_id"] = f"request:{g}:{hex_id(rng)}"
            add(with_history(doc, ["a", "b"][:rng.choice([1, 2])]))
            if i % 30 == 0:
                add(with_history(dict(doc, status="in_progress"), ["a", "c"]))
        elif roll < 0.30 and visits:
            add(with_history(fielddocs.review(rng.choice(visits)), ["a"]))
        else:
            vid = hex_id(rng)
            conflicted, deleted = i % 40 == 0, i % 150 == 0
            doc = fielddocs.visit(g, f"h{i:05d}", vid=vid,
                                  status="draft" if conflicted or deleted else "submitted")
            if i % 100 == 0:
                doc["_attachments"] = {"photo.jpg": photo(rng, rng.randrange(500, 3000))}
            if deleted:
                add(with_history({"_id": doc["_id"]}, ["a", "b"], deleted=True))
                continue
            add(with_history(doc, ["a"]))
            visits.append(doc["_id"])
            if conflicted:                       # two tablets, one draft each
                add(with_history(dict(doc, notes="另一台平板记录"), ["z"]))
    return leaves


def load_local(data_dir, leaves, dbname="field"):
    """Write ``leaves`` into ``data_dir``'s database with the server's own store
    (which merges conflicted households and requests on write)."""
    from server import create_app
    app = create_app({"DATA_DIR": str(data_dir)})
    store = services(app).store
    db = store.get(dbname) if store.exists(dbname) else store.create(dbname)
    for start in range(0, len(leaves), 1000):
        assert db.bulk_docs(leaves[start:start + 1000], new_edits=False) == []
    info = db.info()
    store.close()
    return info


def load_http(peer, db, leaves):
    """``_bulk_docs`` with ``new_edits=false`` to ``peer``'s ``db``."""
    for start in range(0, len(leaves), 1000):
        status, body = peer.request("POST", f"{db}/_bulk_docs",
                                    {"docs": leaves[start:start + 1000], "new_edits": False})
        assert status == 201 and not [row for row in body if "error" in row], body


# ---------------------------------------------------------- comparison --

def q(doc_id):
    return urllib.parse.quote(doc_id, safe="")


def canonical(rows):
    """``{rev: leaf}`` from an ``open_revs`` answer, attachment stubs reduced to
    what must agree everywhere."""
    out = {}
    for row in rows:
        assert "ok" in row, f"open_revs gave {row}"
        doc = dict(row["ok"])
        atts = doc.pop("_attachments", None)
        if atts:
            doc["_attachments"] = {name: {k: stub.get(k) for k in
                                          ("content_type", "digest", "length", "revpos")}
                                   for name, stub in atts.items()}
        doc.setdefault("_deleted", False)
        out[doc["_rev"]] = doc
    return out


def local_tree(db, doc_id):
    return canonical(db.open_revs(doc_id, "all", revs=True))


def http_tree(peer, db, doc_id):
    status, body = peer.request("GET", f"{db}/{q(doc_id)}?open_revs=all&revs=true")
    assert status == 200, f"{doc_id}: {status} {body}"
    return canonical(body)


def changes_ids(peer, db):
    """Every id in ``db``'s changes feed (style=all_docs) → its leaf revs."""
    status, body = peer.request("GET", f"{db}/_changes?style=all_docs")
    assert status == 200, body
    ids = [row["id"] for row in body["results"]]
    assert len(ids) == len(set(ids)), "a document appears twice in the changes feed"
    return {row["id"]: sorted(c["rev"] for c in row["changes"]) for row in body["results"]}


def local_leaves(db):
    """Every id of a local database → its leaf revs (deleted ones too)."""
    return {row["id"]: sorted(c["rev"] for c in row["changes"])
            for row in db.changes(style="all_docs")["results"]}


def assert_same_trees(ids, left, right, what):
    """``left(id) == right(id)`` for every id (in parallel); lists the first few
    that differ."""
    ids = sorted(ids)
    with ThreadPoolExecutor(8) as pool:
        pairs = list(zip(ids, pool.map(left, ids), pool.map(right, ids)))
    differ = [(doc_id, a, b) for doc_id, a, b in pairs if a != b]
    assert not differ, (f"{what}: {len(differ)} of {len(ids)} documents differ, e.g. "
                        + json.dumps(differ[:2], ensure_ascii=False, indent=1)[:3000])


def tree_kinds(db):
    """How many documents of each interesting shape a local database holds."""
    kinds = {"conflicted": 0, "merged": 0, "deleted": 0, "history": 0, "attachments": 0}
    for doc_id in local_leaves(db):
        leaves = [row["ok"] for row in db.open_revs(doc_id, "all", revs=True)]
        live = [leaf for leaf in leaves if not leaf.get("_deleted")]
        kinds["conflicted"] += len(live) > 1
        kinds["merged"] += len(live) == 1 and len(leaves) > 1
        kinds["deleted"] += not live
        kinds["history"] += any(leaf["_revisions"]["start"] > 2 for leaf in leaves)
        kinds["attachments"] += any("_attachments" in leaf for leaf in leaves)
    return kinds


# -------------------------------------------------------------- running --

def cli(data_dir, *args, env=None, check=True):
    return gridvisit_cli(data_dir, *args, env=env, check=check)


def sigint_as_default():
    """In a child before exec: take SIGINT's default disposition back.

    A background job (``make test &``, a supervisor) inherits SIGINT
    ignored, and an ignored SIGINT stays ignored across exec, so the
    tests' Ctrl-C would never reach the command line.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_cli(data_dir, *args, env=None):
    """The command line in the background; output to files in ``data_dir``."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    out = open(Path(data_dir) / "cli.out", "w")
    err = open(Path(data_dir) / "cli.err", "w")
    proc = subprocess.Popen([sys.executable, "-m", "server", *args, "--data-dir",
                             str(data_dir)], cwd=ROOT, env=dict(os.environ, **(env or {})),
                            stdout=out, stderr=err, text=True, preexec_fn=sigint_as_default)
    out.close()
    err.close()
    return proc


@contextlib.contextmanager
def background_cli(data_dir, *args, env=None):
    """``start_cli`` whose process is killed if the test leaves it running."""
    proc = start_cli(data_dir, *args, env=env)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_midway(proc, hub, db, data_dir, at_least=BATCH):
    """Wait until the hub's ``db`` holds ``at_least`` documents while the
    replication in ``proc`` is still running."""
    wait_until(lambda: hub_info(hub, db).get("doc_count", 0) >= at_least
               or proc.poll() is not None, 60, "the hub to fill up")
    assert proc.poll() is None, (
        f"the replication finished before it could be stopped midway: {cli_output(data_dir)}")


def cli_output(data_dir):
    return ((Path(data_dir) / "cli.out").read_text(),
            (Path(data_dir) / "cli.err").read_text())


DONE = re.compile(r"done: (\d+) written, (\d+) failed, (\d+) revisions checked")


def done_stats(stdout):
    """``(written, failed, checked)`` from ``replicate``'s last line."""
    match = DONE.search(stdout)
    assert match, f"no summary line in {stdout!r}"
    return tuple(int(n) for n in match.groups())


def hub_info(hub, db):
    try:
        status, body = hub.request("GET", db)
    except OSError:
        return {}
    return body if status == 200 and isinstance(body, dict) else {}


def wait_until(check, timeout, what, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def runs_table(data_dir):
    """Every row and column of ``replication_runs`` (stats included), as text."""
    conn = sqlite3.connect(Path(data_dir) / "gridvisit.sqlite")
    try:
        rows = conn.execute("SELECT * FROM replication_runs ORDER BY id").fetchall()
    finally:
        conn.close()
    return rows


def recent_runs(data_dir):
    from server import create_app
    app = create_app({"DATA_DIR": str(data_dir)})
    try:
        return services(app).runs.recent(50)
    finally:
        services(app).store.close()


def restart_pouchdb_server(peer, data_dir):
    """pouchdb-server again on the same port and ``--dir`` (same data)."""
    port = peer.extra["port"]
    log = Path(data_dir) / "pouchdb-server.log"
    with log.open("ab") as out:
        proc = subprocess.Popen([str(NODE_BIN / "pouchdb-server"), "--host", "127.0.0.1",
                                 "--port", str(port), "--dir", str(data_dir)],
                                cwd=data_dir, stdout=out, stderr=subprocess.STDOUT)
    wait_http(peer.base + "/", proc, log)
    peer.proc = proc
    return peer


def add_hub_user(hub):
    """A hub account (pouchdb-server's ``_users``); the server stays an admin
    party, but wrong credentials now get 401."""
    status, body = hub.request("PUT", f"_users/org.couchdb.user:{HUB_USER}",
                               {"name": HUB_USER, "password": HUB_PASSWORD, "roles": [],
                                "type": "user"})
    assert status in (201, 202), body


def hub_url(hub, db, password=HUB_PASSWORD):
    user = urllib.parse.quote(HUB_USER, safe="")
    return hub.base.replace("://", f"://{user}:{urllib.parse.quote(password, safe='')}@") \
        + f"/{db}"


def assert_no_secret(data_dir, *texts):
    """The hub password is in none of ``texts``, the runs table, or any file
    under ``data_dir``."""
    secrets = {HUB_PASSWORD, urllib.parse.quote(HUB_PASSWORD, safe="")}
    for text in texts:
        for secret in secrets:
            assert secret not in text, "the hub password was printed"
    table = json.dumps(runs_table(data_dir), ensure_ascii=False)
    for secret in secrets:
        assert secret not in table, "the hub password is in replication_runs"
    for path in Path(data_dir).rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in raw, f"the hub password is in {path}"


def local_count(data_dir, dbname):
    store = Store(data_dir)
    try:
        return store.get(dbname).info()["doc_count"] if store.exists(dbname) else 0
    finally:
        store.close()


# ------------------------------------------------------------- fixtures --

@pytest.fixture(scope="module")
def big_corpus():
    leaves = field_corpus(5000, seed=11)
    assert len({d["_id"] for d in leaves}) == 5000
    return leaves


@pytest.fixture
def field_dir(tmp_path, big_corpus):
    """A community server's data dir whose ``field`` db holds the corpus."""
    data_dir = tmp_path / "community"
    load_local(data_dir, big_corpus)
    return data_dir


@pytest.fixture
def hub(tmp_path):
    """A pouchdb-server of its own as the district hub."""
    data_dir = tmp_path / "hub"
    peer = start_pouchdb_server(data_dir)
    peer.extra["dir"] = data_dir
    yield peer
    peer.stop()


def checkpoint_seq(data_dir, target_url, dbname="field"):
    """The ``source_last_seq`` of the push checkpoint in the local ``_local`` doc."""
    store = Store(data_dir)
    try:
        db = store.get(dbname)
        remote = RemoteDatabase(target_url)
        try:
            rep_id = replication_id(db.endpoint_id(), remote.endpoint_id(), {"filter": []})
        finally:
            remote.close()
        return {side: doc for side, doc in (
            ("source", _get_local(db, rep_id)),
            ("target", _get_remote_local(target_url, rep_id)))}
    finally:
        store.close()


def _get_local(db, rep_id):
    from sync.errors import NotFound
    try:
        return db.get_local(f"_local/{rep_id}")
    except NotFound:
        return None


def _get_remote_local(url, rep_id):
    from sync.errors import NotFound
    remote = RemoteDatabase(url, retries=0)
    try:
        return remote.get_local(f"_local/{rep_id}")
    except NotFound:
        return None
    finally:
        remote.close()


def assert_hub_equals_local(hub, hubdb, data_dir):
    """The hub holds exactly the local field db's documents and trees,
    each revision written once."""
    store = Store(data_dir)
    try:
        db = store.get("field")
        mine = local_leaves(db)
        theirs = changes_ids(hub, hubdb)
        assert theirs == mine
        assert hub_info(hub, hubdb)["doc_count"] == db.info()["doc_count"]
        assert_same_trees(mine, lambda i: local_tree(db, i),
                          lambda i: http_tree(hub, hubdb, i), "hub vs local")
        return mine
    finally:
        store.close()


def live_count(data_dir):
    store = Store(data_dir)
    try:
        return store.get("field").info()["doc_count"]
    finally:
        store.close()


def leaf_count(leaves):
    return sum(len(revs) for revs in leaves.values())
