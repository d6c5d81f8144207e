#!/usr/bin/env python
"""Merge benchmark: how fast conflicts resolve, and what resolution on write costs.

R   resolve 10,000 conflicted households (2-3 live leaves each, plus their
    common base revision) loaded into a data directory by a plain Store
    with no resolver: time ``Database.resolve_all`` in this process, and
    the ``gridvisit resolve-conflicts`` command as a user runs it (process
    start included; its time on the already resolved copy is printed too).
    Figure: documents merged per second.
W2  push 2,000 new household documents from PouchDB (node, memory adapter,
    default options) to a server's field db, as admin: the normal server
    (resolution on write) against the same server whose store has no
    resolver (``bench/merge_serve.py --no-resolver``). Interleaved runs
    after a warm-up; median of ``--runs`` (5). Figure: with ÷ without,
    target <= 1.1. The same writes are also timed in process at the store
    level (``Database.bulk_docs`` of 100-document batches with
    ``new_edits=false``, as the replicator sends them), without HTTP.

Every document is valid under the server's schemas (built with
``tests/fielddocs.py`` and stamped with ``rules/stamps.py``).

Usage (from the repository root):

    .venv/bin/python bench/merge_bench.py [--households 10000] [--resolve-runs 3]
        [--push 2000] [--runs 5] [--skip-resolve] [--skip-w2] [--keep]
        [--out bench/results/merge_bench.json]
"""

import argparse
import copy
import hashlib
import itertools
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

from sync import Store
from rules import ids
from rules import fieldmerge as merge  # noqa: E402
from rules.hlc import Clock  # noqa: E402
from rules.stamps import stamp_edit  # noqa: E402
from bench import common  # noqa: E402
from tests import fielddocs as fd  # noqa: E402
from tests.peers import Peer, wait_http, free_port, gridvisit_cli  # noqa: E402

FIELD = "field"
PASSWORD = "bench-admin-secret"
START_MS = 1_790_000_000_000

NAMES = ["王秀英", "李桂兰", "张建国", "刘建华", "陈志强", "杨丽娟", "赵淑珍", "黄玉兰",
         "周国强", "吴海燕", "徐文明", "孙春梅", "胡德明", "朱小红", "高子涵", "林浩然"]
NOTES = ["老人精神状态良好，家中整洁。", "血压偏高，已提醒按时服药。", "子女在外地工作。",
         "敲门无人应答，已留联系卡。", "腿脚不便，需代购生活物资。", "冬季取暖正常。",
         "近期有陌生人推销保健品，已提醒防范诈骗。", "家属准备接老人同住。"]
REASONS = {"yellow": "独居老人，需定期上门查看", "red": "慢性病用药不足，行动不便"}
TAGS = ["over65", "elderly_alone", "chronic", "pregnant", "disabled", "immunocompromised"]


# ------------------------------------------------------------------ data --

def rev_hash(*parts):
    return hashlib.md5(":".join(map(str, parts)).encode()).hexdigest()


def clock(device, start):
    ticks = itertools.count(start, 1000)
    return Clock(device, now_ms_fn=lambda: next(ticks))


def phone(rng):
    return "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))


def base_household(rng, grid, hh):
    colour = rng.choices(["green", "yellow", "red"], weights=[70, 22, 8])[0]
    doc = fd.household(grid, hh, colour=colour, by="office", phone=phone(rng),
                       head=rng.choice(NAMES))
    doc["members"][0]["name"] = doc["head"]
    for n in range(2, rng.randrange(2, 5)):
        doc["members"].append({"id": f"m{n}", "name": rng.choice(NAMES),
                               "birth_year": rng.randrange(1930, 2020),
                               "gender": rng.choice(["male", "female"]),
                               "tags": rng.sample(TAGS[2:], rng.randrange(0, 2))})
    return doc


