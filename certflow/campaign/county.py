"""A county's exchange campaign as configuration: its federation, assessment institutions, townships, villages.

The file (``shizong.json``, ``CERTFLOW_COUNTY``) is read by the roster import and the roster generator;
what a case needs of it (group ids, names, the assessment venue) is copied into the case's data, so the
process reads configuration through its data and no Python names a township.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from certflow.engine.disability import CATEGORY_CODES
from certflow.engine.errors import unreadable, written_for_people

_DIGITS = {"county": 6, "township": 9, "village": 12}  # lengths of the area codes
_PLACES = {"county": "县", "township": "乡镇", "village": "村(社区)"}
DEADLINE_HOLDERS = ("非目测", "目测")  # the holders a deadline may bind, as the roster names their basis


@dataclass(frozen=True)
class Village:
    code: str  # 12-digit area code
    name: str

    @property
    def group(self) -> str:
        return f"village-{self.code}"


@dataclass(frozen=True)
class Township:
    code: str  # 9-digit area code
    name: str
    venue: str  # where its holders are re-assessed: its clinic, or the county federation's office
    villages: tuple[Village, ...]

    @property
    def group(self) -> str:
        return f"township-{self.code}"


@dataclass(frozen=True)
class Institution:
    group: str
    name: str
    categories: tuple[str, ...]  # the categories it re-assesses


@dataclass(frozen=True)
class HomeVisits:
    start: date
    days: int  # working days the plan sets aside for them
    per_day: int  # holders one team visits in a day


@dataclass(frozen=True)
class Reassessment:
    """The re-assessment schedule (重新评定日程安排): teams sent out each working day, what one venue takes a day."""

    start: date
    teams_per_day: int  # clinic teams a day: the county's vehicles
    daily_capacity: tuple[tuple[str, int], ...]  # (category, holders its doctors assess at one venue in a day)
    home_visits: HomeVisits
    deadline: str  # the name of the county's deadline the re-assessment must meet

    def capacity(self, category: str) -> int:
        return dict(self.daily_capacity)[category]


@dataclass(frozen=True)
class County:
    name: str
    code: str  # the 6-digit address code every holder's ID number starts with
    federation: str  # signs the texts
    process: str
    campaign: str
    county_group: tuple[str, str]  # id, name
    expert_group: tuple[str, str]
    institutions: tuple[Institution, ...]
    townships: tuple[Township, ...]
    deadlines: tuple[tuple[str, date], ...] = ()  # (what is to be done, by when), for the campaign's dashboard
    reassessment: Reassessment | None = None
    # (deadline, the holders it binds: 非目测 or 目测); a deadline not named here binds every holder
    deadline_holders: tuple[tuple[str, str], ...] = ()

    @classmethod
    def load(cls, path: Path) -> County:
        """The county of the file; SystemExit naming the file and what is wrong when it cannot serve."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            county = _parse(raw)
        except (OSError, ValueError, KeyError, TypeError) as error:
            # _parse says what is wrong in Chinese; Python's own errors (a missing file, JSON) are reworded
            said = str(error) if isinstance(error, ValueError) and written_for_people(str(error)) else unreadable(error)
            raise SystemExit(f"县配置文件 {path} 有误：{said}") from error
        if problems := county.problems():
            raise SystemExit(f"县配置文件 {path} 有误：{'；'.join(problems)}")
        return county

    def problems(self) -> list[str]:
        found = [f"{_PLACES[kind]}的区划代码 {code} 应为 {_DIGITS[kind]} 位数字" for kind, code in self._codes()
                 if not re.fullmatch(rf"\d{{{_DIGITS[kind]}}}", code)]
        found += [f"区划代码 {code} 不是以所属乡镇或县的代码开头" for code in self._outside()]
        routed = [c for i in self.institutions for c in i.categories]
        found += [f"{c}残疾由 {routed.count(c)} 家机构评定，应恰好一家"
                  for c in CATEGORY_CODES if routed.count(c) != 1]
        found += [f"没有“{c}”这一残疾类别" for c in routed if c not in CATEGORY_CODES]
        names = [t.name for t in self.townships]
        found += [f"乡镇 {n} 写了两次" for n in sorted({n for n in names if names.count(n) > 1})]
        for township in self.townships:
            villages = [v.name for v in township.villages]
            found += [f"{township.name}：村(社区) {n} 写了两次" for n in sorted({n for n in villages
                                                                                  if villages.count(n) > 1})]
        found += [f"期限“{name}”的 holders 应为“非目测”或“目测”，现为 {holders!r}"
                  for name, holders in self.deadline_holders if holders not in DEADLINE_HOLDERS]
        return found + self._reassessment_problems()

    def _reassessment_problems(self) -> list[str]:
        plan = self.reassessment
        if plan is None:
            return []
        capacities = dict(plan.daily_capacity)
        found = [f"reassessment.daily_capacity 缺少{c}" for c in CATEGORY_CODES if c not in capacities]
        found += [f"reassessment.daily_capacity：没有“{c}”这一残疾类别" for c in capacities if c not in CATEGORY_CODES]
        found += [f"reassessment.daily_capacity.{c} 应不小于 1，现为 {n}" for c, n in plan.daily_capacity
                  if n < 1]
        numbers = (("teams_per_day", plan.teams_per_day), ("home_visits.days", plan.home_visits.days),
                   ("home_visits.per_day", plan.home_visits.per_day))
        found += [f"reassessment.{name} 应不小于 1，现为 {n}" for name, n in numbers if n < 1]
        if plan.deadline not in dict(self.deadlines):
            found.append(f"reassessment.deadline {plan.deadline} 不是本县规定的期限之一")
        return found

    def deadline(self, name: str) -> date:
        return dict(self.deadlines)[name]

    def deadline_for(self, holders: str) -> date | None:
        """The first deadline that binds the holders of a basis (非目测, 目测): named for them or for everyone."""
        named = dict(self.deadline_holders)
        return min((by for name, by in self.deadlines if named.get(name, holders) == holders), default=None)

    def reassessment_deadline(self) -> tuple[str, date] | None:
        """The deadline the re-assessment schedule must meet, by name and day; None without a schedule."""
        return (self.reassessment.deadline, self.deadline(self.reassessment.deadline)) if self.reassessment else None

    def _codes(self) -> list[tuple[str, str]]:
        codes = [("county", self.code)] + [("township", t.code) for t in self.townships]
        return codes + [("village", v.code) for t in self.townships for v in t.villages]

    def _outside(self) -> list[str]:
        outside = [t.code for t in self.townships if not t.code.startswith(self.code)]
        return outside + [v.code for t in self.townships for v in t.villages if not v.code.startswith(t.code)]

    def township(self, name: str) -> Township | None:
        return next((t for t in self.townships if t.name == name), None)

    def institution_for(self, category: str) -> Institution:
        return next(i for i in self.institutions if category in i.categories)

    def groups(self) -> list[tuple[str, str, str]]:
        """(id, role, name) of every group the campaign's tasks go to, for the directory."""
        found = [(self.county_group[0], "county", self.county_group[1]),
                 (self.expert_group[0], "expert_committee", self.expert_group[1])]
        found += [(i.group, "hospital", i.name) for i in self.institutions]
        for township in self.townships:
            found.append((township.group, "township", f"{township.name}残联"))
            found += [(v.group, "village", f"{township.name}{v.name}") for v in township.villages]
        return found


