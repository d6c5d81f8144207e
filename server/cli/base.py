"""The ``gridvisit`` command group and what every command shares.

Every command takes ``--data-dir`` (default ``./instance``, or the
``GRIDVISIT_DATA_DIR`` environment variable), so several servers can run
side by side on one machine.
"""

import os
from pathlib import Path

import click

from server.version import __version__
from sync.errors import GridvisitError


def data_dir_option(func):
    """The ``--data-dir`` option, shared by every command."""
    return click.option(
        "--data-dir", type=click.Path(file_okay=False, path_type=Path),
        default=lambda: os.environ.get("GRIDVISIT_DATA_DIR", "instance"),
        show_default="./instance or $GRIDVISIT_DATA_DIR",
        help="Directory holding the databases and accounts.")(func)


def app_for(data_dir):
    """The app over ``data_dir``, for a command to use its services."""
    from server import create_app
    return create_app({"DATA_DIR": str(data_dir)})


class Commands(click.Group):
    """The command group: a gridvisit error ends a command with its reason (exit 1)."""

    def invoke(self, ctx):
        """Run the command; its reason, not a traceback, when it raises a gridvisit error."""
        try:
            return super().invoke(ctx)
        except GridvisitError as err:
            raise click.ClickException(err.reason) from None


@click.group(cls=Commands)
@click.version_option(version=__version__, prog_name="gridvisit")
def main():
    """gridvisit: offline-first door-knock visits, synced like CouchDB."""
