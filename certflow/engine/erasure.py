"""Erasing a person's data once the retention period has passed (PIPL art. 47), keeping the case's statistics and
its history verifiable.

A case that ended (办结 or 撤销, a rejection included) longer ago than ``Settings.retention_years`` has its personal
values replaced by ``ERASED`` wherever they are held: the stored state, each event's data, the case row and its task
rows, the texts sent, form drafts, incidents and queued work; its files are deleted from storage. The row keeps
its process, county, status, outcome and dates, so counts by outcome, county and month do not change.

An erased event no longer matches its hash. So the erasure appends a ``data_erased`` event, chained and signed like
any other, listing for each altered event its seq, its original hash and the hash of its erased content, and the
digests of the state before and after. Verification (``audit.verify``) trusts that list only from a correctly
signed ``data_erased`` event whose own content matches its hash: an event edited without the key, or edited again
after erasure, still shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.orm import Session

from certflow.engine import history
from certflow.engine.errors import InvalidState
from certflow.engine.models import Attachment, Case, Draft, Event, Incident, Job, Notification, Task, UploadDraft
from certflow.engine.privacy import DIGEST, ID_NUMBER
from certflow.engine.steps import CaseRow, Steps

KIND = "data_erased"
ERASED = "（已删除）"
ENDED = ("completed", "cancelled")
# What the forms and the engine's own events hold about a person: who they are and how to reach them (the
# applicant's and the guardian's, the birth date and the masked ID number the identity check derives), free texts
# that may name or describe them (a comment, a reason, an assessment's conclusion, a re-examination's opinion), and
# file names. Kept for the statistics: category, parts, grade, whether the standard was met, the age, the village
# group (the task lists' routing), decisions, dates and the outcome.
PERSONAL_FIELDS = frozenset({
    "applicant_name", "id_number", "id_masked", "birth_date", "phone", "address",
    "guardian_name", "guardian_relation", "guardian_id_number", "guardian_phone",
    "conclusion", "opinion", "reason", "missing_note", "tracking_no", "appointment_place", "posting_place",
    "text", "filename", "recipient_phone",
})
# A mobile number inside a text (an SMS a handler was given, a comment).
PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")
# A task's id in a serialized workflow, which may end in eleven digits: it must stay, or the state no longer loads.
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MIN_VALUE = 2  # a one-character value (a relation "父") would erase that character from every text


@dataclass(frozen=True)
class Erased:
    """One case erased, or that would be on a dry run."""

    number: str
    ended_at: datetime
    events: int  # events whose data changed
    files: int
    texts: int


@dataclass(frozen=True)
class Kept:
    """A case of the person that is not erased, and why (in Chinese)."""

    number: str
    why: str


def cutoff(now: datetime, years: int) -> datetime:
    """Cases that ended before this moment are past the retention period (29 February counts as 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def personal_values(values: Iterable[Any]) -> set[str]:
    """The texts held under a personal field anywhere in ``values`` (events' data, a state)."""
    found: set[str] = set()
    for value in values:
        for key, item in _items(value):
            if key in PERSONAL_FIELDS and isinstance(item, str) and len(item.strip()) >= MIN_VALUE:
                found.add(item.strip())
    return found


def scrub(value: Any, known: set[str]) -> Any:
    """A copy of JSON-like ``value``: personal fields replaced by ERASED; in any other text the ID numbers, mobile
    numbers and ``known`` personal values (a name inside an SMS) replaced too. Digests and task ids are left as
    they are."""
    if isinstance(value, dict):
        return {k: (ERASED if k in PERSONAL_FIELDS and v not in (None, "", [], {}) else scrub(v, known))
                for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, known) for v in value]
    if isinstance(value, str) and not DIGEST.fullmatch(value) and not UUID.fullmatch(value):
        text = PHONE.sub(ERASED, ID_NUMBER.sub(ERASED, value))
        for personal in sorted(known, key=len, reverse=True):  # a full address before the name inside it
            text = text.replace(personal, ERASED)
        return text
    return value


