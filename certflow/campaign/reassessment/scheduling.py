"""Making the schedule: every holder still to be re-assessed who has no appointment gets one, after the days
already used, and the report a county clerk reads.

Appointments are stored once made (``reassessment_appointments``): the notice a township hands out names the day,
so scheduling again only places holders who have none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from certflow.campaign.county import County
from certflow.campaign.models import CampaignHolder, ReassessmentAppointment
from certflow.campaign.reassessment.planning import Pending, first_day, meets, plan, settings_of, working_days
from certflow.engine import counties
from certflow.engine.calendar import china_today
from certflow.engine.models import Task
from certflow.engine.runtime import Runtime

# The open task of a holder who still has to be re-assessed -> whether at home: a notice not yet served
# follows the roster (None), an assessment already routed follows the township's choice.
WAITING: dict[str, bool | None] = {"serve_notice": None, "reassess": False, "home_visit_assess": True}


@dataclass(frozen=True)
class Span:
    """The days of one kind of appointment: holders, working days with any, first and last."""

    holders: int = 0
    days: int = 0
    first: date | None = None
    last: date | None = None


@dataclass(frozen=True)
class ScheduleReport:
    campaign: str
    placed_clinic: int
    placed_home: int
    kept: int  # holders who had an appointment already
    not_needed: int  # re-assessed holders with none and nothing to wait for: assessed, assessed away, closed
    clinic: Span
    home: Span
    team_days: int
    home_window: tuple[date, date]  # the home visits' working days as configured
    deadline: tuple[str, date]

    @property
    def last_day(self) -> date | None:
        return max((d for d in (self.clinic.last, self.home.last) if d), default=None)

    @property
    def meets_deadline(self) -> bool:
        return meets(self.last_day, self.deadline)

    def lines(self) -> list[str]:
        """The summary a county clerk reads."""
        lines = [f"{self.campaign}：本次安排集中评定{self.placed_clinic}人、上门评定{self.placed_home}人；"
                 f"已有安排{self.kept}人（不变动）；已评定或无需安排{self.not_needed}人"]
        if self.clinic.holders:
            lines.append(f"集中评定：{self.clinic.holders}人，{self.clinic.first}至{self.clinic.last}，"
                         f"共{self.clinic.days}个工作日、{self.team_days}个组次")
        if self.home.holders:
            planned = f"计划的{self.home_window[0]}至{self.home_window[1]}"
            on_time = self.home.last is not None and self.home.last <= self.home_window[1]
            within = f"在{planned}之内" if on_time else f"超出{planned}"
            lines.append(f"上门评定：{self.home.holders}人，{self.home.first}至{self.home.last}，共{self.home.days}"
                         f"个工作日（{within}）")
        name, by = self.deadline
        verdict = "可以按期完成" if self.meets_deadline else "不能按期完成，请增加评定组或每日评定人数"
        lines.append(f"最后评定日：{self.last_day or '（无）'}；{name}期限{by}：{verdict}")
        return lines


def schedule(sessions: sessionmaker[Session], runtime: Runtime, county: County, *, actor: str,
             campaign: str | None = None, start: date | None = None) -> ScheduleReport:
    """Give every holder still to be re-assessed who has no appointment one, after the days already used.

    ``start`` moves the first day of a schedule not yet begun, or the first new day of one under way
    (for example after an interruption); no appointment already made is moved, and none is made for
    today or earlier.
    """
    settings, campaign = settings_of(county), campaign or county.campaign
    now = runtime.clock.now()
    with sessions.begin() as session:
        calendar = counties.local(session, runtime.settings, county.code).calendar  # the county's own days too
        kept = session.scalar(select(func.count()).select_from(ReassessmentAppointment)
                              .where(ReassessmentAppointment.campaign == campaign)) or 0
        pending = _pending(session, campaign)
        last_clinic, last_home = (_last_day(session, campaign, home_visit) for home_visit in (False, True))
        placements = plan(pending, county, calendar, first_day(start or settings.start, today(runtime), last_clinic),
                          first_day(settings.home_visits.start, today(runtime), last_home))
        session.add_all(ReassessmentAppointment(campaign=campaign, holder_id=p.holder_id, home_visit=p.home_visit,
                                                day=p.day, venue=p.venue, team=p.team, scheduled_at=now,
                                                scheduled_by=actor) for p in placements)
        session.flush()
        assessed = session.scalar(select(func.count()).select_from(CampaignHolder).where(
            CampaignHolder.campaign == campaign, CampaignHolder.basis.in_(("visual", "new")))) or 0
        clinic, home = (_span(session, campaign, home_visit) for home_visit in (False, True))
        team_days = len(session.execute(
            select(ReassessmentAppointment.day, ReassessmentAppointment.team).distinct()
            .where(ReassessmentAppointment.campaign == campaign, ReassessmentAppointment.home_visit.is_(False))).all())
    placed_home = sum(p.home_visit for p in placements)
    window_days = working_days(calendar, settings.home_visits.start)
    window = [next(window_days) for _ in range(settings.home_visits.days)]
    return ScheduleReport(
        campaign=campaign, placed_clinic=len(placements) - placed_home, placed_home=placed_home, kept=kept,
        not_needed=assessed - kept - len(placements), clinic=clinic, home=home, team_days=team_days,
        home_window=(window[0], window[-1]), deadline=(settings.deadline, county.deadline(settings.deadline)),
    )


def today(runtime: Runtime) -> date:
    """Today in China by the runtime's clock: no appointment is made or moved to it or before."""
    return china_today(runtime.clock)


def _pending(session: Session, campaign: str) -> list[Pending]:
    rows = session.execute(
        select(CampaignHolder, Task.name).join(Task, Task.case_id == CampaignHolder.case_id)
        .where(CampaignHolder.campaign == campaign, Task.status == "open", Task.name.in_(WAITING),
               ~exists().where(ReassessmentAppointment.holder_id == CampaignHolder.id))
    ).all()
    found = {h.id: Pending(h.id, h.case_number, h.township, h.village, h.category,
                           h.home_visit if WAITING[task] is None else bool(WAITING[task])) for h, task in rows}
    return list(found.values())


def _last_day(session: Session, campaign: str, home_visit: bool) -> date | None:
    return session.scalar(select(func.max(ReassessmentAppointment.day)).where(
        ReassessmentAppointment.campaign == campaign, ReassessmentAppointment.home_visit == home_visit))


def _span(session: Session, campaign: str, home_visit: bool) -> Span:
    where = (ReassessmentAppointment.campaign == campaign, ReassessmentAppointment.home_visit == home_visit)
    holders, days, first, last = session.execute(select(
        func.count(), func.count(ReassessmentAppointment.day.distinct()), func.min(ReassessmentAppointment.day),
        func.max(ReassessmentAppointment.day)).where(*where)).one()
    return Span(holders, days, first, last)
