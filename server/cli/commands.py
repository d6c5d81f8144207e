"""The server's and the accounts' commands: ``serve``, ``create-db``, users,
grids and assignments, roster import, ``seed-demo``."""

import csv
import io
import os
import secrets
import sys
import unicodedata
from pathlib import Path

import click

from sync.errors import GridvisitError

from server.accounts.users import ROLES, AccountError
from server.cli.base import app_for, data_dir_option, main
from server.services import services


def _first_admin(app, data_dir):
    """On the very first start, make an admin so the server is usable."""
    accounts = services(app).accounts
    if accounts.count():
        return
    password = secrets.token_urlsafe(12)
    accounts.create("admin", password, "admin")
    note = Path(data_dir) / "initial-admin-password.txt"
    fd = os.open(note, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    click.echo(f"首次启动：已创建管理员账户 admin，密码 {password}\n"
               f"First start: created account 'admin' with password {password} "
               f"(also in {note}; change it with `gridvisit set-password admin`).")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int,
              help="Port to listen on (HTTPS when there is a certificate).")
@click.option("--http-port", default=None, type=int,
              help="Plain-HTTP port beside HTTPS: redirects, CA page (default: the HTTP_PORT "
                   "setting; 0: none).")
@click.option("--workers", default=None, type=int,
              help="Worker processes (default: the WORKERS setting).")
@click.option("--threads", default=None, type=int,
              help="Threads per worker (default: the THREADS setting).")
@data_dir_option
def serve(host, port, http_port, workers, threads, data_dir):
    """Run the server (gunicorn, threaded workers; HTTPS when it has a certificate)."""
    from server import create_app
    from server.ops import metrics, tls
    from server.wsgi import serve as run
    # Before any app: prometheus-client reads this once, when first imported.
    metrics.prepare_multiprocess(data_dir)
    from server.ops import migrations
    if Path(data_dir).is_dir():
        for rel, old, new in migrations.migrate(data_dir):
            click.echo(f"migrated {rel}: {old} → {new}")
    app = app_for(data_dir)
    _first_admin(app, data_dir)
    workers = workers or app.config["WORKERS"]
    threads = threads or app.config["THREADS"]
    pair = tls.cert_paths(app.config)
    http_port = app.config["HTTP_PORT"] if http_port is None else http_port
    scheme = "https" if pair else "http"
    click.echo(f"gridvisit serving {scheme}://{host}:{port}/couch/ "
               f"(data in {app.config['DATA_DIR']}, {workers}×{threads} threads)")
    plain = None
    if pair:
        click.echo(f"certificate {pair[0]}")
        if http_port:
            plain = (http_port, lambda: create_app({"DATA_DIR": str(data_dir),
                                                    "REDIRECT_TO_HTTPS_PORT": port}))
            click.echo(f"http://{host}:{http_port}/ redirects to HTTPS; "
                       f"CA page http://{host}:{http_port}/ca")
    services(app).store.close()
    if app.config["NIGHTLY_AT"]:
        from server.jobs.nightly import start_scheduler
        start_scheduler(lambda: create_app({"DATA_DIR": str(data_dir)}), app.config["NIGHTLY_AT"])
        click.echo(f"nightly replication at {app.config['NIGHTLY_AT']} to the hub")
    if app.config["BACKUP_AT"]:
        from server.ops import backup
        folder = backup.backup_folder(app.config["DATA_DIR"], app.config["BACKUP_DIR"])
        backup.start_schedule(app.config["DATA_DIR"], app.config["BACKUP_AT"], folder,
                              app.config["BACKUP_KEEP"])
        click.echo(f"backup at {app.config['BACKUP_AT']} into {folder}, "
                   f"keeping {app.config['BACKUP_KEEP']}")
    run(lambda: create_app({"DATA_DIR": str(data_dir)}), host, port,
        workers, threads, app.config["CHANGES_TIMEOUT"], tls=pair, plain=plain)


