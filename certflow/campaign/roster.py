"""A county's exchange campaign: import the roster of certificate holders (换证台账), a case per holder.

A roster is a CSV (UTF-8, or GB18030 as Excel saves it in China) or XLSX file with one holder a row
and the columns of ``COLUMNS``. Each row is checked on its own and against the rows before it; a
row refused says why, in words a clerk can act on. Every holder is kept in ``campaign_holders``
with the case started for them, so importing the same roster again starts nothing twice.
No Flask here: the command line and, later, the web pages call it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, sessionmaker

from certflow.campaign.county import County
from certflow.campaign.models import CampaignHolder
from certflow.engine import guardians, residentid, versions
from certflow.engine.calendar import china_today
from certflow.engine.disability import CATEGORY_CODES, GRADE_NAMES, certificate_number
from certflow.engine.errors import CertflowError, InputRefused, ValidationFailed
from certflow.engine.models import Case, Event
from certflow.engine.privacy import mask_id
from certflow.engine.runtime import Runtime
from certflow.engine.sealing import DataKeyRing
from certflow.people.counties import Counties
from certflow.people.directory import Directory

# Column header in the roster -> field of the case's data.
COLUMNS: dict[str, str] = {
    "姓名": "applicant_name",
    "身份证号码": "id_number",
    "联系电话": "phone",
    "监护人姓名": "guardian_name",
    "监护人电话": "guardian_phone",
    "监护人关系": "guardian_relation",
    "监护人身份证号码": "guardian_id_number",
    "乡镇(街道)": "township",
    "村(社区)": "village",
    "住址": "address",
    "残疾类别": "category",
    "残疾等级": "grade",
    "评定方式": "basis",
    "上门服务": "home_visit",
}
# The guardian's columns are filled only for those a guardian acts for (certflow.engine.guardians): a minor at the
# import date, an intellectual or mental disability.
OPTIONAL = frozenset({"guardian_name", "guardian_phone", "guardian_relation", "guardian_id_number", "home_visit"})
# 评定方式: holders assessed by a hospital or by eye, and new applicants (新评定对象) who have no certificate yet
# and are assessed for the first time at home.
BASIS: dict[str, str] = {"非目测": "hospital", "目测": "visual", "新评定": "new"}
YES_NO: dict[str, bool] = {"是": True, "否": False, "": False}
GRADES: dict[str, int] = {**{name: grade for grade, name in GRADE_NAMES.items()}, **{str(g): g for g in GRADE_NAMES}}
PHONE = re.compile(r"1\d{10}")
BATCH = 500  # holder rows stored per transaction; a crash in between is repaired by the next run

Progress = Callable[[int, int], None]  # (rows done, rows in the roster)


class RosterError(CertflowError):
    """The file as a whole cannot be imported (its type, its header)."""

    code = "roster_refused"


@dataclass(frozen=True)
class RosterRow:
    line: int  # as the spreadsheet numbers it: the header is line 1
    values: dict[str, Any]  # field -> cell value as read


@dataclass
class ImportReport:
    campaign: str
    rows: int = 0
    started: list[str] = field(default_factory=list)  # case numbers
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, case number): imported before
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    groups_added: int = 0

    def summary(self) -> str:
        return (f"{self.campaign}：共{self.rows}行，新建案件{len(self.started)}件，已导入过{len(self.skipped)}行，"
                f"不予导入{len(self.rejected)}行")


# -- reading -------------------------------------------------------------------------------------

def read_roster(path: Path) -> list[RosterRow]:
    """The data rows of a CSV or XLSX roster; blank rows are left out. RosterError for a file that cannot serve."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _csv_rows(path)
    elif suffix == ".xlsx":
        table = _xlsx_rows(path)
    else:
        raise RosterError(f"{path.name}：只能导入 .csv 或 .xlsx 文件")
    header = [str(cell or "").strip() for cell in next(table, [])]
    missing = [name for name, key in COLUMNS.items() if key not in OPTIONAL and name not in header]
    if missing:
        raise RosterError(f"{path.name}：第1行缺少列：{'、'.join(missing)}")
    fields = [COLUMNS.get(name) for name in header]
    return [
        RosterRow(line, {key: value for key, value in zip(fields, cells, strict=False) if key})
        for line, cells in enumerate(table, start=2)
        if any(str(cell or "").strip() for cell in cells)
    ]


def _csv_rows(path: Path) -> Iterator[list[Any]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030")  # Excel in China saves CSV in the local code page
    return csv.reader(io.StringIO(text))


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    from openpyxl import load_workbook  # only XLSX needs it

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        return iter([list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)])
    finally:
        workbook.close()


# -- checking ------------------------------------------------------------------------------------

