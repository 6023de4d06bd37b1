"""Commands that work cases: start one, list and work its tasks, send it a message, fire due timers, cancel it,
and show it."""

from __future__ import annotations

import json
from datetime import datetime

import click

from certflow.cli import naming
from certflow.cli.jsonio import json_arg, print_json
from certflow.cli.runtime import runtime_of
from certflow.engine.outcomes import OUTCOMES

_DATA_HELP = "JSON 对象，或 @文件.json 从文件读取"


@click.command(help="按流程 KEY（流程代号）新建一个案件，打印案件编号。")
@click.argument("key")
@click.option("--data", "data", required=True, help=f"申请数据：{_DATA_HELP}")
@click.option("--user", default="cli", show_default=True, help="记入案件历史的操作人")
@click.pass_context
def start(ctx: click.Context, key: str, data: str, user: str) -> None:
    click.echo(runtime_of(ctx).start_case(key, json_arg(data), actor=user))


@click.command(help="列出任务（待办、已办或已取消），可按角色、组织机构、案件、认领人筛选。")
@click.option("--role", help="角色代号，如 window_clerk")
@click.option("--group", help="组织机构编号，如 window")
@click.option("--case", "case", help="案件编号")
@click.option("--assignee", help="认领人的用户名")
@click.option("--status", default="open", show_default=True, type=click.Choice(["open", "completed", "cancelled"]),
              help="open 待办，completed 已办，cancelled 已取消")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出，供程序读取")
@click.pass_context
def tasks(ctx: click.Context, role: str | None, group: str | None, case: str | None,
          assignee: str | None, status: str, as_json: bool) -> None:
    rows = runtime_of(ctx).tasks(role=role, group=group, case=case, assignee=assignee, status=status)
    if as_json:
        print_json(rows)
        return
    group_name = naming.group_namer(ctx)
    for row in rows:
        due = f"  期限 {row['due_at'][:10]}" if row["due_at"] else ""
        who = f"，{row['assignee']} 已认领" if row["assignee"] else ""
        click.echo(f"{row['id']}  {row['case']}  {row['title']}  "
                   f"（{naming.offered_to(row, group_name)}{who}）{due}")
    if not rows:
        click.echo("没有任务", err=True)


@click.command(help="提交任务 TASK（任务编号）的表单数据，办完这一步。")
@click.argument("task")
@click.option("--user", required=True, help="办理人的用户名")
@click.option("--data", "data", default="{}", help=f"表单数据：{_DATA_HELP}")
@click.pass_context
def complete(ctx: click.Context, task: str, user: str, data: str) -> None:
    number = runtime_of(ctx).complete_task(task, json_arg(data), actor=user)
    click.echo(f"已办理；案件 {number}")


@click.command(help="由 --user 认领任务 TASK，别人就不能再办。")
@click.argument("task")
@click.option("--user", required=True, help="认领人的用户名")
@click.pass_context
def claim(ctx: click.Context, task: str, user: str) -> None:
    runtime_of(ctx).claim(task, actor=user)
    click.echo(f"已由 {user} 认领")


@click.command(help="取消认领任务 TASK，把它退回组织机构的待办。")
@click.argument("task")
@click.option("--user", required=True, help="认领人的用户名")
@click.pass_context
def unclaim(ctx: click.Context, task: str, user: str) -> None:
    runtime_of(ctx).unclaim(task, actor=user)
    click.echo("已取消认领")


@click.command(help="把消息 NAME（如 objection 异议、materials_supplied 补交材料）送达案件 CASE。")
@click.argument("case")
@click.argument("name")
@click.option("--data", "data", default="{}", help=f"消息附带的数据：{_DATA_HELP}")
@click.option("--user", default="cli", show_default=True, help="记入案件历史的操作人")
@click.option("--queue", is_flag=True, help="交给后台进程送达：失败时自动重试，仍失败则记为故障")
@click.pass_context
def message(ctx: click.Context, case: str, name: str, data: str, user: str, queue: bool) -> None:
    runtime = runtime_of(ctx)
    if queue:
        click.echo(f"已排队等候送达，后台作业编号 {runtime.queue_message(case, name, json_arg(data), actor=user)}")
        return
    click.echo(f"已送达；案件 {runtime.send_message(case, name, json_arg(data), actor=user)}")


@click.command(help="触发所有已到期的定时；--now 指定当前时间（ISO 8601 格式，带时区）。")
@click.option("--now", "now", help="如 2026-10-14T00:05:00+08:00")
@click.pass_context
def tick(ctx: click.Context, now: str | None) -> None:
    at = None
    if now:
        try:
            at = datetime.fromisoformat(now)
        except ValueError as error:
            raise click.BadParameter("不是时间，应写成 2026-10-14T00:05:00+08:00 这样", param_hint="--now") from error
        if at.tzinfo is None:
            raise click.BadParameter("请写上时区，如 +08:00", param_hint="--now")
    moved = runtime_of(ctx).tick(at)
    click.echo(f"{len(moved)} 个案件往下办理了" + ("：" + "、".join(moved) if moved else ""))


@click.command(help="撤销案件 CASE（不可恢复），写明原因：它的待办任务和故障一并关闭。")
@click.argument("case")
@click.option("--reason", required=True, help="撤销的原因，记入案件历史")
@click.option("--user", required=True, help="撤销人的用户名")
@click.pass_context
def cancel(ctx: click.Context, case: str, reason: str, user: str) -> None:
    runtime_of(ctx).cancel_case(case, reason, actor=user)
    click.echo(f"{case}：已撤销")


@click.command(help="查看案件 CASE：状态、待办任务、在等什么、数据和发出的短信。")
@click.argument("case")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出，供程序读取")
@click.pass_context
def show(ctx: click.Context, case: str, as_json: bool) -> None:
    runtime = runtime_of(ctx)
    view = runtime.case(case)
    messages = runtime.outbox(case)
    if as_json:
        print_json({**view, "messages": messages})
        return
    click.echo(f"{view['number']}  {naming.process_namer(ctx)(view['process'])} v{view['version']}  "
               f"{naming.STATUSES.get(view['status'], view['status'])}"
               + (f"（{OUTCOMES.get(view['outcome'], view['outcome'])}）" if view["outcome"] else ""))
    click.echo("申请人：" + " ".join(v for v in (view["applicant_name"], view["id_masked"]) if v))
    if view["status"] == "error":
        click.echo(f"自动处理失败，案件暂停：用 certflow incident list --case {view['number']} 查看")
    if view["current_step"]:
        click.echo(f"当前：{view['current_step']}")
    group_name = naming.group_namer(ctx)
    for task in view["open_tasks"]:
        click.echo(f"  任务 {task['id']}  {task['title']}  （{naming.offered_to(task, group_name)}）")
    for waiting in view["waiting"]:
        value = waiting["value"]  # a timer's moment, or a message's correlation as JSON
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False) if value else ""
        click.echo(f"  等待：{waiting['label'] or waiting['name'] or '未命名的事件'} {shown}".rstrip())
    for note in messages:
        to = note["recipient_phone"] or group_name(note["recipient_group"])
        click.echo(f"  短信 → {naming.role(note['recipient_role'])} {to}：{note['text']}")


COMMANDS = (start, tasks, complete, claim, unclaim, message, tick, cancel, show)
