"""Commands on people: accounts for the web app, API tokens for programs, and what is held about a person."""

from __future__ import annotations

import os
from pathlib import Path

import click

from certflow.cli.runtime import runtime_of, services_of

DRAFTS_BATCH = 500  # rows per transaction: a long backlog does not hold one transaction open


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
@click.option("--province-wide", is_flag=True,
              help="属于全省而非某个县：全省各县案件的管理员，或省残联人员（角色 province）")
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


@click.group(help="一个人在本系统中的个人信息（个人信息保护法第四十四、四十五条）。")
def person() -> None:
    pass


@person.command("export", help="导出身份证号码为 ID_NUMBER 的人在本系统中的全部个人信息：案件及其历史、"
                               "作为监护人（代办人）代为申请的案件及其历史、换证台账、"
                               "发给他的短信、交来的文件清单、进度查询验证码、谁查看过他的完整个人信息。"
                               "导出记入安全日志和他每个案件的历史。")
@click.argument("id_number")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path),
              help="写入的文件：以 .zip 结尾写成压缩包（含说明），否则写成 JSON；不写时以 JSON 打印")
@click.option("--user", required=True, help="导出人的用户名，记入安全日志")
@click.pass_context
def export_person(ctx: click.Context, id_number: str, out: Path | None, user: str) -> None:
    from certflow import personal
    from certflow.engine.privacy import mask_id
    from certflow.engine.residentid import InvalidNumber, validated

    try:
        number = validated(id_number)
    except InvalidNumber as error:
        raise click.BadParameter(str(error), param_hint="ID_NUMBER") from error
    data = personal.export(services_of(ctx), number, actor=user)
    if out is None:
        click.echo(personal.as_json(data).decode())
        return
    # Readable by its owner only: it holds the person's ID number and health data in full.
    with os.fdopen(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as file:
        file.write(personal.as_zip(data) if out.suffix.lower() == ".zip" else personal.as_json(data))
    guarded = f"，作为监护人的 {len(data['guarded'])} 个案件" if data["guarded"] else ""
    click.echo(f"已把 {mask_id(number)} 的个人信息（{len(data['cases'])} 个案件{guarded}）写入 {out}")


@person.command("erase", help="删除身份证号码为 ID_NUMBER 的人已超过保存期限的案件中的个人信息"
                              "（个人信息保护法第四十七条）：姓名、身份证号码、电话、地址、监护人信息、鉴定结论等文字、短信和上传的文件。"
                              "案件的流程、所属县、状态、办理结果和日期保留，统计数字不变；删除记入案件历史，"
                              "核对历史时显示为已删除而不是被篡改。未办结或办结未满保存期限"
                              "（CERTFLOW_RETENTION_YEARS）的案件不删除，并说明原因。")
@click.argument("id_number")
@click.option("--dry-run", is_flag=True, help="只列出会删除哪些案件、改动多少条记录，什么也不改")
@click.option("--user", required=True, help="执行删除的管理员用户名，记入案件历史")
@click.pass_context
def erase_person(ctx: click.Context, id_number: str, dry_run: bool, user: str) -> None:
    from certflow.engine.privacy import mask_id
    from certflow.engine.residentid import InvalidNumber, validated

    try:
        number = validated(id_number)
    except InvalidNumber as error:
        raise click.BadParameter(str(error), param_hint="ID_NUMBER") from error
    runtime = runtime_of(ctx)
    erasable, kept = runtime.retention_for_person(runtime.case_numbers_for_applicant(number))
    if not erasable and not kept:
        click.echo(f"没有以 {mask_id(number)} 办理的案件")
        return
    _erase(ctx, erasable, user, "本人要求删除，保存期限已满", dry_run)
    for case in kept:
        click.echo(f"{case.number}：未删除，{case.why}")


@click.group(help="个人信息的保存期限（个人信息保护法第四十七条）：办结或撤销超过 CERTFLOW_RETENTION_YEARS 年"
                  "（默认 10 年）的案件，删除其中的个人信息。")
def retention() -> None:
    pass


@retention.command("run", help="删除所有办结或撤销（含不予办理）已超过保存期限的案件中的个人信息，"
                               "保留流程、所属县、状态、办理结果和日期；每个案件的删除记入其历史。可由定时任务每天运行。")
@click.option("--dry-run", is_flag=True, help="只列出会删除哪些案件，什么也不改")
@click.option("--user", default="system", show_default=True, help="记入案件历史的执行人")
@click.pass_context
def run_retention(ctx: click.Context, dry_run: bool, user: str) -> None:
    runtime = runtime_of(ctx)
    numbers = runtime.retention_due()
    years = runtime.settings.retention_years
    if not numbers:
        click.echo(f"没有办结超过 {years} 年而未删除个人信息的案件")
        return
    _erase(ctx, numbers, user, f"保存期限（办结后 {years} 年）已满", dry_run)


@retention.command("drafts", help="删除在线申请时已选择上传、但超过 CERTFLOW_UPLOAD_DRAFT_HOURS 小时（默认 24 小时）"
                                  "仍未随申请提交的文件；同样内容的文件仍被案件或其他未提交的选择使用时，文件本身保留。"
                                  "运行中的后台工作每 10 分钟也会做一次。")
@click.pass_context
def remove_drafts(ctx: click.Context) -> None:
    runtime = runtime_of(ctx)
    total = 0
    while removed := runtime.remove_old_drafts(limit=DRAFTS_BATCH):
        total += removed
    hours = runtime.settings.upload_draft_hours
    click.echo(f"删除了 {total} 个超过 {hours} 小时未随申请提交的文件")


def _erase(ctx: click.Context, numbers: list[str], user: str, basis: str, dry_run: bool) -> None:
    from certflow.engine.errors import InvalidState

    runtime = runtime_of(ctx)
    count = 0
    for number in numbers:
        try:
            done = runtime.erase_personal_data(number, actor=user, basis=basis, dry_run=dry_run)
        except InvalidState as error:  # erased or changed by someone else since it was listed
            click.echo(str(error))
            continue
        count += 1
        what = f"{done.events} 条历史记录、{done.files} 个文件、{done.texts} 条短信"
        ended = done.ended_at.date().isoformat()
        click.echo(f"{number}（{ended} 结束）：{'将删除' if dry_run else '已删除'}个人信息，涉及 {what}")
    if dry_run:
        click.echo(f"共 {count} 个案件将删除个人信息；这是试运行，什么也没有改")
    else:
        click.echo(f"共删除了 {count} 个案件的个人信息")


COMMANDS = (user, token, person, retention)
