"""What the exchange campaign's pages read: a township's holders, the register of exchanges, the county's counts.

No Flask here; every query starts from ``campaign_holders`` so a page never loads the county's cases.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import sessionmaker

from certflow.engine.models import CampaignHolder, Case, Task
from certflow.engine.runtime import Runtime

EXCHANGED = frozenset({"exchanged", "new_card"})  # outcomes of a case whose holder has the new card
# Open task -> where the holder stands; a case with none of these and not exchanged is 其他.
STAGES: dict[str, str] = {
    "exchange": "待换证", "serve_notice": "重新评定中", "reassess": "重新评定中", "home_visit_assess": "重新评定中",
    "review_away": "重新评定中", "expert_review": "重新评定中", "verify_record": "补制新卡",
    "make_card": "补制新卡", "issue_new_card": "补制新卡",
}
STATUS_ORDER = ("已换证", "待换证", "重新评定中", "补制新卡", "其他")
BASIS_NAMES = {"hospital": "非目测", "visual": "目测"}
HANDOVER_TASKS = ("exchange", "issue_new_card")  # the township's tasks that hand the new card over
OLD_CERTIFICATE = {"collected": "已收回", "lost": "遗失（已签情况说明）", "damaged": "残损（已签情况说明）"}


def find_holders(sessions: sessionmaker, townships: frozenset[str] | None, text: str) -> list[dict[str, Any]]:
    """Holders whose name contains ``text`` or whose case number is ``text``, of the townships given (None: all)."""
    text = text.strip()
    if not text:
        return []
    query = (select(CampaignHolder, Case.applicant_name, Case.status, Case.outcome, Case.current_step)
             .join(Case, Case.id == CampaignHolder.case_id)
             .where(or_(Case.applicant_name.contains(text), CampaignHolder.case_number == text))
             .order_by(CampaignHolder.case_number).limit(50))
    if townships is not None:
        query = query.where(CampaignHolder.township.in_(townships))
    with sessions() as session:
        return [_holder(h, name, status, outcome, step) for h, name, status, outcome, step in session.execute(query)]


def holder(sessions: sessionmaker, number: str) -> dict[str, Any] | None:
    """One holder by case number, with their open tasks, or None."""
    with sessions() as session:
        row = session.execute(
            select(CampaignHolder, Case.applicant_name, Case.status, Case.outcome, Case.current_step)
            .join(Case, Case.id == CampaignHolder.case_id).where(CampaignHolder.case_number == number)
        ).first()
        if row is None:
            return None
        found = _holder(*row)
        tasks = session.scalars(select(Task).where(Task.case_id == row[0].case_id, Task.status == "open")
                                .order_by(Task.created_at))
        found["tasks"] = [{"id": t.id, "name": t.name, "title": t.title, "group": t.candidate_group} for t in tasks]
        return found


def _holder(h: CampaignHolder, name: str | None, status: str, outcome: str | None, step: str | None) -> dict[str, Any]:
    return {"number": h.case_number, "name": name, "id_masked": h.id_masked, "township": h.township,
            "village": h.village, "basis": BASIS_NAMES.get(h.basis, h.basis), "category": h.category,
            "grade": h.grade, "home_visit": h.home_visit, "status": status, "outcome": outcome, "step": step}


def register(runtime: Runtime, township: str | None) -> list[dict[str, Any]]:
    """发放登记表: one line per holder who has the new card, from the register line their case wrote."""
    query = (select(CampaignHolder.case_id, CampaignHolder.case_number, CampaignHolder.id_masked)
             .join(Case, Case.id == CampaignHolder.case_id).where(Case.outcome.in_(EXCHANGED))
             .order_by(CampaignHolder.case_number))
    if township:
        query = query.where(CampaignHolder.township == township)
    with runtime.sessions() as session:
        holders = session.execute(query).all()
        clerks = dict(session.execute(
            select(Task.case_id, Task.completed_by).where(
                Task.case_id.in_([h.case_id for h in holders]), Task.name.in_(HANDOVER_TASKS),
                Task.status == "completed").order_by(Task.completed_at)).all())
    lines = []
    for h in holders:
        entry = runtime.case(h.case_number)["data"].get("register_entry") or {}
        lines.append({
            "number": h.case_number, "name": entry.get("applicant_name"), "id_masked": h.id_masked,
            "township": entry.get("township"), "card_no": entry.get("card_no") or entry.get("certificate_no"),
            "old_certificate": OLD_CERTIFICATE.get(entry.get("old_certificate", ""), entry.get("old_certificate")),
            "issued_on": entry.get("issued_on"), "clerk": clerks.get(h.case_id, ""),
        })
    return lines


def counts(sessions: sessionmaker) -> dict[str, Counter[str]]:
    """Holders by 目测/非目测, by where they stand (``STATUS_ORDER``) and by township group."""
    with sessions() as session:
        holders = session.execute(select(CampaignHolder.case_id, CampaignHolder.basis, CampaignHolder.township,
                                         Case.outcome).join(Case, Case.id == CampaignHolder.case_id)).all()
        open_tasks = dict(session.execute(select(Task.case_id, Task.name).join(
            CampaignHolder, CampaignHolder.case_id == Task.case_id).where(Task.status == "open")).all())
    found: dict[str, Counter[str]] = {"basis": Counter(), "status": Counter(), "township": Counter(),
                                      "exchanged": Counter()}
    for case_id, basis, township, outcome in holders:
        status = "已换证" if outcome in EXCHANGED else STAGES.get(open_tasks.get(case_id, ""), "其他")
        found["basis"][BASIS_NAMES.get(basis, basis)] += 1
        found["status"][status] += 1
        found["township"][township] += 1
        if status == "已换证":
            found["exchanged"][BASIS_NAMES.get(basis, basis)] += 1
    return found
