"""Replications that end badly: a continuous pull whose hub goes away, and
runs killed by a signal, must neither spin nor be reported as running
forever. Real pouchdb-server hub, the command line in a subprocess.
"""

import os
import signal
import time
from pathlib import Path

from server.jobs.runs import ReplicationRuns
from server.serverdb import ServerDB
from tests import fielddocs
from tests.replication_support import (background_cli, cli, cli_output, hub_info, live_count,
                                       load_http, local_count, recent_runs, wait_midway,
                                       wait_until, with_history)

# ------------------------------------------- continuous pull, hub goes away --

def cpu_seconds(pid):
    """User + system CPU time of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_continuous_pull_whose_hub_goes_away_neither_spins_nor_hangs(tmp_path, hub):
    """While a continuous pull waits for the hub's changes and the hub
    stops, the replicator must back off (a community server has 2 cores),
    then fail cleanly as a one-shot run does."""
    assert hub.request("PUT", "ref")[0] == 201
    load_http(hub, "ref", [with_history(fielddocs.grid_doc("g01"), ["a"])])
    community = tmp_path / "community"
    with background_cli(community, "replicate", f"{hub.base}/ref", "field", "--create-target",
                        "--continuous") as proc:
        # the hub's grid document
        wait_until(lambda: local_count(community, "field") == 1 or proc.poll() is not None,
                   30, "the first pull", interval=0.2)
        assert proc.poll() is None, cli_output(community)
        time.sleep(1.5)                                  # idle: waiting for changes
        idle = cpu_seconds(proc.pid)
        time.sleep(3)
        idle = cpu_seconds(proc.pid) - idle
        hub.stop()
        down = cpu_seconds(proc.pid)
        time.sleep(4)
        down = cpu_seconds(proc.pid) - down if proc.poll() is None else 0.0
        code = proc.wait(120)
    out, err = cli_output(community)
    assert idle < 0.5, f"{idle:.2f}s of CPU in 3 s of waiting for changes"
    assert down < 1.0, f"{down:.2f}s of CPU in 4 s while the hub was down (busy retry loop)"
    assert code != 0 and "replication failed" in err and f"{hub.base}/ref" in err
    assert recent_runs(community)[0]["status"] == "failed"


# ------------------------------------------------- status of a dead run --

def test_a_killed_run_is_not_reported_as_running_forever(field_dir, hub):
    """A run whose process died (kill -9, OOM, power cut) cannot finish its
    record. Once a later run of the same replication has completed, the
    status must not still say the dead one is running (DESIGN: sync status
    that says "done" -- or "running" -- when it failed)."""
    url = f"{hub.base}/hub"
    with background_cli(field_dir, "replicate", "field", url, "--create-target") as proc:
        wait_midway(proc, hub, "hub", field_dir)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    cli(field_dir, "replicate", "field", url)
    runs = recent_runs(field_dir)
    assert [r["status"] for r in runs][:1] == ["completed"]
    assert "running" not in [r["status"] for r in runs], runs
    assert " running " not in cli(field_dir, "replication-status").stdout


def test_sigterm_records_the_run_as_interrupted_and_the_next_run_resumes(field_dir, hub):
    """systemd and cron's timeouts stop a run with SIGTERM: it must end at
    once, say so, be recorded as interrupted, and the next run must finish
    from its checkpoint."""
    url = f"{hub.base}/hub"
    with background_cli(field_dir, "replicate", "field", url, "--create-target") as proc:
        wait_midway(proc, hub, "hub", field_dir)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    out, err = cli_output(field_dir)
    assert code == 1 and "interrupted" in err, (code, err)
    assert recent_runs(field_dir)[0]["status"] == "interrupted"
    done = cli(field_dir, "replicate", "field", url)
    assert recent_runs(field_dir)[0]["status"] == "completed", done.stdout
    assert hub_info(hub, "hub")["doc_count"] == live_count(field_dir)


def test_a_run_whose_process_is_alive_stays_running(tmp_path):
    """Settling dead runs must not touch one that is still going: here a
    row for this very process (alive) and one for a pid that cannot exist."""
    runs = ReplicationRuns(ServerDB(tmp_path / "server.sqlite3"))
    alive = runs.start("push", "local:field", "http://hub/db")
    with runs.db.connect() as conn:
        conn.execute("INSERT INTO replication_runs (job, source, target, started, status, "
                     "pid, process) VALUES ('old', 'a', 'b', 0, 'running', 4194305, '1')")
    statuses = {r["job"]: r["status"] for r in runs.recent()}
    assert statuses == {"push": "running", "old": "interrupted"}
    runs.finish(alive, {"docs_read": 3, "docs_written": 3})
    assert runs.recent()[1]["status"] == "completed"