def _parse(raw: dict[str, Any]) -> County:
    county = raw["county"]
    return County(
        name=county["name"], code=county["code"], federation=county["federation"], process=county["process"],
        campaign=county["campaign"],
        county_group=(county["county_group"]["id"], county["county_group"]["name"]),
        expert_group=(county["expert_group"]["id"], county["expert_group"]["name"]),
        institutions=tuple(Institution(i["id"], i["name"], tuple(i["categories"])) for i in raw["institutions"]),
        townships=tuple(
            Township(t["code"], t["name"], t["venue"],
                     tuple(Village(v["code"], v["name"]) for v in t["villages"]))
            for t in raw["townships"]
        ),
        deadlines=tuple((d["name"], date.fromisoformat(d["date"])) for d in county.get("deadlines", ())),
        deadline_holders=tuple((d["name"], d["holders"]) for d in county.get("deadlines", ()) if "holders" in d),
        reassessment=_reassessment(raw["reassessment"]) if "reassessment" in raw else None,
    )


def _reassessment(raw: dict[str, Any]) -> Reassessment:
    capacity = _field(raw, "reassessment.daily_capacity", dict)
    visits = _field(raw, "reassessment.home_visits", dict)
    return Reassessment(
        start=_field(raw, "reassessment.start", date),
        teams_per_day=_field(raw, "reassessment.teams_per_day", int),
        daily_capacity=tuple((c, _field(capacity, f"reassessment.daily_capacity.{c}", int)) for c in capacity),
        home_visits=HomeVisits(start=_field(visits, "reassessment.home_visits.start", date),
                               days=_field(visits, "reassessment.home_visits.days", int),
                               per_day=_field(visits, "reassessment.home_visits.per_day", int)),
        deadline=_field(raw, "reassessment.deadline", str),
    )


_KINDS = {int: "整数", str: "文字", dict: "对象"}


def _field(section: dict[str, Any], path: str, kind: type) -> Any:
    """The value at the end of ``path`` in ``section``; ValueError naming the field missing or of the wrong kind."""
    name = path.rsplit(".", 1)[-1]
    if name not in section:
        raise ValueError(f"缺少 {path}")
    value = section[name]
    if kind is date:
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValueError(f"{path} 应为日期，写成 2026-10-14 这样，现为 {value!r}") from None
    if not isinstance(value, kind) or isinstance(value, bool):  # JSON true is no number of teams
        raise ValueError(f"{path} 应为{_KINDS[kind]}，现为 {value!r}")
    return value
