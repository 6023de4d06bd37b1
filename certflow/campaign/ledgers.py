"""What the exchange campaign's pages read: a township's holders, a village's ledger, the register of exchanges,
the county's counts.

No Flask here; every query starts from ``campaign_holders`` so a page never loads the county's cases. What a
holder handed over (the card, the old certificate, the date) is read from the stored history: the events the
handover tasks and the card-number handler wrote, a few set-based queries for any number of holders.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, TypedDict

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from certflow.campaign.models import CampaignHolder
from certflow.casework.inbox import PAGE_SIZE, given, page_count, page_number, text
from certflow.engine.disability import CATEGORY_CODES, GRADE_NAMES
from certflow.engine.models import Case, Event, Task
from certflow.engine.privacy import mask_id_numbers
from certflow.engine.sealing import DataKeyRing

EXCHANGED = frozenset({"exchanged", "new_card"})  # outcomes of a case whose holder has the new card
# Outcome -> where the person stands once the case has ended.
OUTCOMES: dict[str, str] = {"exchanged": "已换证", "new_card": "已换证", "withdrawn": "康复脱残",
                            "first_card": "已发证", "not_met": "未达标准"}
# Open task -> where the holder stands; a case with none of these and not ended is 其他.
STAGES: dict[str, str] = {
    "exchange": "待换证", "serve_notice": "重新评定中", "reassess": "重新评定中", "home_visit_assess": "重新评定中",
    "review_away": "重新评定中", "expert_review": "重新评定中", "verify_record": "补制新卡",
    "make_card": "补制新卡", "issue_new_card": "补制新卡", "withdraw_certificate": "康复脱残",
    "issue_first_card": "补制新卡",
    # the publicity of a changed result, and a re-examination on an objection to it
    "post_publicity_township": "重新评定中", "post_publicity": "重新评定中", "reexamine": "重新评定中",
}
# A new applicant (新评定对象) has no certificate to re-assess or re-make: the same stages in their words.
FIRST_STAGES = {"重新评定中": "评定中", "补制新卡": "制证中"}
STATUS_ORDER = ("已换证", "待换证", "重新评定中", "补制新卡", "康复脱残", "其他")
FIRST_STATUS_ORDER = ("已发证", "评定中", "制证中", "未达标准", "其他")
NEW = "new"  # the basis of a new applicant
BASIS_NAMES = {"hospital": "非目测", "visual": "目测", NEW: "新评定"}
HOLDER_BASES = ("非目测", "目测")
SUMMARY_COLUMNS = ("非目测", "目测", "合计", "已换证", "康复脱残", "新评定")
CATEGORIES = tuple(CATEGORY_CODES)  # in code order, as the certificate number has them
HANDOVER_TASKS = ("exchange", "issue_new_card")  # the township's tasks that hand the new card over
NEW_NUMBER = "certificate_number"  # the handler that numbers a card made anew
OLD_CERTIFICATE = {"collected": "已收回", "lost": "遗失（已签情况说明）", "damaged": "残损（已签情况说明）"}


def standing(outcome: str | None, open_task: str | None, basis: str = "visual") -> str:
    """Where a holder stands (one of ``STATUS_ORDER``), or a new applicant (``FIRST_STATUS_ORDER``): from the
    case's outcome, else its open task."""
    if outcome in OUTCOMES:
        return OUTCOMES[outcome]
    stage = STAGES.get(open_task or "", "其他")
    return FIRST_STAGES.get(stage, stage) if basis == NEW else stage


# -- the township desk ---------------------------------------------------------------------------

class HolderRow(TypedDict):
    """A holder as the desk lists them."""

    number: str  # the case's
    name: str | None
    id_masked: str
    township: str  # group ids
    village: str
    basis: str  # in words: 非目测, 目测, 新评定
    category: str
    grade: int | None
    home_visit: bool
    status: str  # the case's
    outcome: str | None
    step: str | None  # the case's current step
    standing: str  # where the holder stands, in words (``standing``)
    exchange_task: str | None  # the open 核验并换证 task, when the reader may work it


class HolderTask(TypedDict):
    """An open task of a holder's case."""

    id: str
    name: str
    title: str
    group: str | None
    workable: bool  # the reader may open it


class Holder(HolderRow):
    """A holder with their case's open tasks."""

    tasks: list[HolderTask]


ID_NUMBER = re.compile(r"\d{17}[\dXx]")
# A holder waiting for the exchange: their case's 核验并换证 is open.
_waiting = (Task.case_id == CampaignHolder.case_id, Task.status == "open", Task.name == "exchange")


