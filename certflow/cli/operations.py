"""Commands for the people who run certflow: the background worker, incidents, and the report of stuck work."""

from __future__ import annotations

import click

from certflow.cli import naming
from certflow.cli.jsonio import json_arg, print_json
from certflow.cli.runtime import runtime_of


@click.command(help="运行后台工作，直到被停止（SIGTERM、SIGINT）：触发到期的定时、投递排队的消息、"
                    "发出待发的短信（短信网关见 CERTFLOW_SMS_GATEWAY）。用 PostgreSQL 时可以同时运行多个。")
@click.option("--once", is_flag=True, help="只做一轮到期的工作，然后退出")
@click.option("--interval", default=5.0, show_default=True,
              help="没有工作时最多等待的秒数（PostgreSQL 上有新工作时会立即被唤醒）")
@click.pass_context
def worker(ctx: click.Context, once: bool, interval: float) -> None:
    from certflow import logs, notify
    from certflow.config import Config
    from certflow.worker import Worker

    config = Config.from_env()
    config.check()
    logs.configure()
    runner = Worker(runtime_of(ctx), notify.sender(notify.load_gateway(config.sms_gateway)), interval,
                    config.worker_listen_url)
    if once:
        click.echo(f"完成或尝试了 {runner.run_once()} 项工作")
    else:
        runner.run()


@click.group(help="故障：案件的自动处理（定时、排队的消息、短信）每次尝试都失败了。")
def incident() -> None:
    pass


@incident.command("list", help="列出未处理的故障，新的在前。")
@click.option("--all", "all_incidents", is_flag=True, help="已处理的故障也列出")
@click.option("--case", "case", help="只列这个案件编号的故障")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出，供程序读取")
@click.pass_context
def list_incidents(ctx: click.Context, all_incidents: bool, case: str | None, as_json: bool) -> None:
    rows = runtime_of(ctx).incidents(status=None if all_incidents else "open", case_ref=case)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        state = ("未处理" if row["status"] == "open"
                 else f"{naming.RESOLUTIONS.get(row['resolution'] or '', row['resolution'])}（{row['resolved_by']}）")
        click.echo(f"{row['case']}  {naming.INCIDENT_KINDS.get(row['kind'], row['kind'])}  {row['step'] or '？'}  "
                   f"试了 {row['attempts']} 次  {state}  {row['opened_at'][:19]}\n    {row['message']}")
    if not rows:
        click.echo("没有故障", err=True)


@incident.command("fix", help="重试之前更正案件 CASE 的数据；更正记入案件历史。")
@click.argument("case")
@click.option("--data", "data", required=True,
              help='要改的字段，JSON 对象或 @文件.json 从文件读取，如 {"phone": "13800000000"}')
@click.option("--user", required=True, help="更正人的用户名")
@click.pass_context
def fix_incident(ctx: click.Context, case: str, data: str, user: str) -> None:
    runtime_of(ctx).fix_incident(case, json_arg(data), actor=user)
    click.echo(f"{case}：数据已更正；用 certflow incident retry {case} 重试")


@incident.command("retry", help="现在重试案件 CASE 失败的自动处理；再次失败时退出码为 1。")
@click.argument("case")
@click.option("--user", required=True, help="重试人的用户名")
@click.pass_context
def retry_incident(ctx: click.Context, case: str, user: str) -> None:
    runtime_of(ctx).retry_incident(case, actor=user)
    click.echo(f"{case}：重试成功，继续办理")


@click.group(help="给运维人员的报告。")
def report() -> None:
    pass


@report.command("stuck", help="列出自己动不了的办理中案件（没有待办任务、定时或排队的消息），以及超过期限的待办任务。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出，供程序读取")
@click.pass_context
def report_stuck(ctx: click.Context, as_json: bool) -> None:
    found = runtime_of(ctx).stuck()
    if as_json:
        print_json(found)
        return
    process_name, group_name = naming.process_namer(ctx), naming.group_namer(ctx)
    click.echo(f"自己动不了的案件 {len(found['cases'])} 个：")
    for row in found["cases"]:
        click.echo(f"  {row['case']}  {process_name(row['process'])}  在等：{row['waiting'] or '什么也没等'}  "
                   f"自 {row['updated_at'][:19]} 起")
    click.echo(f"超过期限的任务 {len(found['overdue_tasks'])} 个：")
    for task in found["overdue_tasks"]:
        click.echo(f"  {task['case']}  {task['title']}  （{group_name(task['group'])}）  "
                   f"期限 {(task['due_at'] or '')[:10]}  {task['assignee'] or '无人认领'}")


COMMANDS = (worker, incident, report)
