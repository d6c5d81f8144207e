"""The ``gridvisit`` command line.

Every command takes ``--data-dir`` (default ``./instance``, or the
``GRIDVISIT_DATA_DIR`` environment variable), so several servers can run
side by side on one machine.
"""

import os
import secrets
import sys
from pathlib import Path

import click

from . import __version__
from .accounts import ROLES, AccountError


def _data_dir_option(func):
    return click.option(
        "--data-dir", type=click.Path(file_okay=False, path_type=Path),
        default=lambda: os.environ.get("GRIDVISIT_DATA_DIR", "instance"),
        show_default="./instance or $GRIDVISIT_DATA_DIR",
        help="Directory holding the databases and accounts.")(func)


def _app(data_dir):
    from . import create_app
    return create_app({"DATA_DIR": str(data_dir)})


@click.group()
@click.version_option(version=__version__, prog_name="gridvisit")
def main():
    """gridvisit: offline-first door-knock visits, synced like CouchDB."""


def _first_admin(app, data_dir):
    """On the very first start, make an admin so the server is usable."""
    accounts = app.extensions["gridvisit.accounts"]
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
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=None, type=int,
              help="Worker processes (default: the WORKERS setting).")
@click.option("--threads", default=None, type=int,
              help="Threads per worker (default: the THREADS setting).")
@_data_dir_option
def serve(host, port, workers, threads, data_dir):
    """Run the server (gunicorn, threaded workers)."""
    from . import create_app
    from .wsgi import serve as run
    app = _app(data_dir)
    _first_admin(app, data_dir)
    workers = workers or app.config["WORKERS"]
    threads = threads or app.config["THREADS"]
    click.echo(f"gridvisit serving http://{host}:{port}/couch/ "
               f"(data in {app.config['DATA_DIR']}, {workers}×{threads} threads)")
    app.extensions["gridvisit.store"].close()
    run(lambda: create_app({"DATA_DIR": str(data_dir)}), host, port, workers, threads,
        app.config["CHANGES_TIMEOUT"])


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
@_data_dir_option
def create_user(name, role, data_dir):
    """Create an account; the password is read from stdin or a prompt."""
    app = _app(data_dir)
    password = _read_password(f"Password for {name}")
    try:
        app.extensions["gridvisit.accounts"].create(name, password, role)
    except AccountError as err:
        raise click.ClickException(str(err))
    click.echo(f"created {role} {name}")


@main.command("set-password")
@click.argument("name")
@_data_dir_option
def set_password(name, data_dir):
    """Change an account's password (read from stdin or a prompt)."""
    app = _app(data_dir)
    password = _read_password(f"New password for {name}")
    try:
        app.extensions["gridvisit.accounts"].set_password(name, password)
    except AccountError as err:
        raise click.ClickException(str(err))
    click.echo(f"password changed for {name}")


@main.command("create-db")
@click.argument("name")
@_data_dir_option
def create_db(name, data_dir):
    """Create a database in the store."""
    from sync.errors import SyncError
    app = _app(data_dir)
    try:
        app.extensions["gridvisit.store"].create(name)
    except SyncError as err:
        raise click.ClickException(err.reason)
    click.echo(f"created database {name}")
