"""Commands on process versions: deploy, list, compare and roll back versions, move running cases to another
version, and try a draft in a throw-away database."""

from __future__ import annotations

import json
import sys

import click

from certflow.cli.jsonio import json_arg, print_json
from certflow.cli.runtime import runtime_of
from certflow.engine.errors import DeploymentError, Problem
from certflow.engine.specs import read_paths


@click.command(help="校验并部署 BPMN、DMN 和表单文件（给出文件夹时部署其中所有这些文件）。")
@click.argument("paths", nargs=-1, required=True)
@click.option("--author", default="cli", show_default=True)
@click.option("--note", default="")
@click.pass_context
def deploy(ctx: click.Context, paths: tuple[str, ...], author: str, note: str) -> None:
    for result in runtime_of(ctx).deploy(read_paths(paths), author=author, note=note):
        state = "新版本" if result.created else "内容未变，版本不变"
        click.echo(f"{result.process_key} v{result.version}（{state}）")


@click.command(help="List the deployed versions of process KEY (or of every process), newest first: "
                    "when, by whom, content hash, note, and how many cases run on each.")
@click.argument("key", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def versions(ctx: click.Context, key: str | None, as_json: bool) -> None:
    rows = runtime_of(ctx).versions(key)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        note = f"  {row['note']}" if row["note"] else ""
        click.echo(f"{row['key']} v{row['version']}  {row['deployed_at'][:19]}  {row['author']}  "
                   f"{row['content_hash'][:12]}  cases: {row['running_cases']} running, {row['total_cases']} in all"
                   f"{note}")
    if not rows:
        click.echo("no versions", err=True)


@click.command(help="What changed in process KEY from version OLD to NEW: elements added, removed and changed "
                    "(by BPMN id, with what changed), forms and decision tables.")
@click.argument("key")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.option("--json", "as_json", is_flag=True, help="print JSON (without the two diagrams' XML)")
@click.pass_context
def compare(ctx: click.Context, key: str, old: int, new: int, as_json: bool) -> None:
    result = runtime_of(ctx).compare(key, old, new)
    if as_json:
        print_json({k: v for k, v in result.items() if k not in ("old_xml", "new_xml")})
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


@click.command(help="Roll process KEY back to VERSION: deploy that version's files again as the newest version. "
                    "New cases take it; running cases stay on theirs.")
@click.argument("key")
@click.argument("version", type=int)
@click.option("--author", default="cli", show_default=True)
@click.option("--note", default="", help='default: "rollback to vVERSION"')
@click.pass_context
def rollback(ctx: click.Context, key: str, version: int, author: str, note: str) -> None:
    result = runtime_of(ctx).rollback(key, version, author=author, note=note)
    if result.created:
        click.echo(f"{key} v{result.version} (new version, the content of v{version})")
    else:
        click.echo(f"{key} v{result.version} (unchanged: the latest version already has the content of v{version})")


@click.command(help="Move running case CASE, or with --process KEY --from VERSION every running case of that "
                    "version, to version --to of its process where SpiffWorkflow's migration allows it. Prints each "
                    "case migrated or refused with the reason; exit status 1 if any was refused.")
@click.argument("case", required=False)
@click.option("--to", "to_version", type=int, required=True)
@click.option("--process", "process_key")
@click.option("--from", "from_version", type=int)
@click.option("--user", default="cli", show_default=True)
@click.pass_context
def migrate(ctx: click.Context, case: str | None, to_version: int, process_key: str | None,
            from_version: int | None, user: str) -> None:
    usage = click.UsageError("give a CASE, or --process KEY with --from VERSION")
    if case:
        if process_key is not None or from_version is not None:
            raise usage
        runtime_of(ctx).migrate(case, to_version, actor=user)
        click.echo(f"{case}: migrated to v{to_version}")
        return
    if process_key is None or from_version is None:
        raise usage
    results = runtime_of(ctx).migrate_all(process_key, from_version, to_version, actor=user)
    for result in results:
        click.echo(f"{result['case']}: " + (f"migrated to v{to_version}" if result["migrated"]
                                           else f"refused: {result['reason']}"))
    refused = sum(not r["migrated"] for r in results)
    click.echo(f"{len(results)} case(s): {len(results) - refused} migrated, {refused} refused")
    if refused:
        sys.exit(1)


@click.command("test-run", help="Try a draft without touching any real case: deploy PATHS into a throw-away "
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
def test_run(ctx: click.Context, key: str, paths: tuple[str, ...], data: str, steps: tuple[str, ...],
             as_json: bool) -> None:
    from certflow.engine import sandbox

    runtime = runtime_of(ctx)
    result = sandbox.test_run(read_paths(paths), runtime.handlers, runtime.settings, key, json_arg(data),
                              [json_arg(step) for step in steps], lanes=runtime.lane_mappings())
    if result["problems"]:  # listed as `certflow deploy` lists them
        raise DeploymentError([Problem(**problem) for problem in result["problems"]])
    if as_json:
        print_json(result)
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


COMMANDS = (deploy, versions, compare, rollback, migrate, test_run)
