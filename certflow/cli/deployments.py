"""Commands on process versions: deploy, list, compare and roll back versions, move running cases to another
version, and try a draft in a throw-away database."""

from __future__ import annotations

import json
import sys

import click

from certflow.cli import naming
from certflow.cli.jsonio import json_arg, print_json
from certflow.cli.runtime import runtime_of
from certflow.engine.compare import ASPECTS, ELEMENTS
from certflow.engine.errors import DeploymentError, Problem
from certflow.engine.outcomes import OUTCOMES
from certflow.engine.specs import read_paths

_FILE_CHANGES = {"added": "新增", "removed": "删除", "changed": "改动"}
_COUNTY = "县（市）的6位行政区划代码"


def _owner(county: str | None) -> str:
    return "全省" if county is None else f"县（市）{county}"


def _new(county: str | None) -> str:
    """A new version, said as before for the province's, with its county for a county's own."""
    return "新版本" if county is None else f"{_owner(county)}自有的新版本"


@click.command(help="校验并部署 BPMN、DMN 和表单文件（给出文件夹时部署其中所有这些文件）。不写 --county 时"
                    "部署为全省的版本；写了则为这个县（市）自有的版本，只有它的新案件使用，其他县（市）不受影响。")
@click.argument("paths", nargs=-1, required=True)
@click.option("--author", default="cli", show_default=True, help="部署人，记在版本上")
@click.option("--note", default="", help="版本说明，如 改了补正期限")
@click.option("--county", default=None, metavar="CODE", help=f"为这个县（市）部署：{_COUNTY}")
@click.pass_context
def deploy(ctx: click.Context, paths: tuple[str, ...], author: str, note: str, county: str | None) -> None:
    for result in runtime_of(ctx).deploy(read_paths(paths), author=author, note=note, county=county):
        state = _new(county) if result.created else "内容未变，版本不变"
        click.echo(f"{result.process_key} v{result.version}（{state}）")


@click.command(help="列出流程 KEY（不写则为所有流程）已部署的版本，新的在前：全省的还是哪个县（市）自有的、"
                    "是否当前版本、部署时间、部署人、内容摘要、说明，以及各版本上办理中和全部的案件数。"
                    "写了 --county 时只列这个县（市）的案件能用的版本（全省的和它自有的），“当前”是它的新案件用的版本，"
                    "案件数只算它的案件。")
@click.argument("key", required=False)
@click.option("--county", default=None, metavar="CODE", help=f"只看这个县（市）：{_COUNTY}")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出，供程序读取")
@click.pass_context
def versions(ctx: click.Context, key: str | None, county: str | None, as_json: bool) -> None:
    rows = runtime_of(ctx).versions(key, county)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        note = f"  {row['note']}" if row["note"] else ""
        name = f"{row['name']}（{row['key']}）" if row["name"] and row["name"] != row["key"] else row["key"]
        current = "，当前" if row["current"] else ""
        click.echo(f"{name} v{row['version']}  {_owner(row['county'])}{current}  {row['deployed_at'][:19]}  "
                   f"{row['author']}  {row['content_hash'][:12]}  "
                   f"案件：办理中 {row['running_cases']} 个，共 {row['total_cases']} 个"
                   f"{note}")
    if not rows:
        click.echo("没有已部署的版本", err=True)


@click.command(help="流程 KEY 从版本 OLD 到版本 NEW 改了什么：新增、删除和改动的元素（按 BPMN 编号，"
                    "并说明改了哪里），以及表单和决策表。")
