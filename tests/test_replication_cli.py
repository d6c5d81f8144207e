"""``gridvisit replicate`` / ``nightly`` / ``replication-status`` with real peers.

Every replication here runs the command line in a subprocess, as an operator
(or cron) would, against real servers: pouchdb-server from npm as the
district hub (on-disk leveldb) and real ``gridvisit serve`` processes, with
the local field database in real SQLite files. After each replication the
revision trees are compared document by document
(``tests/replication_support.py``).
"""

import json
import random
import re
import signal
import subprocess
import time
import urllib.parse

import pytest

from sync import Store
from sync.remote import RemoteDatabase
from rules.warning_rules import RULES_ID, shipped_rules
from tests import fielddocs
from tests.peers import start_gridvisit
from tests.replication_support import (BATCH, HUB_PASSWORD, HUB_USER, add_hub_user,
                                       assert_hub_equals_local, assert_no_secret,
                                       assert_same_trees, background_cli, changes_ids,
                                       checkpoint_seq, cli, cli_output, done_stats,
                                       field_corpus, http_tree, hub_info, hub_url, leaf_count,
                                       live_count, load_http, load_local, local_count,
                                       local_leaves, local_tree, photo, q, recent_runs,
                                       restart_pouchdb_server, runs_table, tree_kinds,
                                       wait_midway, wait_until, with_history)

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
    with background_cli(field_dir, "replicate", "field", url, "--create-target") as proc:
        wait_midway(proc, hub, "hub", field_dir, 3 * BATCH)
        proc.send_signal(signal.SIGKILL)
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
    with background_cli(field_dir, "replicate", "field", url) as proc:
        wait_midway(proc, hub, "hub", field_dir, 2 * BATCH)
        hub.stop()
        code = proc.wait(120)
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
    with background_cli(field_dir, "replicate", "field", f"{hub.base}/hub") as proc:
        wait_midway(proc, hub, "hub", field_dir)
        hub.stop()
        time.sleep(1.0)
        restart_pouchdb_server(hub, hub.extra["dir"])
        code = proc.wait(120)
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
    reference = [with_history(fielddocs.grid_doc(g, f"{g} 网格 (区里)"), ["a", "b"])
                 for g in ("g01", "g02", "g03", "x91")]
    foreign = [with_history(fielddocs.household("x91", f"h{n}"), ["a"]) for n in range(40)]
    load_http(hub, "district", reference + foreign)

    community = tmp_path / "community"
    mine = field_corpus(300, seed=5, grids=3)
    mine = [d for d in mine if not d["_id"].startswith("grid:")]   # grids come from the hub
    # the community's admin saved its rule set (version 1) in the console
    mine.append({"_id": RULES_ID, "_rev": "1-" + "5" * 32, **shipped_rules(), "version": 1,
                 "updated_by": "admin"})
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
    # the district raises the SpO2 threshold in its rule set: the next night
    # brings it to the community, and from there to every tablet
    status, rule_set = hub.request("GET", "district/rules:warning")
    assert status == 200 and rule_set["version"] == 1        # pushed the first night
    rule_set["rules"][0]["when"]["value"] = 94
    rule_set.update(version=2, updated_by="district")
    assert hub.request("PUT", "district/rules:warning", rule_set)[0] == 201
    fourth = cli(community, "nightly", env=env)
    assert "pull-reference-data: 1 written" in fourth.stdout, fourth.stdout
    store = Store(community)
    pulled = store.get("field").get("rules:warning")
    store.close()
    assert pulled["version"] == 2 and pulled["rules"][0]["when"]["value"] == 94
    assert [r["status"] for r in recent_runs(community)] == ["completed"] * 8


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
    with background_cli(field_dir, "replicate", "field", url, "--create-target",
                        "--continuous") as proc:
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
    out, err = cli_output(field_dir)
    assert code != 0 and "interrupted" in err and "Traceback" not in err
    run = recent_runs(field_dir)[0]
    assert run["status"] == "interrupted" and run["error"].startswith("interrupted")
    assert run["docs_written"] > 5000
    assert_hub_equals_local(hub, "hub", field_dir)


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
    with background_cli(field_dir, "replicate", *args, "--continuous") as proc:
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
            doc["_attachments"] = {"photo.jpg": photo(rng, 150_000)}
            docs.append(with_history(doc, ["a"]))
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
