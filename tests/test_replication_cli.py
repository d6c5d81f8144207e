"""``gridvisit replicate`` / ``nightly`` / ``replication-status`` with real peers.

Every replication here runs the command line in a subprocess, as an operator
(or cron) would, against real servers: pouchdb-server from npm as the
district hub (on-disk leveldb) and real ``gridvisit serve`` processes, with
the local field database in real SQLite files.

After each replication the revision trees are compared document by document:
``GET {db}/{id}?open_revs=all&revs=true`` on a server against
``Database.open_revs(id, "all", revs=True)`` locally (or against the other
server): the same leaves, each with the same ``_revisions``, ``_deleted``,
body and attachment stubs (content type, digest, length, revpos).
"""

import base64
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
from sync.replicator import endpoint_id
from tests import fielddocs
from tests.peers import (NODE_BIN, ROOT, Peer, _wait_http, gridvisit_cli, start_gridvisit,
                         start_pouchdb_server)

BATCH = 500                         # the replicator's default batch size
HUB_USER, HUB_PASSWORD = "district-sync", "Hub-pa55:w0rd/中"   # ':' '/' need quoting


# ----------------------------------------------------------------- data --

def _hex(rng):
    return "%032x" % rng.getrandbits(128)


def _with_history(doc, labels, deleted=False):
    """``doc`` as a replicated leaf whose history is named by ``labels`` (root first)."""
    ids = [hashlib.md5(f"{doc['_id']}/{label}".encode()).hexdigest() for label in labels]
    doc = dict(doc, _rev=f"{len(ids)}-{ids[-1]}",
               _revisions={"start": len(ids), "ids": ids[::-1]})
    if deleted:
        doc["_deleted"] = True
    return doc


def _photo(rng, size):
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
        add(_with_history(fielddocs.grid_doc(g), ["a", "b"][:1 + (g[-1] in "02468")]))
    i = 0
    while len(seen) < n:
        i += 1
        g = names[i % grids]
        roll = rng.random()
        if roll < 0.20:
            doc = fielddocs.household(g, f"h{i:05d}", colour=rng.choice(["green", "yellow", "red"]))
            depth = rng.choice([1, 1, 2, 3, 5])
            labels = [f"r{k}" for k in range(depth)]
            add(_with_history(doc, labels))
            if i % 20 == 0:                      # edited offline on a second tablet
                add(_with_history(dict(doc, phone="139 0000 0000", colour="red",
                                       colour_reason="独居老人，需要关注"),
                                  labels[:-1] + ["t2a", "t2b"]))
        elif roll < 0.27:
            doc = fielddocs.request_doc(g, f"h{i:05d}", by="w")
            doc["_id"] = f"request:{g}:{_hex(rng)}"
            add(_with_history(doc, ["a", "b"][:rng.choice([1, 2])]))
            if i % 30 == 0:
                add(_with_history(dict(doc, status="in_progress"), ["a", "c"]))
        elif roll < 0.30 and visits:
            add(_with_history(fielddocs.review(rng.choice(visits)), ["a"]))
        else:
            vid = _hex(rng)
            conflicted, deleted = i % 40 == 0, i % 150 == 0
            doc = fielddocs.visit(g, f"h{i:05d}", vid=vid,
                                  status="draft" if conflicted or deleted else "submitted")
            if i % 100 == 0:
                doc["_attachments"] = {"photo.jpg": _photo(rng, rng.randrange(500, 3000))}
            if deleted:
                add(_with_history({"_id": doc["_id"]}, ["a", "b"], deleted=True))
                continue
            add(_with_history(doc, ["a"]))
            visits.append(doc["_id"])
            if conflicted:                       # two tablets, one draft each
                add(_with_history(dict(doc, notes="另一台平板记录"), ["z"]))
    return leaves


def load_local(data_dir, leaves, dbname="field"):
    """Write ``leaves`` into ``data_dir``'s database with the server's own store
    (which merges conflicted households and requests on write)."""
    from server import create_app
    app = create_app({"DATA_DIR": str(data_dir)})
    store = app.extensions["gridvisit.store"]
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