def edit_leaf(rng, base, device, start):
    """One tablet's offline edit of ``base``: 1-3 changes, stamped."""
    new = copy.deepcopy(base)
    for change in rng.sample(["phone", "notes", "colour", "head", "add_member",
                              "tags", "member_notes"], rng.randrange(1, 4)):
        if change == "phone":
            new["phone"] = phone(rng)
        elif change == "notes":
            new["notes"] = rng.choice(NOTES)
        elif change == "colour":
            colour = rng.choice(["green", "yellow", "red"])
            new["colour"] = colour
            if colour == "green":
                new.pop("colour_reason", None)
            else:
                new["colour_reason"] = REASONS[colour]
        elif change == "head":
            new["head"] = rng.choice(NAMES)
        elif change == "add_member":
            new["members"].append({"id": f"m{device}", "name": rng.choice(NAMES),
                                   "birth_year": rng.randrange(1930, 2020)})
        elif change == "tags":
            member = rng.choice(new["members"])
            tags = set(member.get("tags", []))
            tags ^= {rng.choice(TAGS)}
            member["tags"] = sorted(tags)
        else:
            rng.choice(new["members"])["notes"] = rng.choice(NOTES)
    new.update(updated_at=fd.stamp_time(rng.randrange(1, 60)), updated_by="worker",
               device=device)
    return stamp_edit(base, new, clock(device, start))


def conflicted_household(rng, grid, hh):
    """The base revision and 2-3 conflicting leaves, for ``new_edits=false``."""
    base = stamp_edit(None, base_household(rng, grid, hh), clock("office-pc", START_MS))
    base_id = rev_hash(base["_id"], "base")
    out = [dict(base, _rev=f"1-{base_id}", _revisions={"start": 1, "ids": [base_id]})]
    for n in range(rng.choice([2, 2, 3])):
        leaf = edit_leaf(rng, base, f"tab-{n}", START_MS + rng.randrange(10**9))
        leaf_id = rev_hash(base["_id"], "leaf", n)
        out.append(dict(leaf, _rev=f"2-{leaf_id}",
                        _revisions={"start": 2, "ids": [leaf_id, base_id]}))
    return out


def grid_of(n, grids):
    return f"g{n % grids:02d}"


def new_households(n, run, grids=50):
    """``n`` new households a tablet recorded (no _rev), unique per run."""
    rng = random.Random(1000 + run)
    docs = []
    for i in range(n):
        doc = base_household(rng, grid_of(i, grids), f"new{run}-{i:05d}")
        docs.append(stamp_edit(None, doc, clock(f"tab-{i % 7}", START_MS + i * 1000)))
    return docs


def with_first_rev(docs):
    """``docs`` as the replicator sends them: rev 1 with its history."""
    out = []
    for doc in docs:
        digest = rev_hash(doc["_id"], "new")
        out.append(dict(doc, _rev=f"1-{digest}", _revisions={"start": 1, "ids": [digest]}))
    return out


# ------------------------------------------------------------ R: resolve --

def sqlite_files(data_dir):
    return sorted((Path(data_dir) / "dbs").glob("field.sqlite*"))


def build_conflicted(data_dir, households, grids=50, chunk=500, seed=20261124):
    """A data dir whose field db holds ``households`` conflicted households,
    written by a Store with no resolver; returns (leaves total, seconds)."""
    rng = random.Random(seed)
    store = Store(data_dir, partition=ids.grid_of)          # no resolver
    db = store.create(FIELD)
    t0 = time.perf_counter()
    pending, leaves = [], 0
    for i in range(households):
        revs = conflicted_household(rng, grid_of(i, grids), f"h{i:05d}")
        leaves += len(revs) - 1
        pending.extend(revs)
        if len(pending) >= chunk or i == households - 1:
            rows = db.bulk_docs(pending, new_edits=False)
            if rows:
                raise RuntimeError(f"load failed: {rows[:3]}")
            pending = []
    seconds = time.perf_counter() - t0
    conflicted = count_conflicted(db)
    store.close()
    if conflicted != households:
        raise RuntimeError(f"{conflicted} conflicted documents, expected {households}")
    return leaves, seconds


