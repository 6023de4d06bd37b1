"""The ``certflow`` command: drive cases from a terminal.

``main`` gathers the commands, one module per group of them; the project's errors end any of them in one
place (``errors``), and every command gets its services and runtime through one module (``runtime``).
"""

from __future__ import annotations

import click

from certflow.cli import campaign, cases, database, demo, deployments, history, lanes, operations, people
from certflow.cli.errors import ErrorReportingGroup
from certflow.engine.runtime import Runtime


@click.group(cls=ErrorReportingGroup,
             help="certflow: disability-certificate workflows. DATABASE_URL selects the database "
                  "(default: SQLite in instance/certflow.db).")
@click.pass_context
def main(ctx: click.Context) -> None:
    if not isinstance(ctx.obj, Runtime):  # ensure_object would replace a runtime given by the caller
        ctx.ensure_object(dict)


for module in (database, deployments, cases, history, operations, people, lanes, campaign, demo):
    for command in module.COMMANDS:
        main.add_command(command)
