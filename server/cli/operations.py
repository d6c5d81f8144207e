"""Running a community's server: ``tls init`` (the community CA and the server
certificate for the LAN names and addresses), ``tls show``, ``doctor``, ``backup``,
``restore``, ``migrate`` and ``migrate-store`` (between the embedded store and CouchDB)."""

from pathlib import Path

import click

from server.ops import tls
from server.cli.base import data_dir_option, main


@main.group("tls")
def tls_group():
    """HTTPS for tablets on the LAN: the community CA and the server certificate."""


@tls_group.command("init")
@click.option("--name", "names", multiple=True,
              help="A LAN name tablets use, e.g. shijia.lan (repeatable).")
@click.option("--ip", "ips", multiple=True,
              help="An address tablets use, e.g. 192.168.1.10 (repeatable).")
@click.option("--community", default="community", show_default=True,
              help="Name written in the CA certificate, e.g. 石家社区.")
@click.option("--new-ca", is_flag=True,
              help="Replace the CA too (every tablet must then install the new one).")
@data_dir_option
def tls_init(names, ips, community, new_ca, data_dir):
    """Make the community CA (kept if present) and a server certificate (keys 0600)."""
    folder = tls.init(data_dir, list(names), list(ips), community=community, new_ca=new_ca)
    click.echo(f"证书已写入 / certificates written to {folder}")
    click.echo(tls.describe(folder / tls.SERVER_CERT))
    click.echo(f"CA SHA-256: {tls.fingerprint(folder / tls.CA_CERT)}")
    click.echo("下一步：重启 `gridvisit serve`，平板打开 http://<名称>:<HTTP_PORT>/ca 安装证书。\n"
               "Next: restart `gridvisit serve`; tablets open http://NAME:HTTP_PORT/ca "
               "to install the CA.")


@tls_group.command("show")
@data_dir_option
def tls_show(data_dir):
    """The certificate the server would serve: names, addresses, expiry, CA fingerprint."""
    from server.settings import load
    config = load({"DATA_DIR": str(data_dir)})
    pair = tls.cert_paths(config)
    if not pair:
        raise click.ClickException("没有证书：运行 `gridvisit tls init` / no certificate: "
                                   "run `gridvisit tls init`")
    click.echo(f"{pair[0]}\n{tls.describe(pair[0])}")
    ca = tls.tls_dir(data_dir) / tls.CA_CERT
    if ca.exists():
        click.echo(f"CA SHA-256: {tls.fingerprint(ca)}")


@main.command()
@data_dir_option
def doctor(data_dir):
    """Check the install (TLS, clock, disk, permissions, hub) and say what to fix."""
    from server.ops import doctor as checks
    from server.settings import load
    config = load({"DATA_DIR": str(Path(data_dir).resolve())})
    if not Path(config["DATA_DIR"]).is_dir():
        raise click.ClickException(f"没有数据目录 / no data folder: {config['DATA_DIR']}")
    findings = checks.run(config)
    for finding in findings:
        click.echo(finding.render())
    problems = sum(not f.ok for f in findings)
    click.echo(f"{problems} 个问题 / {problems} problem(s)")
    if problems:
        raise SystemExit(1)


@main.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@data_dir_option
def backup_command(dest, data_dir):
    """Back up every database and the keys into the new folder DEST, while serving."""
    from server.ops import backup
    manifest = backup.backup(data_dir, dest)
    click.echo(f"备份完成 / backed up {len(manifest['files'])} files to {dest} "
               f"({manifest['created']})")


@main.command("restore")
@click.argument("source", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--replace", is_flag=True,
              help="Move an existing data folder aside (never deleted) and restore in its place.")
@data_dir_option
def restore_command(source, replace, data_dir):
    """Restore the backup SOURCE as the data folder (stop the server first)."""
    from server.ops import backup
    aside = backup.restore(source, data_dir, replace=replace)
    if aside:
        click.echo(f"原数据目录已移到 / the old data folder is now {aside}")
    click.echo(f"已恢复 / restored {source} into {data_dir}; 平板下次同步时会重新上传备份之后的记录 / "
               "tablets push what they recorded since the backup at their next sync.")


