"""Places are real: the county files and the groups file agree with the dataset of administrative divisions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from exchange import COUNTY

from certflow import divisions
from certflow.campaign.synthetic import generate_roster

ROOT = Path(__file__).resolve().parent.parent


def test_shizong_is_530323_with_every_real_township_and_village() -> None:
    assert (COUNTY.name, COUNTY.code) == ("师宗县", "530323")
    assert [(t.code, t.name) for t in COUNTY.townships] == [(t.code, t.name) for t in divisions.townships("530323")]
    assert {"丹凤街道", "漾月街道"} <= {t.name for t in COUNTY.townships}  # the two the plan names
    real = divisions.villages("530323")
    for township in COUNTY.townships:
        assert [(v.code, v.name) for v in township.villages] == [(v.code, v.name) for v in real[township.code]]


def test_shizong_json_is_what_the_dataset_derives(tmp_path: Path) -> None:
    copy = tmp_path / "shizong.json"
    copy.write_text((ROOT / "shizong.json").read_text(encoding="utf-8"), encoding="utf-8")
    subprocess.run([sys.executable, str(ROOT / "scripts" / "county_places.py"), str(copy)], check=True)
    assert json.loads(copy.read_text(encoding="utf-8")) == json.loads((ROOT / "shizong.json").read_text("utf-8"))


def test_qujings_counties_are_the_datasets_nine_shizong_among_them() -> None:
    counties = divisions.prefecture_counties("5303")
    assert len(counties) == 9 and all(c.code.startswith("5303") for c in counties)
    assert ("530323", "师宗县") in [(c.code, c.name) for c in counties]


def test_the_portals_place_names_are_what_the_dataset_derives() -> None:
    assert divisions.installed_names() == divisions.place_names()
    assert divisions.installed_names()["360483"]["360483101"] == "白鹿镇"


def test_the_plans_venues_and_institutions() -> None:
    venues = {t.name: t.venue for t in COUNTY.townships}
    assert venues["丹凤街道"] == venues["漾月街道"] == "县残联办公区"
    assert venues["雄壁镇"] == "雄壁镇卫生院"
    assert [i.name for i in COUNTY.institutions] == ["师宗县人民医院", "师宗县中医医院", "师宗康宁精神病专科医院"]


def test_lushan_villages_are_real_villages_of_their_township() -> None:
    towns = {t.code: t.name for t in divisions.townships("360483")}
    real = {v.code: (towns[v.code[:9]] + v.name) for vs in divisions.villages("360483").values() for v in vs}
    groups = json.loads((ROOT / "groups.json").read_text(encoding="utf-8"))["groups"]
    villages = {g["id"].removeprefix("village-"): g["name"] for g in groups if g["role"] == "village"}
    assert villages and all(real.get(code) == name for code, name in villages.items()), villages
    assert villages["360483101209"] == "白鹿镇玉京村"


def test_the_synthetic_roster_uses_only_real_places() -> None:
    rows = generate_roster(COUNTY, 500)
    real = {(t.name, v.name) for t in COUNTY.townships for v in divisions.villages("530323")[t.code]}
    assert {(r["乡镇(街道)"], r["村(社区)"]) for r in rows} <= real
    assert len({r["乡镇(街道)"] for r in rows}) == len(COUNTY.townships)


@pytest.mark.parametrize(("name", "short"), [
    ("玉京村委会", "玉京村"), ("白鹤涧村民委员会", "白鹤涧村"), ("丹凤社区居民委员会", "丹凤社区"),
    ("西湖社区居委会", "西湖社区"), ("峰德居委会", "峰德居委会"),
])
def test_villages_are_named_as_people_name_them(name: str, short: str) -> None:
    assert divisions.short_name(name) == short


def test_a_missing_dataset_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(divisions.DatasetMissing, match="npm ci"):
        divisions.townships("530323", tmp_path)