def count_conflicted(db):
    """Documents with more than one live leaf (``revs`` keeps leaf bodies only)."""
    with db.file.read() as conn:
        return conn.execute("SELECT COUNT(*) FROM (SELECT doc_id FROM revs WHERE deleted = 0 "
                            "GROUP BY doc_id HAVING COUNT(*) > 1)").fetchone()[0]


def fresh_copy(template, target):
    if target.exists():
        shutil.rmtree(target)
    (target / "dbs").mkdir(parents=True)
    for path in sqlite_files(template):
        shutil.copy2(path, target / "dbs" / path.name)


def resolve_direct(data_dir):
    store = Store(data_dir, partition=ids.grid_of, resolver=merge.resolve_field_doc)
    db = store.get(FIELD)
    t0 = time.perf_counter()
    merged = db.resolve_all()
    seconds = time.perf_counter() - t0
    left = count_conflicted(db)
    flagged = len(db.resolutions(flagged=True, limit=10**6))
    store.close()
    return {"seconds": seconds, "merged": merged, "left_conflicted": left, "flagged": flagged}


def resolve_cli(data_dir):
    t0 = time.perf_counter()
    out = gridvisit_cli(data_dir, "resolve-conflicts")
    seconds = time.perf_counter() - t0
    found = re.search(r"merged (\d+) documents", out.stdout)
    if not found:
        raise RuntimeError(f"unexpected output: {out.stdout!r} {out.stderr!r}")
    return {"seconds": seconds, "merged": int(found.group(1))}


def bench_resolve(tmp, args):
    template = tmp / "conflicted"
    print(f"R: building {args.households:,} conflicted households ...", flush=True)
    leaves, load_s = build_conflicted(template, args.households)
    print(f"   {leaves:,} leaves ({leaves / args.households:.2f} per household) "
          f"loaded in {load_s:.1f} s", flush=True)
    runs = {"direct": [], "cli": [], "cli_nothing_to_do": []}
    for run in range(args.resolve_runs):
        work = tmp / f"resolve{run}"
        fresh_copy(template, work)
        r = resolve_direct(work)
        if r["merged"] != args.households or r["left_conflicted"]:
            raise RuntimeError(f"direct resolve: {r}")
        runs["direct"].append(r)
        fresh_copy(template, work)
        c = resolve_cli(work)
        if c["merged"] != args.households:
            raise RuntimeError(f"cli resolve: {c}")
        runs["cli"].append(c)
        again = resolve_cli(work)
        if again["merged"] != 0:
            raise RuntimeError(f"cli resolve again: {again}")
        runs["cli_nothing_to_do"].append(again)
        print(f"   run {run + 1}: resolve_all {r['seconds']:.2f} s "
              f"({args.households / r['seconds']:,.0f} docs/s, {r['flagged']:,} flagged); "
              f"resolve-conflicts {c['seconds']:.2f} s "
              f"({args.households / c['seconds']:,.0f} docs/s); "
              f"again with nothing to do {again['seconds']:.2f} s", flush=True)
        shutil.rmtree(work, ignore_errors=True)
    med = {k: statistics.median(r["seconds"] for r in v) for k, v in runs.items()}
    summary = {
        "households": args.households, "leaves": leaves, "load_seconds": load_s,
        "median_seconds": med,
        "docs_per_second": {"direct": args.households / med["direct"],
                            "cli": args.households / med["cli"],
                            "cli_less_startup": args.households
                            / max(med["cli"] - med["cli_nothing_to_do"], 1e-9)},
        "flagged": runs["direct"][0]["flagged"],
    }
    return summary, runs


# ----------------------------------------------------------------- W2 --

