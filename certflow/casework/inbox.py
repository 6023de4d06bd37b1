"""The inbox: a person's queues of tasks, filtered, sorted and paged.

It reads the task projection only, never a case's state, so it stays fast with many open tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from certflow.engine.db import read_again_if_disconnected
from certflow.engine.errors import InvalidArgument
from certflow.engine.models import Case, Task, session_keys
from certflow.engine.projection import task_dict
from certflow.engine.sealing import DataKeyRing
from certflow.engine.views import ProcessView, TaskView, UserTaskSpec
from certflow.people.access import can_start_case, visible_tasks
from certflow.people.accounts import Account

QUEUES = {"mine": "我的待办", "group": "待认领", "done": "已办"}
DUE_FILTERS = {"overdue": "已超期", "soon": "即将到期", "later": "未到期", "none": "无时限"}
SORTS = {
    "due": (Task.due_at.is_(None), Task.due_at, Task.created_at),
    "received": (Task.created_at, Task.case_number),
    "-received": (Task.created_at.desc(), Task.case_number.desc()),
    "case": (Task.case_number,),
    "-completed": (Task.completed_at.desc(), Task.case_number),
}
# Open tasks by their time limit, done ones newest first; a sort chosen is kept in every queue.
DEFAULT_SORTS = {"mine": "due", "group": "due", "done": "-completed"}
DONE_SORTS = ("-completed",)  # orders only done tasks have
STEP_SEPARATOR = ":"  # a step filter names its process too: application_online:pre_review
DUE_SOON = timedelta(days=2)
PAGE_SIZE = 25
MAX_PAGE = 100_000  # 2.5 million rows: past any real list, and the offset stays a database integer


def sorts_of(queue: str) -> list[str]:
    """The orders a queue offers."""
    return [key for key in SORTS if queue == "done" or key not in DONE_SORTS]


def pick(args: Any, name: str, allowed: Any, default: str | None) -> str | None:
    """A query-string argument that must be one of ``allowed``; anything else is the default."""
    value = args.get(name) or default
    return value if value in allowed else default


def text(args: Any, name: str) -> str | None:
    """A free-text argument, trimmed; empty is None."""
    return (args.get(name) or "").strip() or None


def page_number(args: Any) -> int:
    """The page asked for, 1 when none; a page that cannot be (not a whole number, 0, past ``MAX_PAGE``) is refused."""
    value = str(args.get("page") or 1)
    if not (value.isascii() and value.isdigit() and len(value) <= 6 and 1 <= int(value) <= MAX_PAGE):
        raise InvalidArgument(f"页码应为 1 到 {MAX_PAGE} 之间的整数")
    return int(value)


def page_count(total: int, page_size: int) -> int:
    return max(1, -(-total // page_size))


def given(values: dict[str, Any]) -> dict[str, Any]:
    """Link arguments without the empty ones and the first page, so that links stay short."""
    return {k: v for k, v in values.items() if v not in (None, "") and (k, v) != ("page", 1)}


@dataclass(frozen=True)
class InboxQuery:
    queue: str = "mine"
    process: str | None = None
    step: str | None = None
    due: str | None = None
    search: str | None = None
    sort: str = "due"  # a key of SORTS; from the query string, the queue's default when none is chosen
    page: int = 1
    page_size: int = PAGE_SIZE

    @classmethod
    def from_args(cls, args: Any) -> InboxQuery:
        """From query-string arguments; unknown values fall back to the defaults."""
        queue = pick(args, "queue", QUEUES, "mine") or "mine"
        return cls(
            queue=queue,
            process=args.get("process") or None,
            step=args.get("step") or None,
            due=pick(args, "due", DUE_FILTERS, None),
            search=text(args, "q"),
            sort=pick(args, "sort", SORTS, DEFAULT_SORTS[queue]) or DEFAULT_SORTS[queue],
            page=page_number(args),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for this query with ``changes``, for links that keep the filters."""
        query = replace(self, **changes)
        sort = None if query.sort == DEFAULT_SORTS[query.queue] else query.sort
        values = {"queue": query.queue, "process": query.process, "step": query.step, "due": query.due,
                  "q": query.search, "sort": sort, "page": query.page}
        return given(values)  # the queue is always named

    def tab(self, queue: str) -> dict[str, Any]:
        """Arguments of another queue's tab: the same filters, its first page, in its own order."""
        return self.args(queue=queue, page=1, sort=DEFAULT_SORTS[queue])


class InboxRow(TaskView):
    """A task of an inbox's page, with how its time limit stands."""

    due_state: str | None  # overdue, soon, or None


