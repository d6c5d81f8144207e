"""Console benchmark: the review queue and the dashboard with 100,000 visits.

    .venv/bin/python bench/console_bench.py [--visits 100000] [--runs 15]
        [--keep DIR] [--out bench/results/console_bench.json]

Builds a district-sized field database in a temporary directory: 30 grids in
3 communities, 300 households per grid (9,000), ``--visits`` submitted
visits spread over the last 60 days (a third reviewed), 600 requests. It
writes them through the store (as replication would), then times, in
process with Flask's test client (server time: routing, the index query,
Jinja rendering; no network):

- ``queue``: the review queue, first page, filtered (``colour=red`` and
  ``review=pending``), as the community's supervisor (10 grids);
- ``queue_all``: the same unfiltered first page as an admin (every grid);
- ``queue_deep``: page 1,000 of that (rows 49,951–50,000);
- ``dashboard``: the dashboard, as the supervisor and as the admin;
- ``after_write``: the review queue right after 200 new visits arrived (the
  request also applies them to the derived index).

The peer, measured in the same run, is the naive way: one pass over
``_all_docs?include_docs=true`` filtering and sorting the visits in Python,
which is what a console without its own index would do per request. The
target is < 300 ms for the queue and the dashboard; the script prints
medians, p95 and the ratio naive ÷ console.
"""

import argparse
import json
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from server.services import services

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server import create_app  # noqa: E402

CST = timezone(timedelta(hours=8))
PASSWORD = "bench-password"
COLOURS = ("green",) * 14 + ("yellow",) * 4 + ("red",) * 2
OUTCOMES = ("met",) * 8 + ("not_home", "refused")


def build(app, visits, seed=7):
    """Fill the directory, accounts and field database; returns load seconds."""
    ext = services(app)
    directory, accounts = ext.directory, ext.accounts
    accounts.create("admin", PASSWORD, "admin")
    directory.put_street("s", "朝阳门街道")
    grids = []
    for c in range(3):
        directory.put_community(f"c{c}", f"社区{c}", "s")
        for n in range(10):
            grid = f"g{c}{n}"
            directory.put_grid(grid, f"网格{c}-{n}", f"c{c}")
            grids.append(grid)
    accounts.create("sup", PASSWORD, "supervisor", "督导")
    directory.assign("sup", community="c0")
    for grid in grids:
        accounts.create(f"w{grid}", PASSWORD, "worker")
        directory.assign(f"w{grid}", grid=grid)
    db = ext.store.create("field")
    rng = random.Random(seed)
    now = datetime.now(CST)
    started = time.perf_counter()
    batch = []

    def flush(force=False):
        if batch and (force or len(batch) >= 2000):
            rows = db.bulk_docs(batch)
            assert all("ok" in row for row in rows), rows[:3]
            batch.clear()

    homes = {grid: [f"household:{grid}:{b}-{u}-{r}" for b in range(1, 11) for u in (1, 2, 3)
                    for r in range(101, 111)] for grid in grids}
    for grid, ids in homes.items():
        for hid in ids:
            colour = rng.choice(COLOURS)
            doc = {"_id": hid, "type": "household", "schema": 2, "grid": grid,
                   "updated_at": now.isoformat(), "updated_by": f"w{grid}",
                   "building": hid.split(":")[2].split("-")[0] + "号楼", "unit": "1单元",
                   "room": hid.split("-")[-1], "head": "张桂兰", "colour": colour,
                   "members": [{"id": "m1", "name": "张桂兰", "birth_year": 1948,
                                "tags": ["over65"]}]}
            if colour != "green":
                doc["colour_reason"] = "独居老人"
            batch.append(doc)
            flush()
    for n in range(visits):
        grid = grids[n % len(grids)]
        at = now - timedelta(minutes=rng.randint(30, 60 * 24 * 60))
        colour = rng.choice(COLOURS)
        vid = f"visit:{grid}:{uuid.UUID(int=rng.getrandbits(128)).hex}"
        doc = {"_id": vid, "type": "visit", "schema": 2, "grid": grid,
               "updated_at": at.isoformat(), "updated_by": f"w{grid}",
               "household": rng.choice(homes[grid]), "visited_at": at.isoformat(),
               "worker": f"w{grid}", "outcome": rng.choice(OUTCOMES), "colour_after": colour,
               "services": ["测量血压"], "status": "submitted",
               "needs": [{"kind": "medicine", "detail": "送药", "urgency": "high"}]
               if colour == "red" else []}
        if colour != "green":
            doc["colour_reason"] = "需要关注"
        batch.append(doc)
        if n % 3 == 0:
            batch.append({"_id": f"review:{vid}", "type": "review", "schema": 2, "grid": grid,
                          "updated_at": now.isoformat(), "updated_by": "sup", "visit": vid,
                          "state": "approved", "reviewer": "sup",
                          "reviewed_at": now.isoformat()})
        flush()
    for n in range(600):
        grid = grids[n % len(grids)]
        opened = now - timedelta(minutes=rng.randint(1, 60 * 24 * 5))
        batch.append({"_id": f"request:{grid}:r{n}", "type": "request", "schema": 2,
                      "grid": grid, "updated_at": opened.isoformat(), "updated_by": "w",
                      "household": rng.choice(homes[grid]), "kind": "medicine",
                      "detail": "降压药快吃完了", "urgency": "high",
                      "sla": rng.choice(["onsite_5m", "fix_20m", "plan_2d"]),
                      "status": rng.choice(["open", "assigned", "in_progress", "resolved"]),
                      "opened_at": opened.isoformat()})
        flush()
    flush(force=True)
    return time.perf_counter() - started, grids


