"""``certflow init-db``: the database's schema, and a new database's groups."""

from __future__ import annotations

import click

from certflow.bootstrap import build_services
from certflow.cli.runtime import runtime_of
from certflow.engine.db import upgrade


@click.command("init-db", help="Create or upgrade the database schema.")
@click.pass_context
def init_db(ctx: click.Context) -> None:
    runtime = runtime_of(ctx)
    upgrade(runtime.sessions.kw["bind"], runtime.settings.history_keys)
    seeded = build_services(runtime=runtime).seed_groups()  # a new database: the file's groups
    click.echo("database is up to date" + (f"; {seeded} group(s) from the groups file" if seeded else ""))


COMMANDS = (init_db,)
