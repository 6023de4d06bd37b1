"""What a county's own row (``counties``) changes in its cases' steps: the prefix of their numbers, the signature
their texts carry and the days its offices rest or work beyond the national calendar.

A county without a row keeps the deployment's settings (CERTFLOW_CASE_PREFIX, CERTFLOW_SIGNATURE and
CERTFLOW_CALENDAR), and its cases the prefix their diagram names: an installation from before counties were
rows runs as it did. The rows are kept by ``certflow.people.counties``, which checks them against the divisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from certflow.engine.calendar import WorkingCalendar
from certflow.engine.models import County
from certflow.engine.settings import Settings


@dataclass(frozen=True)
class Local:
    """One county's rules for the step of one of its cases."""

    signature: str
    calendar: WorkingCalendar  # the national schedule, the deployment's additions, then the county's
    case_prefix: str | None  # None: the county has no row; its cases take their diagram's prefix, else the setting's


def local(session: Session, settings: Settings, county: str) -> Local:
    """The rules of ``county`` (an area code) as its row sets them, else the deployment's."""
    row = session.execute(select(County.case_prefix, County.sms_signature, County.holidays, County.workdays)
                          .where(County.code == county)).one_or_none()
    if row is None:
        return Local(settings.signature, settings.calendar, None)
    calendar = settings.calendar.adding(holidays=[date.fromisoformat(day) for day in row.holidays],
                                        workdays=[date.fromisoformat(day) for day in row.workdays])
    return Local(row.sms_signature, calendar, row.case_prefix)
