"""Commands on the people who sign in: accounts for the web app, and API tokens for programs."""

from __future__ import annotations

import click

from certflow.cli.runtime import services_of


@click.group(help="登录网页的人员账号。")
def user() -> None:
    pass


@user.command("add", help="为用户名 USERNAME 建账号；密码要输入两次，不显示。")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="别人看到的姓名，如 周敏")
@click.option("--role", "roles", multiple=True, required=True,
              help="角色代号，如 window_clerk、hospital、village、admin；多个角色就写多次")
@click.option("--group", "groups", multiple=True,
              help="组织机构编号，如 window、hospital-renmin、village-360483101209；多个就写多次")
@click.option("--county", help="能看哪个县的案件，写行政区划代码，如 530323；"
                               "不写时为 CERTFLOW_JURISDICTION 的第一个代码")
@click.option("--province-wide", is_flag=True, help="全省各县案件的管理员")
@click.pass_context
def add_user(ctx: click.Context, username: str, display_name: str, roles: tuple[str, ...],
             groups: tuple[str, ...], county: str | None, province_wide: bool) -> None:
    from certflow.engine.roles import ROLES
    from certflow.people.accounts import STAFF_ROLES

    services = services_of(ctx)
    # Checked before the password is typed, so a typo does not cost it.
    unknown_roles = [r for r in roles if r not in STAFF_ROLES]
    if unknown_roles:
        offered = "、".join(f"{key}（{ROLES.get(key, key)}）" for key in STAFF_ROLES)
        raise click.BadParameter(f"没有角色 {'、'.join(unknown_roles)}；可选：{offered}", param_hint="--role")
    known = {group.id for group in services.directory.all() if group.active}
    unknown_groups = [g for g in groups if g not in known]
    if unknown_groups:
        raise click.BadParameter(f"没有在用的组织机构 {'、'.join(unknown_groups)}（见网页上的“组织机构”）",
                                 param_hint="--group")
    password = click.prompt("密码", hide_input=True)
    if click.prompt("再输入一次密码", hide_input=True) != password:
        raise click.ClickException("两次输入的密码不一致，账号没有建")
    created = services.accounts.create(username, password, display_name=display_name, roles=roles, groups=groups,
                                       county=county, province_wide=province_wide)
    click.echo(f"已建账号 {created.username}")


@click.group(help="API 令牌：调用 /api/v1 的程序在请求头里带上 Authorization: Bearer 令牌。")
def token() -> None:
    pass


@token.command("issue", help="为用户名 USERNAME 发一个 API 令牌。令牌只打印这一次，系统只保存它的哈希。")
@click.argument("username")
@click.option("--label", default="API", show_default=True, help="令牌的用途，如使用它的程序")
@click.pass_context
def issue_token(ctx: click.Context, username: str, label: str) -> None:
    from certflow.engine.errors import NotFound

    accounts = services_of(ctx).accounts
    account = accounts.by_username(username)
    if account is None or not account.active:
        raise NotFound(f"没有在用的用户 {username}")
    click.echo(accounts.issue_token(account.id, label))


COMMANDS = (user, token)
