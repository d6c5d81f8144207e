#!/usr/bin/env python
"""Replication benchmark: gridvisit's replicator vs PouchDB's own replicator.

R1  the nightly push: a community's field database of 50,000 documents to a
    district hub (pouchdb-server from npm, on-disk leveldb).
R2  gridvisit -> gridvisit: the same 50,000 documents from one gridvisit
    server to another (the target is its ``field`` database, so validation
    and merge-on-write run as in production; a fresh target server is
    started, untimed, for every run).

Variants of each, interleaved run by run so that machine drift hits them
alike, each into a fresh, empty target database:

gv-local   ``gridvisit replicate field URL``: reads the SQLite database
           directly (what ``gridvisit nightly`` does)
gv-http    ``gridvisit replicate URL URL``: reads the same database through
           a running gridvisit server (the same endpoints PouchDB uses)
pouchdb    ``PouchDB.replicate(URL, URL)`` in node (PouchDB 9, default
           options: batch_size 100, batches_limit 10), source = the same
           gridvisit server

gridvisit's time is its own measurement around ``Replication.run()`` (the
``seconds`` it records in ``replication_runs``); PouchDB's is measured in
node around ``PouchDB.replicate()``. Process start-up is excluded from both.
Every run is checked: the target ends with every document and revision,
and a sample of revision trees is compared with the source.

The figure is docs/s, and ``gv ÷ pouchdb`` = gridvisit's docs/s divided by
PouchDB's for the same source and target (gv-http) and for the nightly
path (gv-local). Target: >= 1.0 (gridvisit at least as fast).

Usage (from the repository root):

    .venv/bin/python bench/replication_bench.py [--docs 50000] [--runs 3]
        [--workloads r1,r2] [--pouch-batch-size N] [--pouch-batches-limit N]
        [--keep] [--out bench/results/replication_bench.json]
"""

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.peers import (INTEROP, gridvisit_cli, start_gridvisit,  # noqa: E402
                         start_pouchdb_server)
from tests.replication_support import (DONE, field_corpus, http_tree,  # noqa: E402
                                        load_local)

VARIANTS = ("gv-local", "gv-http", "pouchdb")


