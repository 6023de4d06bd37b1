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

from handlers.certificate import CATEGORY_CODES

_DIGITS = {"county": 6, "township": 9, "village": 12}  # lengths of the area codes


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
    population: int  # weighs the synthetic roster
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

    @classmethod
    def load(cls, path: Path) -> County:
        """The county of the file; SystemExit naming the file and what is wrong when it cannot serve."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            county = _parse(raw)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise SystemExit(f"county file {path}: {error}") from error
        if problems := county.problems():
            raise SystemExit(f"county file {path}: {'; '.join(problems)}")
        return county

    def problems(self) -> list[str]:
        found = [f"{kind} code {code} is not {_DIGITS[kind]} digits" for kind, code in self._codes()
                 if not re.fullmatch(rf"\d{{{_DIGITS[kind]}}}", code)]
        found += [f"{code} does not start with the code of its township or county" for code in self._outside()]
        routed = [c for i in self.institutions for c in i.categories]
        found += [f"category {c} is assessed by {routed.count(c)} institutions, not one"
                  for c in CATEGORY_CODES if routed.count(c) != 1]
        found += [f"unknown category {c}" for c in routed if c not in CATEGORY_CODES]
        names = [t.name for t in self.townships]
        found += [f"township {n} listed twice" for n in sorted({n for n in names if names.count(n) > 1})]
        for township in self.townships:
            villages = [v.name for v in township.villages]
            found += [f"{township.name}: village {n} listed twice" for n in sorted({n for n in villages
                                                                                  if villages.count(n) > 1})]
        return found

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
            Township(t["code"], t["name"], t["venue"], int(t["population"]),
                     tuple(Village(v["code"], v["name"]) for v in t["villages"]))
            for t in raw["townships"]
        ),
        deadlines=tuple((d["name"], date.fromisoformat(d["date"])) for d in county.get("deadlines", ())),
    )