def validate_row(values: dict[str, Any], county: County, today: date) -> tuple[dict[str, Any] | None, list[str]]:
    """The case's start data for one row (campaign aside), or None and every reason the row is refused."""
    reasons: list[str] = []
    text = {key: _text(values.get(key)) for key in COLUMNS.values()}
    for key, label in (("applicant_name", "姓名"), ("guardian_name", "监护人姓名")):
        if (text[key] or key == "applicant_name") and not 2 <= len(text[key]) <= 50:
            reasons.append(f"{label}应为2至50个字")
    id_number = _check_id(values.get("id_number"), today, reasons)
    for key, label in (("phone", "联系电话"), ("guardian_phone", "监护人电话")):
        if (text[key] or key == "phone") and not PHONE.fullmatch(text[key]):
            reasons.append(f"{label}应为11位手机号码")
    if not 2 <= len(text["address"]) <= 200:
        reasons.append("住址应为2至200个字")
    township = county.township(text["township"])
    village = next((v for v in township.villages if v.name == text["village"]), None) if township else None
    if township is None:
        reasons.append(f"未知的乡镇(街道)：{text['township'] or '（空）'}")
    elif village is None:
        reasons.append(f"{township.name}没有村(社区)：{text['village'] or '（空）'}")
    if text["category"] not in CATEGORY_CODES:
        reasons.append(f"未知的残疾类别：{text['category'] or '（空）'}")
    basis = BASIS.get(text["basis"])
    if basis == "new":
        if text["grade"]:
            reasons.append("新评定对象尚未持证，残疾等级应留空（由上门评定确定）")
    elif text["grade"] not in GRADES:
        reasons.append(f"未知的残疾等级：{text['grade'] or '（空）'}")
    if basis is None:
        reasons.append("评定方式应为“目测”“非目测”或“新评定”")
    if text["home_visit"] not in YES_NO:
        reasons.append("上门服务应为“是”或“否”")
    elif YES_NO[text["home_visit"]] and basis == "hospital":
        reasons.append("上门服务只用于需重新评定（目测）的持证人和新评定对象")
    elif not YES_NO[text["home_visit"]] and basis == "new":
        reasons.append("新评定对象是行动不便、需上门评定的人员，上门服务应为“是”")
    guardian = _check_guardian(text, id_number, today, reasons)
    if reasons or id_number is None or township is None or village is None or basis is None:
        return None, reasons
    category = text["category"]
    institution = county.institution_for(category)
    data = {
        "applicant_name": text["applicant_name"], "id_number": id_number, "phone": text["phone"],
        "address": text["address"], "township": township.group, "township_name": township.name,
        "village": village.group, "village_name": village.name, "venue": township.venue,
        "category": category, "basis": basis, "home_visit": YES_NO[text["home_visit"]],
        "hospital_group": institution.group, "hospital_name": institution.name,
        "county_group": county.county_group[0], "expert_group": county.expert_group[0],
        "sms_signature": county.federation,
    }
    if basis != "new":  # a holder: the grade and number of the old certificate, which the pre-made card carries
        grade = GRADES[text["grade"]]
        data.update({"grade": grade, "certificate_no": certificate_number(id_number, CATEGORY_CODES[category], grade)})
    data["guardian"] = guardian
    if guardian["needed"]:  # the texts go to the guardian (handlers.notifications)
        data.update({key: text[key] for key in guardians.FIELDS})
    return data, []


def _check_guardian(text: dict[str, str], id_number: str | None, today: date, reasons: list[str]) -> dict[str, Any]:
    """The guardian as the portal checks it (certflow.engine.guardians); the roster records no parts of 多重."""
    if id_number is None or text["category"] not in CATEGORY_CODES:
        return {"needed": False}  # who needs one is unknown: the row is refused for its own reasons
    minor = guardians.age_on(residentid.birth_date(id_number), today) < guardians.ADULT_AGE
    try:
        return guardians.check({**text, "id_number": id_number}, [text["category"]], minor, today)
    except InputRefused as refused:
        reasons.extend(message for _, message in refused.errors)
        return {"needed": False}


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a spreadsheet's number cell: 13800000000.0
    return "" if value is None else str(value).strip()


def _check_id(value: Any, today: date, reasons: list[str]) -> str | None:
    """The number, or None and the reason. Its address code is not checked: it is where the number was first
    issued, and a holder who moved in carries another county's; the township confirms the 师宗籍 (户籍)."""
    if isinstance(value, int | float):
        reasons.append("身份证号码须以文本格式填写（表格中的数字会丢失末位）")
        return None
    try:
        return residentid.validated(_text(value), today)
    except residentid.InvalidNumber as refused:
        reasons.append(str(refused))
        return None


def validate_roster(
    rows: Iterable[RosterRow], county: County, today: date,
) -> tuple[list[tuple[int, dict[str, Any]]], list[tuple[int, str]]]:
    """(line, start data) of the rows to import and (line, reason) of those refused, a holder listed twice included."""
    accepted: list[tuple[int, dict[str, Any]]] = []
    rejected: list[tuple[int, str]] = []
    first_line: dict[str, int] = {}
    for row in rows:
        data, reasons = validate_row(row.values, county, today)
        if data is not None and (earlier := first_line.get(data["id_number"])) is not None:
            data, reasons = None, [f"与第{earlier}行的身份证号码重复"]
        if data is None:
            rejected.append((row.line, "；".join(reasons)))
            continue
        first_line[data["id_number"]] = row.line
        accepted.append((row.line, data))
    return accepted, rejected


