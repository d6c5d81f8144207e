#!/usr/bin/env python
"""Views benchmark: building a view index and querying it, gridvisit
against pouchdb-server in the same run (issue 19, item 4).

Both servers get the same ``--n`` documents (households-like: a grid, a
building, a colour, a member count; one revision each, ``_bulk_docs`` with
``new_edits=false`` in chunks of 1,000) and the same design document:

by_grid    ``emit([doc.grid, doc.building], doc.members)`` with ``_sum``
by_colour  ``emit(doc.colour, 1)`` with ``_count``

and then, each timed on each server in turn (gridvisit first, then
pouchdb-server, so machine drift touches both alike):

build      the first query of ``by_grid`` (``reduce=false&limit=1``), which indexes
           every document with the map function;
catch-up   the same after 1,000 more documents are written (incremental);
key        ``--queries`` single-key lookups of ``by_colour`` (``reduce=false``,
           ``limit=10``), median;
range      ``--queries`` range reads of ``by_grid`` (one grid, ``limit=50``), median;
group      ``--queries`` ``group_level=1`` reduces of ``by_grid``, median.

It prints the seconds of each and ``gv/ps`` (gridvisit ÷ pouchdb-server:
below 1 means gridvisit is faster). Usage, from the repository root:

    .venv/bin/python bench/views_bench.py [--n 50000] [--queries 20]
"""

import argparse
import base64
import hashlib
import json
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import load  # noqa: E402
from tests.peers import start_gridvisit, start_pouchdb_server  # noqa: E402

DDOC = {"_id": "_design/b", "views": {
    "by_grid": {"map": "function (doc) { if (doc.grid) emit([doc.grid, doc.building], "
                       "doc.members); }", "reduce": "_sum"},
    "by_colour": {"map": "function (doc) { if (doc.colour) emit(doc.colour, 1); }",
                  "reduce": "_count"}}}
COLOURS = ("green", "yellow", "red")


def docs(start, count):
    """``count`` household-like documents from number ``start`` on, each with a rev."""
    out = []
    for i in range(start, start + count):
        body = {"_id": f"household:g{i % 40:02d}:h{i:06d}", "grid": f"g{i % 40:02d}",
                "building": i % 12, "colour": COLOURS[i % 7 % 3], "members": 1 + i % 5,
                "address": f"{i % 12} 号楼 {i % 6} 单元 {i % 30} 室"}
        body["_rev"] = "1-" + hashlib.md5(json.dumps(body, sort_keys=True).encode()).hexdigest()
        out.append(body)
    return out


def get(peer, path):
    """``GET path`` on ``peer`` with a long timeout (an index build takes a while)."""
    req = urllib.request.Request(f"{peer.base}/{path}")
    if peer.username:
        token = base64.b64encode(f"{peer.username}:{peer.password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(req, timeout=1800) as resp:
        return json.loads(resp.read())


def timed(peer, path):
    """Seconds one GET takes (it must answer 200)."""
    started = time.perf_counter()
    get(peer, path)
    return time.perf_counter() - started


def q(value):
    """A JSON query value, URL-encoded."""
    return urllib.parse.quote(json.dumps(value), safe="")


def main():
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        peers = [start_gridvisit(Path(tmp) / "gv"), start_pouchdb_server(Path(tmp) / "ps")]
        try:
            data = docs(0, args.n)
            for peer in peers:
                load(peer, "views", data)
                status, body = peer.request("PUT", "views/_design/b", DDOC)
                assert status == 201, (peer.name, status, body)
            figures = {}
            base = "views/_design/b/_view/"
            figures["build"] = [timed(p, base + "by_grid?reduce=false&limit=1") for p in peers]
            more = docs(args.n, 1000)
            for peer in peers:
                status, _ = peer.request("POST", "views/_bulk_docs",
                                         {"docs": more, "new_edits": False})
                assert status == 201
            figures["catch-up"] = [timed(p, base + "by_grid?reduce=false&limit=1") for p in peers]
            for name, paths in (
                    ("key", [f"{base}by_colour?reduce=false&limit=10&key="
                             f"{q(COLOURS[i % 3])}" for i in range(args.queries)]),
                    ("range", [f"{base}by_grid?reduce=false&limit=50&startkey="
                               f"{q([f'g{i % 40:02d}'])}&endkey={q([f'g{i % 40:02d}', {}])}"
                               for i in range(args.queries)]),
                    ("group", [f"{base}by_grid?group_level=1"] * args.queries)):
                runs = [[], []]
                for path in paths:
                    for index, peer in enumerate(peers):
                        runs[index].append(timed(peer, path))
                figures[name] = [statistics.median(r) for r in runs]
            for path in ("by_grid?group_level=1", "by_colour?group=true",
                         "by_colour?reduce=false&limit=20&skip=100"):     # same answers
                answers = [get(p, base + path)["rows"] for p in peers]
                assert answers[0] == answers[1], path
        finally:
            for peer in peers:
                peer.stop()
    print(f"views benchmark: {args.n:,} documents (+1,000 for catch-up), "
          f"{args.queries} queries each")
    print(f"{'':10} {'gridvisit':>12} {'pouchdb-server':>15} {'gv/ps':>7}")
    for name, (gv, ps) in figures.items():
        print(f"{name:10} {gv * 1000:10.1f}ms {ps * 1000:13.1f}ms {gv / ps:7.2f}")


if __name__ == "__main__":
    main()
