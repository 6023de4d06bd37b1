"""Commands on the people who sign in: accounts for the web app, and API tokens for programs."""

from __future__ import annotations

import click

from certflow.cli.runtime import services_of


@click.group(help="People who sign in to the web app.")
def user() -> None:
    pass


@user.command("add", help="Create an account for USERNAME; the password is asked for twice and not shown.")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="the name people see, e.g. 周敏")
@click.option("--role", "roles", multiple=True, required=True,
              help="a role key, e.g. window_clerk, hospital, village, admin; repeat for more")
@click.option("--group", "groups", multiple=True,
              help="a group id, e.g. window, hospital-renmin, village-360483101209; repeat for more")
@click.option("--county", help="the area code of the county whose cases they read, e.g. 530323 "
                               "[default: the first code of CERTFLOW_JURISDICTION]")
@click.option("--province-wide", is_flag=True, help="an administrator of every county's cases")
@click.pass_context
def add_user(ctx: click.Context, username: str, display_name: str, roles: tuple[str, ...],
             groups: tuple[str, ...], county: str | None, province_wide: bool) -> None:
    from certflow.people.accounts import STAFF_ROLES

    services = services_of(ctx)
    # Checked before the password is typed, so a typo does not cost it.
    unknown_roles = [r for r in roles if r not in STAFF_ROLES]
    if unknown_roles:
        raise click.BadParameter(f"unknown role {', '.join(unknown_roles)}; one of {', '.join(STAFF_ROLES)}",
                                 param_hint="--role")
    known = {group.id for group in services.directory.all() if group.active}
    unknown_groups = [g for g in groups if g not in known]
    if unknown_groups:
        raise click.BadParameter(f"no such active group: {', '.join(unknown_groups)} (see 组织机构 in the web app)",
                                 param_hint="--group")
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    created = services.accounts.create(username, password, display_name=display_name, roles=roles, groups=groups,
                                       county=county, province_wide=province_wide)
    click.echo(f"created {created.username}")


@click.group(help="API tokens: a program calling /api/v1 sends one as `Authorization: Bearer <token>`.")
def token() -> None:
    pass


@token.command("issue", help="Issue an API token for USERNAME. It is printed once; only its hash is kept.")
@click.argument("username")
@click.option("--label", default="API", show_default=True, help="what the token is for, e.g. the program using it")
@click.pass_context
def issue_token(ctx: click.Context, username: str, label: str) -> None:
    from certflow.engine.errors import NotFound

    accounts = services_of(ctx).accounts
    account = accounts.by_username(username)
    if account is None or not account.active:
        raise NotFound(f"no active user {username}")
    click.echo(accounts.issue_token(account.id, label))


COMMANDS = (user, token)
