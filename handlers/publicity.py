"""The dates of a publicity (公示) and of an objection to it.

The publicity runs 5 working days in the applicant's village from the day it is posted. A posting
date before the assessment, or in the future, would make the period end before anyone could read it
(or start it when nobody can check): both are refused. An objection counts by the day it reached the
village or the federation, not by when the clerk types it in or when the worker processes the end of
the period: received within the period it is accepted, after it refused, naming the last day.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from certflow.engine.calendar import WorkingCalendar
from certflow.engine.errors import InputRefused
from handlers.notifications import moment_text

PERIOD_WORKING_DAYS = 5


def _date(value: Any, field: str, what: str) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InputRefused(field, f"{what}应为日期（年-月-日）") from None


def check_posting(posted_on: str, assessed_on: str | None, today: date) -> dict[str, str]:
    """The posting date, if it is neither before the assessment nor after today."""
    posted = _date(posted_on, "posted_on", "张贴日期")
    if posted > today:
        raise InputRefused("posted_on", f"张贴日期不能晚于今天（{moment_text(today)}）")
    if assessed_on and posted < _date(assessed_on, "posted_on", "评定日期"):
        raise InputRefused("posted_on", f"张贴日期不能早于评定结论作出的日期（{moment_text(assessed_on[:10])}）")
    return {"posted_on": posted.isoformat()}


def last_day(posted_on: str, calendar: WorkingCalendar) -> date:
    """The last day of the period: the 5th working day after the posting day."""
    return calendar.add_working_days(date.fromisoformat(posted_on[:10]), PERIOD_WORKING_DAYS)


def check_objection(
    objection: dict[str, Any], posted_on: str, today: date, calendar: WorkingCalendar,
) -> dict[str, str]:
    """``{received_on, last_day}`` of an objection received within the period; refused otherwise.

    ``received_on`` is the date the clerk entered; without one, the objection was received today.
    """
    given = objection.get("received_on") if isinstance(objection, dict) else None
    received = _date(given, "received_on", "收到异议的日期") if given else today
    posted = date.fromisoformat(posted_on[:10])
    last = last_day(posted_on, calendar)
    if received > today:
        raise InputRefused("received_on", f"收到异议的日期不能晚于今天（{moment_text(today)}）")
    if received < posted:
        raise InputRefused("received_on", f"收到异议的日期不能早于公示张贴日期（{moment_text(posted)}）")
    if received > last:
        raise InputRefused(
            "received_on",
            f"公示期已于{moment_text(last)}结束，{moment_text(received)}收到的异议不在公示期内，不予受理",
        )
    return {"received_on": received.isoformat(), "last_day": last.isoformat()}
