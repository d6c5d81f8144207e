"""Replication jobs: ``gridvisit replicate``, the nightly hub jobs, and an
optional in-process scheduler for the single-process embedded mode.

Each nightly run pushes the community's field data to the district hub
(``HUB_URL``) and pulls reference data (grid documents, the
early-warning rule set, and campaigns with their form versions) back. Every run is
recorded in ``replication_runs``. Credentials come from the URL's user
info or from ``HUB_USER``/``HUB_PASSWORD``, and never appear in a record,
a message or a log: only ``safe_url`` forms do.
"""

import datetime
import threading
import time
import traceback
import urllib.parse

from sync.errors import NotFound, GridvisitError
from sync.remote import RemoteDatabase, safe_url
from sync.replicator import Replication

from rules import ids

from server.jobs.runs import ReplicationRuns
from server.services import services

REFERENCE_FILTERS = ["type=grid,rules,campaign,form"]   # grids, the rule set, campaigns


def _auth_for(app, url):
    parts = urllib.parse.urlsplit(url)
    if parts.username:
        return None                               # RemoteDatabase reads the URL's own
    hub = app.config["HUB_URL"]
    if hub and urllib.parse.urlsplit(hub).netloc.split("@")[-1] == parts.netloc and \
            app.config["HUB_USER"]:
        return (app.config["HUB_USER"], app.config["HUB_PASSWORD"] or "")
    return None


def open_endpoint(app, spec, create=False):
    """``(database, label)`` for a URL or a local database name."""
    if spec.startswith(("http://", "https://")):
        db = RemoteDatabase(spec, auth=_auth_for(app, spec))
        if create:
            db.create()
        return db, safe_url(spec)
    store = services(app).store
    try:
        return store.get(spec), f"local:{spec}"
    except NotFound:
        if not create:
            raise
        return store.create(spec), f"local:{spec}"


def run(app, job, source, target, filters=(), continuous=False, progress=None,
        create_target=False):
    """Run one replication and record it; returns the statistics.

    :raises GridvisitError: when the run fails (it is recorded as failed first).
    """
    runs = services(app).runs
    src, src_label = open_endpoint(app, source)
    dst, dst_label = open_endpoint(app, target, create=create_target)
    run_id = runs.start(job, src_label, dst_label)
    replication = Replication(src, dst, doc_filter=ids.IdFilter.parse(list(filters)),
                              continuous=continuous, progress=progress)
    try:
        stats = replication.run()
    except KeyboardInterrupt:
        runs.finish(run_id, replication.stats, error="interrupted / 已中断",
                    status="interrupted")
        raise
    except GridvisitError as err:
        runs.finish(run_id, replication.stats, error=err.reason)
        raise
    except Exception as err:                      # a bug: record it, then surface it
        runs.finish(run_id, replication.stats, error=f"{type(err).__name__}: {err}")
        raise
    runs.finish(run_id, stats)
    return stats


def jobs(app):
    """The configured nightly jobs: ``[(name, source, target, filters)]``."""
    hub = app.config["HUB_URL"]
    if not hub:
        return []
    field = app.config["FIELD_DB"]
    return [("push-field-data", field, hub, []),
            ("pull-reference-data", hub, field, REFERENCE_FILTERS)]


def run_nightly(app, echo=print):
    """Run every nightly job; return True when all succeeded."""
    from server.jobs.retention import anonymise_old_visits
    years = app.config["VISIT_RETENTION_YEARS"]
    if years:
        echo(f"anonymise-visits: {anonymise_old_visits(app)} visits older than {years} "
             "years anonymised")
    configured = jobs(app)
    if not configured:
        echo("HUB_URL is not set: no nightly jobs / 未配置上级数据中心 (HUB_URL)")
        return True
    ok = True
    for name, source, target, filters in configured:
        try:
            stats = run(app, name, source, target, filters, create_target=False)
            echo(f"{name}: {stats['docs_written']} written, "
                 f"{stats['doc_write_failures']} failed")
            ok = ok and not stats["doc_write_failures"]
        except GridvisitError as err:
            echo(f"{name}: FAILED: {err.reason}")
            ok = False
    return carry_erasures(app, echo) and ok


def carry_erasures(app, echo=print):
    """Purge on the hub what erasures purged here (purges never replicate)."""
    from server.jobs.erasure import carry
    hub = app.config["HUB_URL"]
    db, label = open_endpoint(app, hub)
    try:
        count = carry(app, db, label)
    except GridvisitError as err:
        echo(f"carry-erasures: FAILED: {err.reason}")
        return False
    echo(f"carry-erasures: {count} erasures carried to the hub")
    return True


def _next_run(at, now):
    hour, minute = (int(part) for part in at.split(":"))
    moment = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return moment if moment > now else moment + datetime.timedelta(days=1)


def start_scheduler(app_factory, at):
    """Run the nightly jobs every day at ``at`` ("HH:MM", local time) in a thread."""
    def loop():
        while True:
            now = datetime.datetime.now()
            time.sleep(max(1.0, (_next_run(at, now) - now).total_seconds()))
            try:
                run_nightly(app_factory(), echo=lambda line: print(f"[nightly] {line}",
                                                                   flush=True))
            except Exception:                     # keep the schedule alive
                traceback.print_exc()
    thread = threading.Thread(target=loop, daemon=True, name="nightly")
    thread.start()
    return thread
