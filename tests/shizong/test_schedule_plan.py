"""Planning the re-assessment schedule, without a database: working days, capacities, venues, home visits."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from exchange import COUNTY

from certflow.campaign.county import County, HomeVisits
from certflow.campaign.reassessment.planning import Pending, Placement, plan
from certflow.campaign.synthetic import generate_roster
from certflow.engine.calendar import WorkingCalendar

SHIZONG = Path(__file__).resolve().parents[2] / "shizong.json"
CALENDAR = WorkingCalendar()
SETTINGS = COUNTY.reassessment
OFFICE = "县残联办公区"
SUB_DISTRICTS = {t.group for t in COUNTY.townships if t.venue == OFFICE}


@pytest.fixture(autouse=True)
def _every_case_replays() -> None:
    """Planning starts no case: nothing to replay."""


def roster_holders(county: County = COUNTY, holders: int = 11058) -> list[Pending]:
    """The 目测 holders and the new applicants of the generated roster, as the scheduler reads them."""
    townships = {t.name: t for t in county.townships}
    found = []
    for i, row in enumerate(generate_roster(county, holders)):
        if row["评定方式"] in ("目测", "新评定"):
            township = townships[row["乡镇(街道)"]]
            village = next(v for v in township.villages if v.name == row["村(社区)"])
            found.append(Pending(i, f"SZ{i:05d}", township.group, village.group, row["残疾类别"],
                                 row["上门服务"] == "是"))
    return found


def with_plan(**changes) -> County:  # type: ignore[no-untyped-def]
    return replace(COUNTY, reassessment=replace(SETTINGS, **changes))


def village_of(n: int, category: str = "肢体", township: int = 3, village: int = 0, home: bool = False,
               first: int = 0) -> list[Pending]:
    t = COUNTY.townships[township]
    return [Pending(first + i, f"SZ{first + i:05d}", t.group, t.villages[village].group, category, home)
            for i in range(n)]


def test_the_plans_7576_holders_take_about_thirty_working_days_with_two_teams() -> None:
    holders = roster_holders()
    # The plan's 7,576 目测 holders, 20 of them visited at home, and the 55 new applicants, all visited at home.
    assert len(holders) == 7576 + 55 and sum(h.home_visit for h in holders) == 75
    placed = plan(holders, COUNTY, CALENDAR, SETTINGS.start, SETTINGS.home_visits.start)
    assert sorted(p.holder_id for p in placed) == sorted(h.holder_id for h in holders)

    clinic = [p for p in placed if not p.home_visit]
    days = sorted({p.day for p in clinic})
    assert (len(days), days[0], days[-1]) == (29, date(2022, 3, 28), date(2022, 5, 9))
    assert all(CALENDAR.is_working_day(d) for d in days)
    assert date(2022, 4, 2) in days and date(2022, 4, 24) in days  # the make-up Saturday and Sunday
    assert not {date(2022, 4, 4), date(2022, 4, 5), date(2022, 5, 2)} & set(days)  # Qingming, Labour Day

    category = {h.holder_id: h.category for h in holders}
    by_venue_day: dict[tuple[date, str], Counter[str]] = defaultdict(Counter)
    for p in clinic:
        by_venue_day[(p.day, p.venue)][category[p.holder_id]] += 1
    for counts in by_venue_day.values():
        assert all(n <= SETTINGS.capacity(c) for c, n in counts.items()), counts
    venues_a_day = Counter(day for day, _ in by_venue_day)
    assert max(venues_a_day.values()) == SETTINGS.teams_per_day
    teams = {(p.day, p.team): p.venue for p in clinic}
    assert len(teams) == len(by_venue_day)  # a team is at one venue a day

    township = {h.holder_id: h.township for h in holders}
    assert {p.venue for p in clinic if township[p.holder_id] in SUB_DISTRICTS} == {OFFICE}
    assert {township[p.holder_id] for p in clinic if p.venue == OFFICE} == SUB_DISTRICTS


def test_home_visits_have_days_of_their_own_a_township_a_day_within_the_planned_weeks() -> None:
    holders = roster_holders()
    placed = [p for p in plan(holders, COUNTY, CALENDAR, SETTINGS.start, SETTINGS.home_visits.start) if p.home_visit]
    home = {h.holder_id for h in holders if h.home_visit}
    assert {p.holder_id for p in placed} == home
    days = sorted({p.day for p in placed})
    # 16 May to 1 June, 7 a day; the plan's 15 working days would end on 6 June, 3 June being the Dragon Boat holiday.
    assert (days[0], days[-1], len(days)) == (date(2022, 5, 16), date(2022, 6, 1), 13)
    per_day = Counter(p.day for p in placed)
    assert max(per_day.values()) <= SETTINGS.home_visits.per_day
    visited = defaultdict(set)
    for p in placed:
        visited[p.day].add(p.venue)
    assert all(len(v) == 1 for v in visited.values())
    assert {p.venue for p in placed} == {t.name for t in COUNTY.townships
                                         if any(h.township == t.group for h in holders if h.home_visit)}


def test_days_skip_qingming_and_use_the_make_up_days() -> None:
    county = with_plan(teams_per_day=1, daily_capacity=tuple((c, 1) for c, _ in SETTINGS.daily_capacity))
    placed = plan(village_of(5), county, CALENDAR, date(2022, 3, 31), SETTINGS.home_visits.start)
    # Saturday 2 April was worked; 3 to 5 April were the Qingming holidays.
    assert [p.day for p in placed] == [date(2022, 3, 31), date(2022, 4, 1), date(2022, 4, 2), date(2022, 4, 6),
                                       date(2022, 4, 7)]
    placed = plan(village_of(3), county, CALENDAR, date(2022, 4, 22), SETTINGS.home_visits.start)
    assert [p.day for p in placed] == [date(2022, 4, 22), date(2022, 4, 24), date(2022, 4, 25)]  # Sunday 24 April


def test_a_village_that_fits_a_day_comes_on_one_day() -> None:
    county = with_plan(teams_per_day=1, daily_capacity=tuple((c, 10) for c, _ in SETTINGS.daily_capacity))
    holders = village_of(6, village=0) + village_of(7, village=1, first=100) + village_of(4, village=2, first=200)
    placed = plan(holders, county, CALENDAR, date(2022, 3, 28), SETTINGS.home_visits.start)
    days: dict[str, set[date]] = defaultdict(set)
    village = {h.holder_id: h.village for h in holders}
    for p in placed:
        days[village[p.holder_id]].add(p.day)
    # 6 + 4 fill the first day; the village of 7, which fits no day's remaining places, is not split.
    assert [len(d) for d in days.values()] == [1, 1, 1]
    assert Counter(p.day for p in placed) == {date(2022, 3, 28): 10, date(2022, 3, 29): 7}


def test_a_bigger_village_is_split_only_when_the_day_is_full() -> None:
    county = with_plan(teams_per_day=1, daily_capacity=tuple((c, 10) for c, _ in SETTINGS.daily_capacity))
    placed = plan(village_of(25), county, CALENDAR, date(2022, 3, 28), SETTINGS.home_visits.start)
    assert list(Counter(p.day for p in placed).values()) == [10, 10, 5]


def test_each_category_has_its_own_capacity() -> None:
    county = with_plan(teams_per_day=1, daily_capacity=tuple((c, 2 if c == "精神" else 10)
                                                             for c, _ in SETTINGS.daily_capacity))
    holders = village_of(5, "精神") + village_of(5, "肢体", first=100)
    placed = plan(holders, county, CALENDAR, date(2022, 3, 28), SETTINGS.home_visits.start)
    category = {h.holder_id: h.category for h in holders}
    assert Counter((p.day, category[p.holder_id]) for p in placed) == {
        (date(2022, 3, 28), "精神"): 2, (date(2022, 3, 28), "肢体"): 5, (date(2022, 3, 29), "精神"): 2,
        (date(2022, 3, 30), "精神"): 1}


def test_home_visits_fill_a_day_per_township() -> None:
    county = with_plan(home_visits=HomeVisits(date(2022, 5, 16), 15, 3))
    holders = (village_of(4, home=True) + village_of(2, township=4, home=True, first=100)
               + village_of(1, township=0, home=True, first=200))
    placed = plan(holders, county, CALENDAR, SETTINGS.start, date(2022, 5, 16))
    assert sorted({(p.day, p.venue) for p in placed}) == [
        (date(2022, 5, 16), "丹凤街道"), (date(2022, 5, 17), "雄壁镇"), (date(2022, 5, 18), "雄壁镇"),
        (date(2022, 5, 19), "葵山镇")]
    assert all(isinstance(p, Placement) and p.home_visit for p in placed)


def test_a_county_file_with_a_wrong_schedule_says_what_is_wrong(tmp_path) -> None:  # type: ignore[no-untyped-def]
    raw = json.loads(SHIZONG.read_text(encoding="utf-8"))
    path = tmp_path / "county.json"
    section = raw["reassessment"]
    del section["daily_capacity"]["言语"]
    section.update(teams_per_day=0, deadline="年底")
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SystemExit, match="reassessment.daily_capacity 缺少言语；reassessment.teams_per_day 应不小于 1，"
                                         "现为 0；reassessment.deadline 年底 不是本县规定的期限之一"):
        County.load(path)
    for change, message in (({"start": "28 March"},
                             "reassessment.start 应为日期，写成 2026-10-14 这样，现为 '28 March'"),
                            ({"teams_per_day": "2"}, "reassessment.teams_per_day 应为整数，现为 '2'"),
                            ({"home_visits": {"start": "2022-05-16", "days": 15}},
                             "缺少 reassessment.home_visits.per_day")):
        path.write_text(json.dumps({**raw, "reassessment": {**section, **change}}, ensure_ascii=False),
                        encoding="utf-8")
        with pytest.raises(SystemExit, match=re.escape(message)):
            County.load(path)