def write_rejected(rejected: list[tuple[int, str]], path: Path) -> None:
    """The rows refused, as CSV (行号, 原因) in UTF-8 with a BOM so that Excel opens it."""
    with path.open("w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["行号", "原因"])
        writer.writerows(rejected)


# -- importing -----------------------------------------------------------------------------------

def import_roster(
    sessions: sessionmaker[Session], runtime: Runtime, path: Path, *, actor: str, county: County,
    campaign: str | None = None, progress: Progress | None = None,
) -> ImportReport:
    """Start a case of the county's process (through ``runtime``) for every valid holder of the roster not imported
    before, and keep the holders in the database of ``sessions``.

    The county becomes a row and its groups (townships, villages, institutions) are added to the directory, when
    missing (``enter_county``).
    """
    report = ImportReport(campaign or county.campaign)
    rows = read_roster(path)
    report.rows = len(rows)
    holders, report.rejected = validate_roster(rows, county, china_today(runtime.clock))
    report.groups_added = enter_county(sessions, runtime, county)
    keys = runtime.settings.data_keys
    known = _imported(sessions, county.process, report.campaign, keys)
    done = len(report.rejected)
    pending: list[tuple[dict[str, Any], str]] = []
    for line, data in holders:
        earlier = [known[d] for d in keys.lookup_digests(data["id_number"]) if d in known]
        if earlier:
            report.skipped.append((line, earlier[0]))
        else:
            data = {**data, "campaign": report.campaign}
            try:
                case_number = runtime.start_case(county.process, data, actor=actor, county=county.code)
            except ValidationFailed as refused:  # the deployed start form asks more than the checks above
                report.rejected.append((line, "；".join(f"{e.field}：{e.message}" for e in refused.errors)))
            else:
                report.started.append(case_number)
                pending.append((data, case_number))
            if len(pending) >= BATCH:
                _store(sessions, pending, actor, runtime.clock.now(), keys)
                pending = []
        done += 1
        if progress:
            progress(done, report.rows)
    _store(sessions, pending, actor, runtime.clock.now(), keys)
    report.rejected.sort()
    return report


def enter_county(sessions: sessionmaker[Session], runtime: Runtime, county: County) -> int:
    """The county file's county as a row of the counties, numbering its cases with its process's prefix, and its
    groups in the directory as its own, where missing; how many groups were added."""
    with sessions() as session:
        prefix = versions.case_prefix(session, county.process, county.code)
    Counties(sessions, runtime.clock).add_missing(county.code, name=county.name, federation=county.federation,
                                                  case_prefix=prefix)
    return Directory(sessions).add_missing(county.groups(), county.code)


def _imported(sessions: sessionmaker[Session], process: str, campaign: str, keys: DataKeyRing) -> dict[str, str]:
    """ID digest → case number of the campaign's holders, once cases an interrupted import left without a row
    are adopted."""
    with sessions.begin() as session:
        _adopt(session, process, keys)
        found = session.execute(select(CampaignHolder.id_digest, CampaignHolder.case_number)
                                .where(CampaignHolder.campaign == campaign))
        return dict(found.all())


def _adopt(session: Session, process: str, keys: DataKeyRing) -> None:
    orphans = session.execute(
        select(Case.id, Case.county, Case.number, Event.data, Event.at, Event.actor)
        .join(Event, (Event.case_id == Case.id) & (Event.kind == "case_started"))
        .where(Case.process_key == process, ~exists().where(CampaignHolder.case_id == Case.id))
    ).all()
    for case_id, county, case_number, event, at, actor in orphans:
        data = event["data"]
        digests = keys.lookup_digests(data["id_number"])
        taken = select(CampaignHolder.id).where(CampaignHolder.campaign == data["campaign"],
                                                CampaignHolder.id_digest.in_(digests))
        if session.scalar(taken) is None:  # a second case for one holder stays a case, not a second row
            session.add(_holder(data, case_id, county, case_number, at, actor, keys))
            session.flush()


def _store(sessions: sessionmaker[Session], pending: list[tuple[dict[str, Any], str]], actor: str,
           now: datetime, keys: DataKeyRing) -> None:
    if not pending:
        return
    with sessions.begin() as session:
        started = {number: (case_id, county) for number, case_id, county in session.execute(
            select(Case.number, Case.id, Case.county).where(
                Case.number.in_([case_number for _, case_number in pending]))).all()}
        session.add_all(_holder(data, *started[case_number], case_number, now, actor, keys)
                        for data, case_number in pending)


def _holder(data: dict[str, Any], case_id: int, county: str, case_number: str, at: datetime, actor: str,
            keys: DataKeyRing) -> CampaignHolder:
    return CampaignHolder(
        campaign=data["campaign"], county=county, id_key=keys.current, id_digest=keys.lookup_digest(data["id_number"]),
        id_masked=mask_id(data["id_number"]),
        case_id=case_id, case_number=case_number, township=data["township"], village=data["village"],
        basis=data["basis"], home_visit=data["home_visit"], category=data["category"], grade=data.get("grade"),
        imported_at=at, imported_by=actor,
    )
