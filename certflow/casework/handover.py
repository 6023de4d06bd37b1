"""Who has a case and a task now: where a case went after a step, and who took a task before someone else could.

The facts come from the case row and the task projection; the sentences name people, groups and processes by the
words people know them by, which the caller supplies (``Names``), so that nothing here shows a key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from certflow.engine.calendar import CHINA_TZ
from certflow.engine.models import Case, Event, Task

Rename = Callable[[str], str]
# The events that give a task its holder, the last of which says since when they hold it.
HOLDING_EVENTS = ("task_claimed", "task_reassigned")


@dataclass(frozen=True)
class Names:
    """The words people know things by: a person's name, a group's, a process's, a case's outcome."""

    person: Rename
    group: Rename
    process: Rename
    outcome: Rename


@dataclass(frozen=True)
class Holding:
    """An open task of a case: which step, and who may or does work it."""

    process: str
    title: str
    group: str | None
    assignee: str | None


@dataclass(frozen=True)
class Whereabouts:
    """Where a case is: its status and outcome, its open tasks, and the step it waits at when it has none."""

    number: str
    status: str  # running, completed, cancelled, error
    outcome: str | None
    tasks: list[Holding]
    waiting_at: str | None


@dataclass(frozen=True)
class Taken:
    """How a task stands for someone who wanted to work it: done, cancelled or held, by whom and since when."""

    status: str  # completed, cancelled, open
    by: str | None  # a user name
    at: datetime | None


def whereabouts(sessions: sessionmaker[Session], number: str) -> Whereabouts:
    with sessions() as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        tasks = session.scalars(select(Task).where(Task.case_id == case.id, Task.status == "open")
                                .order_by(Task.created_at))
        holdings = [Holding(t.process_key, t.title, t.candidate_group, t.assignee) for t in tasks]
        return Whereabouts(case.number, case.status, case.outcome, holdings, case.current_step)


def taken(sessions: sessionmaker[Session], task_id: str) -> Taken:
    with sessions() as session:
        task = session.get(Task, task_id)
        if task is None:
            return Taken("cancelled", None, None)
        if task.status != "open":
            return Taken(task.status, task.completed_by, task.completed_at)
        since = session.scalar(select(Event.at).where(Event.task_id == task_id, Event.kind.in_(HOLDING_EVENTS))
                               .order_by(Event.seq.desc()).limit(1))
        return Taken("open", task.assignee, since)


def moment(at: datetime | None) -> str:
    """A moment in China time, as a clerk says it: 2026年9月1日 09:00."""
    if at is None:
        return ""
    local = at.astimezone(CHINA_TZ)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def where_now(place: Whereabouts, names: Names) -> str:
    """Where the case went, e.g. 案件 LS-2026-000001 现在在“在线申请 · 登记并预约鉴定”，由 庐山市人民医院 办理."""
    if place.status == "completed":
        outcome = f"（结果：{names.outcome(place.outcome)}）" if place.outcome else ""
        return f"案件 {place.number} 已办结{outcome}"
    if place.status == "cancelled":
        return f"案件 {place.number} 已取消"
    if place.status == "error":
        return f"案件 {place.number} 暂停办理，管理员正在处理"
    if not place.tasks:
        return f"案件 {place.number} " + (f"现在等待“{place.waiting_at}”" if place.waiting_at else "办理中")
    held = "；".join(f"“{names.process(t.process)} · {t.title}”，由 {_holder(t, names)} 办理" for t in place.tasks)
    return f"案件 {place.number} 现在在{held}"


def _holder(task: Holding, names: Names) -> str:
    group = names.group(task.group) if task.group else ""
    if task.assignee:
        return f"{names.person(task.assignee)}（{group}）" if group else names.person(task.assignee)
    return group or "相关人员"


def taken_text(found: Taken, names: Names) -> str:
    """Why a task could not be worked, e.g. 此任务已由 张三 于 2026年9月1日 09:00 办理完毕."""
    who = names.person(found.by) if found.by else "他人"
    when = f" 于 {moment(found.at)}" if found.at else ""
    if found.status == "completed":
        return f"此任务已由 {who}{when} 办理完毕"
    if found.status == "open" and found.by:
        return f"此任务已由 {who}{when} 认领"
    if found.status == "open":
        return "此任务刚被他人改动，请刷新后再办理"
    return "此任务已取消，案件已不需要这一步"