class Client:
    """A signed-in console session (test client, CSRF token from the form)."""

    def __init__(self, app, name):
        import re
        self.client = app.test_client()
        page = self.client.get("/console/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        resp = self.client.post("/console/login", data={
            "name": name, "password": PASSWORD, "csrf_token": token})
        assert resp.status_code == 302, resp.status_code

    def time(self, url):
        started = time.perf_counter()
        resp = self.client.get(url)
        elapsed = (time.perf_counter() - started) * 1000
        assert resp.status_code == 200, (url, resp.status_code)
        return elapsed, resp.get_data(as_text=True)


def measure(client, url, runs):
    """``(median, p95, last page)`` of ``runs`` timed requests (after one warm-up)."""
    client.time(url)
    times, page = [], ""
    for _ in range(runs):
        elapsed, page = client.time(url)
        times.append(elapsed)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))], page


def naive_queue(db, grids, limit=50):
    """The peer: read every document, filter red pending visits in ``grids``, sort."""
    started = time.perf_counter()
    rows = db.all_docs(include_docs=True)["rows"]
    reviewed = {r["id"][len("review:"):] for r in rows if r["id"].startswith("review:")}
    found = [r["doc"] for r in rows if r["id"].startswith("visit:")
             and r["doc"]["grid"] in grids and r["doc"]["colour_after"] == "red"
             and r["id"] not in reviewed]
    found.sort(key=lambda d: d["visited_at"], reverse=True)
    found[:limit]
    return (time.perf_counter() - started) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--keep", help="keep the data in this directory")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "console_bench.json"))
    args = parser.parse_args()
    data_dir = Path(args.keep or tempfile.mkdtemp(prefix="console-bench-"))
    try:
        app = create_app({"DATA_DIR": str(data_dir)})
        print(f"loading {args.visits:,} visits, 9,000 households, 600 requests ...", flush=True)
        load_s, grids = build(app, args.visits)
        db = services(app).store.get("field")
        started = time.perf_counter()
        services(app).console_index.refresh(db)
        index_s = time.perf_counter() - started
        print(f"  store load {load_s:.1f} s; first index build {index_s:.1f} s", flush=True)
        sup, admin = Client(app, "sup"), Client(app, "admin")
        queue_url = "/console/reviews?colour=red&review=pending"
        results = {}
        for name, client, url in (("queue", sup, queue_url),
                                  ("queue_all", admin, "/console/reviews"),
                                  ("queue_deep", admin, "/console/reviews?page=1000"),
                                  ("dashboard", sup, "/console/dashboard"),
                                  ("dashboard_all", admin, "/console/dashboard")):
            median, p95, page = measure(client, url, args.runs)
            results[name] = {"median_ms": round(median, 1), "p95_ms": round(p95, 1)}
            assert page.count('<tr data-id="visit:') == (50 if "queue" in name else 0)
        more = [{"_id": f"visit:{grids[0]}:late{n}", "type": "visit", "schema": 2,
                 "grid": grids[0], "updated_at": datetime.now(CST).isoformat(),
                 "updated_by": "w", "household": f"household:{grids[0]}:1-1-101",
                 "visited_at": datetime.now(CST).isoformat(), "worker": "w",
                 "outcome": "met", "colour_after": "red", "colour_reason": "发热",
                 "status": "submitted"} for n in range(200)]
        assert all("ok" in row for row in db.bulk_docs(more))
        elapsed, page = sup.time(queue_url)
        assert f"visit:{grids[0]}:late" in page
        results["after_write"] = {"ms": round(elapsed, 1), "new_visits": 200}
        naive = statistics.median(naive_queue(db, set(grids[:10])) for _ in range(3))
        results["naive_queue"] = {"median_ms": round(naive, 1)}
        ratio = naive / results["queue"]["median_ms"]
        print(f"\nwith {args.visits:,} visits ({args.runs} runs each, server time in process):")
        for name in ("queue", "queue_all", "queue_deep", "dashboard", "dashboard_all"):
            r = results[name]
            mark = "ok" if r["median_ms"] < 300 else "OVER 300 ms"
            print(f"  {name:14s} median {r['median_ms']:7.1f} ms   "
                  f"p95 {r['p95_ms']:7.1f} ms  {mark}")
        print(f"  {'after_write':14s}        {results['after_write']['ms']:7.1f} ms "
              "(200 new visits indexed in the request)")
        print(f"  {'naive scan':14s} median {naive:7.1f} ms   naive ÷ console queue = {ratio:.0f}×")
        out = {"when": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S%z"),
               "host": {"python": platform.python_version(), "machine": platform.machine()},
               "params": {"visits": args.visits, "runs": args.runs, "grids": len(grids),
                          "households": 9000, "requests": 600},
               "load_seconds": round(load_s, 1), "index_build_seconds": round(index_s, 1),
               "results": results, "ratio_naive_queue": round(ratio, 1)}
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
        print(f"\nwritten {args.out}")
    finally:
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
