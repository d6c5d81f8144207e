#!/usr/bin/env python
"""Which layout for the CouchDB store (issue 22): measured on a real Apache CouchDB.

A run by hand, not a test: it needs an Apache CouchDB 3.x (``COUCHDB_URL``
or ``--url``, an admin URL). It loads ``--grids`` grids of ``--docs``
documents of about 1 KB in three layouts, once (``--keep`` leaves them for
the next run), then measures, interleaved run by run:

pull    a worker's first pull of ``--worker-grids`` grids: the feed that lists
        their documents, then ``_bulk_get`` of them (the same for all)
          per-grid   ``_changes?style=all_docs`` of each grid's database
          partition  ``_partition/{grid}/_all_docs`` of a partitioned database
                     (no ``_changes`` per partition in CouchDB: no seq, no live)
          selector   ``_changes?filter=_selector`` on one database (CHT's trap)
          index      one database + a per-grid change index kept by the server:
                     ``_all_docs?keys=`` for the grid's ids (the index build, one
                     full ``_changes`` read per server start, is printed apart)
wake    ``--waiters`` tablets (one grid each) waiting in a longpoll, then
        ``--writes`` writes to random grids, each timed from the write until
        the right waiter has the change; CouchDB's own CPU (the beam process,
        from /proc) over the writes and over ``--idle`` idle seconds:
          selector   each tablet's longpoll is a ``_selector`` feed on one database
          per-grid   each tablet's longpoll is its grid database's ``_changes``
          db-updates one ``_db_updates`` longpoll per gridvisit server (2),
                     fanned out in the server; the woken grid's ``_changes`` read
          index      one ``_changes`` longpoll per gridvisit server (2) on the
                     single database; the doc id names the grid

Ratios are against the per-grid layout measured in the same run.

    .venv/bin/python bench/couch_layout_bench.py [--url URL] [--grids 300]
        [--docs 100] [--worker-grids 2] [--waiters 300] [--writes 30] [--runs 5]
        [--pid PID] [--keep] [--out FILE]
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from sync.remote import safe_url  # noqa: E402

PREFIX = "gvbench_"
TICKS = os.sysconf("SC_CLK_TCK")


def household(grid, n, rnd):
    """A household document of about 1 KB."""
    return {"_id": f"household:{grid}:h{n}", "type": "household", "grid": grid,
            "address": {"building": f"{rnd.randint(1, 9)}号楼", "unit": "2单元",
                        "room": str(rnd.randint(101, 1802))},
            "head": "王" + "明华建国秀英"[rnd.randint(0, 5)], "phone": "138" + "0" * 8,
            "members": [{"id": f"m{k}", "name": "成员", "age": rnd.randint(1, 95),
                         "tags": ["over65"] if k == 0 else []} for k in range(4)],
            "colour": rnd.choice(["green", "yellow", "red"]),
            "notes": "x" * 500}


def beam_cpu(pid):
    """CPU seconds the CouchDB process has used (user + system)."""
    if not pid:
        return float("nan")
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


class Bench:
    def __init__(self, args):
        self.args = args
        self.url = args.url.rstrip("/")
        self.grids = [f"g{i}" for i in range(args.grids)]
        self.c = httpx.Client(timeout=600)

    def db(self, name):
        return f"{self.url}/{PREFIX}{name}"

    # -- loading ---------------------------------------------------------

    def _create(self, name, params=None):
        r = self.c.put(self.db(name), params=params)
        if r.status_code == 412:
            return False
        r.raise_for_status()
        return True

    def _bulk(self, name, docs):
        for i in range(0, len(docs), 2000):
            r = self.c.post(self.db(name) + "/_bulk_docs", json={"docs": docs[i:i + 2000]})
            r.raise_for_status()
            bad = [row for row in r.json() if "error" in row]
            if bad:
                raise RuntimeError(f"{name}: {bad[:3]}")

    def load(self):
        rnd = random.Random(22)
        fresh = self._create("single")
        per_grid = {g: [household(g, n, rnd) for n in range(self.args.docs)] for g in self.grids}
        t0 = time.perf_counter()
        if fresh:
            self._bulk("single", [d for ds in per_grid.values() for d in ds])
        if self._create("part", {"partitioned": "true"}):
            self._bulk("part", [dict(d, _id=f"{g}:{d['_id']}")
                                for g, ds in per_grid.items() for d in ds])
        made = 0
        for g in self.grids:
            if self._create("grid_" + g):
                self._bulk("grid_" + g, per_grid[g])
                made += 1
        print(f"loaded ({'fresh' if fresh else 'kept'}; {made} grid dbs made) in "
              f"{time.perf_counter() - t0:.1f}s", flush=True)

    def drop(self):
        for name in self.c.get(self.url + "/_all_dbs").json():
            if name.startswith(PREFIX):
                self.c.delete(f"{self.url}/{name}")

    # -- pull ------------------------------------------------------------

    def _bulk_get(self, dbname, ids):
        r = self.c.post(self.db(dbname) + "/_bulk_get", params={"revs": "true"},
                        json={"docs": [{"id": i} for i in ids]})
        r.raise_for_status()
        return len(r.json()["results"])

    def pull_per_grid(self, grids):
        got = 0
        for g in grids:
            rows = self.c.get(self.db("grid_" + g) + "/_changes",
                              params={"style": "all_docs"}).json()["results"]
            got += self._bulk_get("grid_" + g, [row["id"] for row in rows])
        return got

    def pull_partition(self, grids):
        got = 0
        for g in grids:
            rows = self.c.get(self.db("part") + f"/_partition/{g}/_all_docs").json()["rows"]
            got += self._bulk_get("part", [row["id"] for row in rows])
        return got

    def pull_selector(self, grids):
        r = self.c.post(self.db("single") + "/_changes",
                        params={"filter": "_selector", "style": "all_docs"},
                        json={"selector": {"grid": {"$in": grids}}})
        rows = r.json()["results"]
        return self._bulk_get("single", [row["id"] for row in rows])

    def build_index(self):
        index, since = {}, 0
        r = self.c.get(self.db("single") + "/_changes", params={"since": since})
        for row in r.json()["results"]:
            index.setdefault(row["id"].split(":")[1], []).append(row["id"])
        self.index = index

    def pull_index(self, grids):
        ids = [i for g in grids for i in self.index.get(g, ())]
        self.c.post(self.db("single") + "/_all_docs", json={"keys": ids}).raise_for_status()
        return self._bulk_get("single", ids)

    # -- wake ------------------------------------------------------------

    async def _wake(self, kind):
        """Arm the waiters, then write ``--writes`` docs one by one; return
        (write-to-wake seconds list, beam CPU over writes, beam CPU idle)."""
        a = self.args
        limits = httpx.Limits(max_connections=a.waiters + 20, max_keepalive_connections=a.waiters + 20)
        async with httpx.AsyncClient(timeout=120, limits=limits) as ac:
            woke = {}                        # grid -> asyncio.Event
            watched = self.grids[:a.waiters]
            stop = asyncio.Event()

            async def tablet(g):
                """A waiter holding its own longpoll at CouchDB (selector, per-grid)."""
                if kind == "selector":
                    url, body = self.db("single") + "/_changes", {"selector": {"grid": g}}
                    params = {"feed": "longpoll", "since": "now", "filter": "_selector",
                              "timeout": 60000}
                else:
                    url, body = self.db("grid_" + g) + "/_changes", None
                    params = {"feed": "longpoll", "since": "now", "timeout": 60000}
                while not stop.is_set():
                    try:
                        if body is None:
                            r = await ac.get(url, params=params)
                        else:
                            r = await ac.post(url, params=params, json=body)
                    except httpx.ReadError:      # CouchDB closed an idle kept-alive socket
                        continue
                    out = r.json()
                    params["since"] = out["last_seq"]
                    if out["results"]:
                        woke[g].set()

            async def server_feed():
                """One gridvisit server's feed of everything, fanned out by grid."""
                if kind == "db-updates":
                    url, params = self.url + "/_db_updates", {"feed": "longpoll", "since": "now",
                                                             "timeout": 60000}
                else:
                    url, params = self.db("single") + "/_changes", {
                        "feed": "longpoll", "since": "now", "timeout": 60000}
                grid_seq = {}
                if kind == "db-updates":        # the server knows each grid's seq already
                    for g in watched:
                        grid_seq[g] = (await ac.get(self.db("grid_" + g))).json()["update_seq"]
                while not stop.is_set():
                    try:
                        out = (await ac.get(url, params=params)).json()
                    except httpx.ReadError:      # CouchDB closed an idle kept-alive socket
                        continue
                    params["since"] = out["last_seq"]
                    for row in out["results"]:
                        if kind == "db-updates":
                            name = row["db_name"]
                            if not name.startswith(PREFIX + "grid_"):
                                continue
                            g = name[len(PREFIX + "grid_"):]
                            # the woken grid's own changes, as the server would read them
                            ch = (await ac.get(self.db("grid_" + g) + "/_changes",
                                               params={"since": grid_seq.get(g, "now")})).json()
                            grid_seq[g] = ch["last_seq"]
                            if ch["results"] and g in woke:
                                woke[g].set()
                        else:
                            g = row["id"].split(":")[1]
                            if g in woke:
                                woke[g].set()

            for g in watched:
                woke[g] = asyncio.Event()
            if kind in ("selector", "per-grid"):
                tasks = [asyncio.create_task(tablet(g)) for g in watched]
            else:
                tasks = [asyncio.create_task(server_feed()) for _ in range(2)]
            await asyncio.sleep(2.0)          # let every longpoll reach CouchDB
            cpu0 = beam_cpu(a.pid)
            await asyncio.sleep(a.idle)
            idle_cpu = beam_cpu(a.pid) - cpu0
            rnd, lat = random.Random(), []
            cpu0 = beam_cpu(a.pid)
            for _ in range(a.writes):
                g = rnd.choice(watched)
                woke[g].clear()
                doc = {"_id": f"visit:{g}:{rnd.getrandbits(64):x}", "grid": g, "type": "visit"}
                dbname = "single" if kind in ("selector", "index") else "grid_" + g
                t0 = time.perf_counter()
                (await ac.post(self.db(dbname), json=doc)).raise_for_status()
                await asyncio.wait_for(woke[g].wait(), 30)
                lat.append(time.perf_counter() - t0)
            write_cpu = beam_cpu(a.pid) - cpu0
            stop.set()
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return lat, write_cpu, idle_cpu

    def wake(self, kind):
        return asyncio.run(self._wake(kind))