def start_cli(data_dir, *args, env=None):
    """The command line in the background; output to files in ``data_dir``."""
    out = open(Path(data_dir) / "cli.out", "w")
    err = open(Path(data_dir) / "cli.err", "w")
    proc = subprocess.Popen([sys.executable, "-m", "server", *args, "--data-dir",
                             str(data_dir)], cwd=ROOT, env=dict(os.environ, **(env or {})),
                            stdout=out, stderr=err, text=True)
    out.close()
    err.close()
    return proc


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
        return app.extensions["gridvisit.runs"].recent(50)
    finally:
        app.extensions["gridvisit.store"].close()


def restart_pouchdb_server(peer, data_dir):
    """pouchdb-server again on the same port and ``--dir`` (same data)."""
    port = peer.extra["port"]
    log = Path(data_dir) / "pouchdb-server.log"
    with log.open("ab") as out:
        proc = subprocess.Popen([str(NODE_BIN / "pouchdb-server"), "--host", "127.0.0.1",
                                 "--port", str(port), "--dir", str(data_dir)],
                                cwd=data_dir, stdout=out, stderr=subprocess.STDOUT)
    _wait_http(peer.base + "/", proc, log)
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


# ------------------------------------------------------------- fixtures --

@pytest.fixture(scope="module")
def corpus():
    leaves = field_corpus(5000, seed=11)
    assert len({d["_id"] for d in leaves}) == 5000
    return leaves


@pytest.fixture
def field_dir(tmp_path, corpus):
    """A community server's data dir whose ``field`` db holds the corpus."""
    data_dir = tmp_path / "community"
    load_local(data_dir, corpus)
    return data_dir


@pytest.fixture
def hub(tmp_path):
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
            rep_id = replication_id(endpoint_id(db), endpoint_id(remote), {"filter": []})
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


# ------------------------------------------------------------------ 1 --

def test_push_killed_midway_resumes_from_its_checkpoint(field_dir, hub):
    store = Store(field_dir)
    db = store.get("field")
    leaves = local_leaves(db)
    total = leaf_count(leaves)
    kinds = tree_kinds(db)
    store.close()
    assert len(leaves) == 5000 and min(kinds.values()) >= 10, kinds

    url = f"{hub.base}/hub"
    proc = start_cli(field_dir, "replicate", "field", url, "--create-target")
    try:
        wait_until(lambda: hub_info(hub, "hub").get("doc_count", 0) >= 3 * BATCH
                   or proc.poll() is not None, 60, "the hub to fill up")
        assert proc.poll() is None, (
            "the replication finished before it could be killed midway: "
            f"{cli_output(field_dir)}")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    at_kill = hub_info(hub, "hub")["doc_count"]
    assert 0 < at_kill < 5000

    # What the killed run left: a checkpoint on both sides, some documents.
    points = checkpoint_seq(field_dir, url)
    assert points["source"] and points["target"], points
    assert points["source"]["session_id"] == points["target"]["session_id"]
    resume_at = points["source"]["source_last_seq"]
    store = Store(field_dir)
    db = store.get("field")
    after_checkpoint = leaf_count({row["id"]: [c["rev"] for c in row["changes"]] for row in
                                   db.changes(since=resume_at, style="all_docs")["results"]})
    store.close()
    remote = RemoteDatabase(url)
    try:
        missing_now = remote.revs_diff(leaves)
    finally:
        remote.close()
    remainder = sum(len(entry["missing"]) for entry in missing_now.values())
    assert 0 < remainder < total and 0 < after_checkpoint < total

    again = cli(field_dir, "replicate", "field", url)
    written, failed, checked = done_stats(again.stdout)
    assert failed == 0
    assert checked == after_checkpoint, "the second run did not start at the checkpoint"
    assert written == remainder <= after_checkpoint
    assert written <= remainder + BATCH

    assert_hub_equals_local(hub, "hub", field_dir)
    assert hub_info(hub, "hub")["update_seq"] == total, "a revision was written twice"

    runs = recent_runs(field_dir)
    assert [r["status"] for r in runs[:1]] == ["completed"]
    assert runs[0]["docs_written"] == written and runs[0]["target"] == url

    # a third run has nothing to do
    written, failed, checked = done_stats(cli(field_dir, "replicate", "field", url).stdout)
    assert (written, failed, checked) == (0, 0, 0)


