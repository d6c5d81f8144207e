#!/usr/bin/env python
"""The herd: a whole community's tablets in live sync, gridvisit vs pouchdb-server.

For each N in ``--tablets``: N grids, one worker and one tablet each, 100
households a grid, and ``--pairs`` of the grids with a second tablet of the
same worker. Every tablet is a real PouchDB 9 (node, memory adapter, default
options). Phases, all tablets at once:

first sync    one pull each (PouchDB.replicate, default batch_size 100);
              reports p95 time and requests per tablet.
morning push  10 new visits each, pushed once; p95 time, requests per tablet.
live sync     every tablet syncs both ways, live; the first tablet of each
              pair writes one visit every ``--write-every`` ms into its grid
              while the others wait. After ``--warmup`` seconds: write ->
              visible on the grid's second tablet p50/p95 (and where it goes:
              the writer's PouchDB, its _bulk_docs, the wake, the second
              tablet's _bulk_get and local write), p95 of the other
              requests (not the waiting longpolls), and server CPU (all its
              processes, from /proc) per write.

The peer is pouchdb-server with one database per grid (the CouchDB idiom),
started here and measured in the same run; gridvisit runs ``gridvisit
serve`` with its default two workers, each tablet syncing with its own
device token as the field app does (``--basic``: name and password).
Ratios are gridvisit / pouchdb-server. ``gridvisit-couchdb`` (with
``--couchdb URL``) runs two gridvisit servers over that Apache CouchDB, a
grid's writer on one and its second tablet on the other; its CPU counts
both servers and CouchDB's processes; its ratios are to the embedded
server of the same run.

Usage (from the repository root):

    .venv/bin/python bench/herd_bench.py [--tablets 50,100,300] [--pairs 0.1]
        [--live 40] [--warmup 10] [--write-every 2000] [--out FILE]
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, run_node  # noqa: E402
from tests import fielddocs as fd  # noqa: E402
from tests.peers import (free_port, serve_gridvisit, start_gridvisit,  # noqa: E402
                         start_pouchdb_server)
from tests.stores import drop_prefixed  # noqa: E402

PASSWORD = "herd-secret-1"
HOUSEHOLDS = 100


def grids_of(n):
    """Grid names g0001..gN."""
    return [f"g{i:04d}" for i in range(1, n + 1)]


def grid_docs(grid):
    """The 100 households of one grid."""
    return [fd.household(grid, f"h{i:03d}") for i in range(HOUSEHOLDS)]


def prepare_gridvisit(data_dir, grids, pairs, couch=None):
    """A data directory with a field database, the grids, one worker each
    (in CouchDB when ``couch`` is ``{"COUCHDB_URL": …, "COUCHDB_PREFIX": …}``);
    returns ``{(worker, tablet): device token}`` (what the field app signs in with)."""
    from server import create_app
    from server.services import services
    app = create_app(dict({"DATA_DIR": str(data_dir)}, **(couch or {})))
    with app.app_context():
        ext = services(app)
        ext.directory.put_street("s", "朝阳门街道")
        ext.directory.put_community("c", "史家社区", "s")
        db = ext.store.get("field") if ext.store.exists("field") else ext.store.create("field")
        for grid in grids:
            ext.directory.put_grid(grid, grid, "c")
            ext.accounts.create(f"w{grid}", PASSWORD, "worker")
            ext.directory.assign(f"w{grid}", grid=grid)
            db.bulk_docs(grid_docs(grid))
        tokens = {}
        for i, grid in enumerate(grids):
            user = ext.accounts.by_name(f"w{grid}")
            for tablet in (1, 2) if i < pairs else (1,):
                tokens[(user.name, tablet)] = ext.tokens.issue(user, f"平板{tablet}")[0]
        ext.store.close()
    return tokens


def _proc(name):
    """``{pid: the bytes of /proc/{pid}/{name}}`` of every process still there."""
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                out[int(entry.name)] = (entry / name).read_bytes()
            except OSError:
                continue
    return out


def server_pids(root_pid):
    """``root_pid`` and its descendants (gunicorn's workers)."""
    children = {}
    for pid, stat in _proc("stat").items():
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def couchdb_pids():
    """The Apache CouchDB processes on this machine (its CPU is the store's)."""
    return [pid for pid, cmd in _proc("cmdline").items() if b"beam" in cmd and b"couchdb" in cmd]


def tablets(urls, grids, pairs, args, creds):
    # urls(grid, tablet) -> that tablet's database URL; creds(worker, tablet) -> its auth
    """The node payload's tablet list: first tablets, then the pairs' seconds."""
    out = []
    paired = set(grids[:pairs])
    for grid in grids:
        worker = f"w{grid}"
        user = creds(worker, 1)
        writes = [fd.visit(grid, f"h{i % HOUSEHOLDS:03d}", by=worker)
                  for i in range(args.live * 1000 // args.write_every + 20)]
        out.append(dict(url=urls(grid, 1), grid=grid, **user, writer=grid in paired,
                        second=False,
                        visits=[fd.visit(grid, f"h{i:03d}", by=worker) for i in range(10)],
                        writes=writes if grid in paired else []))
    for grid in grids[:pairs]:
        worker = f"w{grid}"
        out.append(dict(url=urls(grid, 2), grid=grid, **creds(worker, 2), writer=False,
                        second=True,
                        visits=[fd.visit(grid, f"h{i:03d}", by=worker) for i in range(10)],
                        writes=[]))
    return out


def run_one(name, n, args, tmp):
    """Start ``name``, load N grids, drive the herd; the node script's figures."""
    grids = grids_of(n)
    pairs = max(1, round(n * args.pairs))
    extra = []                                                     # more processes to count
    if name == "gridvisit-couchdb":
        # Two gridvisit servers over one Apache CouchDB; a grid's writer on
        # the first, its second tablet on the other, every other tablet on
        # either by turns: every write reaches its reader through CouchDB.
        prefix = f"herd{os.getpid()}_{n}_"
        couch = {"COUCHDB_URL": args.couchdb, "COUCHDB_PREFIX": prefix}
        data = Path(tmp) / f"gvc{n}"
        tokens = prepare_gridvisit(data, grids, pairs, couch)
        env = {"GRIDVISIT_THREADS": str(max(256, n + pairs + 64)),
               "GRIDVISIT_COUCHDB_URL": args.couchdb, "GRIDVISIT_COUCHDB_PREFIX": prefix}
        peer = start_gridvisit(data, env=env)
        (Path(tmp) / f"gvc{n}b").mkdir()
        other = serve_gridvisit(Path(tmp) / f"gvc{n}b", free_port(), env=env)  # (one admin)
        extra = server_pids(other.proc.pid) + couchdb_pids()
        index = {grid: i for i, grid in enumerate(grids)}
        urls = lambda grid, tablet: (peer if (index[grid] + tablet) % 2 else other).url(  # noqa
            "field", auth=False)
        creds = lambda worker, tablet: {"token": tokens[(worker, tablet)]}  # noqa: E731
    elif name == "gridvisit":
        data = Path(tmp) / f"gv{n}"
        tokens = prepare_gridvisit(data, grids, pairs)
        env = {"GRIDVISIT_THREADS": str(max(256, n + pairs + 64))}
        peer = start_gridvisit(data, env=env)
        urls = lambda grid, tablet: peer.url("field", auth=False)  # noqa: E731
        if args.basic:
            creds = lambda worker, tablet: {"username": worker, "password": PASSWORD}  # noqa
        else:
            creds = lambda worker, tablet: {"token": tokens[(worker, tablet)]}  # noqa: E731
    else:
        peer = start_pouchdb_server(Path(tmp) / f"ps{n}")
        for grid in grids:
            peer.request("PUT", grid)
            peer.request("POST", f"{grid}/_bulk_docs", {"docs": grid_docs(grid)})
        urls = lambda grid, tablet: peer.url(grid, auth=False)     # noqa: E731
        creds = lambda worker, tablet: {}                          # noqa: E731
    try:
        payload = {"tablets": tablets(urls, grids, pairs, args, creds),
                   "live_seconds": args.live, "warmup_seconds": args.warmup,
                   "write_every_ms": args.write_every, "drivers": args.drivers,
                   "replicate_options": ({"batch_size": args.batch_size}
                                         if args.batch_size else {}),
                   "cpu": {"pids": server_pids(peer.proc.pid) + extra,
                           "hz": os.sysconf("SC_CLK_TCK")}}
        try:
            result = run_node(ROOT / "bench" / "herd.js", payload, timeout=1800)
        except RuntimeError:                 # what the servers said, before their folder goes
            for server in [peer] + ([other] if name == "gridvisit-couchdb" else []):
                lines = server.log.read_text(errors="replace").splitlines()
                errors = [line for line in lines if "Traceback" in line or '"status": 5' in line
                          or "Error" in line]
                print(f"{server.log}: {len(errors)} error lines; the last:\n  "
                      + "\n  ".join(errors[-15:]), file=sys.stderr)
            raise
    finally:
        peer.stop()
        if name == "gridvisit-couchdb":
            other.stop()
            drop_prefixed(args.couchdb, prefix)
    result["pairs"] = pairs
    if os.environ.get("HERD_TRACE"):
        print(f"{name}: the first tablet's requests\n  " + "\n  ".join(result["trace"]))
        print("requests per tablet:", result["first"]["requests"], result["push"]["requests"])
    return result


def pct(values, p):
    """The ``p`` quantile of ``values`` (nearest rank)."""
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(len(values) * p + 0.999999) - 1))]


