"""Packing holders into appointments, without a database: venue-days for the teams, home-visit days.

Each working day the county sends ``teams_per_day`` teams, each to one venue, where the doctors of a category
assess at most their daily capacity; holders who cannot travel are visited at home on a schedule of their own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from certflow.campaign.county import County, Reassessment
from certflow.engine.calendar import WorkingCalendar
from certflow.engine.errors import CertflowError

_ONE_DAY = timedelta(days=1)


class ScheduleError(CertflowError):
    code = "schedule_refused"


@dataclass(frozen=True)
class Pending:
    """A holder to be given an appointment."""

    holder_id: int
    case_number: str
    township: str  # group id
    village: str  # group id
    category: str
    home_visit: bool


@dataclass(frozen=True)
class Placement:
    holder_id: int
    home_visit: bool
    day: date
    venue: str
    team: int


def working_days(calendar: WorkingCalendar, start: date) -> Iterator[date]:
    """The working days from ``start`` on, ``start`` included when it is one."""
    day = start
    while True:
        if calendar.is_working_day(day):
            yield day
        day += _ONE_DAY


def plan(pending: list[Pending], county: County, calendar: WorkingCalendar, clinic_start: date,
         home_start: date) -> list[Placement]:
    """Appointments for ``pending``: venue-days from ``clinic_start``, home visits from ``home_start``."""
    settings = settings_of(county)
    order = {v.group: i for t in county.townships for i, v in enumerate(t.villages)}
    townships = {t.group: t for t in county.townships}
    clinic: dict[str, list[list[Pending]]] = defaultdict(list)  # venue -> its villages' holders
    home: dict[str, list[list[Pending]]] = defaultdict(list)  # township name -> its villages' holders
    for (township, _, home_visit), holders in _villages(pending, list(townships), order).items():
        group = home[townships[township].name] if home_visit else clinic[townships[township].venue]
        group.append(holders)
    clinic_days = {venue: _pack(villages, lambda h: h.category, settings.capacity)
                   for venue, villages in clinic.items()}
    visit_days = {name: _pack(villages, lambda h: "", lambda _: settings.home_visits.per_day)
                  for name, villages in home.items()}
    # Home visits: one team, a township at a time, in the county file's order.
    return (_dated(_lanes(clinic_days, settings.teams_per_day), calendar, clinic_start, home_visit=False)
            + _dated([[(name, day) for name, days in visit_days.items() for day in days]], calendar, home_start,
                     home_visit=True))


def settings_of(county: County) -> Reassessment:
    """The county file's reassessment section; refused when it has none."""
    if county.reassessment is None:
        raise ScheduleError(f"{county.name}的县配置文件没有 reassessment（重新评定日程安排）一节")
    return county.reassessment


def _villages(pending: list[Pending], townships: list[str],
              order: dict[str, int]) -> dict[tuple[str, str, bool], list[Pending]]:
    """Holders by (township, village, home visit), in the county file's order, each village by case number."""
    found: dict[tuple[str, str, bool], list[Pending]] = defaultdict(list)
    for holder in sorted(pending, key=lambda h: (townships.index(h.township), order[h.village], h.case_number)):
        found[(holder.township, holder.village, holder.home_visit)].append(holder)
    return found


def _pack(villages: list[list[Pending]], kind: Callable[[Pending], str],
          room: Callable[[str], int]) -> list[list[Pending]]:
    """One venue's days: whole villages that fit, then the first village left gives what still fits.

    A village is split only when no whole village fills the day's remaining places, so no place a
    doctor could fill stays empty and most villages come on one day.
    """
    waiting = [list(v) for v in villages]
    days: list[list[Pending]] = []
    while waiting:
        day: list[Pending] = []
        used: Counter[str] = Counter()
        for village in list(waiting):
            need = Counter(kind(h) for h in village)
            if all(used[k] + n <= room(k) for k, n in need.items()):
                day += village
                used += need
                waiting.remove(village)
        if waiting:
            rest = []
            for holder in waiting[0]:
                if used[kind(holder)] < room(kind(holder)):
                    day.append(holder)
                    used[kind(holder)] += 1
                else:
                    rest.append(holder)
            waiting[0:1] = [rest] if rest else []
        days.append(day)
    return days


def _lanes(venue_days: dict[str, list[list[Pending]]], teams: int) -> list[list[tuple[str, list[Pending]]]]:
    """Each team's venue-days: a team stays at a venue until its holders are done, the venue with most days
    going to the team least busy so far, so that the teams finish about together."""
    lanes: list[list[tuple[str, list[Pending]]]] = [[] for _ in range(teams)]
    for venue in sorted(venue_days, key=lambda v: -len(venue_days[v])):
        min(lanes, key=len).extend((venue, day) for day in venue_days[venue])
    return lanes


def _dated(lanes: list[list[tuple[str, list[Pending]]]], calendar: WorkingCalendar, start: date, *,
           home_visit: bool) -> list[Placement]:
    days = working_days(calendar, start)
    dates = [next(days) for _ in range(max(map(len, lanes), default=0))]
    return [Placement(h.holder_id, home_visit, dates[i], venue, team)
            for team, lane in enumerate(lanes, start=1) for i, (venue, day) in enumerate(lane) for h in day]


def meets(last: date | None, deadline: tuple[str, date] | None) -> bool:
    """Whether a schedule ending on ``last`` (None: nothing scheduled) meets the deadline (None: there is none)."""
    return last is None or deadline is None or last <= deadline[1]


def first_day(start: date, today: date, last_used: date | None) -> date:
    """Not before ``start``, and after today and the days already used: a notice must reach the holder first."""
    return max(start, max(d for d in (today, last_used) if d) + _ONE_DAY)