def test_checkpoint_on_the_hub_has_couchdbs_shape(field_dir, hub):
    url = f"{hub.base}/hub"
    cli(field_dir, "replicate", "field", url, "--create-target")
    points = checkpoint_seq(field_dir, url)
    for side in ("source", "target"):
        doc = points[side]
        assert {"session_id", "source_last_seq", "replication_id_version", "history"} <= set(doc)
        assert doc["history"][0]["session_id"] == doc["session_id"]
        assert doc["history"][0]["recorded_seq"] == doc["source_last_seq"]
        assert doc["history"][0]["docs_written"] > 5000      # conflicts: several leaves
    assert points["source"]["source_last_seq"] == points["target"]["source_last_seq"]


# ------------------------------------------------------------------ 2 --

def test_hub_going_away_fails_cleanly_and_the_next_run_resumes(field_dir, hub):
    add_hub_user(hub)
    status, body = hub.request("PUT", "hub")
    assert status == 201, body
    url = hub_url(hub, "hub")
    safe = f"{hub.base}/hub"
    proc = start_cli(field_dir, "replicate", "field", url)
    try:
        wait_until(lambda: hub_info(hub, "hub").get("doc_count", 0) >= 2 * BATCH
                   or proc.poll() is not None, 60, "the hub to fill up")
        assert proc.poll() is None, f"finished too soon: {cli_output(field_dir)}"
        hub.stop()
        code = proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out, err = cli_output(field_dir)
    assert code != 0
    assert "replication failed" in err and safe in err, err[-1500:]
    assert "Traceback" not in err
    assert "done:" not in out
    assert_no_secret(field_dir, out, err)

    status_out = cli(field_dir, "replication-status").stdout
    assert "failed" in status_out and safe in status_out
    assert_no_secret(field_dir, status_out)
    failed_run = recent_runs(field_dir)[0]
    assert failed_run["status"] == "failed" and safe in failed_run["error"]
    assert failed_run["docs_written"] >= 2 * BATCH

    restart_pouchdb_server(hub, hub.extra["dir"])
    kept = hub_info(hub, "hub")["doc_count"]
    assert kept >= 2 * BATCH
    again = cli(field_dir, "replicate", "field", url)
    written, failed, checked = done_stats(again.stdout)
    store = Store(field_dir)
    total = leaf_count(local_leaves(store.get("field")))
    store.close()
    assert failed == 0 and checked < total, "the second run started from the beginning"
    assert written <= total - kept
    assert_no_secret(field_dir, again.stdout, again.stderr)
    assert_hub_equals_local(hub, "hub", field_dir)
    assert recent_runs(field_dir)[0]["status"] == "completed"


def test_a_short_hub_outage_is_ridden_out_by_retries(field_dir, hub):
    status, _ = hub.request("PUT", "hub")
    assert status == 201
    proc = start_cli(field_dir, "replicate", "field", f"{hub.base}/hub")
    try:
        wait_until(lambda: hub_info(hub, "hub").get("doc_count", 0) >= BATCH
                   or proc.poll() is not None, 60, "the hub to fill up")
        assert proc.poll() is None, f"finished too soon: {cli_output(field_dir)}"
        hub.stop()
        time.sleep(1.0)
        restart_pouchdb_server(hub, hub.extra["dir"])
        code = proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out, err = cli_output(field_dir)
    assert code == 0, err[-2000:]
    assert done_stats(out)[1] == 0
    assert_hub_equals_local(hub, "hub", field_dir)


def test_wrong_hub_password_fails_without_printing_it(field_dir, hub):
    add_hub_user(hub)
    hub.request("PUT", "hub")
    result = cli(field_dir, "replicate", "field", hub_url(hub, "hub", password=HUB_PASSWORD[::-1]),
                 check=False)
    assert result.returncode != 0
    assert "401" in result.stderr and f"{hub.base}/hub" in result.stderr
    for text in (result.stdout, result.stderr, json.dumps(runs_table(field_dir))):
        assert HUB_PASSWORD[::-1] not in text
        assert urllib.parse.quote(HUB_PASSWORD[::-1], safe="") not in text
    assert recent_runs(field_dir)[0]["status"] == "failed"


