"""The one place where the project's errors end a command: a clear message on stderr and exit status 1 (2 for input
that was refused, as click's usage errors), and where click's refusals of a mistyped command line are put in
Chinese."""

from __future__ import annotations

import sys
from typing import Any

import click

from certflow.cli import wording
from certflow.engine.errors import CertflowError, DeploymentError, ValidationFailed


class ErrorReportingGroup(click.Group):
    """A command group whose commands' errors become one clear line (a list for validation and deployment) and
    exit status 1, or 2 when the input was refused. Subgroups need not be of this class: their commands run inside
    the top group's ``invoke``."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:  # the group's own options, e.g. a mistyped one
            raise wording.refused(error) from error

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            raise wording.refused(error) from error
        except ValidationFailed as error:  # wrong input, as a usage error is: exit status 2
            click.echo(f"错误：{error.header}：", err=True)
            for item in error.errors:
                click.echo(f"  {item.field or '整张表单'}：{item.message}", err=True)
            sys.exit(2)
        except DeploymentError as error:
            click.echo(f"错误：部署被拒绝，共 {len(error.problems)} 个问题：", err=True)
            for problem in error.problems:
                click.echo(f"  {problem}", err=True)
        except (CertflowError, click.ClickException) as error:
            click.echo(f"错误：{error}", err=True)
        except click.Abort:  # the password prompt given up with Ctrl-C or Ctrl-D
            click.echo("\n已取消", err=True)
        sys.exit(1)  # reached only after one of the errors above was reported