def timed(fn, *args):
    t0 = time.perf_counter()
    got = fn(*args)
    return time.perf_counter() - t0, got


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default=os.environ.get("COUCHDB_URL"))
    ap.add_argument("--grids", type=int, default=300)
    ap.add_argument("--docs", type=int, default=100)
    ap.add_argument("--worker-grids", type=int, default=2)
    ap.add_argument("--waiters", type=int, default=300)
    ap.add_argument("--writes", type=int, default=30)
    ap.add_argument("--idle", type=float, default=5.0)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pid", type=int, default=None, help="CouchDB's beam process (for CPU)")
    ap.add_argument("--keep", action="store_true", help="keep the databases for the next run")
    ap.add_argument("--out")
    args = ap.parse_args()
    if not args.url:
        sys.exit("needs an Apache CouchDB: --url or COUCHDB_URL")
    if args.pid is None:
        pidfile = Path("/work/couchdb/nodes/single/pid")
        args.pid = int(pidfile.read_text()) if pidfile.exists() else None
    print(f"CouchDB {safe_url(args.url)}: {args.grids} grids x {args.docs} docs", flush=True)
    b = Bench(args)
    if not args.keep:
        b.drop()                          # what a failed run may have left
    b.load()
    t_index, _ = timed(b.build_index)
    pulls = {k: [] for k in ("per-grid", "partition", "selector", "index")}
    fns = {"per-grid": b.pull_per_grid, "partition": b.pull_partition,
           "selector": b.pull_selector, "index": b.pull_index}
    rnd = random.Random(7)
    want = args.worker_grids * args.docs
    for _ in range(args.runs):
        grids = rnd.sample(b.grids, args.worker_grids)
        for kind, fn in fns.items():
            secs, got = timed(fn, grids)
            if got < want:                 # a kept run adds the visits it wrote
                raise RuntimeError(f"{kind}: pulled {got} docs, wanted {want}")
            pulls[kind].append(secs)
    result = {"grids": args.grids, "docs": args.docs, "worker_grids": args.worker_grids,
              "index_build_s": round(t_index, 3), "pull": {}, "wake": {}}
    base = statistics.median(pulls["per-grid"])
    print(f"index build (one full _changes read): {t_index:.3f}s")
    print(f"first pull of {args.worker_grids} grids ({want} docs), median of {args.runs}:")
    for kind, times in pulls.items():
        med = statistics.median(times)
        result["pull"][kind] = {"median_s": round(med, 4), "vs_per_grid": round(med / base, 2)}
        print(f"  {kind:10} {med * 1000:8.1f} ms   x{med / base:6.2f} of per-grid")
    print(f"wake: {args.waiters} waiters, {args.writes} writes, idle {args.idle}s:")
    for kind in ("per-grid", "db-updates", "index", "selector"):
        lat, wcpu, icpu = b.wake(kind)
        lat.sort()
        p50, p95 = statistics.median(lat), lat[int(0.95 * (len(lat) - 1))]
        result["wake"][kind] = {"p50_ms": round(p50 * 1000, 1), "p95_ms": round(p95 * 1000, 1),
                                "couch_cpu_ms_per_write": round(wcpu / args.writes * 1000, 2),
                                "couch_cpu_ms_idle_per_s": round(icpu / args.idle * 1000, 2)}
        print(f"  {kind:10} write->woken p50 {p50 * 1000:7.1f} ms  p95 {p95 * 1000:7.1f} ms  "
              f"CouchDB CPU {wcpu / args.writes * 1000:6.2f} ms/write, idle "
              f"{icpu / args.idle * 1000:6.2f} ms/s", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
    if not args.keep:
        b.drop()


if __name__ == "__main__":
    main()
