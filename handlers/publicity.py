"""The dates of a publicity (公示) and of an objection to it.

The publicity runs 5 working days in the applicant's village from the day it is posted. A posting
date before the assessment, or in the future, would make the period end before anyone could read it
(or start it when nobody can check): both are refused. An objection counts by the day it reached the
village or the federation, not by when the clerk types it in or when the worker processes the end of
the period: received within the period it is accepted, after it refused, naming the last day. A
request for re-examination (复核) of a 不符合标准 conclusion is counted the same way.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from certflow.engine.calendar import WorkingCalendar, moment_text
from certflow.engine.errors import InputRefused

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


def check_received(
    payload: dict[str, Any], opened_on: date, last: date, today: date, *, what: str, opened: str, closed: str,
) -> dict[str, str]:
    """``{received_on, last_day}`` of a request received between ``opened_on`` and ``last``; refused otherwise.

    ``received_on`` is the date the clerk entered; without one, the request was received today.
    ``what`` names the request, ``opened`` the day the period began, ``closed`` the period.
    """
    given = payload.get("received_on") if isinstance(payload, dict) else None
    received = _date(given, "received_on", f"收到{what}的日期") if given else today
    if received > today:
        raise InputRefused("received_on", f"收到{what}的日期不能晚于今天（{moment_text(today)}）")
    if received < opened_on:
        raise InputRefused("received_on", f"收到{what}的日期不能早于{opened}（{moment_text(opened_on)}）")
    if received > last:
        raise InputRefused(
            "received_on", f"{closed}已于{moment_text(last)}届满，{moment_text(received)}收到的{what}不予受理",
        )
    return {"received_on": received.isoformat(), "last_day": last.isoformat()}


def check_objection(
    objection: dict[str, Any], posted_on: str, today: date, calendar: WorkingCalendar,
) -> dict[str, str]:
    """An objection to the publicity, received between the posting day and the period's last day."""
    posted = date.fromisoformat(posted_on[:10])
    return check_received(objection, posted, last_day(posted_on, calendar), today,
                          what="异议", opened="公示张贴日期", closed="公示期")


def check_review_request(request: dict[str, Any], opened_on: str, last: str, today: date) -> dict[str, str]:
    """A request for re-examination (复核) of a 不符合标准 conclusion, received within its 10 working days."""
    return check_received(request, date.fromisoformat(opened_on[:10]), date.fromisoformat(last[:10]), today,
                          what="复核申请", opened="告知评定结论的日期", closed="申请复核的期限")
