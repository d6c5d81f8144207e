"""Command-line replication: ``replicate``, ``nightly``,
``replication-status`` and ``resolve-conflicts``."""

import signal

import click

from server.cli.base import app_for, data_dir_option, main
from server.services import services


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _stop_on_sigterm():
    """``kill`` (SIGTERM, as systemd and cron's timeouts send) ends a run the
    way Ctrl-C does: recorded as interrupted, resumable from its checkpoint."""
    signal.signal(signal.SIGTERM, _interrupt)


@main.command("resolve-conflicts")
@click.option("--db", "dbname", default=None, help="Database to sweep (default: the field db).")
@data_dir_option
def resolve_conflicts(dbname, data_dir):
    """Merge every conflicted household and request (e.g. after replicating in)."""
    from sync.errors import GridvisitError
    app = app_for(data_dir)
    name = dbname or app.config["FIELD_DB"]
    try:
        db = services(app).store.get(name)
    except GridvisitError as err:
        raise click.ClickException(f"{name}: {err.reason}")
    with click.progressbar(length=1, label=f"解决冲突 / resolving {name}",
                           show_pos=True, show_eta=True) as bar:
        def progress(done, total):
            bar.length = max(total, 1)
            bar.update(done - bar.pos)
        merged = db.resolve_all(progress)
    flagged = len(db.resolutions(flagged=True, limit=100000))
    click.echo(f"合并 {merged} 个文档 / merged {merged} documents; "
               f"{flagged} resolutions flagged for review in total")


def _progress_printer():
    """A one-line progress display: documents read and written, rate."""
    def show(stats):
        rate = stats["docs_read"] / stats["seconds"] if stats["seconds"] else 0
        pending = stats.get("pending")
        eta = f", ETA {pending / rate:.0f}s" if rate and isinstance(pending, int) else ""
        click.echo(f"\r读取 read {stats['docs_read']}  写入 written {stats['docs_written']}  "
                   f"失败 failed {stats['doc_write_failures']}  {rate:.0f} docs/s{eta}   ",
                   nl=False, err=True)
    return show


@main.command()
@click.argument("source")
@click.argument("target")
@click.option("--continuous", is_flag=True, help="Keep replicating new changes until stopped.")
@click.option("--filter", "filters", multiple=True, metavar="type=K[,K]|grid=G[,G]",
              help="Only these document types or grids (repeatable).")
@click.option("--create-target", is_flag=True, help="Create the target database if missing.")
@data_dir_option
def replicate(source, target, continuous, filters, create_target, data_dir):
    """Replicate SOURCE to TARGET: each a URL or a local database name."""
    from sync.errors import GridvisitError
    from server.jobs import nightly
    app = app_for(data_dir)
    _stop_on_sigterm()
    try:
        stats = nightly.run(app, "replicate", source, target, filters, continuous,
                            _progress_printer(), create_target)
    except GridvisitError as err:
        click.echo("", err=True)
        raise click.ClickException(f"复制失败 / replication failed: {err.reason}")
    except KeyboardInterrupt:
        raise click.ClickException("interrupted; the next run resumes from the checkpoint")
    click.echo("", err=True)
    click.echo(f"done: {stats['docs_written']} written, {stats['doc_write_failures']} failed, "
               f"{stats['missing_checked']} revisions checked in {stats['seconds']:.1f}s")
    if stats["doc_write_failures"]:
        raise SystemExit(2)


@main.command()
@data_dir_option
def nightly(data_dir):
    """Run the nightly jobs: push field data to HUB_URL, pull reference data."""
    from server.jobs import nightly as jobs
    app = app_for(data_dir)
    _stop_on_sigterm()
    try:
        ok = jobs.run_nightly(app, echo=click.echo)
    except KeyboardInterrupt:
        raise click.ClickException("interrupted; the next run resumes from the checkpoint")
    if not ok:
        raise SystemExit(1)


@main.command("replication-status")
@click.option("--limit", default=20, show_default=True)
@data_dir_option
def replication_status(limit, data_dir):
    """The latest replication runs, newest first."""
    import datetime
    runs = services(app_for(data_dir)).runs.recent(limit)
    if not runs:
        click.echo("no replication runs yet / 尚无复制记录")
        return
    for r in runs:
        when = datetime.datetime.fromtimestamp(r["started"]).strftime("%Y-%m-%d %H:%M:%S")
        took = f"{r['ended'] - r['started']:.1f}s" if r["ended"] else "…"
        click.echo(f"{when}  {r['job']:<20} {r['status']:<24} read {r['docs_read']:>6} "
                   f"written {r['docs_written']:>6} failed {r['failures']:>4}  {took}  "
                   f"{r['source']} → {r['target']}" + (f"\n    error: {r['error']}"
                                                      if r["error"] else ""))
