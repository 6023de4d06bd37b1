"""``certflow demo``: demo people and cases in every state, and a partly worked exchange campaign."""

from __future__ import annotations

import click

from certflow.cli.campaign import load_county
from certflow.cli.runtime import services_of
from certflow.engine.specs import read_paths


@click.command(help="Load demo people (password: demo) and cases in every state into a new database, and an "
                    "invented roster of the county file's exchange campaign, partly worked. Not for production: "
                    "the password is public. Does nothing if anyone has an account.")
@click.pass_context
def demo(ctx: click.Context) -> None:
    from certflow.config import PROJECT_ROOT
    from certflow.demo.lushan import DEMO_PASSWORD, DEMO_USERS, load_demo
    from certflow.demo.shizong import CAMPAIGN_USERS, load_campaign_demo

    services = services_of(ctx)
    runtime, accounts = services.runtime, services.accounts
    if not runtime.processes():  # a database just created: the demo runs on the processes the project ships
        runtime.deploy(read_paths([PROJECT_ROOT / "processes", PROJECT_ROOT / "forms"]), author="demo")
        click.echo("deployed processes/ and forms/")
    cases = load_demo(services.sessions, runtime, accounts, services.registry.materials)
    if cases is None:
        click.echo("demo skipped: the database already has accounts")
        return
    county = load_county(None)
    holders = load_campaign_demo(services.sessions, runtime, accounts, county)
    click.echo(f"demo loaded: {len(cases)} cases ({cases[0]} to {cases[-1]}), {len(holders)} holders and new "
               f"applicants of {county.name}'s exchange campaign, and these people, password {DEMO_PASSWORD!r}:")
    for person in DEMO_USERS + CAMPAIGN_USERS:
        click.echo(f"  {person.username:<8} {person.role:<17} {person.group or ''}".rstrip())
    click.echo("demo data is not for production: set CERTFLOW_SECRET_KEY and create real people with "
               "`certflow user add` on a new database")


COMMANDS = (demo,)
