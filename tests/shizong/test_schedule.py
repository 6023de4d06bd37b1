"""The re-assessment schedule on imported holders: who gets an appointment, reruns, and its command."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from exchange import COUNTY, GUARDIAN, TCM, ExchangeDriver, roster_csv, roster_row, shizong_id
from sqlalchemy import select

from certflow.campaign.models import CampaignHolder, ReassessmentAppointment
from certflow.campaign.reassessment.scheduling import schedule
from certflow.campaign.roster import import_roster
from certflow.cli import main
from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime

# One place a day per category at a venue, so that a handful of holders spreads over days.
SMALL = replace(COUNTY, reassessment=replace(COUNTY.reassessment, teams_per_day=1, daily_capacity=tuple(
    (c, 1) for c, _ in COUNTY.reassessment.daily_capacity)))


def visual(name: str, sequence: str, **changes: str) -> dict[str, str]:
    return roster_row(applicant_name=name, id_number=shizong_id("19700101", sequence), basis="目测", **changes)


def imported(runtime: Runtime, tmp_path: Path, rows: list[dict[str, str]]) -> dict[str, str]:
    """Import the rows; name -> case number."""
    report = import_roster(runtime.sessions, runtime, roster_csv(tmp_path / f"roster{len(rows)}.csv", rows),
                           actor="county", county=COUNTY)
    assert report.rejected == []
    return dict(zip([r["applicant_name"] for r in rows], report.started, strict=True))


def appointments(runtime: Runtime) -> dict[str, tuple[date, str, bool]]:
    """Case number -> (day, venue, home visit)."""
    with runtime.sessions() as session:
        rows = session.execute(select(CampaignHolder.case_number, ReassessmentAppointment.day,
                                      ReassessmentAppointment.venue, ReassessmentAppointment.home_visit)
                               .join(CampaignHolder, CampaignHolder.id == ReassessmentAppointment.holder_id))
        return {number: (day, venue, home) for number, day, venue, home in rows}


def test_holders_still_to_be_re_assessed_get_a_day_and_a_rerun_moves_nobody(
        runtime: Runtime, clock: FixedClock, tmp_path: Path) -> None:
    cases = imported(runtime, tmp_path, [
        visual("李国强", "033"), visual("赵春梅", "043"), visual("周光辉", "053", category="视力"),
        visual("张美兰", "063", township="丹凤街道", village="丹凤社区", address="师宗县丹凤街道8号"),
        visual("孙德福", "073", township="漾月街道", village="法雨社区", address="师宗县漾月街道8号"),
        visual("陈玉珍", "083", grade="一级", home_visit="是"),
        visual("吴建国", "093"), roster_row(),  # 王秀英: 非目测, exchanges at the township
    ])
    assessed = ExchangeDriver(runtime, clock, cases["吴建国"])
    assessed.serve_notice()
    assessed.reassess("肢体", 3, group=TCM)

    report = schedule(runtime.sessions, runtime, SMALL, actor="county")
    found = appointments(runtime)
    assert set(found) == {cases[n] for n in ("李国强", "赵春梅", "周光辉", "张美兰", "孙德福", "陈玉珍")}
    assert (report.placed_clinic, report.placed_home, report.kept, report.not_needed) == (5, 1, 0, 1)
    assert found[cases["张美兰"]][1] == found[cases["孙德福"]][1] == "县残联办公区"
    assert found[cases["陈玉珍"]] == (date(2022, 5, 16), "雄壁镇", True)
    # One team, one place a day per category: the office two days, one per sub-district; then 雄壁镇 two days,
    # 周光辉 (视力) with the first of the two 肢体 holders of his village.
    assert {n: found[cases[n]][0] for n in ("张美兰", "孙德福", "李国强", "周光辉", "赵春梅")} == {
        "张美兰": date(2022, 3, 28), "孙德福": date(2022, 3, 29), "李国强": date(2022, 3, 30),
        "周光辉": date(2022, 3, 30), "赵春梅": date(2022, 3, 31)}
    assert (report.clinic.days, report.clinic.last, report.last_day, report.meets_deadline) == (
        4, date(2022, 3, 31), date(2022, 5, 16), True)

    late = imported(runtime, tmp_path, [visual("郑秀英", "103"), visual("黄志强", "113", category="精神", **GUARDIAN)])
    again = schedule(runtime.sessions, runtime, SMALL, actor="county", start=date(2022, 3, 28))
    assert {number: found[number] for number in found} == {n: appointments(runtime)[n] for n in found}
    assert (again.placed_clinic, again.kept) == (2, 6)
    # After the days already used, whatever start is given: both on the first day after 31 March.
    assert {appointments(runtime)[late[n]][0] for n in late} == {date(2022, 4, 1)}
    assert schedule(runtime.sessions, runtime, SMALL, actor="county").placed_clinic == 0


def test_a_holder_served_with_a_home_visit_is_visited_at_home(runtime: Runtime, clock: FixedClock,
                                                              tmp_path: Path) -> None:
    cases = imported(runtime, tmp_path, [visual("李国强", "033"),
                                         visual("赵春梅", "043", home_visit="是", grade="一级")])
    ExchangeDriver(runtime, clock, cases["李国强"]).serve_notice("home_visit")  # the township learnt he cannot come
    ExchangeDriver(runtime, clock, cases["赵春梅"]).serve_notice("local")  # she can after all
    schedule(runtime.sessions, runtime, COUNTY, actor="county")
    found = appointments(runtime)
    assert found[cases["李国强"]][1:] == ("雄壁镇", True)
    assert found[cases["赵春梅"]][1:] == ("雄壁镇卫生院", False)


def test_nothing_is_scheduled_for_today_or_earlier(runtime: Runtime, clock: FixedClock, tmp_path: Path) -> None:
    cases = imported(runtime, tmp_path, [visual("李国强", "033")])
    clock.set(clock.now().replace(month=4, day=1))  # a Friday; Saturday 2 April is worked
    schedule(runtime.sessions, runtime, COUNTY, actor="county")
    assert appointments(runtime)[cases["李国强"]][0] == date(2022, 4, 2)


def test_the_command_prints_the_days_and_the_deadline(runtime: Runtime, tmp_path: Path) -> None:
    imported(runtime, tmp_path, [visual("李国强", "033"), visual("陈玉珍", "083", grade="一级", home_visit="是")])
    result = CliRunner().invoke(main, ["campaign", "schedule"], obj=runtime)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "shizong-2022-card-exchange：本次安排集中评定1人、上门评定1人；已有安排0人（不变动）；已评定或无需安排0人",
        "集中评定：1人，2022-03-28至2022-03-28，共1个工作日、1个组次",
        "上门评定：1人，2022-05-16至2022-05-16，共1个工作日（在计划的2022-05-16至2022-06-06之内）",
        "最后评定日：2022-05-16；目测持证人重新评定及换证完成期限2022-06-30：可以按期完成",
    ]
    late = CliRunner().invoke(main, ["campaign", "schedule", "--start", "2022-07-01"], obj=runtime)
    assert late.exit_code == 0 and "本次安排集中评定0人" in late.stdout

    imported(runtime, tmp_path, [visual("郑秀英", "103")])
    late = CliRunner().invoke(main, ["campaign", "schedule", "--start", "2022-07-01"], obj=runtime)
    assert late.exit_code == 1
    assert "最后评定日：2022-07-01；目测持证人重新评定及换证完成期限2022-06-30：不能按期完成" in late.stdout

    bad = CliRunner().invoke(main, ["campaign", "schedule", "--start", "1 July"], obj=runtime)
    assert bad.exit_code == 2 and "--start" in bad.output


def test_a_county_file_without_a_schedule_is_refused_clearly(runtime: Runtime, tmp_path: Path) -> None:
    imported(runtime, tmp_path, [visual("李国强", "033")])
    with pytest.raises(Exception, match="没有 reassessment"):
        schedule(runtime.sessions, runtime, replace(COUNTY, reassessment=None), actor="county")
    assert Counter(appointments(runtime)) == Counter()
