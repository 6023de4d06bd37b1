"""The ``certflow`` command: drive cases from a terminal."""

from __future__ import annotations

import functools
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from certflow.bootstrap import build_services
from certflow.campaign.county import County
from certflow.engine.db import upgrade
from certflow.engine.errors import CertflowError, DeploymentError, Problem, ValidationFailed
from certflow.engine.runtime import Runtime
from certflow.engine.specs import read_paths


def _fail_cleanly(command: Callable[..., Any]) -> Callable[..., Any]:
    """Errors become one clear line (a list for validation and deployment) and exit status 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ValidationFailed as error:
            click.echo("error: submitted data is not valid:", err=True)
            for item in error.errors:
                click.echo(f"  {item.field or '(form)'}: {item.message}", err=True)
            sys.exit(1)
        except DeploymentError as error:
            click.echo(f"error: deployment refused, {len(error.problems)} problem(s):", err=True)
            for problem in error.problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(1)
        except CertflowError as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)

    return wrapper


def _json_arg(value: str) -> dict[str, Any]:
    """JSON given inline, or @path to read it from a file."""
    try:
        text = Path(value[1:]).read_text(encoding="utf-8") if value.startswith("@") else value
        data = json.loads(text)
    except (OSError, json.JSONDecodeError) as error:
        raise click.BadParameter(f"not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise click.BadParameter("must be a JSON object")
    return data


def _runtime(ctx: click.Context) -> Runtime:
    return ctx.obj if isinstance(ctx.obj, Runtime) else build_services().runtime


def _print_json(value: Any) -> None:
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


@click.group(help="certflow: disability-certificate workflows. DATABASE_URL selects the database "
                  "(default: SQLite in instance/certflow.db).")
@click.pass_context
def main(ctx: click.Context) -> None:
    if not isinstance(ctx.obj, Runtime):  # ensure_object would replace a runtime given by the caller
        ctx.ensure_object(dict)


@main.command("init-db", help="Create or upgrade the database schema.")
@click.pass_context
@_fail_cleanly
def init_db(ctx: click.Context) -> None:
    runtime = _runtime(ctx)
    upgrade(runtime.sessions.kw["bind"], runtime.settings.history_keys)
    seeded = build_services(runtime=runtime).seed_groups()  # a new database: the file's groups
    click.echo("database is up to date" + (f"; {seeded} group(s) from the groups file" if seeded else ""))


@main.command(help="Check and deploy BPMN, DMN and form files (directories are searched).")
@click.argument("paths", nargs=-1, required=True)
@click.option("--author", default="cli", show_default=True)
@click.option("--note", default="")
@click.pass_context
@_fail_cleanly
def deploy(ctx: click.Context, paths: tuple[str, ...], author: str, note: str) -> None:
    for result in _runtime(ctx).deploy(read_paths(paths), author=author, note=note):
        state = "new version" if result.created else "unchanged"
        click.echo(f"{result.process_key} v{result.version} ({state})")


@main.command(help="List the deployed versions of process KEY (or of every process), newest first: "
                   "when, by whom, content hash, note, and how many cases run on each.")
@click.argument("key", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_fail_cleanly
def versions(ctx: click.Context, key: str | None, as_json: bool) -> None:
    rows = _runtime(ctx).versions(key)
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        note = f"  {row['note']}" if row["note"] else ""
        click.echo(f"{row['key']} v{row['version']}  {row['deployed_at'][:19]}  {row['author']}  "
                   f"{row['content_hash'][:12]}  cases: {row['running_cases']} running, {row['total_cases']} in all"
                   f"{note}")
    if not rows:
        click.echo("no versions", err=True)


@main.command(help="What changed in process KEY from version OLD to NEW: elements added, removed and changed "
                   "(by BPMN id, with what changed), forms and decision tables.")
@click.argument("key")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.option("--json", "as_json", is_flag=True, help="print JSON (without the two diagrams' XML)")
@click.pass_context
@_fail_cleanly
def compare(ctx: click.Context, key: str, old: int, new: int, as_json: bool) -> None:
    result = _runtime(ctx).compare(key, old, new)
    if as_json:
        _print_json({k: v for k, v in result.items() if k not in ("old_xml", "new_xml")})
        return
    for sign, change in (("+", "added"), ("-", "removed"), ("~", "changed")):
        for el in result[change]:
            what = f": {', '.join(el['what'])}" if el["what"] else ""
            click.echo(f"{sign} {el['process']}/{el['id']}  {el['type']}  {el['name'] or ''}{what}")
    for kind in ("forms", "decisions"):
        for changed_file in result[kind]:
            click.echo(f"{changed_file['change']}: {changed_file['file']}")
    if not any(result[k] for k in ("added", "removed", "changed", "forms", "decisions")):
        click.echo(f"v{old} and v{new} do not differ")


@main.command(help="Roll process KEY back to VERSION: deploy that version's files again as the newest version. "
                   "New cases take it; running cases stay on theirs.")
@click.argument("key")
@click.argument("version", type=int)
@click.option("--author", default="cli", show_default=True)
@click.option("--note", default="", help='default: "rollback to vVERSION"')
@click.pass_context
@_fail_cleanly
def rollback(ctx: click.Context, key: str, version: int, author: str, note: str) -> None:
    result = _runtime(ctx).rollback(key, version, author=author, note=note)
    if result.created:
        click.echo(f"{key} v{result.version} (new version, the content of v{version})")
    else:
        click.echo(f"{key} v{result.version} (unchanged: the latest version already has the content of v{version})")


@main.command(help="Move running case CASE, or with --process KEY --from VERSION every running case of that "
                   "version, to version --to of its process where SpiffWorkflow's migration allows it. Prints each "
                   "case migrated or refused with the reason; exit status 1 if any was refused.")
@click.argument("case", required=False)
@click.option("--to", "to_version", type=int, required=True)
@click.option("--process", "process_key")
@click.option("--from", "from_version", type=int)
@click.option("--user", default="cli", show_default=True)
@click.pass_context
@_fail_cleanly
def migrate(ctx: click.Context, case: str | None, to_version: int, process_key: str | None,
            from_version: int | None, user: str) -> None:
    if bool(case) == bool(process_key) or bool(process_key) != (from_version is not None):
        raise click.UsageError("give a CASE, or --process KEY with --from VERSION")
    runtime = _runtime(ctx)
    if case:
        runtime.migrate(case, to_version, actor=user)
        click.echo(f"{case}: migrated to v{to_version}")
        return
    results = runtime.migrate_all(process_key, from_version, to_version, actor=user)
    for result in results:
        click.echo(f"{result['case']}: " + (f"migrated to v{to_version}" if result["migrated"]
                                           else f"refused: {result['reason']}"))
    refused = sum(not r["migrated"] for r in results)
    click.echo(f"{len(results)} case(s): {len(results) - refused} migrated, {refused} refused")
    if refused:
        sys.exit(1)


@main.command("test-run", help="Try a draft without touching any real case: deploy PATHS into a throw-away "
                                "database, start a case of KEY with --data and apply each --step in order. Prints "
                                "what each step led to; exit status 1 if the draft or a step was refused.")
@click.argument("key")
@click.argument("paths", nargs=-1, required=True)
@click.option("--data", "data", required=True, help="the start data: JSON object, or @file.json")
@click.option("--step", "steps", multiple=True,
              help='JSON object, or @file.json: {"task": ID or title, "data": {...}}, '
                   '{"message": NAME, "payload": {...}} or {"tick": "2026-10-14T00:05:00+08:00"}; repeat in order')
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_fail_cleanly
def test_run(ctx: click.Context, key: str, paths: tuple[str, ...], data: str, steps: tuple[str, ...],
             as_json: bool) -> None:
    from certflow.engine import sandbox

    runtime = _runtime(ctx)
    result = sandbox.test_run(read_paths(paths), runtime.handlers, runtime.settings, key, _json_arg(data),
                              [_json_arg(step) for step in steps])
    if result["problems"]:  # listed as `certflow deploy` lists them
        raise DeploymentError([Problem(**problem) for problem in result["problems"]])
    if as_json:
        _print_json(result)
    else:
        for entry in result["trace"]:
            click.echo(json.dumps(entry["step"], ensure_ascii=False))
            if entry["error"]:
                click.echo(f"  refused: {entry['error']}")
                for item in entry["field_errors"]:
                    click.echo(f"    {item['field'] or '(form)'}: {item['message']}")
            if "status" in entry:
                click.echo(f"  {entry['status']}: {entry['current_step'] or entry['outcome'] or ''}")
                for text in entry["texts"]:
                    click.echo(f"  text to {text['to']}: {text['text']}")
    if not result["ok"]:
        sys.exit(1)


@main.command(help="Start a case of process KEY; prints the case number.")
@click.argument("key")
@click.option("--data", "data", required=True, help="JSON object, or @file.json")
@click.option("--user", default="cli", show_default=True)
@click.pass_context
@_fail_cleanly
def start(ctx: click.Context, key: str, data: str, user: str) -> None:
    click.echo(_runtime(ctx).start_case(key, _json_arg(data), actor=user))


@main.command(help="List tasks from the task projection.")
@click.option("--role")
@click.option("--group")
@click.option("--case", "case")
@click.option("--assignee")
@click.option("--status", default="open", show_default=True, type=click.Choice(["open", "completed", "cancelled"]))
@click.option("--json", "as_json", is_flag=True, help="print JSON")
@click.pass_context
@_fail_cleanly
def tasks(ctx: click.Context, role: str | None, group: str | None, case: str | None,
          assignee: str | None, status: str, as_json: bool) -> None:
    rows = _runtime(ctx).tasks(role=role, group=group, case=case, assignee=assignee, status=status)
    if as_json:
        _print_json(rows)
        return
    for row in rows:
        due = row["due_at"][:10] if row["due_at"] else "-"
        who = f" @{row['assignee']}" if row["assignee"] else ""
        click.echo(f"{row['id']}  {row['case']}  {row['title']}  [{row['role']}/{row['group']}{who}]  due {due}")
    if not rows:
        click.echo("no tasks", err=True)


@main.command(help="Complete task TASK with form data.")
@click.argument("task")
@click.option("--user", required=True)
@click.option("--data", "data", default="{}", help="JSON object, or @file.json")
@click.pass_context
@_fail_cleanly
def complete(ctx: click.Context, task: str, user: str, data: str) -> None:
    number = _runtime(ctx).complete_task(task, _json_arg(data), actor=user)
    click.echo(f"completed; case {number}")


@main.command(help="Claim task TASK for USER.")
@click.argument("task")
@click.option("--user", required=True)
@click.pass_context
@_fail_cleanly
def claim(ctx: click.Context, task: str, user: str) -> None:
    _runtime(ctx).claim(task, actor=user)
    click.echo(f"claimed by {user}")


@main.command(help="Give back a claimed task TASK.")
@click.argument("task")
@click.option("--user", required=True)
@click.pass_context
@_fail_cleanly
def unclaim(ctx: click.Context, task: str, user: str) -> None:
    _runtime(ctx).unclaim(task, actor=user)
    click.echo("unclaimed")


@main.command(help="Deliver message NAME (e.g. objection, materials_supplied) to case CASE.")
@click.argument("case")
@click.argument("name")
@click.option("--data", "data", default="{}", help="JSON object, or @file.json")
@click.option("--user", default="cli", show_default=True)
@click.option("--queue", is_flag=True, help="leave it to the workers: retried when it fails, then an incident")
@click.pass_context
@_fail_cleanly
def message(ctx: click.Context, case: str, name: str, data: str, user: str, queue: bool) -> None:
    if queue:
        click.echo(f"queued as job {_runtime(ctx).queue_message(case, name, _json_arg(data), actor=user)}")
        return
    click.echo(f"delivered; case {_runtime(ctx).send_message(case, name, _json_arg(data), actor=user)}")


@main.command(help="Fire every timer that is due; --now sets the time (ISO 8601 with offset).")
@click.option("--now", "now", help="e.g. 2026-10-14T00:05:00+08:00")
@click.pass_context
@_fail_cleanly
def tick(ctx: click.Context, now: str | None) -> None:
    at = None
    if now:
        try:
            at = datetime.fromisoformat(now)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--now") from error
        if at.tzinfo is None:
            raise click.BadParameter("give a UTC offset, e.g. +08:00", param_hint="--now")
    moved = _runtime(ctx).tick(at)
    click.echo(f"{len(moved)} case(s) moved" + (": " + ", ".join(moved) if moved else ""))


@main.command(help="Run the background work until stopped (SIGTERM, SIGINT): fire due timers, deliver queued "
                   "messages, send the outbox's texts (CERTFLOW_SMS_GATEWAY). Any number of workers can run "
                   "against PostgreSQL.")
@click.option("--once", is_flag=True, help="one round of due work, then exit")
@click.option("--interval", default=5.0, show_default=True, help="seconds to wait when there was nothing to do")
@click.pass_context
@_fail_cleanly
def worker(ctx: click.Context, once: bool, interval: float) -> None:
    from certflow import logs, notify
    from certflow.config import Config
    from certflow.worker import Worker

    config = Config.from_env()
    config.check()
    logs.configure()
    runner = Worker(_runtime(ctx), notify.sender(notify.load_gateway(config.sms_gateway)), interval)
    if once:
        click.echo(f"{runner.run_once()} piece(s) of work done or tried")
    else:
        runner.run()


@main.group(help="Incidents: automatic work on a case (a timer, a queued message, a text) that failed every try.")
def incident() -> None:
    pass


@incident.command("list", help="Open incidents, newest first (--all: resolved ones too).")
@click.option("--all", "all_incidents", is_flag=True)
@click.option("--case", "case")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_fail_cleanly
def list_incidents(ctx: click.Context, all_incidents: bool, case: str | None, as_json: bool) -> None:
    rows = _runtime(ctx).incidents(status=None if all_incidents else "open", case_ref=case)
    if as_json:
        _print_json(rows)
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
@_fail_cleanly
def fix_incident(ctx: click.Context, case: str, data: str, user: str) -> None:
    _runtime(ctx).fix_incident(case, _json_arg(data), actor=user)
    click.echo(f"{case}: data fixed; retry it with `certflow incident retry {case}`")


@incident.command("retry", help="Try the failed work of case CASE again now; exit status 1 if it fails again.")
@click.argument("case")
@click.option("--user", required=True)
@click.pass_context
@_fail_cleanly
def retry_incident(ctx: click.Context, case: str, user: str) -> None:
    _runtime(ctx).retry_incident(case, actor=user)
    click.echo(f"{case}: retried, running again")


@main.command(help="Cancel case CASE for good, with the reason: its open tasks and incidents are closed.")
@click.argument("case")
@click.option("--reason", required=True)
@click.option("--user", required=True)
@click.pass_context
@_fail_cleanly
def cancel(ctx: click.Context, case: str, reason: str, user: str) -> None:
    _runtime(ctx).cancel_case(case, reason, actor=user)
    click.echo(f"{case}: cancelled")


@main.group(help="Reports for the people who run certflow.")
def report() -> None:
    pass


@report.command("stuck", help="Running cases that nothing in certflow will move (no open task, timer or queued "
                              "message), and open tasks past their deadline.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_fail_cleanly
def report_stuck(ctx: click.Context, as_json: bool) -> None:
    found = _runtime(ctx).stuck()
    if as_json:
        _print_json(found)
        return
    click.echo(f"{len(found['cases'])} case(s) that cannot move by themselves:")
    for row in found["cases"]:
        click.echo(f"  {row['case']}  {row['process']}  waiting for: {row['waiting'] or 'nothing'}  "
                   f"since {row['updated_at'][:19]}")
    click.echo(f"{len(found['overdue_tasks'])} task(s) past their deadline:")
    for task in found["overdue_tasks"]:
        click.echo(f"  {task['case']}  {task['title']}  [{task['group']}]  due {task['due_at'][:10]}  "
                   f"{task['assignee'] or 'unclaimed'}")


@main.command(help="Show a case: status, open tasks, what it waits for, its data and texts sent.")
@click.argument("case")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_fail_cleanly
def show(ctx: click.Context, case: str, as_json: bool) -> None:
    runtime = _runtime(ctx)
    view = runtime.case(case)
    view["messages"] = runtime.outbox(case)
    if as_json:
        _print_json(view)
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
        click.echo(f"  waiting: {waiting['name'] or waiting['event']} {waiting['value'] or ''}".rstrip())
    for note in view["messages"]:
        to = note["recipient_phone"] or note["recipient_group"]
        click.echo(f"  text to {note['recipient_role']} {to}: {note['text']}")


@main.command(help="Print a case's history (events with their hash chain).")
@click.argument("case")
@click.option("--json", "as_json", is_flag=True)
@click.option("--export", "export", is_flag=True,
              help="JSON with what each hash covers, to check the chain without certflow (docs/audit.md)")
@click.pass_context
@_fail_cleanly
def history(ctx: click.Context, case: str, as_json: bool, export: bool) -> None:
    if export:
        _print_json(_runtime(ctx).history_export(case))
        return
    events = _runtime(ctx).history(case)
    if as_json:
        _print_json(events)
        return
    for event in events:
        what = event["task_name"] or event["data"].get("operator") or event["data"].get("name") or ""
        click.echo(f"{event['seq']:>3}  {event['at'][:19]}  {event['actor']:<12} {event['kind']:<18} {what}  "
                   f"{event['hash'][:12]}")


@main.command(help="Check that a case's history was not altered: the hash chain and its signatures, the case row's "
                   "seal, every step replayed on its process version, the stored state, status, outcome and open "
                   "tasks. Prints OK or the first event that differs and how; exit status 1 when anything differs.")
@click.argument("case", required=False)
@click.option("--all", "all_cases", is_flag=True, help="every case, with a progress bar")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
@_fail_cleanly
def verify(ctx: click.Context, case: str | None, all_cases: bool, as_json: bool) -> None:
    if bool(case) == all_cases:
        raise click.UsageError("give a CASE or --all")
    runtime = _runtime(ctx)
    if case:
        results = [runtime.verify(case)]
    else:
        numbers = runtime.case_numbers()
        with click.progressbar(numbers, label="verifying", show_pos=True, file=sys.stderr) as bar:
            results = [runtime.verify(number) for number in bar]
    failed = [r for r in results if not r.ok]
    if as_json:
        _print_json([r.as_dict() for r in results])
    else:
        for result in results if case else failed:
            click.echo(str(result))
        if all_cases:
            click.echo(f"{len(results)} case(s) checked: {len(results) - len(failed)} OK, {len(failed)} altered")
    if failed:
        sys.exit(1)


@main.command("history-key", help="生成新的历史签名密钥（HMAC-SHA-256，32 字节）。不带 --file：打印一行"
                                  "“编号:密钥”；带 --file：把新密钥写到该文件最前面（成为当前密钥），原有密钥留在后面，"
                                  "用来核对它们签过的历史（轮换）。见 docs/deploy.md。")
@click.option("--file", "path", type=click.Path(dir_okay=False, path_type=Path),
              help="密钥文件（CERTFLOW_HISTORY_KEY_FILE），没有则新建，只有属主可读写")
def history_key(path: Path | None) -> None:
    import os
    import secrets

    from certflow.engine import history as chain

    kept = path.read_text(encoding="utf-8") if path and path.exists() else ""
    try:
        ring = chain.parse_keys(kept) if kept.strip() else None
    except chain.KeyListError as error:
        raise click.ClickException(f"{path} 中的密钥有误，未作改动：{error}") from error
    key_id = datetime.now().strftime("k%Y%m%d%H%M%S")
    if ring and key_id in ring.keys:
        raise click.ClickException(f"密钥编号 {key_id} 已经存在，请稍后再试")
    line = f"{key_id}:{secrets.token_hex(chain.MIN_KEY_BYTES)}"
    if path is None:
        click.echo(line)
        return
    # A new file beside it, readable by the owner only, then renamed over it: the old keys are never half-written.
    fresh = path.with_name(f".{path.name}.new")
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(f"{line}\n{kept}")
    os.replace(fresh, path)
    count = len(ring.keys) + 1 if ring else 1
    click.echo(f"新的当前密钥 {key_id} 已写入 {path}（共 {count} 个）；重启 certflow 后生效")


@main.command(help="Load demo people (password: demo) and cases in every state into a new database, and an "
                   "invented roster of the county file's exchange campaign, partly worked. Not for production: "
                   "the password is public. Does nothing if anyone has an account.")
@click.pass_context
@_fail_cleanly
def demo(ctx: click.Context) -> None:
    from certflow.config import PROJECT_ROOT
    from certflow.demo.lushan import DEMO_PASSWORD, DEMO_USERS, load_demo
    from certflow.demo.shizong import CAMPAIGN_USERS, load_campaign_demo
    from certflow.people.accounts import Accounts

    runtime = _runtime(ctx)
    if not runtime.processes():  # a database just created: the demo runs on the processes the project ships
        runtime.deploy(read_paths([PROJECT_ROOT / "processes", PROJECT_ROOT / "forms"]), author="demo")
        click.echo("deployed processes/ and forms/")
    accounts = Accounts(runtime.sessions, runtime.clock, county=runtime.settings.county)
    cases = load_demo(runtime, accounts, build_services(runtime=runtime).registry.materials)
    if cases is None:
        click.echo("demo skipped: the database already has accounts")
        return
    county = _county(None)
    holders = load_campaign_demo(runtime, accounts, county)
    click.echo(f"demo loaded: {len(cases)} cases ({cases[0]} to {cases[-1]}), {len(holders)} holders and new "
               f"applicants of {county.name}'s exchange campaign, and these people, password {DEMO_PASSWORD!r}:")
    for person in DEMO_USERS + CAMPAIGN_USERS:
        click.echo(f"  {person.username:<8} {person.role:<17} {person.group or ''}".rstrip())
    click.echo("demo data is not for production: set CERTFLOW_SECRET_KEY and create real people with "
               "`certflow user add` on a new database")


@main.group(help="People who sign in to the web app.")
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
@_fail_cleanly
def add_user(ctx: click.Context, username: str, display_name: str, roles: tuple[str, ...],
             groups: tuple[str, ...], county: str | None, province_wide: bool) -> None:
    from certflow.people.accounts import STAFF_ROLES, Accounts
    from certflow.people.directory import Directory

    runtime = _runtime(ctx)
    # Checked before the password is typed, so a typo does not cost it.
    unknown_roles = [r for r in roles if r not in STAFF_ROLES]
    if unknown_roles:
        raise click.BadParameter(f"unknown role {', '.join(unknown_roles)}; one of {', '.join(STAFF_ROLES)}",
                                 param_hint="--role")
    known = {group.id for group in Directory(runtime.sessions).all() if group.active}
    unknown_groups = [g for g in groups if g not in known]
    if unknown_groups:
        raise click.BadParameter(f"no such active group: {', '.join(unknown_groups)} (see 组织机构 in the web app)",
                                 param_hint="--group")
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    accounts = Accounts(runtime.sessions, runtime.clock, county=runtime.settings.county)
    created = accounts.create(username, password, display_name=display_name, roles=roles, groups=groups,
                              county=county, province_wide=province_wide)
    click.echo(f"created {created.username}")


@main.group(help="API tokens: a program calling /api/v1 sends one as `Authorization: Bearer <token>`.")
def token() -> None:
    pass


@token.command("issue", help="Issue an API token for USERNAME. It is printed once; only its hash is kept.")
@click.argument("username")
@click.option("--label", default="API", show_default=True, help="what the token is for, e.g. the program using it")
@click.pass_context
@_fail_cleanly
def issue_token(ctx: click.Context, username: str, label: str) -> None:
    from certflow.engine.errors import NotFound
    from certflow.people.accounts import Accounts

    runtime = _runtime(ctx)
    accounts = Accounts(runtime.sessions, runtime.clock)
    user = accounts.by_username(username)
    if user is None or not user.active:
        raise NotFound(f"no active user {username}")
    click.echo(accounts.issue_token(user.id, label))


@main.group(help="A county's exchange for the third-generation card (换证): its roster of holders, a case per holder. "
                 "The county (townships, villages, assessment institutions) is the file CERTFLOW_COUNTY "
                 "(default shizong.json).")
def campaign() -> None:
    pass


def _county(path: Path | None) -> County:
    from certflow.config import Config

    return County.load(path or Config.from_env().county_file)


@contextmanager
def _progress_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A ``progress(done, total)`` callback drawing a bar on stderr, opened once the total is known."""
    bars: list[Any] = []

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(click.progressbar(length=total, label=label, show_pos=True, file=sys.stderr))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    try:
        yield update
    finally:
        if bars:
            bars[0].__exit__(None, None, None)