@dataclass(frozen=True)
class DeskQuery:
    text: str = ""  # part of a holder's name or case number, or a whole ID number; none: those waiting
    page: int = 1
    page_size: int = PAGE_SIZE

    @classmethod
    def from_args(cls, args: Any) -> DeskQuery:
        return cls(text=text(args, "q") or "", page=page_number(args))

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query-string arguments for this search with ``changes``, for the pager's links."""
        query = replace(self, **changes)
        return given({"q": query.text, "page": query.page})


@dataclass(frozen=True)
class DeskPage:
    query: DeskQuery
    rows: list[HolderRow]
    total: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.query.page_size)


def find_holders(sessions: sessionmaker, keys: DataKeyRing, townships: frozenset[str] | None, query: DeskQuery,
                 workable: ColumnElement[bool]) -> DeskPage:
    """One page of the holders of the townships given (None: all): by a whole ID number, through its keyed digest
    (the number itself is kept nowhere to compare), else whose whole name is the text (names are kept encrypted)
    or whose case number contains it; with no text, those waiting for the exchange (an open 核验并换证), village by
    village. ``workable`` is the condition on the tasks the reader may work: only those are linked."""
    exchange = select(Task.id).where(*_waiting, workable).limit(1).scalar_subquery()
    matches = (select(CampaignHolder, Case.applicant_name, Case.status, Case.outcome, Case.current_step, exchange)
               .join(Case, Case.id == CampaignHolder.case_id))
    with sessions() as session:
        if ID_NUMBER.fullmatch(query.text):
            matches = matches.where(CampaignHolder.id_digest.in_(keys.lookup_digests(query.text)))
        elif query.text:
            matches = matches.where(or_(Case.applicant_digest.in_(keys.lookup_digests(query.text)),
                                        CampaignHolder.case_number.contains(query.text.upper(), autoescape=True)))
        else:
            matches = matches.where(select(Task.id).where(*_waiting).exists())
        if townships is not None:
            matches = matches.where(CampaignHolder.township.in_(townships))
        total = session.scalar(select(func.count()).select_from(matches.subquery())) or 0
        rows = session.execute(matches.order_by(CampaignHolder.village, CampaignHolder.case_number)
                               .offset((query.page - 1) * query.page_size).limit(query.page_size))
        return DeskPage(query, [_holder(*row) for row in rows], total)


def holder(sessions: sessionmaker, number: str, workable: ColumnElement[bool]) -> Holder | None:
    """One holder by case number, with the open tasks of their case the reader may work (``workable``), or None."""
    with sessions() as session:
        row = session.execute(
            select(CampaignHolder, Case.applicant_name, Case.status, Case.outcome, Case.current_step)
            .join(Case, Case.id == CampaignHolder.case_id).where(CampaignHolder.case_number == number)
        ).first()
        if row is None:
            return None
        tasks = list(session.scalars(select(Task).where(Task.case_id == row[0].case_id, Task.status == "open")
                                     .order_by(Task.created_at)))
        mine = set(session.scalars(select(Task.id).where(Task.id.in_([t.id for t in tasks]), workable)))
        exchange = next((t.id for t in tasks if t.name == "exchange" and t.id in mine), None)
        found, name, status, outcome, step = row
        return Holder(**_holder(found, name, status, outcome, step, exchange),
                      tasks=[HolderTask(id=t.id, name=t.name, title=t.title, group=t.candidate_group,
                                        workable=t.id in mine) for t in tasks])


def _holder(h: CampaignHolder, name: str | None, status: str, outcome: str | None, step: str | None,
            exchange_task: str | None) -> HolderRow:
    return HolderRow(number=h.case_number, name=name, id_masked=h.id_masked, township=h.township,
                     village=h.village, basis=BASIS_NAMES.get(h.basis, h.basis), category=h.category,
                     grade=h.grade, home_visit=h.home_visit, status=status, outcome=outcome, step=step,
                     standing=_in_words(outcome, step), exchange_task=exchange_task)


def _in_words(outcome: str | None, step: str | None) -> str:
    """Where a holder's case is, for the desk: its outcome in words once ended, else its current step."""
    if outcome:
        return OUTCOMES.get(outcome, "已办结")
    return step or ""


# -- what was handed over ------------------------------------------------------------------------

@dataclass
class Handover:
    """The new card a holder was given and what became of the old certificate, as the history recorded them."""

    card_no: str | None = None  # the pre-made card's number, or the number of the card made anew
    old_certificate: str | None = None  # collected, lost, damaged
    issued_on: str | None = None  # as the clerk entered it
    clerk: str = ""


