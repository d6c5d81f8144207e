#!/usr/bin/env python
"""Filter benchmark: does a worker's first sync cost only their own grid?

A worker assigned 1 grid out of 50 pulls the field database (10,000
documents, 200 in the worker's grid) into a fresh PouchDB (node, memory
adapter). The same 200 documents are also pulled from databases that hold
only them, and the times compared:

filtered     server A's field db, 10,000 documents in 50 grids; the worker
             (device token) sees the 200 of grid ``g07``.
alone        server B's field db holding only those 200 documents; the same
             kind of worker on ``g07`` (the same filtered code path, on a
             database 50 times smaller). The target is
             filtered / alone <= 1.2.
unfiltered   server A, a non-field database ``only200`` holding only those
             200 documents, pulled by the admin (device token too): no
             per-grid filtering at all.

The documents are valid field documents (tests/fielddocs.py builders) with
1-3 revisions of history, loaded as admin with ``_bulk_docs`` and
``new_edits=false``, grid by grid in round-robin so that the worker's
documents are spread over the whole seq range. Runs are interleaved
(filtered, alone, unfiltered, filtered, ...); the figure is the median of
``--runs`` runs, each a fresh node process timing ``PouchDB.replicate()``,
after ``--warmup`` untimed pulls of each target (the servers' first requests
open caches and connections).

As a finer view of the server's own cost, with no PouchDB in it, the script
also walks the same protocol from Python (``--walk-reps`` times per target,
interleaved): the worker's ``_changes`` pages (``style=all_docs``,
``limit=100``) and a ``_bulk_get?revs=true&latest=true`` of each page, as
PouchDB asks them, timed apart; it prints the medians and their ratios (no
target).

Usage (from the repository root):

    .venv/bin/python bench/filter_bench.py [--runs 5] [--warmup 1] [--walk-reps 30]
        [--grids 50] [--per-grid 200] [--keep] [--out bench/results/filter_bench.json]
"""

import argparse
import base64
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

from bench import common  # noqa: E402
from tests import fielddocs as fd  # noqa: E402
from tests.peers import INTEROP, start_gridvisit  # noqa: E402

FIELD = "field"
ONLY = "only200"
GRID = "g07"
WORKER, PASSWORD = "w07", "password-123"
TARGETS = ("filtered", "alone", "unfiltered")
TARGET_RATIO = 1.2

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["秀英", "桂兰", "建国", "建华", "志强", "丽娟", "淑珍", "玉兰", "国强", "海燕"]
NOTES = ["老人精神状态良好，家中整洁。", "血压偏高，已提醒按时服药并联系家庭医生。",
         "子女在外地工作，每周电话联系一次。", "楼道堆放杂物，已提醒清理，消防通道需保持畅通。",
         "老人腿脚不便，下楼困难，需代购生活物资。", "已告知社区服务热线和网格员电话，遇事随时联系。",
         "冬季取暖正常，燃气报警器工作正常。", "近期有陌生人上门推销保健品，已提醒防范诈骗。"]
TAGS = ["over65", "elderly_alone", "chronic", "pregnant", "disabled", "immunocompromised"]


# ------------------------------------------------------------------ data --

def grid_id(i):
    return f"g{i + 1:02d}"


def _with_revs(doc, n_revs):
    """Give ``doc`` a history of ``n_revs`` revisions (for new_edits=false)."""
    ids = [hashlib.md5(f"{doc['_id']}:{i}".encode()).hexdigest() for i in range(n_revs, 0, -1)]
    doc["_rev"] = f"{n_revs}-{ids[0]}"
    doc["_revisions"] = {"start": n_revs, "ids": ids}
    return doc


