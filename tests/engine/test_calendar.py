from datetime import UTC, date, datetime, timedelta

import pytest

from certflow.engine.calendar import CHINA_TZ, WorkingCalendar, _china_year


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar()


def test_national_day_2026_publicity_deadline(cal: WorkingCalendar) -> None:
    # Oct 1-7 off, Sat Oct 10 worked in exchange, Sun Oct 11 off.
    assert cal.add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)
    end = cal.deadline(date(2026, 9, 30), 5)
    assert end == datetime(2026, 10, 14, 0, 0, tzinfo=CHINA_TZ)
    assert end.isoformat() == "2026-10-14T00:00:00+08:00"
    assert end.utcoffset() == timedelta(hours=8)
    assert end == datetime(2026, 10, 13, 16, 0, tzinfo=UTC)


def test_national_day_2026_days(cal: WorkingCalendar) -> None:
    for day in range(1, 8):
        assert not cal.is_working_day(date(2026, 10, day)), day
    assert cal.is_working_day(date(2026, 10, 8))
    assert cal.is_working_day(date(2026, 10, 10))  # Saturday, make-up working day
    assert not cal.is_working_day(date(2026, 10, 11))  # Sunday
    assert cal.is_working_day(date(2026, 9, 20))  # Sunday, make-up working day


def test_spring_festival_2026(cal: WorkingCalendar) -> None:
    # Off Sun Feb 15 to Mon Feb 23; Sat Feb 14 and Sat Feb 28 are worked.
    assert cal.is_working_day(date(2026, 2, 13))
    assert cal.is_working_day(date(2026, 2, 14))
    for day in range(15, 24):
        assert not cal.is_working_day(date(2026, 2, day)), day
    assert cal.is_working_day(date(2026, 2, 24))
    assert cal.is_working_day(date(2026, 2, 28))
    assert not cal.is_working_day(date(2026, 3, 1))


def test_spring_festival_2026_counts(cal: WorkingCalendar) -> None:
    # From Fri Feb 13: Sat 14, then nothing until Tue 24.
    assert cal.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert cal.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert cal.deadline(date(2026, 2, 13), 10) == datetime(2026, 3, 6, tzinfo=CHINA_TZ)
    assert cal.working_days_between(date(2026, 2, 13), date(2026, 2, 28)) == 6
    assert cal.working_days_between(date(2026, 2, 14), date(2026, 2, 23)) == 0


def test_ordinary_weeks(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(date(2026, 3, 6))  # Friday
    assert not cal.is_working_day(date(2026, 3, 7))  # Saturday
    assert not cal.is_working_day(date(2026, 3, 8))  # Sunday
    # The start day never counts, even when it is a working day.
    assert cal.add_working_days(date(2026, 3, 2), 1) == date(2026, 3, 3)
    assert cal.add_working_days(date(2026, 3, 6), 1) == date(2026, 3, 9)
    assert cal.add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)
    assert cal.working_days_between(date(2026, 3, 2), date(2026, 3, 9)) == 5


def test_between_is_left_open_right_closed(cal: WorkingCalendar) -> None:
    start = date(2026, 9, 30)
    for n in (1, 5, 10, 30):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n
    assert cal.working_days_between(start, start) == 0
    assert cal.working_days_between(start, date(2026, 9, 1)) == 0


def test_across_year_end(cal: WorkingCalendar) -> None:
    # 2026-01-01 and 01-02 off, Sunday 01-04 worked.
    assert cal.add_working_days(date(2025, 12, 31), 1) == date(2026, 1, 4)


def test_n_must_be_positive(cal: WorkingCalendar) -> None:
    with pytest.raises(ValueError, match="^工作日天数应至少为 1，现为 0$"):
        cal.add_working_days(date(2026, 3, 2), 0)
    with pytest.raises(ValueError, match="^工作日天数应至少为 1，现为 -1$"):
        cal.deadline(date(2026, 3, 2), -1)


def test_datetime_is_refused(cal: WorkingCalendar) -> None:
    with pytest.raises(TypeError):
        cal.is_working_day(datetime(2026, 3, 2, tzinfo=CHINA_TZ))


def test_local_additions_for_2027() -> None:
    default = WorkingCalendar()
    assert default.is_working_day(date(2027, 1, 2)) is False  # Saturday
    local = WorkingCalendar(
        extra_holidays=[date(2027, 1, 1), date(2027, 1, 4)],
        extra_workdays=[date(2027, 1, 9)],
    )
    assert not local.is_working_day(date(2027, 1, 1))
    assert not local.is_working_day(date(2027, 1, 4))  # Monday, declared off
    assert local.is_working_day(date(2027, 1, 9))  # Saturday, declared worked
    assert default.is_working_day(date(2027, 1, 4))
    assert not default.is_working_day(date(2027, 1, 9))
    # From Thu 2026-12-31: Jan 1 off, weekend, Jan 4 off, Jan 5..8 worked, Sat Jan 9 worked.
    assert local.add_working_days(date(2026, 12, 31), 5) == date(2027, 1, 9)
    assert default.add_working_days(date(2026, 12, 31), 5) == date(2027, 1, 8)


def test_extra_workday_wins_over_package_holiday() -> None:
    local = WorkingCalendar(extra_workdays=[date(2026, 10, 7)])
    assert local.is_working_day(date(2026, 10, 7))
    assert not WorkingCalendar().is_working_day(date(2026, 10, 7))


def test_extra_holiday_wins_over_make_up_day() -> None:
    local = WorkingCalendar(extra_holidays=[date(2026, 10, 10)])
    assert not local.is_working_day(date(2026, 10, 10))


def test_a_date_cannot_be_both() -> None:
    with pytest.raises(ValueError, match="^这些日期既列为节假日又列为工作日：2027-01-01$"):
        WorkingCalendar(extra_holidays=[date(2027, 1, 1)], extra_workdays=[date(2027, 1, 1)])


def test_holiday_tables_are_cached(cal: WorkingCalendar) -> None:
    _china_year.cache_clear()
    cal.add_working_days(date(2026, 1, 1), 200)
    info = _china_year.cache_info()
    assert info.misses == 1
    assert info.hits > 100
