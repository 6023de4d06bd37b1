"""``certflow init-db``: the database's schema, and a new database's county and groups."""

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
    counties, groups = services.seed()  # a new database: the configuration's county, the file's groups
    made = services.counties.get(settings.county) if counties else None
    click.echo("数据库已是最新" + (f"；按配置建了县（市）{made.name}（{made.code}）" if made else "")
               + (f"；从组织机构文件建了 {groups} 个组织机构" if groups else ""))


COMMANDS = (init_db,)