@click.argument("key")
@click.argument("old", type=int)
@click.argument("new", type=int)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出，供程序读取（不含两张流程图的 XML）")
@click.pass_context
def compare(ctx: click.Context, key: str, old: int, new: int, as_json: bool) -> None:
    result = runtime_of(ctx).compare(key, old, new)
    if as_json:
        print_json({k: v for k, v in result.items() if k not in ("old_xml", "new_xml")})
        return
    for change, label in (("added", "新增"), ("removed", "删除"), ("changed", "改动")):
        for el in result[change]:
            what = f"，改了{'、'.join(ASPECTS.get(w, w) for w in el['what'])}" if el["what"] else ""
            click.echo(f"{label} {el['process']}/{el['id']}  {ELEMENTS.get(el['type'], el['type'])}"
                       f"{'“' + el['name'] + '”' if el['name'] else ''}{what}")
    for kind, label in (("forms", "表单"), ("decisions", "决策表")):
        for changed_file in result[kind]:
            click.echo(f"{label}{_FILE_CHANGES.get(changed_file['change'], changed_file['change'])}："
                       f"{changed_file['file']}")
    if not any(result[k] for k in ("added", "removed", "changed", "forms", "decisions")):
        click.echo(f"v{old} 和 v{new} 没有不同")


@click.command(help="把流程 KEY 回退到版本 VERSION：把那个版本的文件重新部署为最新版本。新案件用它，"
                    "办理中的案件仍用原来的版本。写了 --county 时只为这个县（市）回退：VERSION 可以是它自有的版本"
                    "或全省的版本，回退的结果是它自有的新版本，全省和其他县（市）不受影响。")
@click.argument("key")
@click.argument("version", type=int)
@click.option("--author", default="cli", show_default=True, help="部署人，记在版本上")
@click.option("--note", default="", help="版本说明，不写时记下回退到的版本号")
@click.option("--county", default=None, metavar="CODE", help=f"为这个县（市）回退：{_COUNTY}")
@click.pass_context
def rollback(ctx: click.Context, key: str, version: int, author: str, note: str, county: str | None) -> None:
    result = runtime_of(ctx).rollback(key, version, author=author, note=note, county=county)
    if result.created:
        click.echo(f"{key} v{result.version}（{_new(county)}，内容同 v{version}）")
    else:
        click.echo(f"{key} v{result.version}（内容未变，版本不变：最新版本的内容已与 v{version} 相同）")


@click.command("follow-province",
               help="县（市）--county 放弃流程 KEY 自有的版本，回到使用全省最新的版本：它的新案件从此用全省的版本"
                    "（全省再部署时也跟着用新的），直到它再为自己部署或回滚出自有的版本；办理中的案件仍用原来的版本。"
                    "谁、何时、为何放弃都记录在案，用 --list 查看。")
@click.argument("key")
@click.option("--county", required=True, metavar="CODE", help=f"放弃自有版本的县（市）：{_COUNTY}")
@click.option("--author", default="cli", show_default=True, help="操作人，记录在案")
@click.option("--note", default="", help="原因，记录在案")
@click.option("--list", "listing", is_flag=True, help="不放弃，只列出这个县（市）放弃过流程 KEY 自有版本的记录")
@click.pass_context
def follow_province(ctx: click.Context, key: str, county: str, author: str, note: str, listing: bool) -> None:
    runtime = runtime_of(ctx)
    if listing:
        for row in runtime.releases(key, county):
            said = f"  {row['note']}" if row["note"] else ""
            click.echo(f"{row['released_at'][:19]}  {row['author']}  "
                       f"放弃了 v{row['through_version']} 及以前的自有版本{said}")
        return
    result = runtime.give_up(key, county=county, author=author, note=note)
    click.echo(f"{key}：{_owner(county)}已放弃自有的版本，新案件用全省的 v{result.version}")


@click.command(help="把办理中的案件 CASE，或用 --process 和 --from 指定的那个版本上所有办理中的案件（写了 "
                    "--county 时只迁移这个县（市）的），迁移到同一流程的版本 --to（流程引擎允许迁移时）。"
                    "案件只能迁移到全省的版本或它所在县（市）自有的版本。逐个打印已迁移或被拒绝及原因；"
                    "有案件被拒绝时退出码为 1。")
