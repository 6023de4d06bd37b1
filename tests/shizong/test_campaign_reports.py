"""The campaign's reports from the stored rows: the register (发放登记表), a village's ledger (台账) and the counts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from exchange import COUNTY, COUNTY_GROUP, TOWNSHIP, VILLAGE, ExchangeDriver, roster_csv, roster_row, shizong_id

from certflow.campaign import ledgers
from certflow.campaign.roster import import_roster
from certflow.engine.clock import FixedClock
from certflow.engine.privacy import mask_id_numbers
from certflow.engine.runtime import Runtime

NAMES = ["王秀英", "李国强", "张美兰", "赵建华", "刘玉珍", "陈志明"]


@pytest.fixture
def holders(runtime: Runtime, clock: FixedClock, tmp_path: Path) -> dict[str, ExchangeDriver]:
    """Six holders of 雄壁镇天生桥村 but 陈志明 (雄壁镇雨柱村), each at a different point: name -> their case.

    王秀英 exchanged, 李国强 exchanged with a lost certificate, 张美兰 given a card made anew after a wrong
    grade, 赵建华 (目测, 视力) waiting for the notice, 刘玉珍 and 陈志明 waiting to exchange.
    """
    rows = [roster_row(applicant_name=name, id_number=shizong_id("19700101", f"{n:02d}3"))
            for n, name in enumerate(NAMES)]
    rows[3].update(basis="目测", category="视力", grade="二级")
    rows[5].update(village="雨柱村")
    report = import_roster(runtime.sessions, runtime, roster_csv(tmp_path / "roster.csv", rows), actor="county",
                           county=COUNTY)
    assert report.rejected == []
    cases = {name: ExchangeDriver(runtime, clock, number) for name, number in zip(NAMES, report.started, strict=True)}
    cases["王秀英"].exchange()
    cases["李国强"].exchange(old="lost")
    zhang = cases["张美兰"]
    zhang.exchange("record_error", note="本人二代证为肢体二级，预制卡为三级")
    zhang.complete("verify_record", {"card_category": "肢体", "card_grade": 2, "verify_opinion": "档案为肢体二级"},
                   group=COUNTY_GROUP)
    zhang.make_and_issue_new_card(old="damaged")
    return cases


def register_from_cases(runtime: Runtime, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The register as it was built before, from each case's register line (``register_entry``), the card's number
    masked since (it holds the ID number)."""
    built = []
    for line in lines:
        entry = runtime.case(line["number"])["data"]["register_entry"]
        built.append({
            "number": line["number"], "name": entry["applicant_name"], "id_masked": line["id_masked"],
            "township": entry["township"], "card_no": mask_id_numbers(entry.get("card_no") or entry["certificate_no"]),
            "old_certificate": ledgers.OLD_CERTIFICATE[entry["old_certificate"]],
            "issued_on": entry["issued_on"], "clerk": line["clerk"],
        })
    return built


def test_the_register_is_read_from_the_history_and_matches_each_case_s_register_line(
        runtime: Runtime, holders: dict[str, ExchangeDriver]) -> None:
    lines = ledgers.register(runtime.sessions, TOWNSHIP)
    assert [line["name"] for line in lines] == ["王秀英", "李国强", "张美兰"]
    assert lines == register_from_cases(runtime, lines)
    zhang = holders["张美兰"].data
    assert lines[2]["card_no"] == mask_id_numbers(zhang["card_no"]) != mask_id_numbers(zhang["certificate_no"])
    assert lines[2]["card_no"] == zhang["id_number"][:6] + "********" + zhang["id_number"][-4:] + "42"  # 肢体二级
    assert [line["old_certificate"] for line in lines] == ["已收回", "遗失（已签情况说明）", "残损（已签情况说明）"]
    assert [line["issued_on"] for line in lines] == ["2022-03-25", "2022-03-25", "2022-05-16"]
    assert {line["clerk"] for line in lines} == {"township-clerk"}
    assert ledgers.register(runtime.sessions, "township-530323001") == []
    assert ledgers.register(runtime.sessions, None) == lines


def test_a_village_ledger_lists_every_holder_where_they_stand(runtime: Runtime,
                                                              holders: dict[str, ExchangeDriver]) -> None:
    lines = ledgers.ledger(runtime.sessions, VILLAGE)
    assert [(line["name"], line["status"], line["issued_on"], line["old_certificate"]) for line in lines] == [
        ("王秀英", "已换证", "2022-03-25", "已收回"),
        ("李国强", "已换证", "2022-03-25", "遗失（已签情况说明）"),
        ("张美兰", "已换证", "2022-05-16", "残损（已签情况说明）"),
        ("赵建华", "重新评定中", None, None),
        ("刘玉珍", "待换证", None, None),
    ]
    assert all(line["id_masked"].startswith("530323********") for line in lines)
    assert (lines[3]["basis"], lines[3]["category"], lines[3]["grade"]) == ("目测", "视力", "二级")

    summary = {row["category"]: row for row in ledgers.ledger_summary(lines)}
    assert list(summary) == ["视力", "听力", "言语", "肢体", "智力", "精神", "多重", "合计"]
    assert summary["肢体"] == {"category": "肢体", "非目测": 4, "目测": 0, "合计": 4, "已换证": 3,
                                 "康复脱残": 0, "新评定": 0}
    assert summary["视力"] == {"category": "视力", "非目测": 0, "目测": 1, "合计": 1, "已换证": 0,
                                 "康复脱残": 0, "新评定": 0}
    assert summary["听力"]["合计"] == 0
    assert summary["合计"] == {"category": "合计", "非目测": 4, "目测": 1, "合计": 5, "已换证": 3,
                                 "康复脱残": 0, "新评定": 0}
    progress = ledgers.village_progress(runtime.sessions, TOWNSHIP)
    assert set(progress) == {VILLAGE, "village-530323102202"}
    assert (progress[VILLAGE].holders, progress[VILLAGE].exchanged, progress[VILLAGE].percent) == (5, 3, 60)
    assert progress[VILLAGE].waiting == sum(line["status"] == "待换证" for line in lines)


def test_the_counts_by_status_township_category_and_day(runtime: Runtime, holders: dict[str, ExchangeDriver]) -> None:
    found = ledgers.counts(runtime.sessions)
    assert found.status == {"已换证": 3, "待换证": 2, "重新评定中": 1}
    assert found.basis == {"非目测": 5, "目测": 1} and found.exchanged == {"非目测": 3}
    assert found.category == {"肢体": 5, "视力": 1}
    assert found.township_status == {TOWNSHIP: found.status}
    assert found.exchanged_on == {"非目测": {date(2022, 3, 25): 2, date(2022, 5, 16): 1}}
