"""Commands that work cases: start one, list and work its tasks, send it a message, fire due timers, cancel it,
and show it."""

from __future__ import annotations

import json
from datetime import datetime

import click

from certflow.cli.jsonio import json_arg, print_json
from certflow.cli.runtime import runtime_of


@click.command(help="Start a case of process KEY; prints the case number.")
@click.argument("key")
@click.option("--data", "data", required=True, help="JSON object, or @file.json")
@click.option("--user", default="cli", show_default=True)
@click.pass_context
def start(ctx: click.Context, key: str, data: str, user: str) -> None:
    click.echo(runtime_of(ctx).start_case(key, json_arg(data), actor=user))


@click.command(help="List tasks from the task projection.")
@click.option("--role")
@click.option("--group")
@click.option("--case", "case")
@click.option("--assignee")
@click.option("--status", default="open", show_default=True, type=click.Choice(["open", "completed", "cancelled"]))
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_context
def tasks(ctx: click.Context, role: str | None, group: str | None, case: str | None,
          assignee: str | None, status: str, as_json: bool) -> None:
    rows = runtime_of(ctx).tasks(role=role, group=group, case=case, assignee=assignee, status=status)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        due = row["due_at"][:10] if row["due_at"] else "-"
        who = f" @{row['assignee']}" if row["assignee"] else ""
        click.echo(f"{row['id']}  {row['case']}  {row['title']}  [{row['role']}/{row['group']}{who}]  due {due}")
    if not rows:
        click.echo("no tasks", err=True)


@click.command(help="Complete task TASK with form data.")
@click.argument("task")
@click.option("--user", required=True)
@click.option("--data", "data", default="{}", help="JSON object, or @file.json")
@click.pass_context
def complete(ctx: click.Context, task: str, user: str, data: str) -> None:
    number = runtime_of(ctx).complete_task(task, json_arg(data), actor=user)
    click.echo(f"completed; case {number}")


@click.command(help="Claim task TASK for USER.")
@click.argument("task")
@click.option("--user", required=True)
@click.pass_context
def claim(ctx: click.Context, task: str, user: str) -> None:
    runtime_of(ctx).claim(task, actor=user)
    click.echo(f"claimed by {user}")


@click.command(help="Give back a claimed task TASK.")
@click.argument("task")
@click.option("--user", required=True)
@click.pass_context
def unclaim(ctx: click.Context, task: str, user: str) -> None:
    runtime_of(ctx).unclaim(task, actor=user)
    click.echo("unclaimed")


@click.command(help="Deliver message NAME (e.g. objection, materials_supplied) to case CASE.")
@click.argument("case")
@click.argument("name")
@click.option("--data", "data", default="{}", help="JSON object, or @file.json")
@click.option("--user", default="cli", show_default=True)
@click.option("--queue", is_flag=True, help="leave it to the workers: retried when it fails, then an incident")
@click.pass_context
def message(ctx: click.Context, case: str, name: str, data: str, user: str, queue: bool) -> None:
    if queue:
        click.echo(f"queued as job {runtime_of(ctx).queue_message(case, name, json_arg(data), actor=user)}")
        return
    click.echo(f"delivered; case {runtime_of(ctx).send_message(case, name, json_arg(data), actor=user)}")


@click.command(help="Fire every timer that is due; --now sets the time (ISO 8601 with offset).")
@click.option("--now", "now", help="e.g. 2026-10-14T00:05:00+08:00")
@click.pass_context
def tick(ctx: click.Context, now: str | None) -> None:
    at = None
    if now:
        try:
            at = datetime.fromisoformat(now)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--now") from error
        if at.tzinfo is None:
            raise click.BadParameter("give a UTC offset, e.g. +08:00", param_hint="--now")
    moved = runtime_of(ctx).tick(at)
    click.echo(f"{len(moved)} case(s) moved" + (": " + ", ".join(moved) if moved else ""))


@click.command(help="Cancel case CASE for good, with the reason: its open tasks and incidents are closed.")
@click.argument("case")
@click.option("--reason", required=True)
@click.option("--user", required=True)
@click.pass_context
def cancel(ctx: click.Context, case: str, reason: str, user: str) -> None:
    runtime_of(ctx).cancel_case(case, reason, actor=user)
    click.echo(f"{case}: cancelled")


@click.command(help="Show a case: status, open tasks, what it waits for, its data and texts sent.")
@click.argument("case")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx: click.Context, case: str, as_json: bool) -> None:
    runtime = runtime_of(ctx)
    view = runtime.case(case)
    messages = runtime.outbox(case)
    if as_json:
        print_json({**view, "messages": messages})
        return
    click.echo(f"{view['number']}  {view['process']} v{view['version']}  {view['status']}"
               + (f" ({view['outcome']})" if view["outcome"] else ""))
    click.echo("applicant: " + " ".join(v for v in (view["applicant_name"], view["id_masked"]) if v))
    if view["status"] == "error":
        click.echo(f"paused by an incident: certflow incident list --case {view['number']}")
    if view["current_step"]:
        click.echo(f"now: {view['current_step']}")
    for task in view["open_tasks"]:
        click.echo(f"  task {task['id']}  {task['title']}  [{task['role']}/{task['group']}]")
    for waiting in view["waiting"]:
        value = waiting["value"]  # a timer's moment, or a message's correlation as JSON
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False) if value else ""
        click.echo(f"  waiting: {waiting['name'] or waiting['event']} {shown}".rstrip())
    for note in messages:
        to = note["recipient_phone"] or note["recipient_group"]
        click.echo(f"  text to {note['recipient_role']} {to}: {note['text']}")


COMMANDS = (start, tasks, complete, claim, unclaim, message, tick, cancel, show)