def _handovers(session: Session, cases: Select[Any]) -> dict[int, Handover]:
    """Case id -> its handover, for the case ids ``cases`` selects: the certificate number it started with, the
    number a card made anew was given, and the last handover form (a mismatch at the exchange is followed by
    the issue of the new card), in one query over the events."""
    # The history's data is sealed: the events are chosen by their kind and task, their fields read here.
    rows = session.execute(
        select(Event.case_id, Event.kind, Event.actor, Event.data)
        .where(Event.case_id.in_(cases), or_(
            Event.kind.in_(("case_started", "service_called")),
            and_(Event.kind == "task_completed", Event.task_name.in_(HANDOVER_TASKS))))
        .order_by(Event.case_id, Event.seq))
    found: dict[int, Handover] = {}
    for case_id, kind, actor, data in rows:
        if kind == "service_called" and data.get("operator") != NEW_NUMBER:
            continue
        handover = found.setdefault(case_id, Handover())
        if kind == "case_started":
            handover.card_no = _text(data.get("data", {}).get("certificate_no"))
        elif kind == "service_called":
            handover.card_no = _text((data.get("result") or {}).get("number"))
        else:
            submitted = data.get("data", {})
            handover.old_certificate, handover.issued_on, handover.clerk = (
                _text(submitted.get("old_certificate")), _text(submitted.get("issued_on")), actor)
    return found


def _text(value: Any) -> str | None:
    """A recorded value as text, as the report shows it (None stays None)."""
    return None if value is None else str(value)


def _exchanged_ids(township: str | None = None, village: str | None = None, county: str | None = None) -> Select[Any]:
    query = (select(CampaignHolder.case_id).join(Case, Case.id == CampaignHolder.case_id)
             .where(Case.outcome.in_(EXCHANGED)))
    if county:
        query = query.where(CampaignHolder.county == county)
    if township:
        query = query.where(CampaignHolder.township == township)
    if village:
        query = query.where(CampaignHolder.village == village)
    return query


class RegisterLine(TypedDict):
    """A line of 发放登记表: a holder who has the new card."""

    number: str
    name: str | None
    id_masked: str
    township: str
    card_no: str | None  # masked like the ID number it holds
    old_certificate: str | None  # in words
    issued_on: str | None
    clerk: str


def register(sessions: sessionmaker, township: str | None) -> list[RegisterLine]:
    """发放登记表: one line per holder who has the new card, in case-number order. The card's number holds the ID
    number (18 characters, then category and grade): it is masked like the ID number."""
    query = (select(CampaignHolder.case_id, CampaignHolder.case_number, CampaignHolder.id_masked,
                    CampaignHolder.township, Case.applicant_name)
             .join(Case, Case.id == CampaignHolder.case_id).where(Case.outcome.in_(EXCHANGED))
             .order_by(CampaignHolder.case_number))
    if township:
        query = query.where(CampaignHolder.township == township)
    with sessions() as session:
        holders = session.execute(query).all()
        handed = _handovers(session, _exchanged_ids(township))
    lines = []
    for case_id, number, id_masked, holder_township, name in holders:
        given_over = handed.get(case_id, Handover())
        lines.append(RegisterLine(
            number=number, name=name, id_masked=id_masked, township=holder_township,
            card_no=given_over.card_no and mask_id_numbers(given_over.card_no),
            old_certificate=old_certificate(given_over.old_certificate), issued_on=given_over.issued_on,
            clerk=given_over.clerk,
        ))
    return lines


def old_certificate(code: str | None) -> str | None:
    """What became of the old certificate, in words."""
    return OLD_CERTIFICATE.get(code or "", code)


# -- a village's ledger (台账) --------------------------------------------------------------------

class LedgerLine(TypedDict):
    """A line of a village's 台账, every value in words as printed."""

    number: str
    name: str | None
    id_masked: str
    category: str
    grade: str
    basis: str
    home_visit: str  # 是, 否
    status: str  # where the holder stands (``standing``)
    issued_on: str | None
    old_certificate: str | None


def ledger(sessions: sessionmaker, village: str) -> list[LedgerLine]:
    """台账 of a village: every holder, where they stand, and for those exchanged the date and the old certificate."""
    with sessions() as session:
        holders = session.execute(
            select(CampaignHolder, Case.applicant_name, Case.outcome).join(Case, Case.id == CampaignHolder.case_id)
            .where(CampaignHolder.village == village).order_by(CampaignHolder.case_number)).all()
        open_tasks = dict(session.execute(
            select(Task.case_id, Task.name).join(CampaignHolder, CampaignHolder.case_id == Task.case_id)
            .where(CampaignHolder.village == village, Task.status == "open")).all())
        handed = _handovers(session, _exchanged_ids(village=village))
    lines = []
    for h, name, outcome in holders:
        given_over = handed.get(h.case_id, Handover())
        lines.append(LedgerLine(
            number=h.case_number, name=name, id_masked=h.id_masked, category=h.category,
            grade=GRADE_NAMES.get(h.grade or 0, ""), basis=BASIS_NAMES.get(h.basis, h.basis),
            home_visit="是" if h.home_visit else "否",
            status=standing(outcome, open_tasks.get(h.case_id), h.basis), issued_on=given_over.issued_on,
            old_certificate=old_certificate(given_over.old_certificate),
        ))
    return lines