@main.command()
@click.option("--check", is_flag=True, help="Only list what would be migrated (exit 1 if any).")
@data_dir_option
def migrate(check, data_dir):
    """Bring the data folder's files to this version's layout (serve does it too)."""
    from server.ops import migrations
    if check:
        todo = migrations.pending(data_dir)
        for rel, kind, version, target in todo:
            click.echo(f"{rel} ({kind}): {version} → {target}")
        click.echo(f"{len(todo)} 个文件待迁移 / {len(todo)} file(s) to migrate")
        if todo:
            raise SystemExit(1)
        return
    done = migrations.migrate(data_dir)
    for rel, old, new in done:
        click.echo(f"{rel}: {old} → {new}")
    click.echo(f"已迁移 {len(done)} 步 / {len(done)} step(s) migrated")


@main.command("migrate-store")
@click.option("--to", "direction", type=click.Choice(["couchdb", "embedded"]), required=True,
              help="couchdb: the data folder's databases into COUCHDB_URL; embedded: back.")
@data_dir_option
def migrate_store(direction, data_dir):
    """Copy every database between the data folder and CouchDB (COUCHDB_URL) with
    every revision tree, attachment and _local checkpoint, the accounts, grids and
    assignments, the audit log, the device tokens and the quarantine (stop the
    servers first)."""
    from rules import ids
    from server import create_app
    from server.access.couch_quarantine import CouchQuarantine
    from server.accounts.couch_audit import CouchAuditLog
    from server.accounts.couch_directory import CouchAccounts, CouchDirectory, DirectoryDocs
    from server.accounts.couch_tokens import CouchTokens
    from server.accounts.directory import copy_directory
    from server.services import services
    from server.settings import load
    from sync import Store
    from sync.couch import CouchStore
    from sync.migrate import copy_store
    config = load({"DATA_DIR": str(Path(data_dir).resolve())})
    if not config["COUCHDB_URL"]:
        raise click.ClickException("COUCHDB_URL: 未设置 / not set (GRIDVISIT_COUCHDB_URL)")
    # No resolver on either side: a conflict is copied as a conflict.
    embedded = Store(Path(config["DATA_DIR"]), partition=ids.grid_of)
    couch = CouchStore(config["COUCHDB_URL"], ids.grid_of, prefix=config["COUCHDB_PREFIX"])
    shown = {embedded: config["DATA_DIR"], couch: couch.server.shown}   # no password
    source, target = (embedded, couch) if direction == "couchdb" else (couch, embedded)
    try:
        copy_store(source, target, progress=lambda name, stats: click.echo(
            f"{name}: {stats['docs_written']} 个修订 / revisions, {stats['locals']} _local "
            f"({shown[source]} → {shown[target]})"))
        # The accounts (under their ids) and the device tokens too, so tablets
        # keep syncing without signing in again.
        app = create_app({"DATA_DIR": config["DATA_DIR"], "COUCHDB_URL": ""})
        local = services(app)
        docs = DirectoryDocs(couch.server, config["COUCHDB_PREFIX"])
        shared = CouchAccounts(docs, app.config["SECRET_KEY"])
        sides = [(local.accounts, local.directory),
                 (shared, CouchDirectory(local.serverdb, shared, docs))]
        giver, taker = sides if direction == "couchdb" else sides[::-1]
        click.echo(f"账户 / accounts: {copy_directory(giver, taker)}")
        shared_log = CouchAuditLog(couch.server, config["COUCHDB_PREFIX"])
        giver, taker = (local.audit, shared_log) if direction == "couchdb" \
            else (shared_log, local.audit)
        click.echo(f"审计日志 / audit log: {taker.absorb(giver.export())}")
        shared_tokens = CouchTokens(couch.server, config["COUCHDB_PREFIX"], lambda _id: None)
        giver, taker = (local.tokens, shared_tokens) if direction == "couchdb" \
            else (shared_tokens, local.tokens)
        click.echo(f"设备令牌 / device tokens: {taker.absorb(giver.export())}")
        shared_kept = CouchQuarantine(couch.server, config["COUCHDB_PREFIX"])
        giver, taker = (local.quarantine, shared_kept) if direction == "couchdb" \
            else (shared_kept, local.quarantine)
        click.echo(f"隔离区 / quarantine: {taker.absorb(giver.export())}")
    finally:
        embedded.close()
        couch.close()