def _items(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from _items(item)
    elif isinstance(value, list):
        for item in value:
            yield from _items(item)


def due(steps: Steps, now: datetime) -> list[str]:
    """Numbers of the cases past the retention period and not yet erased, oldest ended first."""
    with steps.sessions() as session:
        return list(session.scalars(
            _ended_before(cutoff(now, steps.settings.retention_years)).order_by(Case.ended_at, Case.id)))


def for_person(steps: Steps, numbers: list[str], now: datetime) -> tuple[list[str], list[Kept]]:
    """Of a person's cases, those due for erasure, and the others with why they are kept."""
    years = steps.settings.retention_years
    limit = cutoff(now, years)
    with steps.sessions() as session:
        rows = session.execute(select(Case.number, Case.status, Case.ended_at, _is_erased())
                               .where(Case.number.in_(numbers))).all()
    erasable, kept = [], []
    for number, status, ended_at, erased in sorted(rows):
        if why := _why_kept(status, ended_at, erased, limit, years):
            kept.append(Kept(number, why))
        else:
            erasable.append(number)
    return erasable, kept


def _why_kept(status: str, ended_at: datetime | None, erased: bool, limit: datetime, years: int) -> str | None:
    """Why a case's personal data may not be erased yet, or None when it is due."""
    if erased:
        return "个人信息此前已删除"
    if status not in ENDED or ended_at is None:
        return "尚未办结，不能删除"
    if ended_at >= limit:
        return f"办结未满 {years} 年，按保存期限保存到 {cutoff(ended_at, -years).date().isoformat()}"
    return None


def erase(steps: Steps, number: str, *, actor: str, basis: str, dry_run: bool = False) -> Erased:
    """Erase the personal data of case ``number`` and record it; on a dry run only count what would change.
    ``basis`` says why, for the event: the retention rule or a person's request. InvalidState if it is not due."""
    if dry_run:
        with steps.sessions() as session:
            case = steps.read_case(session, steps.case_id(session, number), lock=False)
            return _plan(session, case, steps.settings.retention_years, steps.clock.now()).result
    with steps.transaction() as session:
        case = steps.lock_case(session, steps.case_id(session, number), running_only=False)
        now = steps.clock.now()
        plan = _plan(session, case, steps.settings.retention_years, now)
        for row, data, _ in plan.altered:
            session.execute(update(Event).where(Event.id == row.id).values(data=data))
        erased_state = scrub(plan.state, plan.known)
        record = {
            "basis": basis,
            "events": [{"seq": row.seq, "hash": row.hash, "erased": digest} for row, _, digest in plan.altered],
            "state": {"before": history.state_digest(plan.state), "after": history.state_digest(erased_state)},
            "files": len(plan.attachments), "texts": len(plan.texts),
        }
        case.state = erased_state
        case.applicant_name = case.applicant_digest = case.id_masked = case.id_digest = case.guardian_digest = None
        case.last_error = None
        case.updated_at = now
        _erase_around(session, case.id, plan.known, plan.attachments, plan.texts)
        steps.append_events(session, case, [(KIND, None, None, record)], actor, now)
        gone = [a.sha256 for a in plan.attachments]
    delete_unused_files(steps, gone)
    return plan.result


@dataclass
class _Plan:
    state: dict[str, Any]
    known: set[str]
    altered: list[tuple[Event, dict[str, Any], str]]  # event, its erased data, the hash of its erased content
    attachments: list[Attachment]
    texts: list[Notification]
    result: Erased


def _plan(session: Session, case: CaseRow, years: int, now: datetime) -> _Plan:
    """What erasing ``case`` changes, computed without changing anything; InvalidState if it is not due."""
    rows = list(session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq)))
    erased = any(row.kind == KIND for row in rows)
    if why := _why_kept(case.status, case.ended_at, erased, cutoff(now, years), years):
        raise InvalidState(f"案件 {case.number} 的个人信息不能删除：{why}")
    state = case.read_state(session)
    known = personal_values([state, *(e.data for e in rows)])
    if case.applicant_name and len(case.applicant_name) >= MIN_VALUE:
        known.add(case.applicant_name)
    altered = []
    for row in rows:
        data = scrub(row.data, known)
        if data != row.data:
            altered.append((row, data, history.chain_hash(row.prev_hash, _body(case.number, row, data))))
    attachments = list(session.scalars(select(Attachment).where(Attachment.case_id == case.id)))
    texts = list(session.scalars(select(Notification).where(Notification.case_id == case.id)))
    result = Erased(case.number, case.ended_at or case.updated_at, len(altered), len(attachments), len(texts))
    return _Plan(state, known, altered, attachments, texts, result)


