"""Moving appointments when assessments are stopped (另行通知): a venue-day or one holder to another working day,
within the day's capacity; each holder still waiting is told through their case."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from certflow.campaign.county import County, Reassessment
from certflow.campaign.models import CampaignHolder, ReassessmentAppointment
from certflow.campaign.reassessment.listings import CATEGORIES, chinese_date, venue_label
from certflow.campaign.reassessment.planning import settings_of
from certflow.campaign.reassessment.scheduling import WAITING, today
from certflow.engine import counties
from certflow.engine.errors import CertflowError, InvalidState
from certflow.engine.models import Task
from certflow.engine.runtime import Runtime

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


def move_appointments(sessions: sessionmaker[Session], runtime: Runtime, county: County, request: MoveRequest, *,
                      actor: str, campaign: str | None = None) -> MoveReport:
    """Move a venue-day or one holder's appointment to another working day, within the day's capacity.

    The notices read the appointments, so a notice printed again names the new day. Each holder still waiting
    to be assessed gets the move as a message in their case: the case texts them, and the history keeps it.
    """
    settings, campaign = settings_of(county), campaign or county.campaign
    reason = request.reason.strip()
    if not 2 <= len(reason) <= 100:
        raise MoveRefused("请填写改期原因（2至100个字），短信会告知持证人")
    with sessions.begin() as session:
        calendar = counties.local(session, runtime.settings, county.code).calendar  # the county's own days too
        if request.to <= today(runtime) or not calendar.is_working_day(request.to):
            raise MoveRefused(f"{chinese_date(request.to)}不能安排评定：须是今天以后的工作日")
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
