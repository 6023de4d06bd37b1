"""How a command gets its services and its runtime: those around the runtime its caller gave as the context object
(the tests do), or else those built from the environment."""

from __future__ import annotations

import click

from certflow.bootstrap import Services, build_services
from certflow.engine.runtime import Runtime


def services_of(ctx: click.Context) -> Services:
    return build_services(runtime=ctx.obj if isinstance(ctx.obj, Runtime) else None)


def runtime_of(ctx: click.Context) -> Runtime:
    return ctx.obj if isinstance(ctx.obj, Runtime) else build_services().runtime
