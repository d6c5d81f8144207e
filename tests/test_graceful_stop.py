"""A server restart does not sit out its graceful timeout on sleeping
longpolls: on SIGTERM every waiting ``_changes`` feed answers at once with
what it has (a complete CouchDB response, so the tablet's PouchDB simply
reconnects), and the server exits. Before, a longpoll sleeping between
PouchDB's 10 s heartbeats held the stop for gunicorn's whole
``graceful_timeout`` (10 s), every update and every restart of a community
server. A real ``gridvisit serve`` (gunicorn, two workers)."""

import json
import threading
import time

from tests.peers import start_gridvisit


def longpoll(peer, feed, out):
    """GET a _changes feed that sleeps (since=now, PouchDB's 10 s heartbeat);
    its status, body and when it ended go into ``out``."""
    try:
        status, body = peer.request(
            "GET", f"field/_changes?feed={feed}&since=now&heartbeat=10000&timeout=60000")
        out.update(status=status, body=body)
    except Exception as err:              # noqa: BLE001 - reported by the assertion
        out.update(error=repr(err))
    out["ended"] = time.monotonic()


def test_sigterm_answers_sleeping_longpolls_and_stops_at_once(tmp_path):
    peer = start_gridvisit(tmp_path / "server")
    try:
        assert peer.request("PUT", "field")[0] == 201
        polls = [{} for _ in range(4)]          # enough to reach both gunicorn workers
        threads = [threading.Thread(target=longpoll, args=(peer, "longpoll", out), daemon=True)
                   for out in polls]
        for thread in threads:
            thread.start()
        time.sleep(1.5)                         # all four are asleep in the server
        assert all(not out for out in polls), polls
        stopped_at = time.monotonic()
        peer.proc.terminate()
        peer.proc.wait(30)
        took = time.monotonic() - stopped_at
        for thread in threads:
            thread.join(10)
    finally:
        peer.stop()
    assert took < 5, f"the server took {took:.1f} s to stop (its graceful timeout is 10 s)"
    for out in polls:
        assert out.get("status") == 200, out
        body = out["body"] if isinstance(out["body"], dict) else json.loads(out["body"])
        assert body["results"] == [] and "last_seq" in body, body
        assert out["ended"] - stopped_at < 5
