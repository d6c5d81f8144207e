"""Many tablets at once: N longpolling clients hold connections open while
others read and write. Run by hand: ``.venv/bin/python bench/concurrency_bench.py``.

Measures, with N waiting longpolls (each a live-syncing tablet):
- the latency of ordinary requests (GET /couch/field/<doc>) served meanwhile;
- how long a write takes to wake every waiting longpoll.
The peer is pouchdb-server under the same load, measured in the same run.
"""

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.peers import start_gridvisit, start_pouchdb_server  # noqa: E402


def _auth(peer):
    return (peer.username, peer.password) if peer.username else None


def run(peer, waiting, probes):
    """``{"probe_ms": [...], "wake_ms": [...], "woken": n}`` for one server."""
    db = peer.url("load", auth=False).rstrip("/")
    auth = _auth(peer)
    with httpx.Client(auth=auth, timeout=60) as client:
        client.put(db)
        client.put(f"{db}/probe", json={"n": 0})
        since = client.get(f"{db}/_changes", params={"since": "now"}).json()["last_seq"]
    woken, wake_times, start_gate = [], [], threading.Barrier(waiting + 1)
    written_at = {}

    def tablet():
        with httpx.Client(auth=auth, timeout=120) as client:
            start_gate.wait()
            resp = client.get(f"{db}/_changes", params={
                "feed": "longpoll", "since": json.dumps(since) if not isinstance(since, str)
                else since, "timeout": 60000, "heartbeat": 10000})
            if resp.status_code == 200 and resp.text.strip():
                done = time.perf_counter()
                woken.append(1)
                if "t" in written_at:
                    wake_times.append((done - written_at["t"]) * 1000)

    threads = [threading.Thread(target=tablet, daemon=True) for _ in range(waiting)]
    for thread in threads:
        thread.start()
    start_gate.wait()
    time.sleep(2.0)                                  # let every longpoll arrive and wait
    probe_ms = []
    with httpx.Client(auth=auth, timeout=60) as client:
        for _ in range(probes):
            started = time.perf_counter()
            resp = client.get(f"{db}/probe")
            probe_ms.append((time.perf_counter() - started) * 1000)
            assert resp.status_code == 200, resp.text
        written_at["t"] = time.perf_counter()
        client.put(f"{db}/wake", json={"now": True})
    for thread in threads:
        thread.join(90)
    return {"probe_ms": probe_ms, "wake_ms": wake_times, "woken": len(woken)}


def summary(name, result, waiting):
    probes, wakes = result["probe_ms"], result["wake_ms"]
    return (f"{name:15s} probes median {statistics.median(probes):7.1f} ms, "
            f"p95 {sorted(probes)[int(len(probes) * 0.95) - 1]:7.1f} ms; "
            f"woken {result['woken']}/{waiting}, "
            f"all woken after {max(wakes) if wakes else float('nan'):7.0f} ms")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--waiting", type=int, default=300)
    parser.add_argument("--probes", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        peers = {"gridvisit": start_gridvisit(Path(tmp) / "gv"),
                 "pouchdb-server": start_pouchdb_server(Path(tmp) / "ps")}
        try:
            results = {name: run(peer, args.waiting, args.probes)
                       for name, peer in peers.items()}
        finally:
            for peer in peers.values():
                peer.stop()
    print(f"\n{args.waiting} longpolling tablets waiting, {args.probes} reads meanwhile")
    for name, result in results.items():
        print(summary(name, result, args.waiting))
    gv, ps = (statistics.median(results[n]["probe_ms"]) for n in ("gridvisit", "pouchdb-server"))
    print(f"read latency ratio gridvisit/pouchdb-server: {gv / ps:.2f}")


if __name__ == "__main__":
    main()
