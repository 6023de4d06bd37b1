"""Working days in mainland China: public holidays and the State Council's make-up working weekends.

Time limits in the measures (publicity 5 working days, review 10 working days, objection 10
working days) count working days. The ``holidays`` package carries each year's schedule as the
State Council publishes it; the next year's schedule is announced only late in the year before,
so a deployment can add holidays and make-up working days for a year the package does not know yet.
``moment_text`` writes a date or a moment as a person in China reads it, for texts and pages alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from certflow.engine.clock import Clock

CHINA_TZ = ZoneInfo("Asia/Shanghai")


def china_today(clock: Clock) -> date:
    """The day it is in China by ``clock``: the day a form's dates, a birth date's bound and a schedule count from."""
    return clock.now().astimezone(CHINA_TZ).date()

_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=64)
def _china_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(holidays, make-up working weekend days) of one year, built once per process."""
    china = holidays.China(years=year)
    # ``weekend_workdays`` also holds a few dates of other years; keep this year's only.
    workdays = frozenset(d for d in china.weekend_workdays if d.year == year)
    return frozenset(china.keys()), workdays


def moment_text(value: Any) -> str:
    """An ISO date or date-time as a person reads it, in China time: 2026年3月2日 09:30."""
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)
        except ValueError:
            return text
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CHINA_TZ)
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def _as_date(day: date) -> date:
    # A datetime is a date too, but which day it falls on depends on its timezone: refuse to guess.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a date, got {type(day).__name__}")
    return day


class WorkingCalendar:
    """Working days by the national schedule plus local additions.

    ``extra_workdays`` wins over everything (a make-up Saturday, or a day the package wrongly
    lists as a holiday); ``extra_holidays`` wins over the package's working days.
    """

    def __init__(self, extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()) -> None:
        self._extra_holidays = frozenset(_as_date(d) for d in extra_holidays)
        self._extra_workdays = frozenset(_as_date(d) for d in extra_workdays)
        both = self._extra_holidays & self._extra_workdays
        if both:
            listed = "、".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"这些日期既列为节假日又列为工作日：{listed}")

    def adding(self, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> WorkingCalendar:
        """This calendar with more local days (a county's, over the deployment's): where the two disagree on a
        day, the days added win."""
        rests, works = frozenset(holidays), frozenset(workdays)
        return WorkingCalendar(extra_holidays=(self._extra_holidays - works) | rests,
                               extra_workdays=(self._extra_workdays - rests) | works)

    def is_working_day(self, day: date) -> bool:
        day = _as_date(day)
        if day in self._extra_workdays:
            return True
        if day in self._extra_holidays:
            return False
        public_holidays, weekend_workdays = _china_year(day.year)
        if day in weekend_workdays:
            return True
        if day in public_holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start``; ``start`` itself never counts."""
        start = _as_date(start)
        if n < 1:
            raise ValueError(f"工作日天数应至少为 1，现为 {n}")
        day = start
        counted = 0
        while counted < n:
            day += _ONE_DAY
            if self.is_working_day(day):
                counted += 1
        return day

    def deadline(self, start: date, n: int) -> datetime:
        """The moment the n-th working day after ``start`` ends: midnight, China time."""
        last = self.add_working_days(start, n)
        return datetime.combine(last + _ONE_DAY, time(0), tzinfo=CHINA_TZ)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; 0 when ``end`` is not after ``start``."""
        start, end = _as_date(start), _as_date(end)
        count = 0
        day = start + _ONE_DAY
        while day <= end:
            if self.is_working_day(day):
                count += 1
            day += _ONE_DAY
        return count
