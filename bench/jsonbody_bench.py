#!/usr/bin/env python
"""JSON loader benchmark: what the one loader's rules cost a push.

Every request body goes through ``server.jsonbody.loads`` (depth limit,
finite numbers, lone surrogates); the peer is the standard library's
``json.loads`` on the same bytes, measured in the same run, interleaved.
The body is a ``_bulk_docs`` of ``--docs`` household documents
(tests/fielddocs.py builders), as a tablet pushes them; a second body has
one lone surrogate escape per document, so the replacement walk runs too.
Prints the medians and the ratio to the peer.

Usage (from the repository root):

    .venv/bin/python bench/jsonbody_bench.py [--docs 2000] [--reps 21]
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.jsonbody import loads  # noqa: E402
from tests import fielddocs as fd  # noqa: E402


def _time(func, raw):
    started = time.perf_counter()
    func(raw)
    return time.perf_counter() - started


def main():
    """Run the benchmark and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=21)
    args = parser.parse_args()
    docs = [fd.household("g1", f"h{i}") for i in range(args.docs)]
    plain = json.dumps({"docs": docs}).encode()
    for doc in docs:
        doc["notes"] = "emoji cut \ud83d"
    cut = json.dumps({"docs": docs}).encode()
    for name, raw in (("plain", plain), ("surrogates", cut)):
        peer, ours = [], []
        for _ in range(args.reps):
            peer.append(_time(json.loads, raw))
            ours.append(_time(loads, raw))
        p, o = statistics.median(peer), statistics.median(ours)
        print(f"{name:10} {len(raw) / 1e6:6.2f} MB  json.loads {p * 1000:7.1f} ms  "
              f"jsonbody.loads {o * 1000:7.1f} ms  ratio {o / p:4.2f}")


if __name__ == "__main__":
    main()
