"""The exchange campaign's re-assessment schedule (重新评定日程安排), its notices (告知书) and their receipts (回执).

Holders assessed by eye are re-assessed by the institutions' doctors, who come out to a venue: each
township's clinic, the county federation's office for the sub-districts. Each working day the county
sends ``teams_per_day`` teams, each to one venue, where the doctors of a category assess at most their
daily capacity; holders who cannot travel are visited at home on a schedule of their own. Appointments
are stored once made (``reassessment_appointments``): the notice a township hands out names the day,
so scheduling again only places holders who have none, after the days already used.
No Flask here: the command line and the pages call it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from certflow.campaign.county import County, Reassessment
from certflow.campaign.models import CampaignHolder, ReassessmentAppointment
from certflow.casework.inbox import given, page_count, page_number
from certflow.engine.calendar import CHINA_TZ, WorkingCalendar
from certflow.engine.disability import CATEGORY_CODES
from certflow.engine.errors import CertflowError, Conflict, InvalidState, NotFound, StepFailed, ValidationFailed
from certflow.engine.models import Case, Task
from certflow.engine.runtime import Runtime
from certflow.people.access import can_work
from certflow.people.accounts import Account

# The open task of a holder who still has to be re-assessed -> whether at home: a notice not yet served
# follows the roster (None), an assessment already routed follows the township's choice.
WAITING: dict[str, bool | None] = {"serve_notice": None, "reassess": False, "home_visit_assess": True}
NOTICE_TASK = "serve_notice"
NEW_APPLICANT = "new"  # the basis of a 新评定对象: visited at home like the holders who cannot travel
ATTENDANCE = {"local": "到集中评定点评定", "home_visit": "行动不便，上门评定", "away": "在外务工，到务工地评残机构评定"}
CATEGORIES = tuple(CATEGORY_CODES)
GUARDED = frozenset({"智力", "精神"})  # come with a guardian and their medical records (and so do minors)
PAGE_SIZE = 50
_ONE_DAY = timedelta(days=1)


class ScheduleError(CertflowError):
    code = "schedule_refused"


# -- planning (no database) ----------------------------------------------------------------------

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
    settings = _settings(county)
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


def _settings(county: County) -> Reassessment:
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


# -- scheduling ----------------------------------------------------------------------------------

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
        return _meets(self.last_day, self.deadline)

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


def schedule(runtime: Runtime, county: County, *, actor: str, campaign: str | None = None,
             start: date | None = None) -> ScheduleReport:
    """Give every holder still to be re-assessed who has no appointment one, after the days already used.

    ``start`` moves the first day of a schedule not yet begun, or the first new day of one under way
    (for example after an interruption); no appointment already made is moved, and none is made for
    today or earlier.
    """
    settings, campaign = _settings(county), campaign or county.campaign
    calendar, now = runtime.settings.calendar, runtime.clock.now()
    with runtime.sessions.begin() as session:
        kept = session.scalar(select(func.count()).select_from(ReassessmentAppointment)
                              .where(ReassessmentAppointment.campaign == campaign)) or 0
        pending = _pending(session, campaign)
        last_clinic, last_home = (_last_day(session, campaign, home_visit) for home_visit in (False, True))
        placements = plan(pending, county, calendar, _first_day(start or settings.start, today(runtime), last_clinic),
                          _first_day(settings.home_visits.start, today(runtime), last_home))
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


def _meets(last: date | None, deadline: tuple[str, date] | None) -> bool:
    """Whether a schedule ending on ``last`` (None: nothing scheduled) meets the deadline (None: there is none)."""
    return last is None or deadline is None or last <= deadline[1]


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


def _first_day(start: date, today: date, last_used: date | None) -> date:
    """Not before ``start``, and after today and the days already used: a notice must reach the holder first."""
    return max(start, max(d for d in (today, last_used) if d) + _ONE_DAY)


def _span(session: Session, campaign: str, home_visit: bool) -> Span:
    where = (ReassessmentAppointment.campaign == campaign, ReassessmentAppointment.home_visit == home_visit)
    holders, days, first, last = session.execute(select(
        func.count(), func.count(ReassessmentAppointment.day.distinct()), func.min(ReassessmentAppointment.day),
        func.max(ReassessmentAppointment.day)).where(*where)).one()
    return Span(holders, days, first, last)


# -- moving appointments (另行通知) ----------------------------------------------------------------

MOVED_MESSAGE = "appointment_moved"  # the message a case waiting to be assessed takes: it texts the holder


class MoveRefused(CertflowError):
    code = "move_refused"


@dataclass(frozen=True)
class MoveRequest:
    """What the county moves: every holder of one venue-day (``day`` and ``venue``) or one holder
    (``case_number``), to the working day ``to``, for a reason the holders are told (e.g. 疫情防控需要)."""

    to: date
    reason: str
    day: date | None = None
    venue: str | None = None
    case_number: str | None = None


@dataclass(frozen=True)
class MoveReport:
    moved: list[str]  # case numbers whose appointment moved
    texted: list[str]  # of them, those whose case texted the new day and place
    untold: list[str]  # of them, cases of an earlier process version: the move is written in their history only

    def lines(self) -> list[str]:
        found = [f"已改期{len(self.moved)}人，已短信通知{len(self.texted)}人"]
        if self.untold:
            found.append(f"以下{len(self.untold)}人的案件不能自动发短信，改期已记入案件历史，请电话通知："
                         + "、".join(self.untold))
        return found


def move_appointments(runtime: Runtime, county: County, request: MoveRequest, *, actor: str,
                      campaign: str | None = None) -> MoveReport:
    """Move a venue-day or one holder's appointment to another working day, within the day's capacity.

    The notices read the appointments, so a notice printed again names the new day. Each holder still waiting
    to be assessed gets the move as a message in their case: the case texts them, and the history keeps it.
    """
    settings, campaign = _settings(county), campaign or county.campaign
    reason = request.reason.strip()
    if not 2 <= len(reason) <= 100:
        raise MoveRefused("请填写改期原因（2至100个字），短信会告知持证人")
    if request.to <= today(runtime) or not runtime.settings.calendar.is_working_day(request.to):
        raise MoveRefused(f"{chinese_date(request.to)}不能安排评定：须是今天以后的工作日")
    with runtime.sessions.begin() as session:
        rows = _to_move(session, campaign, request)
        if not rows:
            raise MoveRefused("没有可改期的评定安排：该持证人或该日该评定点没有尚待评定的人")
        if any(a.day == request.to for a, _ in rows):
            raise MoveRefused("新的评定日期与原日期相同")
        team = _team_for(session, campaign, rows, request.to)
        _check_room(session, campaign, settings, rows, request.to)
        for appointment, _ in rows:
            appointment.day, appointment.team = request.to, team
        moved = [(h.case_number, appointment) for appointment, h in rows]
        payloads = {number: {"reason": reason, "day": request.to.isoformat(), "day_text": chinese_date(request.to),
                             "place": venue_label(a.venue, a.home_visit)} for number, a in moved}
    texted, untold = [], []
    for number, payload in payloads.items():
        try:
            runtime.send_message(number, MOVED_MESSAGE, payload, actor=actor)
            texted.append(number)
        except InvalidState:  # a case of an earlier version waits for no such message
            runtime.add_comment(number, f"评定改期（{reason}）：改为{payload['day_text']}，地点：{payload['place']}",
                                actor=actor)
            untold.append(number)
    return MoveReport(list(payloads), texted, untold)


def _to_move(session: Session, campaign: str, request: MoveRequest) -> list[tuple[ReassessmentAppointment, Any]]:
    """The appointments to move, of holders still waiting to be assessed (those assessed keep theirs as history)."""
    query = (select(ReassessmentAppointment, CampaignHolder)
             .join(CampaignHolder, CampaignHolder.id == ReassessmentAppointment.holder_id)
             .where(ReassessmentAppointment.campaign == campaign,
                    exists().where(Task.case_id == CampaignHolder.case_id, Task.status == "open",
                                   Task.name.in_(WAITING))))
    if request.case_number:
        query = query.where(CampaignHolder.case_number == request.case_number)
    elif request.day and request.venue:
        query = query.where(ReassessmentAppointment.day == request.day, ReassessmentAppointment.venue == request.venue)
    else:
        raise MoveRefused("请选择要改期的评定日和评定点，或一位持证人")
    return [(a, h) for a, h in session.execute(query.with_for_update()).all()]


def _team_for(session: Session, campaign: str, rows: list[tuple[ReassessmentAppointment, Any]], to: date) -> int:
    """The team that will be there: the one already at that venue that day, else the moved holders' team, if that
    team is free that day."""
    first = rows[0][0]
    at_venue = session.scalar(select(ReassessmentAppointment.team).where(
        ReassessmentAppointment.campaign == campaign, ReassessmentAppointment.day == to,
        ReassessmentAppointment.venue == first.venue, ReassessmentAppointment.home_visit == first.home_visit).limit(1))
    if at_venue is not None:
        return at_venue
    elsewhere = session.scalar(select(ReassessmentAppointment.venue).where(
        ReassessmentAppointment.campaign == campaign, ReassessmentAppointment.day == to,
        ReassessmentAppointment.team == first.team, ReassessmentAppointment.home_visit == first.home_visit).limit(1))
    if elsewhere is not None:
        raise MoveRefused(f"第{first.team}评定组{chinese_date(to)}已安排在{elsewhere}，请另选日期")
    return first.team


def _check_room(session: Session, campaign: str, settings: Reassessment,
                rows: list[tuple[ReassessmentAppointment, Any]], to: date) -> None:
    """Refuse a day the moved holders do not fit in: a category's daily capacity at the venue, or the home
    visits a day."""
    first = rows[0][0]
    where = (ReassessmentAppointment.campaign == campaign, ReassessmentAppointment.day == to,
             ReassessmentAppointment.home_visit == first.home_visit)
    if first.home_visit:
        booked_visits = session.scalar(select(func.count()).select_from(ReassessmentAppointment).where(*where)) or 0
        if booked_visits + len(rows) > settings.home_visits.per_day:
            raise MoveRefused(f"{chinese_date(to)}已有上门评定{booked_visits}人，"
                              f"每日最多{settings.home_visits.per_day}人")
        return
    booked = Counter(dict(session.execute(
        select(CampaignHolder.category, func.count()).select_from(ReassessmentAppointment)
        .join(CampaignHolder, CampaignHolder.id == ReassessmentAppointment.holder_id)
        .where(*where, ReassessmentAppointment.venue == first.venue).group_by(CampaignHolder.category)).all()))
    coming = Counter(h.category for _, h in rows)
    full = [f"{c}（已有{booked[c]}人，每日最多{settings.capacity(c)}人）" for c in CATEGORIES
            if coming[c] and booked[c] + coming[c] > settings.capacity(c)]
    if full:
        raise MoveRefused(f"{first.venue}{chinese_date(to)}容纳不下：" + "、".join(full))


# -- reading -------------------------------------------------------------------------------------

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
        return _meets(self.last, self.deadline)


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


def _appointed(campaign: str, viewer: Viewer) -> Any:
    return (select(ReassessmentAppointment, CampaignHolder, Case.applicant_name)
            .join(CampaignHolder, CampaignHolder.id == ReassessmentAppointment.holder_id)
            .join(Case, Case.id == CampaignHolder.case_id)
            .where(ReassessmentAppointment.campaign == campaign, *viewer.where()))


def _line(appointment: ReassessmentAppointment, holder: CampaignHolder, name: str | None) -> dict[str, Any]:
    return {"number": holder.case_number, "name": name or "", "id_masked": holder.id_masked,
            "township": holder.township, "village": holder.village, "category": holder.category,
            "grade": holder.grade, "day": appointment.day, "venue": appointment.venue,
            "home_visit": appointment.home_visit, "label": venue_label(appointment.venue, appointment.home_visit)}


def day_list(sessions: sessionmaker, campaign: str, viewer: Viewer, day: date, venue: str) -> list[dict[str, Any]]:
    """签到表: the holders the viewer sees at one venue on one day, by township, village and case number."""
    query = _appointed(campaign, viewer).where(ReassessmentAppointment.day == day,
                                               ReassessmentAppointment.venue == venue)
    with sessions() as session:
        rows = session.execute(query.order_by(CampaignHolder.township, CampaignHolder.village,
                                              CampaignHolder.case_number)).all()
        return [_line(*row) for row in rows]


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


def notices(sessions: sessionmaker, campaign: str, query: ListQuery) -> ListPage:
    """告知书: a page of the township's (or village's) holders with an appointment, each with what to bring.
    New applicants get no re-assessment notice: they were texted that the township tells them the visit's day."""
    holders = _appointed(campaign, Viewer(frozenset({query.township}))).where(CampaignHolder.basis != NEW_APPLICANT)
    rows, total = _page(sessions, holders, query)
    lines = [{**_line(*row), "bring": materials(row[1].category)} for row in rows]
    return ListPage(query, lines, total)