# ------------------------------------------------------------------ 3 --

def test_nightly_pushes_field_data_and_pulls_reference_data(tmp_path, hub):
    add_hub_user(hub)
    assert hub.request("PUT", "district")[0] == 201
    # the hub's reference data (grids of this community, and another's),
    # plus another community's field data that must not come down
    reference = [_with_history(fielddocs.grid_doc(g, f"{g} 网格 (区里)"), ["a", "b"])
                 for g in ("g01", "g02", "g03", "x91")]
    foreign = [_with_history(fielddocs.household("x91", f"h{n}"), ["a"]) for n in range(40)]
    load_http(hub, "district", reference + foreign)

    community = tmp_path / "community"
    mine = field_corpus(300, seed=5, grids=3)
    mine = [d for d in mine if not d["_id"].startswith("grid:")]   # grids come from the hub
    load_local(community, mine)
    env = {"GRIDVISIT_HUB_URL": f"{hub.base}/district", "GRIDVISIT_HUB_USER": HUB_USER,
           "GRIDVISIT_HUB_PASSWORD": HUB_PASSWORD}

    first = cli(community, "nightly", env=env)
    store = Store(community)
    db = store.get("field")
    local_ids = set(local_leaves(db))
    pushed = leaf_count(local_leaves(db)) - len(reference)
    store.close()
    assert f"push-field-data: {pushed} written, 0 failed" in first.stdout, first.stdout
    assert f"pull-reference-data: {len(reference)} written, 0 failed" in first.stdout

    # local now has every grid doc (same trees as the hub) and no foreign household
    assert {i for i in local_ids if i.startswith("grid:")} == {d["_id"] for d in reference}
    assert not any(i.startswith("household:x91:") for i in local_ids)
    store = Store(community)
    db = store.get("field")
    assert_same_trees([d["_id"] for d in reference], lambda i: local_tree(db, i),
                      lambda i: http_tree(hub, "district", i), "pulled grid docs")
    hub_ids = changes_ids(hub, "district")
    assert local_ids - set(hub_ids) == set()
    assert_same_trees(local_ids, lambda i: local_tree(db, i),
                      lambda i: http_tree(hub, "district", i), "pushed field data")
    store.close()

    status_out = cli(community, "replication-status").stdout
    lines = status_out.splitlines()
    assert re.search(rf"pull-reference-data\s+completed\s+read\s+{len(reference)}\s+written\s+"
                     rf"{len(reference)}\s+failed\s+0", lines[0]), status_out
    assert re.search(rf"push-field-data\s+completed\s+read\s+{pushed}\s+written\s+{pushed}\s+"
                     rf"failed\s+0", lines[1]), status_out
    assert f"{hub.base}/district → local:field" in lines[0]
    assert f"local:field → {hub.base}/district" in lines[1]
    assert_no_secret(community, first.stdout, first.stderr, status_out)

    # the next night: nothing new either way; then the district renames a grid
    second = cli(community, "nightly", env=env)
    assert "push-field-data: 0 written" in second.stdout
    assert "pull-reference-data: 0 written" in second.stdout
    status, grid = hub.request("GET", "district/grid:g02")
    grid["name"] = "史家胡同第二网格"
    assert hub.request("PUT", "district/grid:g02", grid)[0] == 201
    third = cli(community, "nightly", env=env)
    assert "pull-reference-data: 1 written" in third.stdout
    assert "push-field-data: 0 written" in third.stdout
    store = Store(community)
    assert store.get("field").get("grid:g02")["name"] == "史家胡同第二网格"
    store.close()
    assert [r["status"] for r in recent_runs(community)] == ["completed"] * 6