def ledger_summary(lines: Iterable[LedgerLine]) -> list[dict[str, str | int]]:
    """分类汇总: per category (every category, in code order) holders by 非目测 and 目测, their sum, how many
    are exchanged and how many no longer meet any standard (康复脱残), and the new applicants (新评定) beside
    them; a last row 合计 over all categories."""
    rows: dict[str, Counter[str]] = {name: Counter() for name in CATEGORIES}
    for line in lines:
        row = rows.setdefault(line["category"], Counter())
        row[line["basis"]] += 1
        if line["basis"] in HOLDER_BASES:
            row["合计"] += 1
            row[line["status"]] += int(line["status"] in ("已换证", "康复脱残"))
    total = sum(rows.values(), Counter())
    return [{"category": name, **{key: row[key] for key in SUMMARY_COLUMNS}}
            for name, row in [*rows.items(), ("合计", total)]]


@dataclass(frozen=True)
class VillageProgress:
    """How far a village is: its holders (new applicants apart), how many have the new card, how many wait."""

    holders: int = 0
    exchanged: int = 0
    waiting: int = 0  # an open 核验并换证
    first: int = 0  # new applicants (新评定对象)

    @property
    def percent(self) -> int:
        return round(100 * self.exchanged / self.holders) if self.holders else 0


def village_progress(sessions: sessionmaker, township: str) -> dict[str, VillageProgress]:
    """Village group of a township -> its progress, every village with holders."""
    waiting = select(Task.id).where(*_waiting).exists()
    holder = CampaignHolder.basis != NEW
    with sessions() as session:
        rows = session.execute(
            select(CampaignHolder.village, func.count().filter(holder),
                   func.count().filter(holder, Case.outcome.in_(EXCHANGED)), func.count().filter(holder, waiting),
                   func.count().filter(CampaignHolder.basis == NEW))
            .join(Case, Case.id == CampaignHolder.case_id).where(CampaignHolder.township == township)
            .group_by(CampaignHolder.village)).all()
    return {village: VillageProgress(*figures) for village, *figures in rows}


# -- the county's counts -------------------------------------------------------------------------

@dataclass
class Counts:
    """The dashboard's figures. Basis keys are 非目测 and 目测, status keys those of ``STATUS_ORDER``."""

    basis: Counter[str] = field(default_factory=Counter)
    status: Counter[str] = field(default_factory=Counter)
    township: Counter[str] = field(default_factory=Counter)  # township group -> holders
    category: Counter[str] = field(default_factory=Counter)
    exchanged: Counter[str] = field(default_factory=Counter)  # basis -> holders exchanged
    township_status: dict[str, Counter[str]] = field(default_factory=dict)  # township group -> status -> holders
    exchanged_on: dict[str, Counter[date]] = field(default_factory=dict)  # basis -> issue date -> holders
    first: Counter[str] = field(default_factory=Counter)  # new applicants (新评定对象) by status, not holders


def counts(sessions: sessionmaker, county: str | None = None) -> Counts:
    """Holders of ``county`` (None: of every county) by 目测/非目测, where they stand, township, category, and the
    exchanges by issue date; the new applicants, who hold no certificate, counted apart by where they stand."""
    of_county = [CampaignHolder.county == county] if county else []
    with sessions() as session:
        holders = session.execute(select(CampaignHolder.case_id, CampaignHolder.basis, CampaignHolder.township,
                                         CampaignHolder.category, Case.outcome)
                                  .join(Case, Case.id == CampaignHolder.case_id).where(*of_county)).all()
        open_tasks = dict(session.execute(select(Task.case_id, Task.name).join(
            CampaignHolder, CampaignHolder.case_id == Task.case_id).where(Task.status == "open", *of_county)).all())
        handed = _handovers(session, _exchanged_ids(county=county))
    found = Counts()
    for case_id, basis_key, township, category, outcome in holders:
        basis, where = BASIS_NAMES.get(basis_key, basis_key), standing(outcome, open_tasks.get(case_id), basis_key)
        if basis_key == NEW:
            found.first[where] += 1
            continue
        found.basis[basis] += 1
        found.status[where] += 1
        found.township[township] += 1
        found.category[category] += 1
        found.township_status.setdefault(township, Counter())[where] += 1
        if where == "已换证":
            found.exchanged[basis] += 1
            if issued_on := handed.get(case_id, Handover()).issued_on:
                found.exchanged_on.setdefault(basis, Counter())[date.fromisoformat(issued_on)] += 1
    return found
