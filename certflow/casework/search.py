"""Finding cases, for auditors: by applicant, number, status, process and version, start date, who handled
a step, outcome; one page for the screen, or every match for an export.

"Who handled a step" is the task projection's ``completed_by``: the person who submitted one of the case's
forms. Claims, comments and uploads (other events' actors) are not handling a step, and neither is the
applicant who started the case; the projection is also indexed by ``completed_by``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict, TypeVarTuple

from sqlalchemy import Row, Select, exists, func, select
from sqlalchemy.orm import Session, sessionmaker

from certflow.casework.inbox import PAGE_SIZE, given, page_count, page_number, pick, text
from certflow.engine.calendar import CHINA_TZ
from certflow.engine.models import Case, ProcessVersion, Task, session_keys
from certflow.engine.sealing import DataKeyRing
from certflow.people.access import visible_cases
from certflow.people.accounts import Account

SORTS = {
    "-started": (Case.started_at.desc(), Case.id.desc()),
    "started": (Case.started_at, Case.id),
    "number": (Case.number,),
}
EXPORT_CHUNK = 500  # cases read per short transaction while an export streams
_Columns = TypeVarTuple("_Columns")


class HandledStep(TypedDict):
    """A step completed in a case, and by whom."""

    step: str
    title: str
    by: str | None
    at: str | None


class CaseRow(TypedDict):
    """A case found, as the list and the export show it."""

    number: str
    county: str
    applicant_name: str | None
    id_masked: str | None
    process: str
    process_name: str
    version: int
    status: str
    outcome: str | None
    current_step: str | None
    started_at: str | None
    ended_at: str | None
    handled: list[HandledStep]


def _day(args: Any, name: str) -> date | None:
    try:
        day = date.fromisoformat(args.get(name) or "")
    except ValueError:
        return None
    # The first and last days there are would overflow when turned into UTC moments; they bound nothing anyway.
    return day if date.min < day < date.max else None


def _whole_number(args: Any, name: str) -> int | None:
    value = str(args.get(name) or "")
    return int(value) if value.isdecimal() and len(value) < 10 else None


@dataclass(frozen=True)
class CaseQuery:
    applicant: str | None = None  # the beginning of the applicant's name
    number: str | None = None
    status: str | None = None  # running, completed, cancelled, error
    process: str | None = None  # a process key
    version: int | None = None
    started_from: date | None = None  # dates in China, both included
    started_to: date | None = None
    handled_by: str | None = None  # a username that completed one of the case's tasks
    outcome: str | None = None  # issued, rejected, not_met
    county: str | None = None  # one county's cases among those the account reaches (the migration page's)
    sort: str = "-started"
    page: int = 1
    page_size: int = PAGE_SIZE

    @classmethod
    def from_args(cls, args: Any) -> CaseQuery:
        """From query-string arguments; values that cannot be read are left out (no filter)."""
        number = text(args, "number")
        return cls(
            applicant=text(args, "applicant"),
            number=number.upper() if number else None,
            status=text(args, "status"),
            process=text(args, "process"),
            version=_whole_number(args, "version"),
            started_from=_day(args, "started_from"),
            started_to=_day(args, "started_to"),
            handled_by=text(args, "handled_by"),
            outcome=text(args, "outcome"),
            sort=pick(args, "sort", SORTS, "-started") or "-started",
            page=page_number(args),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for this query with ``changes``, for links that keep the filters."""
        query = replace(self, **changes)
        return given({
            "applicant": query.applicant, "number": query.number, "status": query.status,
            "process": query.process, "version": query.version,
            "started_from": query.started_from.isoformat() if query.started_from else None,
            "started_to": query.started_to.isoformat() if query.started_to else None,
            "handled_by": query.handled_by, "outcome": query.outcome, "sort": query.sort, "page": query.page,
        })


@dataclass(frozen=True)
class CasePage:
    query: CaseQuery
    rows: list[CaseRow]
    total: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.query.page_size)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), CHINA_TZ)