def test_nightly_with_a_wrong_hub_password_fails_and_says_so(tmp_path, hub):
    add_hub_user(hub)
    hub.request("PUT", "district")
    community = tmp_path / "community"
    load_local(community, field_corpus(50, seed=3, grids=2))
    env = {"GRIDVISIT_HUB_URL": f"{hub.base}/district", "GRIDVISIT_HUB_USER": HUB_USER,
           "GRIDVISIT_HUB_PASSWORD": "not-" + HUB_PASSWORD}
    result = cli(community, "nightly", env=env, check=False)
    assert result.returncode != 0
    assert "push-field-data: FAILED" in result.stdout and "401" in result.stdout
    assert "pull-reference-data: FAILED" in result.stdout
    for text in (result.stdout, result.stderr, json.dumps(runs_table(community))):
        assert HUB_PASSWORD not in text
    assert [r["status"] for r in recent_runs(community)] == ["failed", "failed"]


# ------------------------------------------------------------------ 4 --

def test_gridvisit_to_gridvisit_over_http(tmp_path):
    source = start_gridvisit(tmp_path / "a")
    target = start_gridvisit(tmp_path / "b", password="other-secret")
    try:
        assert source.request("PUT", "field")[0] == 201
        leaves = field_corpus(1500, seed=23, grids=6)
        load_http(source, "field", leaves)
        operator = tmp_path / "operator"
        result = cli(operator, "replicate", source.url("field"), target.url("field"),
                     "--create-target")
        written, failed, checked = done_stats(result.stdout)
        mine = changes_ids(source, "field")
        assert failed == 0 and written == checked == leaf_count(mine)
        assert changes_ids(target, "field") == mine
        assert_same_trees(mine, lambda i: http_tree(source, "field", i),
                          lambda i: http_tree(target, "field", i), "gridvisit → gridvisit")
        for peer in (source, target):
            for secret in (peer.password,):
                assert secret not in result.stdout + result.stderr
                assert secret not in json.dumps(runs_table(operator))
        # conflicted visits stay conflicted alike; merged households carry the
        # same merged revision on both servers
        conflicted = [i for i in mine if len(mine[i]) > 1]
        assert any(i.startswith("visit:") for i in conflicted)
        assert any(i.startswith("household:") for i in conflicted)
        again = cli(operator, "replicate", source.url("field"), target.url("field"))
        assert done_stats(again.stdout) == (0, 0, 0)
    finally:
        source.stop()
        target.stop()


# ----------------------------------------------------------- continuous --

def test_continuous_push_follows_new_writes_until_interrupted(field_dir, hub):
    url = f"{hub.base}/hub"
    proc = start_cli(field_dir, "replicate", "field", url, "--create-target", "--continuous")
    try:
        wait_until(lambda: hub_info(hub, "hub").get("doc_count") == live_count(field_dir)
                   or proc.poll() is not None, 60, "the first catch-up")
        assert proc.poll() is None, cli_output(field_dir)
        store = Store(field_dir)             # another process writes, as the server would
        try:
            doc = fielddocs.visit("g03", "late", vid="f" * 32)
            started = time.monotonic()
            store.get("field").put(doc)
        finally:
            store.close()
        wait_until(lambda: hub.request("GET", f"hub/{q(doc['_id'])}")[0] == 200, 10,
                   "the new visit on the hub")
        assert time.monotonic() - started < 10
        proc.send_signal(signal.SIGINT)
        code = proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out, err = cli_output(field_dir)
    assert code != 0 and "interrupted" in err and "Traceback" not in err
    run = recent_runs(field_dir)[0]
    assert run["status"] == "failed" and run["error"] == "interrupted"
    assert run["docs_written"] > 5000
    assert_hub_equals_local(hub, "hub", field_dir)


def local_count(data_dir, dbname):
    store = Store(data_dir)
    try:
        return store.get(dbname).info()["doc_count"] if store.exists(dbname) else 0
    finally:
        store.close()


