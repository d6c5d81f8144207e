"""Replication runs kept in CouchDB (issue 22): the same interface as
:class:`server.jobs.runs.ReplicationRuns`, for servers over the CouchDB
store, so every server's console shows every server's nightly runs.

One document per run in ``{prefix}gridvisit$runs``: ``run:{id}`` (ids
claimed ``max + 1`` with a ``PUT`` only one server wins), read from a copy
that follows the database's changes (:class:`server.couchdocs.FollowedDocs`).
A run names the machine it runs on (its hostname and boot id) and the
process: a server settles as interrupted the runs of its own machine whose
process is gone, and a run another machine left "running" for longer than
``OTHER_MACHINE_STALE`` (that machine was lost, or never came back).
"""

import os
import socket
import time

from server.couchdocs import FollowedDocs, numbered
from server.jobs.runs import COLUMNS, DIED, outcome, process_identity

DB_SUFFIX = "gridvisit$runs"
OTHER_MACHINE_STALE = 24 * 3600       # seconds: no nightly run takes a day


def machine():
    """This machine: its hostname and, on Linux, the id of this boot."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as boot:
            boot_id = boot.read().strip()
    except OSError:
        boot_id = ""
    return f"{socket.gethostname()}/{boot_id}"


def _row(doc):
    return {k: doc.get(k) for k in COLUMNS}


class CouchReplicationRuns:
    """Replication runs shared by every server over one CouchDB."""

    def __init__(self, server, prefix):
        self.docs = FollowedDocs(server, prefix + DB_SUFFIX)
        self.machine = machine()

    def _runs(self):
        """Every run, newest first."""
        return self.docs.of_type("run")[::-1]

    def start(self, job, source, target):
        """Record a run starting now in this process; returns its id."""
        self.settle_dead()
        pid = os.getpid()
        return self.docs.claim("run", {
            "job": job, "source": source, "target": target, "started": time.time(),
            "ended": None, "status": "running", "docs_read": 0, "docs_written": 0,
            "failures": 0, "error": None, "pid": pid, "process": process_identity(pid),
            "machine": self.machine})

    def _settle(self, run_id, fields):
        def change(doc):
            if doc is None or (fields.get("status") == "interrupted"
                               and doc.get("status") != "running"):
                return None              # (it finished meanwhile)
            return dict(doc, **fields)
        self.docs.update(numbered("run", run_id), change)

    def settle_dead(self):
        """Mark runs still "running" whose process is gone as interrupted."""
        now = time.time()
        for run in self._runs():
            if run["status"] != "running":
                continue
            if run.get("machine") == self.machine:
                dead = run.get("pid") is None or process_identity(run["pid"]) != run["process"]
            else:
                dead = now - run["started"] > OTHER_MACHINE_STALE
            if dead:
                self._settle(run["id"], {"status": "interrupted", "error": DIED})

    def finish(self, run_id, stats, error=None, status=None):
        """Record how run ``run_id`` ended."""
        self._settle(run_id, {
            "ended": time.time(), "status": outcome(stats, error, status),
            "docs_read": stats.get("docs_read", 0), "docs_written": stats.get("docs_written", 0),
            "failures": stats.get("doc_write_failures", 0), "error": error,
            "stats": {k: v for k, v in stats.items() if isinstance(v, (int, float, str))}})

    def recent(self, limit=20):
        """The latest runs, newest first."""
        return self.history(limit)[1]

    def history(self, limit, offset=0, job=None, status=None):
        """``(total, rows)``: one page of runs newest first, of one job and
        one status when given, ``total`` counting every match."""
        self.settle_dead()
        found = [run for run in self._runs() if (not job or run["job"] == job)
                 and (not status or run["status"] == status)]
        return len(found), [_row(run) for run in found[offset:offset + limit]]

    def jobs(self):
        """The names of the jobs that have runs, sorted."""
        return sorted({run["job"] for run in self._runs()})

    def last_completed(self):
        """Job → its latest run that completed without failures."""
        latest = {}
        for run in self._runs():
            if run["status"] == "completed":
                latest.setdefault(run["job"], _row(run))
        return latest

    def statuses_since(self, since):
        """Status → how many runs started at or after ``since`` (epoch seconds)."""
        self.settle_dead()
        counts = {}
        for run in self._runs():
            if run["started"] >= since:
                counts[run["status"]] = counts.get(run["status"], 0) + 1
        return counts