@click.argument("case", required=False)
@click.option("--to", "to_version", type=int, required=True, help="迁移到的版本号")
@click.option("--process", "process_key", help="流程代号，与 --from 一起用，迁移整个版本的案件")
@click.option("--from", "from_version", type=int, help="原来的版本号")
@click.option("--county", default=None, metavar="CODE", help=f"只迁移这个县（市）的案件：{_COUNTY}")
@click.option("--user", default="cli", show_default=True, help="记入案件历史的操作人")
@click.pass_context
def migrate(ctx: click.Context, case: str | None, to_version: int, process_key: str | None,
            from_version: int | None, county: str | None, user: str) -> None:
    usage = click.UsageError("请给出案件编号 CASE，或者 --process 流程代号加 --from 版本号，二者选一")
    if case:
        if process_key is not None or from_version is not None or county is not None:
            raise usage
        runtime_of(ctx).migrate(case, to_version, actor=user)
        click.echo(f"{case}：已迁移到 v{to_version}")
        return
    if process_key is None or from_version is None:
        raise usage
    results = runtime_of(ctx).migrate_all(process_key, from_version, to_version, actor=user, county=county)
    for result in results:
        click.echo(f"{result['case']}：" + (f"已迁移到 v{to_version}" if result["migrated"]
                                          else f"不能迁移：{result['reason']}"))
    refused = sum(not r["migrated"] for r in results)
    click.echo(f"共 {len(results)} 个案件：已迁移 {len(results) - refused} 个，不能迁移 {refused} 个")
    if refused:
        sys.exit(1)


@click.command("test-run", help="试运行草稿，不碰任何真实案件：把 PATHS 部署到一个用完即弃的数据库，"
                                 "用 --data 新建流程 KEY 的案件，再依次执行每个 --step。打印每一步的结果；"
                                 "草稿或某一步被拒绝时退出码为 1。")
@click.argument("key")
@click.argument("paths", nargs=-1, required=True)
@click.option("--data", "data", required=True, help="申请数据：JSON 对象，或 @文件.json 从文件读取")
@click.option("--step", "steps", multiple=True,
              help='一步，JSON 对象或 @文件.json：{"task": 任务编号或名称, "data": {...}}、'
                   '{"message": 消息名称, "payload": {...}} 或 {"tick": "2026-10-14T00:05:00+08:00"}；'
                   '可写多个，按顺序执行')
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出，供程序读取")
@click.pass_context
def test_run(ctx: click.Context, key: str, paths: tuple[str, ...], data: str, steps: tuple[str, ...],
             as_json: bool) -> None:
    from certflow.engine import sandbox

    runtime = runtime_of(ctx)
    result = sandbox.test_run(read_paths(paths), runtime.handlers, runtime.settings, key, json_arg(data),
                              [json_arg(step, "--step") for step in steps], lanes=runtime.lane_mappings())
    if result["problems"]:  # listed as `certflow deploy` lists them
        raise DeploymentError([Problem(**problem) for problem in result["problems"]])
    if as_json:
        print_json(result)
    else:
        for entry in result["trace"]:
            click.echo(json.dumps(entry["step"], ensure_ascii=False))
            if entry["error"]:
                click.echo(f"  被拒绝：{entry['error']}")
                for item in entry["field_errors"]:
                    click.echo(f"    {item['field'] or '整张表单'}：{item['message']}")
            if "status" in entry:
                click.echo(f"  {naming.STATUSES.get(entry['status'], entry['status'])}："
                           f"{entry['current_step'] or OUTCOMES.get(entry['outcome'] or '', entry['outcome'] or '')}")
                for text in entry["texts"]:
                    click.echo(f"  短信 → {text['to']}：{text['text']}")
    if not result["ok"]:
        sys.exit(1)


COMMANDS = (deploy, versions, compare, rollback, follow_province, migrate, test_run)