def newest_run(data_dir):
    """``(status, stats)`` of the newest run recorded in ``data_dir``."""
    conn = sqlite3.connect(Path(data_dir) / "gridvisit.sqlite")
    try:
        status, stats = conn.execute(
            "SELECT status, stats FROM replication_runs ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return status, json.loads(stats)


def gv_replicate(data_dir, source, target):
    """One ``gridvisit replicate`` run; returns seconds (its own) and stats."""
    started = time.perf_counter()
    proc = gridvisit_cli(data_dir, "replicate", source, target, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0 or not DONE.search(proc.stdout):
        raise RuntimeError(f"gridvisit replicate failed ({proc.returncode}):\n"
                           f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    status, stats = newest_run(data_dir)
    if status != "completed":
        raise RuntimeError(f"run recorded as {status}: {stats}")
    return {"seconds": stats["seconds"], "wall": wall, "docs_read": stats["docs_read"],
            "docs_written": stats["docs_written"],
            "doc_write_failures": stats["doc_write_failures"]}


def pouch_replicate(source, target, batch_size=None, batches_limit=None):
    """One ``PouchDB.replicate(source, target)`` in node."""
    payload = {"source": source, "target": target}
    if batch_size:
        payload["batch_size"] = batch_size
    if batches_limit:
        payload["batches_limit"] = batches_limit
    started = time.perf_counter()
    proc = subprocess.run(["node", str(INTEROP / "pouch_replicate.js")],
                          input=json.dumps(payload), capture_output=True, text=True,
                          cwd=ROOT, timeout=3600)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"PouchDB replicate failed:\n{proc.stdout[-2000:]}\n"
                           f"{proc.stderr[-2000:]}")
    out = json.loads([line for line in proc.stdout.splitlines() if line.strip()][-1])
    return {"seconds": out["ms"] / 1000, "wall": wall, "docs_read": out["docs_read"],
            "docs_written": out["docs_written"],
            "doc_write_failures": out["doc_write_failures"]}


def must(status_body, what):
    status, body = status_body
    if status not in (200, 201, 202):
        raise RuntimeError(f"{what}: {status} {body}")
    return body


def check_target(source_peer, target_peer, target_db, expect, sample):
    """The target holds every document and revision; sampled trees agree."""
    info = must(target_peer.request("GET", target_db), "target info")
    if info["doc_count"] != expect["docs"]:
        raise RuntimeError(f"{target_db}: {info['doc_count']} docs, expected {expect['docs']}")
    if info.get("doc_del_count", expect["deleted"]) != expect["deleted"]:
        raise RuntimeError(f"{target_db}: {info['doc_del_count']} deleted, "
                           f"expected {expect['deleted']}")
    for doc_id in sample:
        if http_tree(source_peer, "field", doc_id) != http_tree(target_peer, target_db, doc_id):
            raise RuntimeError(f"{target_db}: the tree of {doc_id} differs from the source")


def median(values):
    return statistics.median(values) if values else None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workloads", default="r1,r2")
    ap.add_argument("--pouch-batch-size", type=int, default=None,
                    help="PouchDB batch_size (default: PouchDB's own, 100)")
    ap.add_argument("--pouch-batches-limit", type=int, default=None,
                    help="PouchDB batches_limit (default: PouchDB's own, 10)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "replication_bench.json"))
    args = ap.parse_args(argv)
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]

    tmp = Path(tempfile.mkdtemp(prefix="replication-bench-"))
    peers = []
    try:
        print(f"generating {args.docs} documents ...", flush=True)
        leaves = field_corpus(args.docs, seed=2024, grids=max(10, args.docs // 1000))
        source_dir = tmp / "community"
        started = time.perf_counter()
        info = load_local(source_dir, leaves)
        expect = {"docs": info["doc_count"], "deleted": info["doc_del_count"]}
        size = sum(len(json.dumps(d, ensure_ascii=False).encode()) for d in leaves) / len(leaves)
        print(f"loaded {len(leaves)} revisions ({expect['docs']} live, {expect['deleted']} "
              f"deleted documents, mean {size:.0f} bytes) in "
              f"{time.perf_counter() - started:.1f}s", flush=True)

        source = start_gridvisit(source_dir)           # serves the same SQLite files
        peers.append(source)
        hub = start_pouchdb_server(tmp / "hub")
        peers.append(hub)
        operator = tmp / "operator"                    # data dir of the HTTP->HTTP runs
        revisions = sum(len(row["changes"]) for row in must(
            source.request("GET", "field/_changes?style=all_docs"), "changes")["results"])
        expect["revisions"] = revisions
        sample = random.Random(1).sample(sorted({d["_id"] for d in leaves}), 200)

        results = {w: {v: [] for v in VARIANTS} for w in workloads}
        for run in range(args.runs):
            for workload in workloads:
                for variant in VARIANTS:
                    if workload == "r1":
                        target_peer, target_db = hub, f"r1_{variant.replace('-', '_')}_{run}"
                        must(hub.request("PUT", target_db), "create hub db")
                    else:
                        # a fresh server each time: a database deleted and made
                        # again is not reliably empty across gunicorn workers
                        target_dir = tmp / f"other-{workload}-{variant}-{run}"
                        target_peer = start_gridvisit(target_dir, password="other-secret")
                        peers.append(target_peer)
                        target_db = "field"
                        must(target_peer.request("PUT", "field"), "create target field db")
                    target_url = target_peer.url(target_db)
                    # A new gridvisit field database is seeded with the shipped
                    # rule set, the same revision the source holds: not written.
                    already = sum(len(row["changes"]) for row in must(target_peer.request(
                        "GET", f"{target_db}/_changes?style=all_docs"), "changes")["results"])
                    if variant == "gv-local":
                        timing = gv_replicate(source_dir, "field", target_url)
                    elif variant == "gv-http":
                        timing = gv_replicate(operator, source.url("field"), target_url)
                    else:
                        timing = pouch_replicate(source.url("field"), target_url,
                                                 args.pouch_batch_size, args.pouch_batches_limit)
                    if timing["docs_written"] != revisions - already \
                            or timing["doc_write_failures"]:
                        raise RuntimeError(f"{workload}/{variant}: wrote {timing}, expected "
                                           f"{revisions - already} revisions")
                    check_target(source, target_peer, target_db, expect, sample)
                    if workload == "r1":
                        hub.request("DELETE", target_db)
                    else:
                        target_peer.stop()
                        peers.remove(target_peer)
                        shutil.rmtree(target_dir, ignore_errors=True)
                    timing["docs_per_s"] = args.docs / timing["seconds"]
                    results[workload][variant].append(timing)
                    print(f"  run {run + 1} {workload} {variant:<9} {timing['seconds']:7.2f}s "
                          f"{timing['docs_per_s']:8.0f} docs/s  (wall {timing['wall']:.1f}s)",
                          flush=True)

        summary = {}
        print()
        print(f"{args.docs} documents ({revisions} revisions), median of {args.runs} runs")
        print(f"{'':4}{'variant':<10}{'seconds':>9}{'docs/s':>10}{'revs/s':>10}")
        for workload in workloads:
            rows = {}
            for variant in VARIANTS:
                secs = median([r["seconds"] for r in results[workload][variant]])
                rows[variant] = {"seconds": secs, "docs_per_s": args.docs / secs,
                                 "revs_per_s": revisions / secs}
                print(f"{workload:<4}{variant:<10}{secs:9.2f}{args.docs / secs:10.0f}"
                      f"{revisions / secs:10.0f}")
            pouch = rows["pouchdb"]["docs_per_s"]
            for variant in ("gv-http", "gv-local"):
                ratio = rows[variant]["docs_per_s"] / pouch
                rows[f"{variant} / pouchdb"] = ratio
                print(f"{'':4}{variant} ÷ pouchdb: {ratio:.2f}  "
                      f"{'ok' if ratio >= 1.0 else 'MISS'} (target >= 1.0)")
            summary[workload] = rows
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps({
            "docs": args.docs, "revisions": revisions, "runs": args.runs,
            "expect": expect, "pouch_options": {"batch_size": args.pouch_batch_size,
                                                "batches_limit": args.pouch_batches_limit},
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                        "platform": platform.platform()},
            "summary": summary, "results": results}, indent=1))
        print(f"\nwritten to {out}")
    finally:
        for peer in peers:
            peer.stop()
        if args.keep:
            print(f"data kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
