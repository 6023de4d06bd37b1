"""Commands for the people who run certflow: the background worker, incidents, and the report of stuck work."""

from __future__ import annotations

import click

from certflow.cli.jsonio import json_arg, print_json
from certflow.cli.runtime import runtime_of


@click.command(help="Run the background work until stopped (SIGTERM, SIGINT): fire due timers, deliver queued "
                    "messages, send the outbox's texts (CERTFLOW_SMS_GATEWAY). Any number of workers can run "
                    "against PostgreSQL.")
@click.option("--once", is_flag=True, help="one round of due work, then exit")
@click.option("--interval", default=5.0, show_default=True, help="seconds to wait when there was nothing to do")
@click.pass_context
def worker(ctx: click.Context, once: bool, interval: float) -> None:
    from certflow import logs, notify
    from certflow.config import Config
    from certflow.worker import Worker

    config = Config.from_env()
    config.check()
    logs.configure()
    runner = Worker(runtime_of(ctx), notify.sender(notify.load_gateway(config.sms_gateway)), interval)
    if once:
        click.echo(f"{runner.run_once()} piece(s) of work done or tried")
    else:
        runner.run()


@click.group(help="Incidents: automatic work on a case (a timer, a queued message, a text) that failed every try.")
def incident() -> None:
    pass


@incident.command("list", help="Open incidents, newest first (--all: resolved ones too).")
@click.option("--all", "all_incidents", is_flag=True)
@click.option("--case", "case")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_incidents(ctx: click.Context, all_incidents: bool, case: str | None, as_json: bool) -> None:
    rows = runtime_of(ctx).incidents(status=None if all_incidents else "open", case_ref=case)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        state = row["status"] if row["status"] == "open" else f"{row['resolution']} by {row['resolved_by']}"
        click.echo(f"{row['case']}  {row['kind']}  {row['step'] or '?'}  tries {row['attempts']}  {state}  "
                   f"{row['opened_at'][:19]}\n    {row['message']}")
    if not rows:
        click.echo("no incidents", err=True)


@incident.command("fix", help="Change data of case CASE before retrying it; recorded in its history.")
@click.argument("case")
@click.option("--data", "data", required=True, help='the fields to set, JSON object or @file.json: {"phone": "..."}')
@click.option("--user", required=True)
@click.pass_context
def fix_incident(ctx: click.Context, case: str, data: str, user: str) -> None:
    runtime_of(ctx).fix_incident(case, json_arg(data), actor=user)
    click.echo(f"{case}: data fixed; retry it with `certflow incident retry {case}`")


@incident.command("retry", help="Try the failed work of case CASE again now; exit status 1 if it fails again.")
@click.argument("case")
@click.option("--user", required=True)
@click.pass_context
def retry_incident(ctx: click.Context, case: str, user: str) -> None:
    runtime_of(ctx).retry_incident(case, actor=user)
    click.echo(f"{case}: retried, running again")


@click.group(help="Reports for the people who run certflow.")
def report() -> None:
    pass


@report.command("stuck", help="Running cases that nothing in certflow will move (no open task, timer or queued "
                              "message), and open tasks past their deadline.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def report_stuck(ctx: click.Context, as_json: bool) -> None:
    found = runtime_of(ctx).stuck()
    if as_json:
        print_json(found)
        return
    click.echo(f"{len(found['cases'])} case(s) that cannot move by themselves:")
    for row in found["cases"]:
        click.echo(f"  {row['case']}  {row['process']}  waiting for: {row['waiting'] or 'nothing'}  "
                   f"since {row['updated_at'][:19]}")
    click.echo(f"{len(found['overdue_tasks'])} task(s) past their deadline:")
    for task in found["overdue_tasks"]:
        click.echo(f"  {task['case']}  {task['title']}  [{task['group']}]  due {(task['due_at'] or '')[:10]}  "
                   f"{task['assignee'] or 'unclaimed'}")


COMMANDS = (worker, incident, report)
