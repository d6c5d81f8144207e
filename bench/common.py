"""What the benchmarks share: running a node script that prints one JSON
line of results, and loading documents with their revisions into a peer."""

import json
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_node(script, payload, timeout=900):
    """Run ``node script`` with ``payload`` as JSON on stdin; return the last
    line of its output, parsed.

    :raises RuntimeError: with the script's output when it fails.
    """
    proc = subprocess.run(["node", str(script)], input=json.dumps(payload),
                          capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"{Path(script).name} failed ({proc.returncode}):\n"
                           f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return json.loads([ln for ln in proc.stdout.splitlines() if ln.strip()][-1])


def load(peer, db, docs, chunk=1000):
    """Create ``db`` on ``peer`` and load ``docs`` with their revisions
    (``new_edits=false``); returns the seconds the writes took.

    :raises RuntimeError: when a write fails or the count is wrong after.
    """
    status, body = peer.request("PUT", db)
    if status not in (201, 202):
        raise RuntimeError(f"{peer.name}: PUT /{db} -> {status} {body!r}")
    t0 = time.perf_counter()
    for i in range(0, len(docs), chunk):
        status, body = peer.request("POST", f"{db}/_bulk_docs",
                                    {"docs": docs[i:i + chunk], "new_edits": False})
        errors = [r for r in body if isinstance(r, dict) and r.get("error")] \
            if isinstance(body, list) else body
        if status not in (201, 202) or errors:
            raise RuntimeError(f"{peer.name}: {db}/_bulk_docs -> {status} {str(errors)[:500]}")
    seconds = time.perf_counter() - t0
    status, info = peer.request("GET", db)
    if status != 200 or info.get("doc_count") != len(docs):
        raise RuntimeError(f"{peer.name}: after load GET /{db} -> {status} {info!r}")
    return seconds
