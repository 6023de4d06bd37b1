"""Appointments moved when the epidemic stops the assessments (另行通知): a venue-day or one holder, within the
day's capacity; each holder still waiting is texted the new day and place, and the case's history keeps it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from exchange import COUNTY, ExchangeDriver, roster_row, shizong_id
from lxml import etree
from test_schedule import appointments, imported, visual

from certflow.campaign.reassessment.moves import MoveRefused, MoveRequest, move_appointments
from certflow.campaign.reassessment.scheduling import schedule
from certflow.cli import main
from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime
from certflow.engine.specs import SourceFile, read_paths

XIONGBI_CLINIC = "雄壁镇卫生院"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def scheduled(runtime: Runtime, clock: FixedClock, tmp_path: Path) -> dict[str, str]:
    """Three 目测 holders of 雄壁镇, one of them at home, and a new applicant, all scheduled; name -> case."""
    cases = imported(runtime, tmp_path, [
        visual("李国强", "033"), visual("赵春梅", "043", category="视力"), visual("陈玉珍", "083", grade="一级",
                                                                        home_visit="是"),
        roster_row(applicant_name="吴建国", id_number=shizong_id("19700101", "093"), basis="新评定", grade="",
                   home_visit="是"),
    ])
    schedule(runtime.sessions, runtime, COUNTY, actor="county")
    return cases


def test_a_venue_day_moves_and_every_holder_on_it_is_texted(
        runtime: Runtime, clock: FixedClock, scheduled: dict[str, str]) -> None:
    before = appointments(runtime)
    day = before[scheduled["李国强"]][0]
    assert before[scheduled["赵春梅"]] == (day, XIONGBI_CLINIC, False)
    ExchangeDriver(runtime, clock, scheduled["赵春梅"]).serve_notice()  # receipt back: now waiting at the hospital

    report = move_appointments(runtime.sessions, runtime, COUNTY,
                               MoveRequest(date(2022, 4, 20), "疫情防控需要", day, XIONGBI_CLINIC),
                               actor="county")
    assert sorted(report.moved) == sorted([scheduled["李国强"], scheduled["赵春梅"]])
    assert sorted(report.texted) == sorted(report.moved) and report.untold == []
    after = appointments(runtime)
    assert after[scheduled["李国强"]] == (date(2022, 4, 20), XIONGBI_CLINIC, False)
    assert after[scheduled["陈玉珍"]] == before[scheduled["陈玉珍"]]  # a home visit is not on that venue-day
    for name in ("李国强", "赵春梅"):
        case = ExchangeDriver(runtime, clock, scheduled[name])
        told = case.text("appointment_moved")["text"]
        assert "您的残疾评定时间改为2022年4月20日（星期三），地点：雄壁镇卫生院" in told
        moves = [e for e in runtime.history(case.number) if e["kind"] == "message_received"]
        assert moves[-1]["data"]["payload"]["day"] == "2022-04-20"


def test_one_new_applicants_home_visit_moves(runtime: Runtime, clock: FixedClock, scheduled: dict[str, str]) -> None:
    number = scheduled["吴建国"]
    assert appointments(runtime)[number][2] is True
    report = move_appointments(runtime.sessions, runtime, COUNTY,
                               MoveRequest(date(2022, 6, 6), "疫情防控需要", case_number=number),
                               actor="county")
    assert report.moved == [number]
    assert appointments(runtime)[number][0] == date(2022, 6, 6)
    text = ExchangeDriver(runtime, clock, number).text("appointment_moved")["text"]
    assert "2022年6月6日（星期一），地点：上门评定（雄壁镇）" in text


@pytest.mark.parametrize(("request_", "reason"), [
    (MoveRequest(date(2022, 4, 3), "疫情防控需要", case_number="?"), "须是今天以后的工作日"),  # Qingming
    (MoveRequest(date(2022, 3, 16), "疫情防控需要", case_number="?"), "须是今天以后的工作日"),  # today
    (MoveRequest(date(2022, 4, 20), "", case_number="?"), "请填写改期原因"),
    (MoveRequest(date(2022, 4, 20), "疫情防控需要", case_number="SZ-2022-999999"), "没有可改期的评定安排"),
])
def test_a_move_that_cannot_be_made_says_why(runtime: Runtime, scheduled: dict[str, str], request_: MoveRequest,
                                             reason: str) -> None:
    before = appointments(runtime)
    with pytest.raises(MoveRefused, match=reason):
        move_appointments(runtime.sessions, runtime, COUNTY, request_, actor="county")
    assert appointments(runtime) == before


def test_a_day_that_is_full_is_refused(runtime: Runtime, clock: FixedClock, tmp_path: Path,
                                       scheduled: dict[str, str]) -> None:
    full = replace(COUNTY, reassessment=replace(COUNTY.reassessment, daily_capacity=tuple(
        (c, 1) for c, _ in COUNTY.reassessment.daily_capacity)))
    day = appointments(runtime)[scheduled["李国强"]][0]
    other = imported(runtime, tmp_path, [visual("孙德福", "073")])["孙德福"]
    schedule(runtime.sessions, runtime, COUNTY, actor="county")
    move_appointments(runtime.sessions, runtime, full,
                      MoveRequest(date(2022, 4, 20), "疫情防控需要", case_number=other), actor="county")
    with pytest.raises(MoveRefused, match="肢体（已有1人，每日最多1人）"):
        move_appointments(runtime.sessions, runtime, full,
                          MoveRequest(date(2022, 4, 20), "疫情防控需要", day, XIONGBI_CLINIC),
                          actor="county")


def test_the_command_moves_a_venue_day(runtime: Runtime, scheduled: dict[str, str]) -> None:
    day = appointments(runtime)[scheduled["李国强"]][0]
    result = CliRunner().invoke(main, ["campaign", "move", "--day", day.isoformat(), "--venue", XIONGBI_CLINIC,
                                       "--to", "2022-04-21", "--reason", "疫情防控需要"], obj=runtime)
    assert result.exit_code == 0, result.output
    assert "已改期2人，已短信通知2人" in result.output
    refused = CliRunner().invoke(main, ["campaign", "move", "--case", scheduled["李国强"], "--to", "2022-04-23",
                                        "--reason", "疫情防控需要"], obj=runtime)
    assert refused.exit_code == 1 and "须是今天以后的工作日" in refused.output  # a Saturday


MOVED_ELEMENTS = {"serve_notice_moved", "reassess_moved", "home_visit_assess_moved", "moved_merge", "notify_moved",
                  "end_moved", "flow_serve_notice_moved", "flow_reassess_moved", "flow_home_visit_assess_moved",
                  "flow_moved_notify", "flow_moved_end"}


def without_moves(bpmn: bytes) -> bytes:
    """card_exchange as it was before appointments could be moved: nothing waits for the message."""
    root = etree.fromstring(bpmn)
    for element in list(root.iter()):
        if element.get("id") in MOVED_ELEMENTS or element.get("bpmnElement") in MOVED_ELEMENTS or (
                element.tag.endswith("}flowNodeRef") and element.text in MOVED_ELEMENTS):
            element.getparent().remove(element)
    for element in root.iter("{*}incoming", "{*}outgoing"):
        if element.text in MOVED_ELEMENTS:
            element.getparent().remove(element)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_a_case_of_an_earlier_version_keeps_the_move_in_its_history(runtime: Runtime, tmp_path: Path) -> None:
    sources = read_paths([ROOT / "processes", ROOT / "forms"])
    older = [SourceFile(f.name, without_moves(f.content)) if f.name.endswith("card_exchange.bpmn") else f
             for f in sources]
    runtime.deploy(older, author="tests")
    number = imported(runtime, tmp_path, [visual("李国强", "033")])["李国强"]
    runtime.deploy(sources, author="tests")  # the current version again: the case stays on the older one
    schedule(runtime.sessions, runtime, COUNTY, actor="county")

    report = move_appointments(runtime.sessions, runtime, COUNTY,
                               MoveRequest(date(2022, 4, 20), "疫情防控需要", case_number=number),
                               actor="county")
    assert (report.moved, report.texted, report.untold) == ([number], [], [number])
    assert "请电话通知" in report.lines()[1]
    assert appointments(runtime)[number][0] == date(2022, 4, 20)
    [comment] = [e for e in runtime.history(number) if e["kind"] == "comment_added"]
    assert comment["data"]["text"] == "评定改期（疫情防控需要）：改为2022年4月20日（星期三），地点：雄壁镇卫生院"


def test_a_day_when_the_team_is_at_another_venue_is_refused(runtime: Runtime, tmp_path: Path) -> None:
    one_team = replace(COUNTY, reassessment=replace(COUNTY.reassessment, teams_per_day=1))
    cases = imported(runtime, tmp_path, [
        visual("李国强", "033"),
        visual("张美兰", "063", township="丹凤街道", village="丹凤社区", address="师宗县丹凤街道8号"),
    ])
    schedule(runtime.sessions, runtime, one_team, actor="county")
    xiongbi_day, venue, _ = appointments(runtime)[cases["李国强"]]
    assert venue == XIONGBI_CLINIC and appointments(runtime)[cases["张美兰"]][0] != xiongbi_day
    with pytest.raises(MoveRefused, match=f"第1评定组.*已安排在{XIONGBI_CLINIC}"):
        move_appointments(runtime.sessions, runtime, one_team,
                          MoveRequest(xiongbi_day, "疫情防控需要", case_number=cases["张美兰"]),
                          actor="county")