def start_server(data_dir, resolve):
    """``bench/merge_serve.py`` on a free port, admin Basic auth, field db made."""
    data_dir.mkdir(parents=True, exist_ok=True)
    gridvisit_cli(data_dir, "create-user", "admin", "--role", "admin", stdin=PASSWORD + "\n")
    port = free_port()
    log = data_dir / "server.log"
    cmd = [sys.executable, str(BENCH / "merge_serve.py"), "--data-dir", str(data_dir),
           "--port", str(port)] + ([] if resolve else ["--no-resolver"])
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/couch"
    wait_http(base + "/", proc, log)
    peer = Peer("with" if resolve else "without", base, "admin", PASSWORD, proc, log,
                extra={"data_dir": data_dir, "port": port})
    status, body = peer.request("PUT", FIELD)
    if status != 201:
        raise RuntimeError(f"PUT /{FIELD}: {status} {body}")
    return peer


def check_resolution(peer, resolve):
    """A conflicting pair of leaves: merged on write iff ``resolve``."""
    rng = random.Random(5)
    revs = conflicted_household(rng, "g00", f"probe{peer.name}")
    status, rows = peer.request("POST", f"{FIELD}/_bulk_docs",
                                {"docs": revs, "new_edits": False})
    if status != 201 or rows:
        raise RuntimeError(f"{peer.name}: probe write {status} {rows}")
    status, doc = peer.request("GET", f"{FIELD}/{revs[0]['_id']}?conflicts=true")
    conflicted = "_conflicts" in doc
    if conflicted == resolve:
        raise RuntimeError(f"{peer.name} server: resolution {'on' if resolve else 'off'} "
                           f"expected, got {doc.get('_rev')} conflicts {doc.get('_conflicts')}")


def preload(peer, docs, chunk=500):
    for i in range(0, len(docs), chunk):
        status, rows = peer.request("POST", f"{FIELD}/_bulk_docs",
                                    {"docs": docs[i:i + chunk], "new_edits": False})
        if status != 201 or rows:
            raise RuntimeError(f"{peer.name}: preload {status} {str(rows)[:300]}")


def store_level(tmp, push_sets, runs):
    """``bulk_docs`` of 100-document batches (new_edits=false) with and without
    the resolver, in process; one fresh db per run and target."""
    stores = {"with": Store(tmp / "store_with", partition=ids.grid_of,
                            resolver=merge.resolve_field_doc),
              "without": Store(tmp / "store_without", partition=ids.grid_of)}
    out = {"with": [], "without": []}
    try:
        for run, docs in enumerate(push_sets):
            batches = [with_first_rev(docs[i:i + 100]) for i in range(0, len(docs), 100)]
            for name, store in stores.items():
                db = store.create(f"w2_{run}")
                t0 = time.perf_counter()
                for batch in batches:
                    db.bulk_docs(copy.deepcopy(batch), new_edits=False)
                out[name].append((time.perf_counter() - t0) * 1000)
                if db.info()["doc_count"] != len(docs):
                    raise RuntimeError(f"store {name}: {db.info()}")
    finally:
        for store in stores.values():
            store.close()
    warm = out["with"][1:], out["without"][1:]            # the first is a warm-up
    return {"ms": out, "median_ms": {"with": statistics.median(warm[0]),
                                     "without": statistics.median(warm[1])}}