@campaign.command("import", help="Import the roster PATH (.csv or .xlsx; columns in docs/processes.md): a case per "
                                 "valid holder not imported before; rejected rows are listed with the reason.")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--campaign", "name", help="the campaign the holders belong to (default: the county file's)")
@click.option("--county", "county_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="the county file (default: CERTFLOW_COUNTY or shizong.json)")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="also write the rejected rows (行号, 原因) to this CSV file")
@click.option("--user", default="campaign-import", show_default=True, help="who the cases are started by")
@click.pass_context
@_fail_cleanly
def campaign_import(ctx: click.Context, path: Path, name: str | None, county_file: Path | None,
                    report_file: Path | None, user: str) -> None:
    from certflow.campaign.roster import import_roster, write_rejected

    runtime = _runtime(ctx)
    with _progress_bar("导入") as progress:
        report = import_roster(runtime, path, actor=user, county=_county(county_file), campaign=name,
                               progress=progress)
    click.echo(report.summary())
    if report.groups_added:
        click.echo(f"组织机构：新增{report.groups_added}个（乡镇、村(社区)、评残机构）")
    for line, reason in report.rejected:
        click.echo(f"  第{line}行：{reason}")
    if report_file:
        write_rejected(report.rejected, report_file)
        click.echo(f"不予导入的行已写入 {report_file}")


@campaign.command("schedule", help="Give every holder still to be re-assessed (目测, notice not served or not yet "
                                   "assessed) a day and venue, or a home visit, by the county file's reassessment "
                                   "section; holders who have one keep it. Prints the days used and whether the "
                                   "schedule meets the county's deadline (exit status 1 when it does not).")
@click.option("--campaign", "name", help="the campaign the holders belong to (default: the county file's)")
@click.option("--county", "county_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="the county file (default: CERTFLOW_COUNTY or shizong.json)")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="first day for venues, YYYY-MM-DD (default: the county file's; never before the days used)")
@click.option("--user", default="campaign-schedule", show_default=True, help="who the appointments are made by")
@click.pass_context
@_fail_cleanly
def campaign_schedule(ctx: click.Context, name: str | None, county_file: Path | None, start: datetime | None,
                      user: str) -> None:
    from certflow.campaign.reassessment import schedule

    report = schedule(_runtime(ctx), _county(county_file), actor=user, campaign=name,
                      start=start.date() if start else None)
    for line in report.lines():
        click.echo(line)
    if not report.meets_deadline:
        sys.exit(1)


@campaign.command("move", help="Move re-assessment appointments when assessments are stopped (另行通知, e.g. by the "
                               "epidemic): every holder of one venue-day (--day and --venue) or one holder (--case), "
                               "to the working day --to. Each holder still waiting is texted the new day and place "
                               "and the move is kept in the case's history; notices printed again name the new day.")
@click.option("--to", "to", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="the new day, YYYY-MM-DD")
@click.option("--reason", required=True, help="what the holders are told, e.g. 疫情防控需要")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), help="the venue-day's date, YYYY-MM-DD")
@click.option("--venue", help="the venue, as the schedule names it (e.g. 雄壁镇卫生院)")
@click.option("--case", "case_number", help="one holder's case number instead of a venue-day")
@click.option("--campaign", "name", help="the campaign the holders belong to (default: the county file's)")
@click.option("--county", "county_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="the county file (default: CERTFLOW_COUNTY or shizong.json)")
@click.option("--user", default="campaign-schedule", show_default=True, help="who moves the appointments")
@click.pass_context
@_fail_cleanly
def campaign_move(ctx: click.Context, to: datetime, reason: str, day: datetime | None, venue: str | None,
                  case_number: str | None, name: str | None, county_file: Path | None, user: str) -> None:
    from certflow.campaign.reassessment import MoveRequest, move_appointments

    request = MoveRequest(to.date(), reason, day.date() if day else None, venue, case_number)
    report = move_appointments(_runtime(ctx), _county(county_file), request, actor=user, campaign=name)
    for line in report.lines():
        click.echo(line)


@campaign.command("roster", help="Write a synthetic roster OUT (.csv or .xlsx) for tests and benchmarks: by default "
                                 "the figures of Shizong's plan (11,058 holders, 3,482 非目测, 7,576 目测, 55 home "
                                 "visits); invented people only.")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--holders", default=11058, show_default=True, type=click.IntRange(min=7))
@click.option("--seed", default=2022, show_default=True)
@click.option("--county", "county_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="the county file (default: CERTFLOW_COUNTY or shizong.json)")
def campaign_roster(out: Path, holders: int, seed: int, county_file: Path | None) -> None:
    from certflow.campaign.synthetic import generate_roster, write_roster

    rows = generate_roster(_county(county_file), holders, seed)
    write_roster(rows, out)
    bases = Counter(row["评定方式"] for row in rows)
    visits = sum(row["上门服务"] == "是" for row in rows)
    click.echo(f"{out}: {bases['非目测'] + bases['目测']} holders, {bases['非目测']} 非目测, {bases['目测']} 目测, "
               f"{bases['新评定']} new applicants, {visits} home visits")