def _read_password(prompt):
    if sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=True)
    line = sys.stdin.readline()
    if not line:
        raise click.UsageError("no password on standard input")
    return line.rstrip("\r\n")


@main.command("create-user")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="worker", show_default=True)
@data_dir_option
def create_user(name, role, data_dir):
    """Create an account; the password is read from stdin or a prompt."""
    app = app_for(data_dir)
    password = _read_password(f"Password for {name}")
    services(app).accounts.create(name, password, role)
    click.echo(f"created {role} {name}")


@main.command("set-password")
@click.argument("name")
@data_dir_option
def set_password(name, data_dir):
    """Change an account's password (read from stdin or a prompt)."""
    app = app_for(data_dir)
    password = _read_password(f"New password for {name}")
    services(app).accounts.set_password(name, password)
    click.echo(f"password changed for {name}")


@main.command("create-db")
@click.argument("name")
@data_dir_option
def create_db(name, data_dir):
    """Create a database in the store."""
    services(app_for(data_dir)).store.create(name)
    click.echo(f"created database {name}")


def _fail(err):
    """A ClickException (message, exit status 1) for a user-facing error."""
    return click.ClickException(str(err))


def _target_options(func):
    func = click.option("--community", metavar="C", help="Community id (supervisors, hub).")(func)
    return click.option("--grid", metavar="G", help="Grid id (workers).")(func)


def _assign(name, grid, community, data_dir, remove):
    if (grid is None) == (community is None):
        raise click.UsageError("give exactly one of --grid or --community")
    app = app_for(data_dir)
    services(app).directory.assign(name, grid=grid, community=community, remove=remove)
    what = f"grid {grid}" if grid is not None else f"community {community}"
    click.echo(f"{name}: {'removed from' if remove else 'assigned to'} {what}")


@main.command()
@click.argument("name")
@_target_options
@data_dir_option
def assign(name, grid, community, data_dir):
    """Give an account a grid (workers) or a community (supervisors, hub)."""
    _assign(name, grid, community, data_dir, remove=False)


@main.command()
@click.argument("name")
@_target_options
@data_dir_option
def unassign(name, grid, community, data_dir):
    """Take a grid or a community away from an account."""
    _assign(name, grid, community, data_dir, remove=True)


def _set_active(name, data_dir, active):
    app = app_for(data_dir)
    services(app).accounts.set_active(name, active)
    click.echo(f"{name}: {'activated' if active else 'deactivated (cannot sign in or sync)'}")


@main.command()
@click.argument("name")
@data_dir_option
def deactivate(name, data_dir):
    """Stop an account from signing in or syncing (its data is kept)."""
    _set_active(name, data_dir, False)


@main.command()
@click.argument("name")
@data_dir_option
def activate(name, data_dir):
    """Let a deactivated account sign in again."""
    _set_active(name, data_dir, True)


def _width(text):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(rows):
    """Rows of strings as aligned columns (CJK characters count two)."""
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths))
                     .rstrip() for row in rows)


@main.command()
@data_dir_option
def users(data_dir):
    """List accounts: name, display name, role, active, grids or communities."""
    app = app_for(data_dir)
    directory = services(app).directory
    phone_of = services(app).accounts.phones()          # from SQLite or CouchDB
    rows = [("name", "display name", "role", "active", "grids / communities", "phone")]
    for user in services(app).accounts.list():
        if user.role == "worker":
            held = ", ".join(sorted(directory.grids_of(user))) or "-"
        elif user.role == "admin":
            held = "(all)"
        else:
            held = ", ".join(directory.communities_of(user)) or "-"
        rows.append((user.name, user.display_name or "-", user.role,
                     "yes" if user.is_active else "no", held, phone_of.get(user.id, "-")))
    click.echo(_table(rows))


