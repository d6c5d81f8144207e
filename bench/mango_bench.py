"""Mango benchmark: ``_find`` with and without json indexes, gridvisit against
pouchdb-server (pouchdb-find) in the same run. See bench/README.md.

    .venv/bin/python bench/mango_bench.py [--docs 50000] [--runs 5]
"""

import argparse
import base64
import hashlib
import json
import random
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import load  # noqa: E402
from tests.peers import start_gridvisit, start_pouchdb_server  # noqa: E402

DB = "mango"
GRIDS = 50
COLOURS = ["green"] * 7 + ["yellow"] * 2 + ["red"]
OUTCOMES = ["met"] * 6 + ["not_home"] * 3 + ["refused"]



def queries(count):
    """``[(name, index fields or None, query)]`` for a corpus of ``count``; the
    index is created just before the query's first run, and the build is
    timed as the index request plus that first query (pouchdb-find builds
    while creating, gridvisit when first queried, as CouchDB)."""
    lo, hi = count * 40 // 100, count * 42 // 100            # 2%: 1,000 of 50,000
    return [
        ("scan: grid and colour, no index", None,
         {"selector": {"grid": "g07", "colour": "red"}, "limit": 1000}),
        ("index grid+colour: equality", ["grid", "colour"],
         {"selector": {"grid": "g07", "colour": "red"}, "limit": 1000}),
        ("index n: a range of 2%", ["n"],
         {"selector": {"n": {"$gte": lo, "$lt": hi}}, "limit": 1000}),
        ("index grid+n: one grid, sorted desc, first 100", ["grid", "n"],
         {"selector": {"grid": "g07"}, "sort": [{"grid": "desc"}, {"n": "desc"}],
          "limit": 100}),
        ("index n: range of 40% + $regex on another field", None,
         {"selector": {"n": {"$gte": count // 5, "$lt": count * 3 // 5},
                       "building": {"$regex": "^1[0-9]号"}}, "limit": 1000}),
    ]


def corpus(count, seed=7):
    """``count`` households and visits of a community, with revisions, fixed seed."""
    rng = random.Random(seed)
    docs = []
    for n in range(count):
        grid = f"g{n % GRIDS:02d}"
        kind = "household" if n % 2 == 0 else "visit"
        doc_id = f"{kind}:{grid}:{n:06d}"
        doc = {"_id": doc_id, "_rev": "1-" + hashlib.md5(doc_id.encode()).hexdigest(),
               "type": kind, "grid": grid, "n": n, "colour": rng.choice(COLOURS),
               "building": f"{rng.randint(1, 30)}号楼", "unit": f"{rng.randint(1, 6)}单元",
               "room": str(rng.randint(101, 2404)),
               "members": [{"id": f"m{i}", "birth_year": rng.randint(1930, 2020),
                            "tags": rng.sample(["over65", "elderly_alone", "chronic",
                                                "disabled"], rng.randint(0, 2))}
                           for i in range(rng.randint(1, 4))]}
        if kind == "visit":
            doc["outcome"] = rng.choice(OUTCOMES)
            doc["at"] = f"2026-11-{rng.randint(1, 30):02d}T{rng.randint(8, 19):02d}:00:00+08:00"
        docs.append(doc)
    return docs


def post(peer, path, body, timeout=1800):
    """POST JSON to ``peer`` with a long timeout; ``(status, body, seconds)``."""
    req = urllib.request.Request(f"{peer.base}/{path}", data=json.dumps(body).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    if peer.username:
        token = base64.b64encode(f"{peer.username}:{peer.password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as err:
        status, raw = err.code, err.read()
    return status, json.loads(raw), time.perf_counter() - started


def check(peer, status, body, what):
    """Stop the benchmark on any answer but a 200."""
    if status != 200:
        raise RuntimeError(f"{peer.name}: {what} -> {status} {str(body)[:500]}")


def run(args):
    """Load both servers, then time each query on each, interleaved.

    :raises RuntimeError: when a server fails or the two disagree.
    """
    docs = corpus(args.docs)
    results = []
    with tempfile.TemporaryDirectory(prefix="mango-bench-") as tmp:
        peers = [start_gridvisit(Path(tmp) / "gv"), start_pouchdb_server(Path(tmp) / "ps")]
        try:
            for peer in peers:
                seconds = load(peer, DB, docs)
                print(f"loaded {len(docs):,} documents into {peer.name} in {seconds:.1f} s",
                      flush=True)
            for name, fields, query in queries(args.docs):
                row = {"query": name, "build": {}, "times": {p.name: [] for p in peers},
                       "answers": {}}
                if fields:
                    for peer in peers:
                        status, body, made = post(peer, f"{DB}/_index", {
                            "index": {"fields": fields}, "ddoc": "-".join(fields),
                            "name": "-".join(fields)})
                        check(peer, status, body, "_index")
                        status, body, seconds = post(peer, f"{DB}/_find", query)
                        check(peer, status, body, "_find (build)")
                        if "warning" in body:
                            raise RuntimeError(f"{peer.name}: {name} used no index")
                        row["build"][peer.name] = made + seconds
                for _ in range(args.runs):
                    for peer in peers:
                        status, body, seconds = post(peer, f"{DB}/_find", query)
                        check(peer, status, body, "_find")
                        row["times"][peer.name].append(seconds)
                        row["answers"][peer.name] = [d["_id"] for d in body["docs"]]
                        row.setdefault("warning", {})[peer.name] = "warning" in body
                gv, ps = (row["answers"][p.name] for p in peers)
                if (gv if "sort" in query else sorted(gv)) != (ps if "sort" in query else sorted(ps)):
                    raise RuntimeError(f"{name}: the servers disagree ({len(gv)} vs {len(ps)} docs)")
                row["docs"] = len(gv)
                results.append(row)
                report_row(row, peers)
        finally:
            for peer in peers:
                peer.stop()
    return results


def report_row(row, peers):
    """Print one query's medians and ratios."""
    gv, ps = (statistics.median(row["times"][p.name]) * 1000 for p in peers)
    line = (f"{row['query']:<52} {row['docs']:>5} docs  gridvisit {gv:8.1f} ms  "
            f"pouchdb-server {ps:8.1f} ms  gv/ps {gv / ps:5.2f} {'ok' if gv <= ps else 'MISS'}")
    if row["build"]:
        bgv, bps = (row["build"][p.name] for p in peers)
        line += (f"\n{'':<52} build (first query)  gridvisit {bgv:6.2f} s  pouchdb-server "
                 f"{bps:6.2f} s  gv/ps {bgv / bps:5.2f} {'ok' if bgv <= bps else 'MISS'}")
    print(line, flush=True)


def main():
    """Parse the options, run, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", default="bench/results/mango_bench.json")
    args = parser.parse_args()
    results = run(args)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"docs": args.docs, "runs": args.runs, "results": results},
                              ensure_ascii=False, indent=1))
    print(f"written {out}")


if __name__ == "__main__":
    main()