@pytest.mark.parametrize("direction", ["push", "pull"])
def test_ctrl_c_ends_a_continuous_replication_promptly(field_dir, hub, direction):
    """Ctrl-C (SIGINT) of ``replicate --continuous`` while it waits for
    changes should end it in seconds, not when the poll runs out (30 s
    when pushing from the local db; pulling from pouchdb-server, whose
    longpoll ignores ``timeout`` and sends heartbeats, not until the hub
    changes)."""
    url = f"{hub.base}/hub"
    if direction == "push":
        args = ("field", url, "--create-target")
        caught_up = lambda: hub_info(hub, "hub").get("doc_count") == live_count(field_dir)  # noqa
    else:
        cli(field_dir, "replicate", "field", url, "--create-target")
        args = (url, "pulled", "--create-target")
        caught_up = lambda: local_count(field_dir, "pulled") == live_count(field_dir)  # noqa
    proc = start_cli(field_dir, "replicate", *args, "--continuous")
    try:
        wait_until(lambda: caught_up() or proc.poll() is not None, 60, "the first catch-up",
                   interval=0.2)
        assert proc.poll() is None, cli_output(field_dir)
        time.sleep(1.0)                                   # caught up, now waiting
        interrupted = time.monotonic()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(45)
        except subprocess.TimeoutExpired:
            pass
        took = time.monotonic() - interrupted
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert took < 5, f"replicate --continuous took {took:.1f}s (or more) to stop after Ctrl-C"


# --------------------------------------------------- big bodies (photos) --

def test_a_batch_bigger_than_the_targets_request_limit_still_replicates(tmp_path):
    """Each visit (with its photo) is well under the target's request limit
    (``MAX_REQUEST_BYTES``), but a whole batch of them is not: the replicator
    must still get every document across, as CouchDB's does when
    ``_bulk_docs`` answers 413 (it splits the batch), instead of failing
    at the same batch on every run."""
    limit = 2 * 1024 * 1024
    source = start_gridvisit(tmp_path / "a")
    target = start_gridvisit(tmp_path / "b", env={"GRIDVISIT_MAX_REQUEST_BYTES": str(limit)})
    try:
        assert source.request("PUT", "field")[0] == 201
        rng = random.Random(2)
        docs = []
        for n in range(40):              # 40 x ~200 KB of base64: ~8 MB in one batch
            doc = fielddocs.visit("g01", f"h{n}", vid=f"{n:032x}")
            doc["_attachments"] = {"photo.jpg": _photo(rng, 150_000)}
            docs.append(_with_history(doc, ["a"]))
        load_http(source, "field", docs)
        operator = tmp_path / "operator"
        result = cli(operator, "replicate", source.url("field"), target.url("field"),
                     "--create-target", check=False)
        assert result.returncode == 0, result.stderr[-800:]
        mine = changes_ids(source, "field")
        assert changes_ids(target, "field") == mine
        assert_same_trees(mine, lambda i: http_tree(source, "field", i),
                          lambda i: http_tree(target, "field", i), "photos")
    finally:
        source.stop()
        target.stop()


# ------------------------------------------ a target deleted and made again --

def test_a_target_database_made_again_receives_everything_again(tmp_path):
    """The hub's database is dropped and created again (a reset), then the
    next push must copy everything into it, and every request to the hub
    must see the new database. gridvisit serves with several gunicorn
    workers (``WORKERS`` = 2); each keeps its open databases."""
    community = tmp_path / "community"
    load_local(community, field_corpus(300, seed=8, grids=3))
    store = Store(community)
    expect = store.get("field").info()["doc_count"]
    total = leaf_count(local_leaves(store.get("field")))
    store.close()
    hub = start_gridvisit(tmp_path / "hub")
    try:
        seen = []
        for cycle in range(6):
            hub.request("DELETE", "field")
            assert hub.request("PUT", "field")[0] == 201
            counts = [hub_info(hub, "field").get("doc_count") for _ in range(20)]
            result = cli(community, "replicate", "field", hub.url("field"))
            written = done_stats(result.stdout)[0]
            after = [hub_info(hub, "field").get("doc_count") for _ in range(20)]
            seen.append((cycle, set(counts), written, set(after)))
        assert all(c == {0} and w == total and a == {expect} for _, c, w, a in seen), (
            "after DELETE + PUT of the hub's database, (cycle, doc_count seen when empty, "
            f"revisions written, doc_count seen after the push) were {seen}; expected "
            f"{{0}}, {total}, {{{expect}}} every time")
    finally:
        hub.stop()