def _open_private(path):
    """Create ``path`` for writing, readable only by its owner; refuse to overwrite."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise click.UsageError(f"--passwords-out: {path} exists already; choose a new file "
                               "(it may hold the passwords of an earlier import)")
    except OSError as err:
        raise click.UsageError(f"--passwords-out: cannot create {path} ({err.strerror})")
    return os.fdopen(fd, "w", encoding="utf-8", newline="")


@main.command("import-roster")
@click.argument("roster_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--passwords-out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write new accounts' passwords here as CSV (mode 0600), not to the screen.")
@data_dir_option
def import_roster(roster_csv, passwords_out, data_dir):
    """Import streets, communities, grids and accounts from a UTF-8 roster CSV."""
    from server.accounts import roster
    try:
        data = roster_csv.read_bytes()
    except OSError as err:
        raise click.UsageError(f"{roster_csv}: cannot read ({err.strerror})")
    try:
        entries = roster.parse(data)
    except roster.RosterError as err:
        raise _fail(f"{roster_csv}: 未导入任何内容 / nothing imported:\n" + str(err))
    app = app_for(data_dir)
    out = _open_private(passwords_out) if passwords_out else None
    report = None
    try:
        report = roster.import_roster(entries, services(app).accounts,
                                      services(app).directory)
    except (roster.RosterError, AccountError) as err:
        raise _fail(f"{roster_csv}: 未导入任何内容 / nothing imported:\n" + str(err))
    finally:
        if out and report is None:          # nothing imported: leave no empty file behind
            out.close()
            passwords_out.unlink()
    table = io.StringIO()
    csv.writer(table, lineterminator="\r\n" if out else "\n").writerows(
        [("account", "password"), *report.created])
    if out:
        with out:
            out.write(table.getvalue())
        click.echo(f"passwords of {len(report.created)} new accounts written to {passwords_out}")
    elif report.created:
        click.echo("新账户的密码只显示这一次 / Passwords of new accounts, shown only once:")
        click.echo(table.getvalue(), nl=False)
    click.echo(f"streets {report.streets}, communities {report.communities}, "
               f"grids {report.grids}; accounts created {len(report.created)}, "
               f"kept {report.existing}; assignments added {report.assigned}, "
               f"already in place {report.already}")
    try:
        copies = _notices_for_new_grids(app, report.new_grids)
    except GridvisitError as err:
        raise _fail(f"notices: 网格已导入，但未能补发通知 / the grids are imported, but their "
                    f"notices could not be copied: {err}")
    if copies:
        click.echo(f"notices: {len(copies)} copies of "
                   f"{len({doc['_id'].split(':', 2)[2] for doc in copies})} live notices "
                   f"given to the new grids")


def _notices_for_new_grids(app, grids):
    """Copy the live notices meant for newly imported ``grids`` (``{grid:
    community}``) into them, as the server itself (see ``notice_fanout``)."""
    from server.accounts.notice_fanout import catch_up
    ext, name = services(app), app.config["FIELD_DB"]
    if not grids or not ext.store.exists(name):
        return []
    return catch_up(ext.store.get(name), grids, ext.directory, ext.accounts, "system",
                    "import-roster")


@main.command("seed-demo")
@data_dir_option
def seed_demo(data_dir):
    """Seed a demo community (accounts, grids, households, visits) to try things out."""
    from server.cli import demo
    app = app_for(data_dir)
    try:
        seeded = demo.seed(app)
    except RuntimeError as err:
        raise _fail(err)
    click.echo(f"demo: {demo.COMMUNITY[1]} ({demo.COMMUNITY[0]}), grids "
               f"{', '.join(g for g, _n, _l in demo.GRIDS)}; documents written {seeded.written}, "
               f"already there {seeded.skipped} (database {app.config['FIELD_DB']})")
    rows = [("account", "password", "")]
    for name, made in seeded.accounts:
        rows.append((name, demo.password(name), "" if made else "(existed: password unchanged)"))
    click.echo("演示账户（仅供演示）/ demo accounts, for demos only:\n" + _table(rows))
    if demo.ADMIN[0] not in dict(seeded.accounts):
        click.echo("an admin account existed already, so no demo admin was made")