def _filtered(statement: Select[*_Columns], query: CaseQuery, account: Account, keys: DataKeyRing) -> Select[*_Columns]:
    """``statement`` (over cases) narrowed to the query's matches among the cases ``account`` reaches."""
    conditions = [visible_cases(account)]
    if query.applicant:  # the whole name: names are kept encrypted, found by their lookup digest alone
        conditions.append(Case.applicant_digest.in_(keys.lookup_digests(query.applicant)))
    if query.number:
        conditions.append(Case.number == query.number)
    if query.status:
        conditions.append(Case.status == query.status)
    if query.process:
        conditions.append(Case.process_key == query.process)
    if query.version is not None:
        conditions.append(Case.process_version_id.in_(
            select(ProcessVersion.id).where(ProcessVersion.version == query.version)))
    if query.started_from:
        conditions.append(Case.started_at >= _midnight(query.started_from))
    if query.started_to:
        conditions.append(Case.started_at < _midnight(query.started_to + timedelta(days=1)))
    if query.handled_by:
        conditions.append(exists().where(Task.case_id == Case.id, Task.status == "completed",
                                         Task.completed_by == query.handled_by))
    if query.outcome:
        conditions.append(Case.outcome == query.outcome)
    if query.county:
        conditions.append(Case.county == query.county)
    return statement.where(*conditions)


def _cases() -> Select[Case, int, str]:
    return select(Case, ProcessVersion.version, ProcessVersion.name).join(Case.version)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _rows(session: Session, found: Sequence[Row[Case, int, str]]) -> list[CaseRow]:
    """The cases as rows, each with the steps completed in it and by whom, oldest first."""
    handled: dict[int, list[HandledStep]] = {}
    tasks = session.scalars(
        select(Task).where(Task.case_id.in_([case.id for case, *_ in found]), Task.status == "completed")
        .order_by(Task.completed_at, Task.created_at)
    )
    for task in tasks:
        handled.setdefault(task.case_id, []).append(
            {"step": task.name, "title": task.title, "by": task.completed_by, "at": _iso(task.completed_at)})
    return [
        {
            "number": case.number, "county": case.county, "applicant_name": case.applicant_name,
            "id_masked": case.id_masked,
            "process": case.process_key, "process_name": name, "version": version, "status": case.status,
            "outcome": case.outcome, "current_step": case.current_step, "started_at": _iso(case.started_at),
            "ended_at": _iso(case.ended_at), "handled": handled.get(case.id, []),
        }
        for case, version, name in found
    ]


def search(sessions: sessionmaker[Session], query: CaseQuery, account: Account) -> CasePage:
    with sessions() as session:
        keys = session_keys(session)
        total = session.scalar(_filtered(select(func.count()).select_from(Case), query, account, keys)) or 0
        found = session.execute(
            _filtered(_cases(), query, account, keys).order_by(*SORTS[query.sort])
            .offset((query.page - 1) * query.page_size).limit(query.page_size)
        ).all()
        return CasePage(query, _rows(session, found), total)


def rows_for_export(sessions: sessionmaker[Session], query: CaseQuery, account: Account) -> Iterator[CaseRow]:
    """Every match (no pages), in the list's order, for a download that streams.

    The matching ids are read first, then the cases ``EXPORT_CHUNK`` at a time, each chunk in its own short
    transaction: on SQLite every transaction holds the write lock, so one open for the whole download would
    stop the clerks' work.
    """
    with sessions() as session:
        matching = _filtered(select(Case.id), query, account, session_keys(session))
        ids = list(session.scalars(matching.order_by(*SORTS[query.sort])))
    for start in range(0, len(ids), EXPORT_CHUNK):
        chunk = ids[start:start + EXPORT_CHUNK]
        position = {case_id: index for index, case_id in enumerate(chunk)}
        with sessions() as session:
            found = session.execute(_cases().where(Case.id.in_(chunk))).all()
            rows = _rows(session, sorted(found, key=lambda row: position[row[0].id]))
        yield from rows


def version_numbers(sessions: sessionmaker[Session]) -> list[int]:
    """The version numbers deployed of any process, for the search form's choices."""
    with sessions() as session:
        return list(session.scalars(select(ProcessVersion.version).distinct().order_by(ProcessVersion.version)))