def row(n, res):
    """The figures of one server at one N, as the table shows them."""
    first, push, live = res["first"], res["push"], res["live"]
    return {"N": n, "tablets": len(first["ms"]), "first_p95_ms": pct(first["ms"], 0.95),
            "first_requests": sum(first["requests"]) / len(first["requests"]),
            "push_p95_ms": pct(push["ms"], 0.95),
            "push_requests": sum(push["requests"]) / len(push["requests"]),
            "first_cpu_ms_per_doc": first["cpu_ms"] / max(1, sum(first["docs"])),
            "push_cpu_ms_per_doc": push["cpu_ms"] / max(1, 10 * len(push["ms"])),
            "visible_p50_ms": live["visible_p50"], "visible_p95_ms": live["visible_p95"],
            "request_p95_ms": live["request_p95"], "cpu_ms_per_write": live["cpu_ms_per_write"],
            "server_cores": live["cpu_ms"] / (live["warm_seconds"] * 1000),
            "writes": live["warm_writes"], "lost": live["lost"], "legs": live.get("legs")}


def fmt(value, digits=0):
    """A number for the table (— when missing)."""
    return "—" if value is None else f"{value:.{digits}f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tablets", default="50,100,300",
                        help="comma-separated N (grids with one tablet each)")
    parser.add_argument("--pairs", type=float, default=0.1,
                        help="share of grids with a second tablet (their first writes)")
    parser.add_argument("--live", type=int, default=40, help="seconds of live sync")
    parser.add_argument("--warmup", type=int, default=10, help="seconds before measuring")
    parser.add_argument("--write-every", type=int, default=2000,
                        help="ms between writes of each writer")
    parser.add_argument("--batch-size", type=int,
                        help="PouchDB batch_size of the first sync and push (default "
                             "PouchDB's, 100; the field app uses 250)")
    parser.add_argument("--servers", default="gridvisit,pouchdb-server",
                        help="of gridvisit, pouchdb-server and gridvisit-couchdb (two "
                             "gridvisit servers over the CouchDB of --couchdb)")
    parser.add_argument("--couchdb", help="admin URL of an Apache CouchDB for gridvisit-couchdb "
                                          "(its CPU counts as the server's)")
    parser.add_argument("--drivers", type=int, default=2,
                        help="node worker threads the tablets are spread over (a grid's "
                             "tablets in one), so one busy event loop is not timed as the server")
    parser.add_argument("--basic", action="store_true",
                        help="gridvisit tablets send name and password (Basic) instead of "
                             "a device token (Bearer), as the field app does")
    parser.add_argument("--out", help="write the raw rows as JSON here")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in [int(x) for x in args.tablets.split(",")]:
            for name in args.servers.split(","):
                res = run_one(name, n, args, tmp)
                rows.append(dict(server=name, **row(n, res)))
                print(json.dumps(rows[-1]), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))
    print("\n| N (+pairs) | server | first sync p95 ms | req/tablet | push p95 ms | "
          "req/tablet | write→visible p50 / p95 ms | request p95 ms | CPU ms/write |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['N']} (+{r['tablets'] - r['N']}) | {r['server']} | "
              f"{fmt(r['first_p95_ms'])} | {fmt(r['first_requests'], 1)} | "
              f"{fmt(r['push_p95_ms'])} | {fmt(r['push_requests'], 1)} | "
              f"{fmt(r['visible_p50_ms'])} / {fmt(r['visible_p95_ms'])} | "
              f"{fmt(r['request_p95_ms'])} | {fmt(r['cpu_ms_per_write'], 1)} |")
    print("\nserver CPU (all its processes; CouchDB's too) per document pulled in the "
          "first sync / pushed in the morning push, ms:")
    for r in rows:
        print(f"N={r['N']} {r['server']}: {fmt(r['first_cpu_ms_per_doc'], 2)} / "
              f"{fmt(r['push_cpu_ms_per_doc'], 2)}")
    print("\nwhere write → visible goes, p50 / p95 ms: the writer's PouchDB until it "
          "sends, its `_bulk_docs`, until the second tablet's longpoll answers, "
          "on that tablet (`_bulk_get`, local write)")
    for r in rows:
        if r.get("legs"):
            print(f"N={r['N']} {r['server']}: " + ", ".join(
                f"{name} {fmt(p50)} / {fmt(p95)}" for name, (p50, p95) in r["legs"].items()))
    by = {(r["server"], r["N"]): r for r in rows}
    keys = ("first_p95_ms", "push_p95_ms", "visible_p95_ms", "request_p95_ms",
            "cpu_ms_per_write")
    for mine, peer, title in (
            ("gridvisit", "pouchdb-server",
             "gridvisit / pouchdb-server (lower is better for gridvisit)"),
            ("gridvisit-couchdb", "gridvisit",
             "two gridvisit servers over CouchDB / one embedded server")):
        pairs = [(n, by.get((mine, n)), by.get((peer, n))) for n in sorted({r["N"] for r in rows})]
        pairs = [(n, a, b) for n, a, b in pairs if a and b]
        if pairs:
            print(f"\nratios {title}:")
        for n, a, b in pairs:
            print(f"N={n}: " + ", ".join(f"{key} {a[key] / b[key]:.2f}" for key in keys
                                         if a[key] and b[key]))

if __name__ == "__main__":
    main()