def bench_w2(tmp, args):
    push_sets = [new_households(args.push, run) for run in range(args.runs + 1)]
    files = []
    for run, docs in enumerate(push_sets):
        path = tmp / f"push{run}.json"
        path.write_text(json.dumps(docs, ensure_ascii=False))
        files.append(path)
    existing = []
    rng = random.Random(77)
    for i in range(args.preload):
        doc = stamp_edit(None, base_household(rng, grid_of(i, 50), f"old{i:05d}"),
                         clock("office-pc", START_MS))
        existing.append(doc)
    existing = with_first_rev(existing)

    peers = {}
    results = {"with": [], "without": []}
    try:
        for name, resolve in (("with", True), ("without", False)):
            peer = start_server(tmp / f"server_{name}", resolve)
            peers[name] = peer
            preload(peer, existing)
            check_resolution(peer, resolve)
        print(f"W2: push {args.push:,} new households, {args.runs} runs + 1 warm-up, "
              f"servers preloaded with {args.preload:,}", flush=True)
        for run, path in enumerate(files):
            order = ("with", "without") if run % 2 == 0 else ("without", "with")
            for name in order:
                peer = peers[name]
                r = common.run_node(BENCH / "w2_push.js", {"push_file": str(path), "remote": {
                    "url": f"{peer.base}/{FIELD}", "username": peer.username,
                    "password": peer.password}})
                label = "warm-up" if run == 0 else f"run {run}"
                print(f"   {label:7s} {name:8s} {r['ms']:8.0f} ms ({r['docs_written']} docs)",
                      flush=True)
                if run:
                    results[name].append(r)
        for name, peer in peers.items():
            status, info = peer.request("GET", FIELD)
            expect = args.preload + 1 + args.push * (args.runs + 1)
            if info["doc_count"] != expect:
                raise RuntimeError(f"{name}: doc_count {info['doc_count']}, expected {expect}")
    finally:
        for peer in peers.values():
            peer.stop()
    med = {name: statistics.median(r["ms"] for r in runs) for name, runs in results.items()}
    print("   store level (in process, no HTTP) ...", flush=True)
    store = store_level(tmp, push_sets, args.runs)
    summary = {"push": args.push, "runs": args.runs, "preload": args.preload,
               "median_ms": med, "ratio": med["with"] / med["without"],
               "target": 1.1, "target_met": med["with"] / med["without"] <= 1.1,
               "store_median_ms": store["median_ms"],
               "store_ratio": store["median_ms"]["with"] / store["median_ms"]["without"]}
    return summary, {"http": results, "store_ms": store["ms"]}


# ------------------------------------------------------------------ main --

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=10_000, help="R: conflicted households")
    ap.add_argument("--resolve-runs", type=int, default=3)
    ap.add_argument("--push", type=int, default=2_000, help="W2: new households per push")
    ap.add_argument("--runs", type=int, default=5, help="W2: timed runs per server")
    ap.add_argument("--preload", type=int, default=2_000,
                    help="W2: households in each server before the pushes")
    ap.add_argument("--skip-resolve", action="store_true")
    ap.add_argument("--skip-w2", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--out", default=str(BENCH / "results" / "merge_bench.json"))
    args = ap.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="merge-bench-"))
    report = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
              "host": {"python": platform.python_version(), "cpus": os.cpu_count(),
                       "node": subprocess.run(["node", "--version"], capture_output=True,
                                              text=True).stdout.strip()},
              "params": vars(args)}
    try:
        if not args.skip_resolve:
            report["resolve"], report["resolve_runs"] = bench_resolve(tmp, args)
        if not args.skip_w2:
            report["w2"], report["w2_runs"] = bench_w2(tmp, args)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print()
    if "resolve" in report:
        r = report["resolve"]
        med, rate = r["median_seconds"], r["docs_per_second"]
        print(f"R  resolve {r['households']:,} conflicted households ({r['leaves']:,} leaves), "
              f"median of {args.resolve_runs}:")
        print(f"   Database.resolve_all        {med['direct']:7.2f} s  "
              f"{rate['direct']:8,.0f} docs/s  ({r['flagged']:,} flagged)")
        print(f"   gridvisit resolve-conflicts {med['cli']:7.2f} s  {rate['cli']:8,.0f} docs/s"
              f"  (start-up and scan alone: {med['cli_nothing_to_do']:.2f} s; without it "
              f"{rate['cli_less_startup']:,.0f} docs/s)")
    if "w2" in report:
        w = report["w2"]
        print(f"W2 push {w['push']:,} new households, median of {w['runs']}:")
        print(f"   resolution on write  {w['median_ms']['with']:7.0f} ms")
        print(f"   no resolver          {w['median_ms']['without']:7.0f} ms")
        print(f"   with ÷ without       {w['ratio']:7.2f}  (target ≤ 1.10: "
              f"{'ok' if w['target_met'] else 'MISS'})")
        print(f"   store level, no HTTP {w['store_median_ms']['with']:7.0f} ms vs "
              f"{w['store_median_ms']['without']:.0f} ms: {w['store_ratio']:.2f}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
