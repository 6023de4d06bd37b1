"""The re-assessment notices (告知书) a township hands out, and their receipts (回执): those still out, the counts
by township, and recording those returned."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from certflow.campaign.models import CampaignHolder, ReassessmentAppointment
from certflow.campaign.reassessment.listings import (
    ListPage,
    ListQuery,
    Viewer,
    appointed_holders,
    holder_line,
    one_page,
)
from certflow.campaign.reassessment.scheduling import today
from certflow.engine.errors import Conflict, InvalidState, NotFound, StepFailed, ValidationFailed
from certflow.engine.models import Case, Task
from certflow.engine.runtime import Runtime
from certflow.people.access import can_work
from certflow.people.accounts import Account

NOTICE_TASK = "serve_notice"
NEW_APPLICANT = "new"  # the basis of a 新评定对象: visited at home like the holders who cannot travel
ATTENDANCE = {"local": "到集中评定点评定", "home_visit": "行动不便，上门评定", "away": "在外务工，到务工地评残机构评定"}
GUARDED = frozenset({"智力", "精神"})  # come with a guardian and their medical records (and so do minors)


def notice_page(sessions: sessionmaker, campaign: str, query: ListQuery) -> ListPage:
    """告知书: a page of the township's (or village's) holders with an appointment, each with what to bring.
    New applicants get no re-assessment notice: they were texted that the township tells them the visit's day."""
    holders = (appointed_holders(campaign, Viewer(frozenset({query.township})))
               .where(CampaignHolder.basis != NEW_APPLICANT))
    rows, total = one_page(sessions, holders, query)
    lines = [{**holder_line(*row), "bring": materials(row[1].category)} for row in rows]
    return ListPage(query, lines, total)


def materials(category: str) -> list[str]:
    """What a holder brings to the re-assessment (the photos and any tests are at their own cost)."""
    found = ["本人居民身份证和户口簿", "第二代残疾人证", "近期二寸白底免冠彩色照片3张",
             "以往的诊断证明、病历等就诊材料（如有）"]
    if category in GUARDED:
        found.append("监护人陪同，携带监护人身份证和监护关系证明")
    return found


@dataclass(frozen=True)
class Receipt:
    """One ticked line of the receipts form: the holder, when the notice was served, how they will attend."""

    case_number: str
    served_on: str
    attendance: str


def receipt_page(sessions: sessionmaker, campaign: str, query: ListQuery) -> ListPage:
    """A page of the township's holders with an appointment whose receipt is still out (their notice task open)."""
    statement = (appointed_holders(campaign, Viewer(frozenset({query.township})))
                 .add_columns(Task.id).join(Task, Task.case_id == CampaignHolder.case_id)
                 .where(Task.name == NOTICE_TASK, Task.status == "open"))
    rows, total = one_page(sessions, statement, query)
    lines = [{**holder_line(a, h, name), "task": task_id, "attendance": "home_visit" if a.home_visit else "local"}
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


def record_receipts(sessions: sessionmaker[Session], runtime: Runtime, account: Account, campaign: str,
                    township: str, entries: list[Receipt]) -> tuple[list[str], list[tuple[str, str, str]]]:
    """Complete each holder's notice task as ``account``: (case numbers done, (case number, name, reason) of
    those that failed). Each holder is a transaction of its own, so one failing keeps none of the others back."""
    query = (select(CampaignHolder.case_number, Case.applicant_name, Task.id)
             .join(Case, Case.id == CampaignHolder.case_id)
             .join(Task, (Task.case_id == CampaignHolder.case_id) & (Task.name == NOTICE_TASK)
                   & (Task.status == "open"))
             .where(CampaignHolder.campaign == campaign, CampaignHolder.township == township,
                    CampaignHolder.case_number.in_([e.case_number for e in entries])))
    with sessions() as session:
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
