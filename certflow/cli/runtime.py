"""How a command gets its runtime: the one its caller gave as the context object (the tests do), or else one
built from the environment."""

from __future__ import annotations

import click

from certflow.bootstrap import build_services
from certflow.engine.runtime import Runtime


def runtime_of(ctx: click.Context) -> Runtime:
    return ctx.obj if isinstance(ctx.obj, Runtime) else build_services().runtime
