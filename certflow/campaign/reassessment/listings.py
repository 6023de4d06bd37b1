"""What the schedule's pages list: the venue-days a person sees, a venue-day's sign-in sheet (签到表), and a
township's holders with an appointment, a page at a time."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from certflow.campaign.models import CampaignHolder, ReassessmentAppointment
from certflow.campaign.reassessment.planning import meets
from certflow.casework.inbox import given, page_count, page_number
from certflow.engine.disability import CATEGORY_CODES
from certflow.engine.models import Case

CATEGORIES = tuple(CATEGORY_CODES)
PAGE_SIZE = 50


@dataclass(frozen=True)
class Viewer:
    """What part of the schedule a person sees: townships (None: all) and categories (None: all)."""

    townships: frozenset[str] | None = None
    categories: frozenset[str] | None = None

    def where(self) -> list[Any]:
        found = []
        if self.townships is not None:
            found.append(CampaignHolder.township.in_(self.townships))
        if self.categories is not None:
            found.append(CampaignHolder.category.in_(self.categories))
        return found


def venue_label(venue: str, home_visit: bool) -> str:
    return f"上门评定（{venue}）" if home_visit else venue


def chinese_date(day: date) -> str:
    """2022年3月28日（星期一）, as a notice names the day."""
    return f"{day.year}年{day.month}月{day.day}日（星期{'一二三四五六日'[day.weekday()]}）"


@dataclass(frozen=True)
class Overview:
    venue_days: list[dict[str, Any]]  # in order of day, venues before home visits, team
    categories: Counter[str]  # holders in all, by category
    deadline: tuple[str, date] | None = None  # the one the schedule must meet (County.reassessment_deadline)

    @property
    def holders(self) -> int:
        return sum(self.categories.values())

    @property
    def days(self) -> int:
        return len({d["day"] for d in self.venue_days})

    @property
    def last(self) -> date | None:
        return self.venue_days[-1]["day"] if self.venue_days else None

    @property
    def meets_deadline(self) -> bool:
        return meets(self.last, self.deadline)


def overview(sessions: sessionmaker, campaign: str, viewer: Viewer,
             deadline: tuple[str, date] | None = None) -> Overview:
    """The schedule's venue-days the viewer sees, each with its holders by category and in all."""
    key = (ReassessmentAppointment.day, ReassessmentAppointment.home_visit, ReassessmentAppointment.team,
           ReassessmentAppointment.venue)
    with sessions() as session:
        rows = session.execute(
            select(*key, CampaignHolder.category, func.count())
            .join(CampaignHolder, CampaignHolder.id == ReassessmentAppointment.holder_id)
            .where(ReassessmentAppointment.campaign == campaign, *viewer.where())
            .group_by(*key, CampaignHolder.category).order_by(*key)
        ).all()
    days: dict[tuple[date, bool, int, str], Counter[str]] = defaultdict(Counter)
    for day, home_visit, team, venue, category, n in rows:
        days[(day, home_visit, team, venue)][category] += n
    venue_days = [{"day": day, "home_visit": home_visit, "team": team, "venue": venue,
                   "label": venue_label(venue, home_visit), "categories": counts, "total": sum(counts.values())}
                  for (day, home_visit, team, venue), counts in days.items()]
    return Overview(venue_days, sum(days.values(), Counter()), deadline)


def appointed_holders(campaign: str, viewer: Viewer) -> Any:
    """The query of the holders the viewer sees who have an appointment: (appointment, holder, name) rows."""
    return (select(ReassessmentAppointment, CampaignHolder, Case.applicant_name)
            .join(CampaignHolder, CampaignHolder.id == ReassessmentAppointment.holder_id)
            .join(Case, Case.id == CampaignHolder.case_id)
            .where(ReassessmentAppointment.campaign == campaign, *viewer.where()))


def holder_line(appointment: ReassessmentAppointment, holder: CampaignHolder, name: str | None) -> dict[str, Any]:
    """One holder's line on a list: who, where they live, and their appointment."""
    return {"number": holder.case_number, "name": name or "", "id_masked": holder.id_masked,
            "township": holder.township, "village": holder.village, "category": holder.category,
            "grade": holder.grade, "day": appointment.day, "venue": appointment.venue,
            "home_visit": appointment.home_visit, "label": venue_label(appointment.venue, appointment.home_visit)}


def sign_in_sheet(sessions: sessionmaker, campaign: str, viewer: Viewer, day: date, venue: str) -> list[dict[str, Any]]:
    """签到表: the holders the viewer sees at one venue on one day, by township, village and case number."""
    query = appointed_holders(campaign, viewer).where(ReassessmentAppointment.day == day,
                                                      ReassessmentAppointment.venue == venue)
    with sessions() as session:
        rows = session.execute(query.order_by(CampaignHolder.township, CampaignHolder.village,
                                              CampaignHolder.case_number)).all()
        return [holder_line(*row) for row in rows]


@dataclass(frozen=True)
class ListQuery:
    """A township's notices or receipts, a village of it or all, a page at a time (the pager's query)."""

    township: str
    village: str | None = None
    page: int = 1

    @classmethod
    def from_args(cls, township: str, args: Any) -> ListQuery:
        return cls(township, args.get("village") or None, page_number(args))

    def args(self, **changes: Any) -> dict[str, Any]:
        query = replace(self, **changes)
        return given({"township": query.township, "village": query.village, "page": query.page})


@dataclass(frozen=True)
class ListPage:
    query: ListQuery
    lines: list[dict[str, Any]]
    total: int

    @property
    def pages(self) -> int:
        return page_count(self.total, PAGE_SIZE)


def one_page(sessions: sessionmaker, statement: Any, query: ListQuery) -> tuple[list[Any], int]:
    """The page ``query`` asks for of a list of appointed holders (of its village, if one is chosen), and the total."""
    if query.village:
        statement = statement.where(CampaignHolder.village == query.village)
    with sessions() as session:
        total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        rows = session.execute(statement.order_by(CampaignHolder.village, ReassessmentAppointment.day,
                                                  CampaignHolder.case_number)
                               .offset((query.page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return list(rows), total
