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


def load_county(path: Path | None) -> County:
    """The county file given, or else CERTFLOW_COUNTY's."""
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


@click.group(help="A county's exchange for the third-generation card (换证): its roster of holders, a case per holder. "
                  "The county (townships, villages, assessment institutions) is the file CERTFLOW_COUNTY "
                  "(default shizong.json).")
def campaign() -> None:
    pass


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
def campaign_schedule(ctx: click.Context, name: str | None, county_file: Path | None, start: datetime | None,
                      user: str) -> None:
    from certflow.campaign.reassessment.scheduling import schedule

    services = services_of(ctx)
    report = schedule(services.sessions, services.runtime, load_county(county_file), actor=user, campaign=name,
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
def campaign_move(ctx: click.Context, to: datetime, reason: str, day: datetime | None, venue: str | None,
                  case_number: str | None, name: str | None, county_file: Path | None, user: str) -> None:
    from certflow.campaign.reassessment.moves import MoveRequest, move_appointments

    request = MoveRequest(to.date(), reason, day.date() if day else None, venue, case_number)
    services = services_of(ctx)
    report = move_appointments(services.sessions, services.runtime, load_county(county_file), request, actor=user,
                               campaign=name)
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

    rows = generate_roster(load_county(county_file), holders, seed)
    write_roster(rows, out)
    bases = Counter(row["评定方式"] for row in rows)
    visits = sum(row["上门服务"] == "是" for row in rows)
    click.echo(f"{out}: {bases['非目测'] + bases['目测']} holders, {bases['非目测']} 非目测, {bases['目测']} 目测, "
               f"{bases['新评定']} new applicants, {visits} home visits")


COMMANDS = (campaign,)
