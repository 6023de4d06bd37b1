"""``certflow demo``: demo people and cases in every state, and a partly worked exchange campaign."""

from __future__ import annotations

import click

from certflow.cli import naming
from certflow.cli.campaign import load_county
from certflow.cli.runtime import services_of
from certflow.engine.specs import read_paths


@click.command(help="往新数据库里装演示数据：演示人员（密码 demo）、各种状态的案件，以及县配置文件中换证工作的"
                    "一份虚构名册（已办了一部分）。不能用于正式环境：密码是公开的。已有任何账号时什么也不做。")
@click.pass_context
def demo(ctx: click.Context) -> None:
    from certflow.config import PROJECT_ROOT
    from certflow.demo.lushan import DEMO_PASSWORD, DEMO_USERS, load_demo
    from certflow.demo.shizong import CAMPAIGN_USERS, load_campaign_demo

    services = services_of(ctx)
    runtime, accounts = services.runtime, services.accounts
    if not runtime.processes():  # a database just created: the demo runs on the processes the project ships
        runtime.deploy(read_paths([PROJECT_ROOT / "processes", PROJECT_ROOT / "forms"]), author="demo")
        click.echo("已部署 processes/ 和 forms/ 中的流程和表单")
    cases = load_demo(services.sessions, runtime, accounts, services.registry.materials)
    if cases is None:
        click.echo("没有装演示数据：数据库里已经有账号")
        return
    county = load_county(None)
    holders = load_campaign_demo(services.sessions, runtime, accounts, county)
    click.echo(f"演示数据已装好：案件 {len(cases)} 件（{cases[0]} 至 {cases[-1]}），{county.name}换证工作的持证人和"
               f"新申请人 {len(holders)} 人，以及下面这些人员，密码都是 {DEMO_PASSWORD}：")
    groups = services.directory.names()
    for person in DEMO_USERS + CAMPAIGN_USERS:
        click.echo(f"  {person.username:<8} {naming.role(person.role)}  {groups.get(person.group or '', '')}".rstrip())
    click.echo("演示数据不能用于正式环境：请设置 CERTFLOW_SECRET_KEY，在新数据库上用 certflow user add 建真实的人员")


COMMANDS = (demo,)
