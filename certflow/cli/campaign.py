"""``certflow campaign``: a county's exchange campaign, from the roster imported to the re-assessment schedule."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from certflow.campaign.county import County
from certflow.cli.runtime import services_of

_COUNTY_HELP = "县的配置文件，不写时为 CERTFLOW_COUNTY，再没有就是 shizong.json"
_CAMPAIGN_HELP = "持证人所属的换证工作，不写时为县配置文件中的那一项"
_DAY = "年-月-日，如 2026-10-14"


def load_county(path: Path | None) -> County:
    """The county file given, or else CERTFLOW_COUNTY's."""
    from certflow.config import Config

    return County.load(path or Config.from_env().county_file)


def _entered(ctx: click.Context, path: Path | None) -> County:
    """The county file's county, made a row of the counties (with its groups) where it is not one yet."""
    from certflow.campaign.roster import enter_county

    county, services = load_county(path), services_of(ctx)
    enter_county(services.sessions, services.runtime, county)
    return county


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


@click.group(help="一个县的第三代残疾人证换证工作：持证人名册，每位持证人一个案件。县的情况（乡镇、村(社区)、"
                  "评残机构）在县配置文件 CERTFLOW_COUNTY 中（默认 shizong.json）。")
def campaign() -> None:
    pass


@campaign.command("import", help="导入名册 PATH（.csv 或 .xlsx，各列见 docs/processes.md）：每位有效且未导入过的"
                                 "持证人新建一个案件；不予导入的行逐行列出原因。")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--campaign", "name", help=_CAMPAIGN_HELP)
@click.option("--county", "county_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=_COUNTY_HELP)
@click.option("--report", "report_file", type=click.Path(dir_okay=False, path_type=Path),
              help="把不予导入的行（行号、原因）另写到这个 CSV 文件")
@click.option("--user", default="campaign-import", show_default=True, help="记入案件历史的新建人")
@click.pass_context
def campaign_import(ctx: click.Context, path: Path, name: str | None, county_file: Path | None,
                    report_file: Path | None, user: str) -> None:
    from certflow.campaign.roster import import_roster, write_rejected

    services = services_of(ctx)
    with _progress_bar("导入") as progress:
        report = import_roster(services.sessions, services.runtime, path, actor=user, county=load_county(county_file),
                               campaign=name, progress=progress)
    click.echo(report.summary())
    if report.groups_added:
        click.echo(f"组织机构：新增{report.groups_added}个（乡镇、村(社区)、评残机构）")
    for line, reason in report.rejected:
        click.echo(f"  第{line}行：{reason}")
    if report_file:
        write_rejected(report.rejected, report_file)
        click.echo(f"不予导入的行已写入 {report_file}")


@campaign.command("schedule", help="按县配置文件的重新评定部分，给每位还要重新评定的持证人（目测，通知未送达或"
                                   "尚未评定）安排日期和地点，或上门评定；已有安排的不变。打印用到的日子，以及"
                                   "能否在县定的期限内评完（不能时退出码为 1）。")
@click.option("--campaign", "name", help=_CAMPAIGN_HELP)
@click.option("--county", "county_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=_COUNTY_HELP)
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]),
              help=f"评定点的第一天，{_DAY}（不写时为县配置文件中的日子；不早于已用的日子）")
@click.option("--user", default="campaign-schedule", show_default=True, help="记入案件历史的安排人")
@click.pass_context
def campaign_schedule(ctx: click.Context, name: str | None, county_file: Path | None, start: datetime | None,
                      user: str) -> None:
    from certflow.campaign.reassessment.scheduling import schedule

    services = services_of(ctx)
    report = schedule(services.sessions, services.runtime, _entered(ctx, county_file), actor=user, campaign=name,
                      start=start.date() if start else None)
    for line in report.lines():
        click.echo(line)
    if not report.meets_deadline:
        sys.exit(1)


@campaign.command("move", help="评定暂停（另行通知，如因疫情）时改期：把某评定点某一天（--day 和 --venue）"
                               "的所有持证人，或一位持证人（--case），改到工作日 --to。还在等的持证人都会收到"
                               "新日期和地点的短信，改期记入案件历史；再打印的通知写新的日子。")
@click.option("--to", "to", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help=f"新的日子，{_DAY}")
@click.option("--reason", required=True, help="告诉持证人的原因，如 疫情防控需要")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), help=f"原来的日子，{_DAY}")
@click.option("--venue", help="评定点，按安排表上的名称，如 雄壁镇卫生院")
@click.option("--case", "case_number", help="只改一位持证人：他的案件编号")
@click.option("--campaign", "name", help=_CAMPAIGN_HELP)
@click.option("--county", "county_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=_COUNTY_HELP)
@click.option("--user", default="campaign-schedule", show_default=True, help="记入案件历史的改期人")
@click.pass_context
def campaign_move(ctx: click.Context, to: datetime, reason: str, day: datetime | None, venue: str | None,
                  case_number: str | None, name: str | None, county_file: Path | None, user: str) -> None:
    from certflow.campaign.reassessment.moves import MoveRequest, move_appointments

    request = MoveRequest(to.date(), reason, day.date() if day else None, venue, case_number)
    services = services_of(ctx)
    report = move_appointments(services.sessions, services.runtime, _entered(ctx, county_file), request, actor=user,
                               campaign=name)
    for line in report.lines():
        click.echo(line)


@campaign.command("roster", help="写一份虚构的名册 OUT（.csv 或 .xlsx），供测试和性能测试用：默认按师宗县方案的"
                                 "数字（持证人 11058 人，非目测 3482 人，目测 7576 人，上门 55 人）；人都是编的。")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--holders", default=11058, show_default=True, type=click.IntRange(min=7), help="持证人数")
@click.option("--seed", default=2022, show_default=True, help="随机数种子：同一种子得到同一份名册")
@click.option("--county", "county_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help=_COUNTY_HELP)
def campaign_roster(out: Path, holders: int, seed: int, county_file: Path | None) -> None:
    from certflow.campaign.synthetic import generate_roster, write_roster

    rows = generate_roster(load_county(county_file), holders, seed)
    try:
        write_roster(rows, out)
    except ValueError as error:  # a suffix it cannot write: refused input, as click's own are
        raise click.BadParameter(str(error), param_hint="OUT") from error
    bases = Counter(row["评定方式"] for row in rows)
    visits = sum(row["上门服务"] == "是" for row in rows)
    click.echo(f"{out}：持证人 {bases['非目测'] + bases['目测']} 人（非目测 {bases['非目测']} 人，"
               f"目测 {bases['目测']} 人），新申请 {bases['新评定']} 人，上门 {visits} 人")


COMMANDS = (campaign,)
