"""Everything held about one person, found by their ID number: what an administrator hands them when they ask
(PIPL arts. 44–45, the right to know and to copy).

Their cases (with data and history), the cases where they applied as someone's guardian (监护人/代办人: the case and
its history, which hold their name, ID number and phone as the guardian, found by ``cases.guardian_digest``), their
rows in exchange campaigns with appointments, the texts sent them, the files they handed in, the lookup codes asked
for their number, and who viewed their personal data in full and when. Every export is recorded twice: in the
security log (who exported whose data) and, as a view of personal data in full, in the history of each of their
cases, those as a guardian included.

Staff accounts hold no ID number (applicants do not sign in), so no account can be found by one: the export says so
instead of guessing by name.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any, TypedDict

from sqlalchemy import select

from certflow.bootstrap import Services
from certflow.campaign.models import CampaignHolder, ReassessmentAppointment
from certflow.engine.privacy import mask_id
from certflow.engine.views import AttachmentView, CaseView, EventView, OutboxText
from certflow.people import lookupcodes
from certflow.people.models import SecurityEvent

SECURITY_KIND = "personal_data_exported"
VIEWED = "个人信息导出"  # what the export records in each case's history as seen in full
ACCOUNTS_NOTE = ("账号不登记身份证号码：申请人不登录本系统，工作人员的账号与身份证号码没有关联，"
                 "因此无法按身份证号码查到账号")
README = """本文件是本系统按身份证号码 {masked} 保存的全部个人信息，于 {at} 由 {by} 导出。

个人信息.json 各部分：
- cases：以此身份证号码办理的案件，每个案件有其概况（case）、全部办理经过及其中填写的信息（history）、
  发给本人的短信（texts）、本人交来的文件清单（files）
- guarded：申请人是他人、此身份证号码是申请中所填监护人（代办人）的案件，即本人作为监护人代为申请的案件；
  每个案件有其概况（case）和全部办理经过（history），其中有本人作为监护人填写的姓名、身份证号码、电话等信息
- holders：换证工作台账中的记录及评定日程安排
- lookups：用此身份证号码申请进度查询验证码的记录
- views：谁在何时查看了本人完整的个人信息（含这次导出），包括本人作为监护人的案件
- accounts：登录账号（见 notes）
时间按 ISO 8601 写，末尾是时区（+00:00 为协调世界时）。文件本身可向办理窗口另行索取。
"""


class CaseRecord(TypedDict):
    case: CaseView
    history: list[EventView]
    texts: list[OutboxText]
    files: list[AttachmentView]


class GuardedRecord(TypedDict):
    """A case where the person is the applicant's guardian: what it holds of them is in its data and history."""

    case: CaseView
    history: list[EventView]


class View(TypedDict):
    case: str
    at: str
    by: str
    what: str


class PersonalData(TypedDict):
    id_number: str
    exported_at: str
    exported_by: str
    cases: list[CaseRecord]
    guarded: list[GuardedRecord]
    holders: list[dict[str, Any]]
    lookups: list[dict[str, Any]]
    views: list[View]
    accounts: list[dict[str, Any]]
    notes: dict[str, str]


def export(services: Services, id_number: str, *, actor: str, remote_addr: str | None = None,
           county: str | None = None) -> PersonalData:
    """Everything held about the person with ``id_number`` (checked by the caller), recorded as exported by
    ``actor``; with ``county``, only what that county holds (a county's administrator exports their county's)."""
    runtime = services.runtime
    holders = _holders(services, id_number, county)
    numbers = runtime.case_numbers_for_applicant(id_number)
    numbers += [h["case"] for h in holders if h["case"] not in numbers]
    guarded = [number for number in runtime.case_numbers_for_guardian(id_number) if number not in numbers]
    if county is not None:
        numbers, guarded = ([n for n in found if runtime.case(n)["county"] == county] for found in (numbers, guarded))
    now = runtime.clock.now()
    with services.sessions.begin() as session:
        session.add(SecurityEvent(kind=SECURITY_KIND, at=now, username=actor[:60], remote_addr=remote_addr,
                                  target=_whose(id_number, numbers, guarded)))
    for number in numbers + guarded:
        runtime.record_view(number, VIEWED, actor=actor)
    cases = [CaseRecord(case=runtime.case(number), history=runtime.history(number), texts=runtime.outbox(number),
                        files=runtime.attachments(number)) for number in numbers]
    as_guardian = [GuardedRecord(case=runtime.case(number), history=runtime.history(number)) for number in guarded]
    return PersonalData(
        id_number=id_number, exported_at=now.isoformat(), exported_by=actor, cases=cases, guarded=as_guardian,
        holders=holders, lookups=lookupcodes.issued(services.sessions, id_number),
        views=[View(case=record["case"]["number"], at=event["at"], by=event["actor"], what=str(event["data"]["what"]))
               for record in [*cases, *as_guardian] for event in record["history"]
               if event["kind"] == "personal_data_viewed"],
        accounts=[], notes={"accounts": ACCOUNTS_NOTE},
    )


def _whose(id_number: str, numbers: list[str], guarded: list[str]) -> str:
    """Whose data went, as the security log shows it: the ID number masked, and their cases by number, those
    where they are the guardian apart."""
    cases = f"{len(numbers)} 个案件" + (f"：{'、'.join(numbers)}" if numbers else "")
    if guarded:
        cases += f"；作为监护人的 {len(guarded)} 个案件：{'、'.join(guarded)}"
    return f"{mask_id(id_number)}（{cases}）"[:300]


def _holders(services: Services, id_number: str, county: str | None) -> list[dict[str, Any]]:
    digests = services.runtime.settings.data_keys.lookup_digests(id_number)
    query = (select(CampaignHolder, ReassessmentAppointment)
             .outerjoin(ReassessmentAppointment, ReassessmentAppointment.holder_id == CampaignHolder.id)
             .where(CampaignHolder.id_digest.in_(digests)).order_by(CampaignHolder.id))
    if county is not None:
        query = query.where(CampaignHolder.county == county)
    with services.sessions() as session:
        rows = session.execute(query).all()
    return [{"campaign": h.campaign, "case": h.case_number, "id_masked": h.id_masked, "township": h.township,
             "village": h.village, "basis": h.basis, "home_visit": h.home_visit, "category": h.category,
             "grade": h.grade, "imported_at": h.imported_at.isoformat(), "imported_by": h.imported_by,
             "appointment": None if a is None else {
                 "day": a.day.isoformat(), "venue": a.venue, "team": a.team, "home_visit": a.home_visit,
                 "scheduled_at": a.scheduled_at.isoformat(), "scheduled_by": a.scheduled_by}}
            for h, a in rows]


def as_json(data: PersonalData) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode()


def as_zip(data: PersonalData) -> bytes:
    """The export as a zip: 个人信息.json and 说明.txt, which says what each part holds."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("个人信息.json", as_json(data))
        archive.writestr("说明.txt", README.format(masked=mask_id(data["id_number"]), at=data["exported_at"][:19],
                                                 by=data["exported_by"]))
    return buffer.getvalue()