def _page(sessions: sessionmaker, statement: Any, query: ListQuery) -> tuple[list[Any], int]:
    """The page ``query`` asks for of a list of appointed holders (of its village, if one is chosen), and the total."""
    if query.village:
        statement = statement.where(CampaignHolder.village == query.village)
    with sessions() as session:
        total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        rows = session.execute(statement.order_by(CampaignHolder.village, ReassessmentAppointment.day,
                                                  CampaignHolder.case_number)
                               .offset((query.page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return list(rows), total


def materials(category: str) -> list[str]:
    """What a holder brings to the re-assessment (the photos and any tests are at their own cost)."""
    found = ["本人居民身份证和户口簿", "第二代残疾人证", "近期二寸白底免冠彩色照片3张",
             "以往的诊断证明、病历等就诊材料（如有）"]
    if category in GUARDED:
        found.append("监护人陪同，携带监护人身份证和监护关系证明")
    return found


# -- receipts ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Receipt:
    """One ticked line of the receipts form: the holder, when the notice was served, how they will attend."""

    case_number: str
    served_on: str
    attendance: str


def receipts(sessions: sessionmaker, campaign: str, query: ListQuery) -> ListPage:
    """A page of the township's holders with an appointment whose receipt is still out (their notice task open)."""
    statement = (_appointed(campaign, Viewer(frozenset({query.township})))
                 .add_columns(Task.id).join(Task, Task.case_id == CampaignHolder.case_id)
                 .where(Task.name == NOTICE_TASK, Task.status == "open"))
    rows, total = _page(sessions, statement, query)
    lines = [{**_line(a, h, name), "task": task_id, "attendance": "home_visit" if a.home_visit else "local"}
             for a, h, name, task_id in rows]
    return ListPage(query, lines, total)


def receipt_counts(sessions: sessionmaker, campaign: str, townships: Iterable[str]) -> dict[str, dict[str, int]]:
    """Township -> notices issued (holders with an appointment), receipts returned (notice task done) and
    outstanding, for every township given, in two queries."""
    townships = list(townships)
    returns = (select(CampaignHolder.township, Task.status, func.count(CampaignHolder.id.distinct()))
               .join(CampaignHolder, CampaignHolder.case_id == Task.case_id)
               .join(ReassessmentAppointment, ReassessmentAppointment.holder_id == CampaignHolder.id)
               .where(ReassessmentAppointment.campaign == campaign, CampaignHolder.township.in_(townships),
                      Task.name == NOTICE_TASK, Task.status.in_(("open", "completed")))
               .group_by(CampaignHolder.township, Task.status))
    issues = (select(CampaignHolder.township, func.count()).select_from(ReassessmentAppointment)
              .join(CampaignHolder, CampaignHolder.id == ReassessmentAppointment.holder_id)
              .where(ReassessmentAppointment.campaign == campaign, CampaignHolder.township.in_(townships))
              .group_by(CampaignHolder.township))
    with sessions() as session:
        by_status = {(township, status): n for township, status, n in session.execute(returns)}
        issued = dict(session.execute(issues).all())
    return {t: {"issued": issued.get(t, 0), "returned": by_status.get((t, "completed"), 0),
                "outstanding": by_status.get((t, "open"), 0)} for t in townships}


def record_receipts(runtime: Runtime, account: Account, campaign: str, township: str,
                    entries: list[Receipt]) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Complete each holder's notice task as ``account``: (case numbers done, (case number, name, reason) of
    those that failed). Each holder is a transaction of its own, so one failing keeps none of the others back."""
    query = (select(CampaignHolder.case_number, Case.applicant_name, Task.id)
             .join(Case, Case.id == CampaignHolder.case_id)
             .join(Task, (Task.case_id == CampaignHolder.case_id) & (Task.name == NOTICE_TASK)
                   & (Task.status == "open"))
             .where(CampaignHolder.campaign == campaign, CampaignHolder.township == township,
                    CampaignHolder.case_number.in_([e.case_number for e in entries])))
    with runtime.sessions() as session:
        open_tasks = {number: (name or "", task_id) for number, name, task_id in session.execute(query)}
    done: list[str] = []
    failed: list[tuple[str, str, str]] = []
    for entry in entries:
        name, task_id = open_tasks.get(entry.case_number, ("", None))
        reason = _refusal(runtime, account, entry, task_id, today(runtime))
        if reason is None:
            reason = _complete(runtime, account, entry, task_id)
        if reason is None:
            done.append(entry.case_number)
        else:
            failed.append((entry.case_number, name, reason))
    return done, failed


def today(runtime: Runtime) -> date:
    return runtime.clock.now().astimezone(CHINA_TZ).date()


def _refusal(runtime: Runtime, account: Account, entry: Receipt, task_id: str | None, today: date) -> str | None:
    if task_id is None:
        return "不在本乡镇(街道)待收回执的名单中（可能已登记）"
    if not can_work(account, runtime.task(task_id)):
        return "无权办理该持证人的“送达重评告知书”"
    try:
        served = date.fromisoformat(entry.served_on)
    except ValueError:
        return "送达日期应为 年-月-日"
    if served > today:
        return "送达日期不能晚于今天"
    if entry.attendance not in ATTENDANCE:
        return "请选择参加评定方式"
    return None


def _complete(runtime: Runtime, account: Account, entry: Receipt, task_id: str | None) -> str | None:
    data = {"served_on": entry.served_on, "receipt_returned": True, "attendance": entry.attendance}
    try:
        runtime.complete_task(str(task_id), data, actor=account.username)
    except ValidationFailed as error:
        return "填写有误：" + "；".join(e.message for e in error.errors)
    except StepFailed as error:
        return f"流程处理失败，未保存：{error}"
    except (Conflict, InvalidState, NotFound) as error:
        return f"已被他人认领或办理：{error}"
    return None
