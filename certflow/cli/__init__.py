"""The ``certflow`` command: drive cases from a terminal.

``main`` gathers the commands, one module per group of them; the project's errors end any of them in one
place (``errors``), and every command gets its services and runtime through one module (``runtime``).
"""

from __future__ import annotations

import click

from certflow.cli import (
    backups,
    campaign,
    cases,
    counties,
    database,
    demo,
    deployments,
    history,
    lanes,
    operations,
    people,
)
from certflow.cli.errors import ErrorReportingGroup
from certflow.cli.wording import in_chinese
from certflow.engine.runtime import Runtime
from certflow.engine.scope import PROVINCE_WIDE, county_scope


@click.group(cls=ErrorReportingGroup, context_settings={"help_option_names": ["-h", "--help"]},
             help="certflow：残疾人证办理流程的命令行。环境变量 DATABASE_URL 指定数据库"
                  "（默认：instance/certflow.db 中的 SQLite 数据库）。")
@click.pass_context
def main(ctx: click.Context) -> None:
    # Every command is the federation's own work on every county (the worker, imports, backups, the demo): the
    # database's row-level security lets it reach every row.
    ctx.with_resource(county_scope(PROVINCE_WIDE))
    if not isinstance(ctx.obj, Runtime):  # ensure_object would replace a runtime given by the caller
        ctx.ensure_object(dict)


for module in (database, deployments, cases, history, operations, people, counties, lanes, campaign, demo,
               backups):
    for command in module.COMMANDS:
        main.add_command(command)
in_chinese(main)
