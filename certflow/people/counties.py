"""The counties of the installation (its tenants), kept by a province administrator: each one's code and name, its
federation, the prefix of its case numbers, the signature of its texts and its calendar additions.

Every county is checked against the divisions dataset: its code must be a county-level code the dataset holds
(its name then defaults to the dataset's). The engine reads the rows for its cases' steps
(``certflow.engine.counties``); here they are listed, added and changed, with the reasons in Chinese beside the
fields. A change is seen at once by the steps of the process that made it, by other processes' steps within
``certflow.engine.counties.RULES_SECONDS``. The first row comes from the deployment's configuration (``seed``), a
county file's when the file is loaded (``add_missing``).

For scripts and tests::

    counties = Counties(sessions, clock)
    counties.add("530323", case_prefix="SZ", sms_signature="师宗县残联")  # name 师宗县, federation 师宗县残联
    counties.update("530323", holidays=["2026-10-09"])
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from certflow import divisions
from certflow.engine import counties as rules
from certflow.engine.clock import Clock
from certflow.engine.errors import FieldError, NotFound, ValidationFailed
from certflow.engine.models import County
from certflow.engine.settings import Settings

INVALID = "县（市）信息有误"
PREFIX = re.compile(r"[A-Z]{1,6}", re.ASCII)
NAME_MAX = 60
FEDERATION_MAX = 100
# Carriers register a text's signature (【…】) with 2 to 12 characters; a longer one is refused at sending.
SIGNATURE_MIN, SIGNATURE_MAX = 2, 12


def division_name(code: str) -> str | None:
    """The dataset's name of the county-level ``code``, None when it holds no such county; the names installed with
    the package (the served counties') where the dataset itself is not installed."""
    try:
        found = divisions.county(code) if re.fullmatch(r"\d{6}", code, re.ASCII) else None
    except divisions.DatasetMissing:
        return divisions.installed_names().get(code, {}).get(code)
    # A prefecture's own code (ending in 00) is no county: the dataset lists only counties under "areas".
    return found.name if found and not code.endswith("00") else None


def _text(field: str, value: str, most: int) -> list[FieldError]:
    if not value.strip():
        return [FieldError(field, "必填")]
    return [FieldError(field, f"最多{most}个字")] if len(value.strip()) > most else []


def _days(field: str, values: Iterable[str]) -> tuple[list[str], list[FieldError]]:
    """The dates, as ISO text sorted; errors naming those that are no date."""
    days, wrong = set(), []
    for value in (v.strip() for v in values):
        try:
            days.add(date.fromisoformat(value).isoformat())
        except ValueError:
            wrong.append(value)
    if wrong:
        return [], [FieldError(field, f"不是日期（应写成 2026-10-09 这样）：{'、'.join(wrong)}")]
    return sorted(days), []


def _check(*, name: str, federation: str, case_prefix: str, sms_signature: str, holidays: Iterable[str],
           workdays: Iterable[str]) -> tuple[list[str], list[str], list[FieldError]]:
    """(holidays, workdays) as stored, and what is wrong with the fields beside their names."""
    errors = _text("name", name, NAME_MAX) + _text("federation", federation, FEDERATION_MAX)
    if not PREFIX.fullmatch(case_prefix):
        errors.append(FieldError("case_prefix", "案件编号前缀应为1到6个大写英文字母，如 SZ"))
    signature = sms_signature.strip()
    if not signature:
        errors.append(FieldError("sms_signature", "必填"))
    elif not SIGNATURE_MIN <= len(signature) <= SIGNATURE_MAX or "【" in signature or "】" in signature:
        errors.append(FieldError("sms_signature", f"短信签名应为{SIGNATURE_MIN}到{SIGNATURE_MAX}个字，不带【】，"
                                                  "如 师宗县残联"))
    rests, wrong_rests = _days("holidays", holidays)
    works, wrong_works = _days("workdays", workdays)
    errors += wrong_rests + wrong_works
    if both := sorted(set(rests) & set(works)):
        errors.append(FieldError("workdays", f"这些日子同时写成了放假和上班：{'、'.join(both)}"))
    return rests, works, errors


class Counties:
    """The counties in the database. Rows come back detached: read them, change them through here."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def all(self, *, active_only: bool = False) -> list[County]:
        """Every county by code; ``active_only``: those a person or a group may be given."""
        query = select(County).order_by(County.code)
        with self.sessions() as session:
            return list(session.scalars(query.where(County.active.is_(True)) if active_only else query))

    def get(self, code: str) -> County | None:
        with self.sessions() as session:
            return session.get(County, code)

    def names(self, *, active_only: bool = False) -> dict[str, str]:
        """Code → name of every county, for the pages that name a person's or a group's county; ``active_only``:
        those at work (the province's dashboard)."""
        query = select(County.code, County.name)
        with self.sessions() as session:
            return dict(session.execute(query.where(County.active.is_(True)) if active_only else query).all())

    def add(self, code: str, *, case_prefix: str, sms_signature: str, name: str = "", federation: str = "",
            holidays: Iterable[str] = (), workdays: Iterable[str] = (), active: bool = True) -> County:
        """A new county; its name defaults to the dataset's and its federation to the name's 残联.
        ValidationFailed with each field's reason."""
        code = code.strip()
        known = division_name(code)
        if known is None:
            raise ValidationFailed([FieldError("code", f"{code or '（空）'} 不是行政区划数据中的县级代码（6位，"
                                                       "如 530323）")], INVALID)
        name = name.strip() or known
        federation = federation.strip() or f"{name}残联"
        rests, works, errors = _check(name=name, federation=federation, case_prefix=case_prefix,
                                      sms_signature=sms_signature, holidays=holidays, workdays=workdays)
        if errors:
            raise ValidationFailed(errors, INVALID)
        county = County(code=code, name=name, federation=federation, case_prefix=case_prefix,
                        sms_signature=sms_signature.strip(), holidays=rests, workdays=works, active=active,
                        created_at=self.clock.now())
        try:
            with self.sessions.begin() as session:
                self._refuse_taken(session, code, case_prefix, new=True)
                session.add(county)
        except IntegrityError:  # the same code or prefix stored by another at the same moment
            raise ValidationFailed([FieldError("case_prefix", f"县（市）{code} 或前缀 {case_prefix} 刚被他人添加，"
                                                              "请刷新后再试")], INVALID) from None
        rules.changed(code)  # a step may have kept the deployment's rules for a county without a row
        return county

    def update(self, code: str, *, name: str | None = None, federation: str | None = None,
               case_prefix: str | None = None, sms_signature: str | None = None,
               holidays: Iterable[str] | None = None, workdays: Iterable[str] | None = None,
               active: bool | None = None) -> County:
        """Change what is given, keep the rest; the code stays (cases, tasks, groups and people carry it).
        A new prefix numbers the county's next cases; those numbered keep theirs."""
        with self.sessions.begin() as session:
            county = session.get(County, code)
            if county is None:
                raise NotFound(f"没有县（市）{code}")
            values = {"name": county.name if name is None else name,
                      "federation": county.federation if federation is None else federation,
                      "case_prefix": county.case_prefix if case_prefix is None else case_prefix,
                      "sms_signature": county.sms_signature if sms_signature is None else sms_signature}
            rests, works, errors = _check(**values, holidays=county.holidays if holidays is None else holidays,
                                          workdays=county.workdays if workdays is None else workdays)
            if errors:
                raise ValidationFailed(errors, INVALID)
            self._refuse_taken(session, code, values["case_prefix"], new=False)
            county.name, county.federation = values["name"].strip(), values["federation"].strip()
            county.case_prefix, county.sms_signature = values["case_prefix"], values["sms_signature"].strip()
            county.holidays, county.workdays = rests, works
            county.active = county.active if active is None else active
        rules.changed(code)
        return county

    @staticmethod
    def _refuse_taken(session: Session, code: str, prefix: str, *, new: bool) -> None:
        if new and session.get(County, code) is not None:
            raise ValidationFailed([FieldError("code", f"县（市）{code} 已经有了")], INVALID)
        holder = session.scalar(select(County.name).where(County.case_prefix == prefix, County.code != code))
        if holder is not None:
            raise ValidationFailed([FieldError("case_prefix", f"前缀 {prefix} 已由{holder}使用")], INVALID)

    def seed(self, settings: Settings) -> int:
        """A table without counties gets the deployment's own from its configuration (CERTFLOW_JURISDICTION's first
        code, CERTFLOW_CASE_PREFIX, CERTFLOW_SIGNATURE); how many were added: none once there is any.

        Stored as configured, unchecked: the configuration already runs the cases, and a start is no place to
        refuse it. CERTFLOW_CALENDAR stays every county's, so the row adds no days of its own.
        """
        with self.sessions() as session:
            if session.scalar(select(func.count()).select_from(County)):
                return 0
        name = division_name(settings.county) or settings.county
        try:
            with self.sessions.begin() as session:
                session.add(County(code=settings.county, name=name, federation=f"{name}残联",
                                   case_prefix=settings.case_prefix, sms_signature=settings.signature, holidays=[],
                                   workdays=[], active=True, created_at=self.clock.now()))
        except IntegrityError:
            return 0  # another process starting at the same moment stored it first
        rules.changed(settings.county)
        return 1

    def add_missing(self, code: str, *, name: str, federation: str, case_prefix: str | None) -> bool:
        """A county file's county, when it has no row yet: its name and federation from the file, its texts signed
        by its federation, its cases numbered with the prefix of its process (``case_prefix``; without one it
        stays without a row, its cases numbered as before). Whether a row was added."""
        if case_prefix is None or self.get(code) is not None:
            return False
        try:
            self.add(code, case_prefix=case_prefix, sms_signature=federation, name=name, federation=federation)
        except ValidationFailed as error:
            if error.errors[0].field == "code" and self.get(code) is not None:
                return False  # added meanwhile by another process
            raise
        return True
