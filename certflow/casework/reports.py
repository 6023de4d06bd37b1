"""Reports for auditors: separation of duties, and cases and steps that took unusually short or long.

Both read the task projection and the case rows only, never a case's state.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from typing import TypedDict

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from certflow.engine.models import Case, ProcessVersion, Task
from certflow.people.access import visible_cases, within_county
from certflow.people.accounts import Account

# Steps (task names) that must be done by different people: who reviews an application does not also issue
# its certificate, who assessed does not re-examine the objection to that assessment.
DEFAULT_PAIRS: tuple[tuple[str, str], ...] = (
    ("pre_review", "issue_certificate"),
    ("window_review", "issue_certificate"),
    ("assess", "reexamine"),
)
FACTOR = 10  # a tenth of the usual time, or ten times it
MIN_SAMPLES = 5  # the median of fewer says little
# Below these nobody can have done the step properly, however the others went: an assessment task opens
# when the appointment is registered, and the applicant must then be examined.
FLOORS: dict[str, timedelta] = {"assess": timedelta(minutes=10)}


class SamePerson(TypedDict):
    """One person who completed both steps of a pair in one case."""

    number: str
    applicant_name: str | None
    user: str | None
    first: str  # the steps' titles
    second: str


class Subject(TypedDict):
    """What a duration is of: a case (level ``case``, ``what`` its process) or a step of it (``task``)."""

    number: str
    applicant_name: str | None
    level: str
    step: str | None
    what: str
    by: str | None  # who completed the step


class UnusualDuration(Subject):
    """A case or step that took unusually long or short, and why it is listed."""

    began: str
    ended: str
    direction: str  # fast, slow
    reason: str


def same_person(sessions: sessionmaker[Session], account: Account,
                pairs: tuple[tuple[str, str], ...] = DEFAULT_PAIRS) -> list[SamePerson]:
    """Cases (that ``account`` reaches) where one username completed both steps of a pair; one row per case,
    pair and person."""
    if not pairs:
        return []
    first, second = aliased(Task), aliased(Task)
    statement = (
        select(Case.number, Case.applicant_name, first.completed_by, first.title, second.title)
        .join(first, first.case_id == Case.id)
        .join(second, and_(second.case_id == Case.id, second.completed_by == first.completed_by))
        .where(or_(*(and_(first.name == a, second.name == b) for a, b in pairs)),
               first.status == "completed", second.status == "completed", visible_cases(account))
        .distinct()
        .order_by(Case.number, first.title, second.title)
    )
    with sessions() as session:
        return [
            SamePerson(number=number, applicant_name=applicant, user=user, first=one, second=other)
            for number, applicant, user, one, other in session.execute(statement)
        ]


def say(span: timedelta) -> str:
    """A duration in words, as coarse as a reader needs: 3 分钟, 5 小时, 2.5 天."""
    minutes = span.total_seconds() / 60
    if minutes < 60:
        return f"{int(minutes)} 分钟"
    if minutes < 24 * 60:
        return f"{round(minutes / 60, 1):g} 小时"
    return f"{round(minutes / (24 * 60), 1):g} 天"


# The rule of ``unusual_durations`` in words, for its readers.
RULE = (f"与同类相比用时不足中位数的 1/{FACTOR} 或超过其 {FACTOR} 倍（同类至少 {MIN_SAMPLES} 件，按自然时间计）；"
        f"鉴定在登记后 {say(FLOORS['assess'])}内完成的也列出。")


@dataclass(frozen=True)
class _Timed:
    kind: tuple[str, ...]  # what it is compared with
    row: Subject
    began: datetime
    ended: datetime

    @property
    def took(self) -> timedelta:
        return self.ended - self.began


def _timed(session: Session, account: Account) -> list[_Timed]:
    """Completed cases (compared within their process and outcome: a rejection is quicker than an issue)
    and completed steps (compared within their step), of the county ``account`` reaches: the medians too."""
    # Without the names: they are encrypted, and only the few rows found need them (``unusual_durations``).
    cases = session.execute(
        select(Case.number, Case.process_key, Case.outcome, ProcessVersion.name, Case.started_at, Case.ended_at)
        .join(Case.version).where(Case.status == "completed", visible_cases(account))
    )
    tasks = session.execute(
        select(Task.case_number, Task.name, Task.title, Task.completed_by, Task.created_at, Task.completed_at)
        .where(Task.status == "completed", within_county(account, Task.county))
    )
    return [
        *(_Timed(("case", key, outcome or ""), Subject(number=number, applicant_name=None, level="case",
                                                       step=None, what=name, by=None), began, ended)
          for number, key, outcome, name, began, ended in cases if ended is not None),
        *(_Timed(("task", step), Subject(number=number, applicant_name=None, level="task", step=step,
                                         what=title, by=by), began, ended)
          for number, step, title, by, began, ended in tasks if ended is not None),
    ]


def unusual_durations(sessions: sessionmaker[Session], account: Account, *, factor: int = FACTOR,
                      min_samples: int = MIN_SAMPLES,
                      floors: dict[str, timedelta] | None = None) -> list[UnusualDuration]:
    """Completed cases (start to end) and completed steps (opened to completed) that took unusually long or short.

    The rule: compared with the median of its kind (a case with the cases of its process that ended alike, a
    step with the steps of the same name, itself included), flagged is what took less than ``1/factor`` or
    more than ``factor`` times that median, once the kind has ``min_samples`` completed ones; and a step done
    faster than its floor (``FLOORS``: an assessment within 10 minutes of its registration), whatever the
    others took. Times are elapsed time, not working days. Each row says why, e.g. "用时 3 分钟，同类中位数 2 天".
    Computed in Python: medians are not portable SQL (SQLite has none), and the rows are a few per case.
    """
    floors = FLOORS if floors is None else floors
    with sessions() as session:
        timed = _timed(session, account)
    by_kind: dict[tuple[str, ...], list[timedelta]] = defaultdict(list)
    for item in timed:
        by_kind[item.kind].append(item.took)
    # median() is typed for numbers; it needs only order, sum and halving, which timedelta has
    medians = {kind: median(spans) for kind, spans in by_kind.items()  # type: ignore[type-var]
               if len(spans) >= min_samples}
    found: list[UnusualDuration] = []
    for item in timed:
        usual = medians.get(item.kind)
        floor = floors.get(item.row["step"] or "")
        below_floor = f"少于该环节最短合理用时 {say(floor)}" if floor is not None and item.took < floor else ""
        fast = usual is not None and item.took * factor < usual
        slow = usual is not None and usual > timedelta(0) and item.took > usual * factor
        if not (below_floor or fast or slow):
            continue
        reason = [f"用时 {say(item.took)}"]
        if usual is not None:
            reason.append(f"同类中位数 {say(usual)}")
        if below_floor:
            reason.append(below_floor)
        found.append(UnusualDuration(**item.row, began=item.began.isoformat(), ended=item.ended.isoformat(),
                                     direction="slow" if slow else "fast", reason="，".join(reason)))
    with sessions() as session:
        names = dict(session.execute(select(Case.number, Case.applicant_name)
                                     .where(Case.number.in_({row["number"] for row in found}))).all())
    for row in found:
        row["applicant_name"] = names.get(row["number"])
    return sorted(found, key=lambda row: (row["number"], row["level"], row["began"]))
