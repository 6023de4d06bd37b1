"""``certflow init-db``: the database's schema, and a new database's groups."""

from __future__ import annotations

import click

from certflow.cli.runtime import services_of
from certflow.engine.db import upgrade


@click.command("init-db", help="新建数据库的表，或把它们升级到最新。")
@click.pass_context
def init_db(ctx: click.Context) -> None:
    services = services_of(ctx)
    settings = services.runtime.settings
    upgrade(services.database, settings.history_keys, settings.data_keys)
    seeded = services.seed_groups()  # a new database: the file's groups
    click.echo("数据库已是最新" + (f"；从组织机构文件建了 {seeded} 个组织机构" if seeded else ""))


COMMANDS = (init_db,)
