"""The synthetic roster with the plan's figures, and reading and checking a roster file (no database)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from exchange import COUNTY, HOLDER_ID, TODAY, holder, roster_csv, roster_row
from openpyxl import Workbook

from certflow.campaign.roster import COLUMNS, RosterError, read_roster, validate_roster
from certflow.campaign.synthetic import PLAN_HOLDERS, generate_roster, write_roster


def test_the_generated_roster_has_the_plans_figures(tmp_path: Path) -> None:
    rows = generate_roster(COUNTY)
    assert len(rows) == PLAN_HOLDERS + 55 == 11113
    # The holders, and the 55 new applicants (新评定对象) of the plan's home visits, who have no certificate yet.
    assert Counter(r["评定方式"] for r in rows) == {"非目测": 3482, "目测": 7576, "新评定": 55}
    visits = Counter(r["评定方式"] for r in rows if r["上门服务"] == "是")
    assert visits == {"新评定": 55, "目测": 20}
    assert {r["残疾等级"] for r in rows if r["评定方式"] == "新评定"} == {""}
    assert len({r["残疾类别"] for r in rows}) == 7 and len({r["残疾等级"] for r in rows} - {""}) == 4
    assert len({r["身份证号码"] for r in rows}) == 11113
    assert {r["身份证号码"][:6] for r in rows} == {"530323"}
    write_roster(rows[:300], tmp_path / "roster.csv")
    accepted, rejected = validate_roster(read_roster(tmp_path / "roster.csv"), COUNTY, TODAY)
    assert (len(accepted), rejected) == (300, [])
    # Every minor and every 智力 or 精神 holder has an invented guardian, recorded with the case.
    guarded = [data for _, data in accepted if data["guardian"]["needed"]]
    assert guarded and all(data["category"] in ("智力", "精神") or data["id_number"][6:14] > "20040316"
                           for data in guarded)
    assert all(data.get("guardian_id_number") and data.get("guardian_relation") for data in guarded)
    assert generate_roster(COUNTY, 50, seed=7) == generate_roster(COUNTY, 50, seed=7)


def test_a_small_roster_keeps_the_proportions() -> None:
    rows = generate_roster(COUNTY, 200)
    assert Counter(r["评定方式"] for r in rows) == {"非目测": 63, "目测": 137, "新评定": 1}
    assert sum(r["上门服务"] == "是" for r in rows) == 1


def test_a_spreadsheet_number_cell_for_the_id_is_refused_and_gb18030_csv_is_read(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(COLUMNS))
    row = {**roster_row(), "id_number": int(HOLDER_ID[:15])}  # what Excel keeps of a number typed in
    sheet.append([row.get(key, "") for key in COLUMNS.values()])
    workbook.save(tmp_path / "numbers.xlsx")
    accepted, rejected = validate_roster(read_roster(tmp_path / "numbers.xlsx"), COUNTY, TODAY)
    assert rejected == [(2, "身份证号码须以文本格式填写（表格中的数字会丢失末位）")]

    accepted, rejected = validate_roster(read_roster(roster_csv(tmp_path / "gbk.csv", [roster_row()], "gb18030")),
                                         COUNTY, TODAY)
    assert rejected == [] and accepted[0][1] == {k: v for k, v in holder().items() if k != "campaign"}


def test_a_roster_without_the_needed_columns_is_refused_as_a_whole(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("姓名,身份证号码\n王秀英,530323196203140215\n", encoding="utf-8")
    with pytest.raises(RosterError, match="第1行缺少列：联系电话、乡镇\\(街道\\)"):
        read_roster(path)
    with pytest.raises(RosterError, match="只能导入 .csv 或 .xlsx 文件"):
        read_roster(tmp_path / "roster.xls")