@dataclass(frozen=True)
class InboxPage:
    query: InboxQuery
    tasks: list[InboxRow]
    total: int
    counts: dict[str, int]  # open tasks per queue, whatever the filters
    cases: dict[str, tuple[str, str | None]]  # done queue: the status and outcome of its tasks' cases, by number

    @property
    def pages(self) -> int:
        return page_count(self.total, self.query.page_size)


def _queue(account: Account, queue: str) -> ColumnElement[bool]:
    if queue == "mine":
        return (Task.status == "open") & (Task.assignee == account.username)
    if queue == "group":
        return (Task.status == "open") & Task.assignee.is_(None) & visible_tasks(account)
    return (Task.status == "completed") & (Task.completed_by == account.username)


def _filtered(statement: Select[Any], query: InboxQuery, now: datetime, keys: DataKeyRing) -> Select[Any]:
    if query.process:
        statement = statement.where(Task.process_key == query.process)
    if query.step:
        process, _, name = query.step.rpartition(STEP_SEPARATOR)
        statement = statement.where(Task.name == name)
        if process:
            statement = statement.where(Task.process_key == process)
    if query.due == "overdue":
        statement = statement.where(Task.due_at < now)
    elif query.due == "soon":
        statement = statement.where(Task.due_at >= now, Task.due_at < now + DUE_SOON)
    elif query.due == "later":
        statement = statement.where(Task.due_at >= now + DUE_SOON)
    elif query.due == "none":
        statement = statement.where(Task.due_at.is_(None))
    if query.search:
        # Any part of a case number, as it is written on the paper file; a whole name (kept encrypted, found by its
        # lookup digest).
        term = query.search
        statement = statement.where(or_(Task.case_number.contains(term.upper(), autoescape=True),
                                        Task.applicant_digest.in_(keys.lookup_digests(term))))
    return statement


def due_state(task: TaskView, now: datetime) -> str | None:
    """``overdue`` or ``soon`` for an open task with a time limit; the inbox marks both."""
    if task["status"] != "open" or not task["due_at"]:
        return None
    due = datetime.fromisoformat(task["due_at"])
    if due < now:
        return "overdue"
    return "soon" if due < now + DUE_SOON else None


def _counts(session: Session, account: Account) -> dict[str, int]:
    return {name: session.scalar(select(func.count()).select_from(Task).where(_queue(account, name))) or 0
            for name in QUEUES}


def queue_counts(sessions: sessionmaker[Session], account: Account) -> dict[str, int]:
    """The number of tasks in each of the person's queues."""
    with sessions() as session:
        return _counts(session, account)


def inbox(sessions: sessionmaker[Session], account: Account, query: InboxQuery, now: datetime) -> InboxPage:
    return read_again_if_disconnected(lambda: _inbox(sessions, account, query, now))  # a request's first read


def _inbox(sessions: sessionmaker[Session], account: Account, query: InboxQuery, now: datetime) -> InboxPage:
    with sessions() as session:
        condition = _queue(account, query.queue)
        statement = _filtered(select(Task).where(condition), query, now, session_keys(session))
        total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
        rows = session.scalars(
            statement.order_by(*SORTS[query.sort]).offset((query.page - 1) * query.page_size).limit(query.page_size)
        )
        tasks = []
        for row in rows:
            task = task_dict(row)
            tasks.append(InboxRow(**task, due_state=due_state(task, now)))
        cases: dict[str, tuple[str, str | None]] = {}
        if query.queue == "done":  # what became of the cases: open queues read the projection alone
            numbers = sorted({t["case"] for t in tasks})
            cases = {number: (status, outcome) for number, status, outcome in session.execute(
                select(Case.number, Case.status, Case.outcome).where(Case.number.in_(numbers)))}
        return InboxPage(query, tasks, total, _counts(session, account), cases)


def own_steps(account: Account, steps: list[UserTaskSpec]) -> list[UserTaskSpec]:
    """The steps whose tasks the person may work: the inbox's step filter offers these."""
    return [s for s in steps if account.is_admin or s["role"] in account.roles]


def own_processes(account: Account, steps: list[UserTaskSpec], processes: list[ProcessView]) -> list[ProcessView]:
    """The processes whose cases the person has tasks in (by their role) or may start; a process that is only
    called by others has no cases of its own."""
    worked = {s["process"] for s in own_steps(account, steps)}
    return [p for p in processes if p["start_form"] and (p["key"] in worked or can_start_case(account))]