def _erase_around(session: Session, case_id: int, known: set[str], attachments: list[Attachment],
                  texts: list[Notification]) -> None:
    """What the case's rows beside its history and state hold of the person."""
    task_ids = select(Task.id).where(Task.case_id == case_id)
    session.execute(delete(Draft).where(Draft.task_id.in_(task_ids)))
    session.execute(update(Task).where(Task.case_id == case_id)
                    .values(applicant_name=None, applicant_digest=None, id_masked=None))
    for text in texts:
        text.recipient_phone, text.text = None, ERASED
        text.last_error = None if text.last_error is None else scrub(text.last_error, known)
    for attachment in attachments:
        attachment.filename = ERASED
    for incident in session.scalars(select(Incident).where(Incident.case_id == case_id)):
        incident.data, incident.message = scrub(incident.data, known), scrub(incident.message, known)
    for job in session.scalars(select(Job).where(Job.case_id == case_id)):
        job.payload = scrub(job.payload, known)
        job.last_error = None if job.last_error is None else scrub(job.last_error, known)
    session.flush()


def delete_unused_files(steps: Steps, digests: list[str]) -> None:
    """The files' bytes, once the rows that held them are committed as erased or removed; a file another case or an
    upload draft also holds (files are kept once by content) stays for it."""
    files = steps.setup.files
    if files is None:
        return
    with steps.sessions() as session:
        for digest in set(digests):
            used = session.scalar(select(exists().where(Attachment.sha256 == digest, Attachment.filename != ERASED))
                                  ) or session.scalar(select(exists().where(UploadDraft.sha256 == digest)))
            if not used:
                files.storage.delete(digest)


def _body(number: str, row: Event, data: dict[str, Any]) -> dict[str, Any]:
    return history.event_body(case_number=number, seq=row.seq, kind=row.kind, at=row.at, actor=row.actor,
                              task_id=row.task_id, task_name=row.task_name, data=data)


def _is_erased() -> Any:
    return exists().where(Event.case_id == Case.id, Event.kind == KIND)


def _ended_before(limit: datetime) -> Any:
    return select(Case.number).where(Case.status.in_(ENDED), Case.ended_at < limit, ~_is_erased())


# -- verification ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    """A ``data_erased`` event verification can trust: correctly signed, its content matching its hash."""

    seq: int
    at: str
    hashes: Mapping[int, tuple[str, str]]  # erased event's seq -> (original hash, hash of the erased content)
    state_after: str


def trusted(ring: history.KeyRing, number: str, rows: list[Event]) -> list[Erasure]:
    """The erasures recorded in ``rows`` that verification may rely on; a forged or altered one is ignored, so the
    events it claims to have erased show as changed."""
    found = []
    for row in rows:
        if row.kind != KIND or row.key_id is None:
            continue
        if history.chain_hash(row.prev_hash, _body(number, row, row.data)) != row.hash:
            continue
        if not ring.check(row.key_id, history.event_message(row.hash), row.mac or ""):
            continue
        hashes = {int(e["seq"]): (str(e["hash"]), str(e["erased"])) for e in row.data.get("events", [])
                  if int(e["seq"]) < row.seq}
        found.append(Erasure(row.seq, row.at.isoformat(), hashes, str(row.data.get("state", {}).get("after", ""))))
    return found


def note(erasures: list[Erasure], tz_offset: timedelta = timedelta(hours=8)) -> str:
    """第 3–9、12 条事件中的个人信息已于 2036-10-09 按保存期限删除 (the date in China time)."""
    parts = []
    for erasure in erasures:
        day = (datetime.fromisoformat(erasure.at) + tz_offset).date().isoformat()
        parts.append(f"第 {_ranges(sorted(erasure.hashes))} 条事件中的个人信息已于 {day} 按保存期限删除"
                     if erasure.hashes else f"案件的个人信息已于 {day} 按保存期限删除")
    return "；".join(parts)


def _ranges(seqs: list[int]) -> str:
    runs: list[list[int]] = []
    for seq in seqs:
        if runs and seq == runs[-1][-1] + 1:
            runs[-1].append(seq)
        else:
            runs.append([seq])
    return "、".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)