def grid_docs(rng, grid, n):
    """``n`` valid documents of ``grid``: a fifth households, the rest visits."""
    n_households = max(1, n // 5)
    docs = []
    for h in range(n_households):
        members = [{"id": f"m{m + 1}", "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                    "birth_year": rng.randrange(1930, 2020),
                    "tags": rng.sample(TAGS, rng.choice([0, 1, 1, 2]))}
                   for m in range(rng.randrange(1, 5))]
        colour = rng.choices(["green", "yellow", "red"], weights=[70, 22, 8])[0]
        doc = fd.household(grid, f"h{h:04d}", colour=colour, by=f"w-{grid}",
                           members=members, head=members[0]["name"],
                           notes="".join(rng.sample(NOTES, 2)))
        docs.append(_with_revs(doc, rng.choices([1, 2, 3], weights=[60, 30, 10])[0]))
    while len(docs) < n:
        hh = f"h{rng.randrange(n_households):04d}"
        vid = f"{rng.getrandbits(128):032x}"
        doc = fd.visit(grid, hh, by=f"w-{grid}", vid=vid,
                       notes="".join(rng.sample(NOTES, rng.randrange(2, 5))))
        docs.append(_with_revs(doc, 1))
    return docs


def generate(n_grids, per_grid, seed=20240601):
    """Documents of every grid, interleaved grid by grid (round-robin)."""
    rng = random.Random(seed)
    by_grid = [grid_docs(rng, grid_id(g), per_grid) for g in range(n_grids)]
    return [docs[i] for i in range(per_grid) for docs in by_grid], by_grid


# ------------------------------------------------------------ servers --

def api(peer, method, path, body=None, admin=True):
    """One JSON API request; returns the decoded body, raising on an error."""
    req = urllib.request.Request(f"http://127.0.0.1:{peer.extra['port']}/api/{path}",
                                 data=None if body is None else json.dumps(body).encode(),
                                 method=method)
    req.add_header("Content-Type", "application/json")
    if admin:
        cred = base64.b64encode(f"{peer.username}:{peer.password}".encode()).decode()
        req.add_header("Authorization", f"Basic {cred}")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as err:
        raise RuntimeError(f"{method} /api/{path} -> {err.code} {err.read()[:300]!r}") from None


def set_up_directory(peer, n_grids):
    """Street, communities of 10 grids, every grid, and the worker on GRID."""
    api(peer, "POST", "streets", {"id": "s", "name": "劲松街道"})
    for c in range((n_grids + 9) // 10):
        api(peer, "POST", "communities", {"id": f"c{c}", "name": f"社区{c}", "parent": "s"})
    for g in range(n_grids):
        api(peer, "POST", "grids", {"id": grid_id(g), "name": f"{grid_id(g)} 网格",
                                    "parent": f"c{g // 10}"})
    api(peer, "POST", "users", {"name": WORKER, "password": PASSWORD, "role": "worker"})
    api(peer, "POST", "assignments", {"user": WORKER, "grid": GRID})


def token(peer, name, password, device):
    """A device token, as a tablet gets it (POST /api/login)."""
    body = api(peer, "POST", "login", {"name": name, "password": password, "device": device},
               admin=False)
    return body["token"]


def _call(payload, path, body=None):
    req = urllib.request.Request(f"{payload['url']}/{path}",
                                 data=None if body is None else json.dumps(body).encode(),
                                 method="GET" if body is None else "POST")
    req.add_header("Authorization", f"Bearer {payload['token']}")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())


def walk_ms(payload):
    """The server's part of a pull, without PouchDB: milliseconds for the
    ``_changes`` pages (``style=all_docs``, ``limit=100``) and for the
    ``_bulk_get?revs=true&latest=true`` of each page, as PouchDB asks them;
    and the number of documents."""
    since, rows, changes_ms, bulk_ms = "0", 0, 0.0, 0.0
    while True:
        query = urllib.parse.urlencode({"style": "all_docs", "since": since, "limit": 100})
        t0 = time.perf_counter()
        page = _call(payload, f"_changes?{query}")
        t1 = time.perf_counter()
        wanted = [{"id": r["id"], "rev": c["rev"]} for r in page["results"] for c in r["changes"]]
        if wanted:
            got = _call(payload, "_bulk_get?revs=true&latest=true", {"docs": wanted})
            if len(got["results"]) != len(wanted):
                raise RuntimeError(f"_bulk_get gave {len(got['results'])} of {len(wanted)}")
        t2 = time.perf_counter()
        changes_ms += (t1 - t0) * 1000
        bulk_ms += (t2 - t1) * 1000
        rows += len(page["results"])
        since = page["last_seq"]
        if len(page["results"]) < 100:
            break
    return changes_ms, bulk_ms, rows


# ------------------------------------------------------------------ main --

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1, help="untimed pulls per target first")
    ap.add_argument("--walk-reps", type=int, default=30,
                    help="timed protocol walks (server only) per target (0: skip)")
    ap.add_argument("--grids", type=int, default=50)
    ap.add_argument("--per-grid", type=int, default=200)
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    ap.add_argument("--out", default=str(BENCH / "results" / "filter_bench.json"))
    args = ap.parse_args(argv)
    if args.grids < 7:
        ap.error(f"--grids must be at least 7 (the worker's grid is {GRID})")

    tmp = Path(tempfile.mkdtemp(prefix="gridvisit-filter-bench-"))
    print(f"data dir: {tmp}")
    docs, by_grid = generate(args.grids, args.per_grid)
    mine = by_grid[int(GRID[1:]) - 1]
    sizes = [len(json.dumps(d, ensure_ascii=False).encode()) for d in docs]
    print(f"data: {len(docs)} docs in {args.grids} grids, {len(mine)} in {GRID}; "
          f"mean {statistics.mean(sizes):.0f} B")
    sample = {"_id": mine[len(mine) // 2]["_id"], "_rev": mine[len(mine) // 2]["_rev"]}

    peers = {}
    try:
        peers["A"] = start_gridvisit(tmp / "server-a")
        peers["B"] = start_gridvisit(tmp / "server-b")
        for peer in peers.values():
            set_up_directory(peer, args.grids)
        load_s = {"A field": common.load(peers["A"], FIELD, docs),
                  "A only200": common.load(peers["A"], ONLY, mine),
                  "B field": common.load(peers["B"], FIELD, mine)}
        print("loaded: " + ", ".join(f"{k} {v:.1f} s" for k, v in load_s.items()))

        payloads = {
            "filtered": {"url": f"{peers['A'].base}/{FIELD}",
                         "token": token(peers["A"], WORKER, PASSWORD, "bench-a")},
            "alone": {"url": f"{peers['B'].base}/{FIELD}",
                      "token": token(peers["B"], WORKER, PASSWORD, "bench-b")},
            "unfiltered": {"url": f"{peers['A'].base}/{ONLY}",
                           "token": token(peers["A"], peers["A"].username,
                                          peers["A"].password, "bench-admin")},
        }
        for _ in range(args.warmup):
            for t in TARGETS:
                common.run_node(INTEROP / "timed_pull.js", dict(payloads[t], expect=len(mine)))
        results = {t: [] for t in TARGETS}
        for run in range(args.runs):
            for t in TARGETS:
                r = common.run_node(INTEROP / "timed_pull.js", dict(payloads[t], expect=len(mine), sample=sample))
                results[t].append(r)
                print(f"  run {run + 1} {t:10s} {r['ms']:8.0f} ms  ({r['docs_written']} docs, "
                      f"requests {r['requests']})")
        walks = {t: [] for t in TARGETS}
        for _ in range(args.walk_reps):
            for t in TARGETS:
                changes_ms, bulk_ms, rows = walk_ms(payloads[t])
                if rows != len(mine):
                    raise RuntimeError(f"{t}: _changes gave {rows} rows, expected {len(mine)}")
                walks[t].append({"changes_ms": changes_ms, "bulk_get_ms": bulk_ms})
    finally:
        for peer in peers.values():
            peer.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    median = {t: statistics.median(r["ms"] for r in runs) for t, runs in results.items()}
    ratio = median["filtered"] / median["alone"]
    ratio_unfiltered = median["filtered"] / median["unfiltered"]
    met = ratio <= TARGET_RATIO
    print(f"\nmedian of {args.runs} runs, pulling the {len(mine)} documents of {GRID} "
          "into a fresh PouchDB (memory):")
    print(f"  filtered   (worker, field db of {len(docs):,} docs) {median['filtered']:8.0f} ms")
    print(f"  alone      (worker, field db of {len(mine)} docs)     {median['alone']:8.0f} ms")
    print(f"  unfiltered (admin, other db of {len(mine)} docs)      {median['unfiltered']:8.0f} ms")
    print(f"  ratio filtered / alone      {ratio:.2f}  (target <= {TARGET_RATIO}: "
          f"{'ok' if met else 'MISS'})")
    print(f"  ratio filtered / unfiltered {ratio_unfiltered:.2f}")
    walk_median = {t: {part: statistics.median(w[part] for w in v)
                       for part in ("changes_ms", "bulk_get_ms")}
                   for t, v in walks.items() if v}
    if walk_median:
        print(f"\nserver only (Python walks the protocol), median of {args.walk_reps}:")
        for part, label in (("changes_ms", "_changes pages"), ("bulk_get_ms", "_bulk_get")):
            m = {t: walk_median[t][part] for t in TARGETS}
            print(f"  {label:15s} " + "  ".join(f"{t} {m[t]:6.1f} ms" for t in TARGETS)
                  + f"   filtered / alone {m['filtered'] / m['alone']:.2f}")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": {"python": platform.python_version(), "machine": platform.machine(),
                 "cpus": os.cpu_count(),
                 "node": subprocess.run(["node", "--version"], capture_output=True,
                                        text=True).stdout.strip()},
        "params": {"runs": args.runs, "warmup": args.warmup, "walk_reps": args.walk_reps,
                   "grids": args.grids, "per_grid": args.per_grid,
                   "docs": len(docs), "mean_doc_bytes": statistics.mean(sizes), "grid": GRID},
        "load_seconds": load_s,
        "median_ms": median,
        "ratio_filtered_alone": ratio,
        "ratio_filtered_unfiltered": ratio_unfiltered,
        "target_met": met,
        "walk_median_ms": walk_median,
        "runs": results,
        "walk_runs_ms": walks,
    }, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
