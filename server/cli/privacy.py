"""Residents' personal data on the command line: ``erase`` (erasure on request)
and ``erasures`` (the record of them, which holds no personal data)."""

import json

import click

from server.cli.base import app_for, data_dir_option, main


@main.command()
@click.argument("household")
@click.option("--member", default=None, help="Erase this member only (a member id).")
@click.option("--reason", required=True, help="Why (e.g. the resident's request and its date).")
@click.option("--by", "by", required=True, help="The admin account that erases.")
@data_dir_option
def erase(household, member, reason, by, data_dir):
    """Erase a household's (or one member's) personal data everywhere on this server."""
    from sync.errors import GridvisitError
    from server.jobs.erasure import erase as do_erase
    from server.services import services
    app = app_for(data_dir)
    account = services(app).accounts.by_name(by)
    if account is None or not account.is_admin:
        raise click.ClickException(f"--by: {by} 不是管理员 / is not an admin account")
    try:
        record = do_erase(app, by, household, member, reason)
    except GridvisitError as err:
        raise click.ClickException(err.reason)
    click.echo(f"已删除 / erased: {len(record['purged'])} purged, "
               f"{len(record['rewritten'])} rewritten (erasure #{record['id']}); "
               "the nightly job carries it to the hub")


@main.command()
@data_dir_option
def erasures(data_dir):
    """The erasure record: who erased what, when and why (ids only)."""
    from server.jobs.erasure import Erasures
    from server.services import services
    for row in Erasures(services(app_for(data_dir)).serverdb).list():
        click.echo(json.dumps(row, ensure_ascii=False, sort_keys=True))
