"""``certflow init-db``: the database's schema, and a new database's groups."""

from __future__ import annotations

import click

from certflow.cli.runtime import services_of
from certflow.engine.db import upgrade


@click.command("init-db", help="Create or upgrade the database schema.")
@click.pass_context
def init_db(ctx: click.Context) -> None:
    services = services_of(ctx)
    upgrade(services.database, services.runtime.settings.history_keys)
    seeded = services.seed_groups()  # a new database: the file's groups
    click.echo("database is up to date" + (f"; {seeded} group(s) from the groups file" if seeded else ""))


COMMANDS = (init_db,)
