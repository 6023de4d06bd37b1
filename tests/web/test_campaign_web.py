"""The exchange campaign's pages: a township clerk finds a holder and exchanges the card; the register; the counts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from exchange import COUNTY, HOLDER_ID, TOWNSHIP, roster_csv, roster_row, shizong_id
from flask import Flask
from openpyxl import load_workbook
from webkit import PASSWORD, login, post

from certflow.accounts import Accounts
from certflow.campaign import import_roster
from certflow.engine.runtime import Runtime

OTHER_TOWNSHIP = "township-530329001"  # 凤栖街道


@pytest.fixture
def roster(runtime: Runtime, accounts: Accounts, tmp_path: Path) -> dict[str, str]:
    """Three holders, two of 松溪镇 (one 非目测, one 目测) and one of 凤栖街道; name -> case number."""
    rows = [
        roster_row(),
        roster_row(applicant_name="李国强", id_number=shizong_id("19700101", "033"), basis="目测"),
        roster_row(applicant_name="张美兰", id_number=shizong_id("19700101", "043"), township="凤栖街道",
                   village="凤栖社区", address="师宗县凤栖街道8号"),
    ]
    report = import_roster(runtime, roster_csv(tmp_path / "roster.csv", rows), actor="county", county=COUNTY)
    assert report.rejected == []
    accounts.create("songxi", PASSWORD, display_name="松溪镇 经办", roles=["township"], groups=[TOWNSHIP])
    names = ["王秀英", "李国强", "张美兰"]
    return dict(zip(names, report.started, strict=True))


def test_a_township_clerk_exchanges_a_card_and_the_register_lists_it(app: Flask, roster: dict[str, str]) -> None:
    songxi = login(app.test_client(), "songxi")
    found = songxi.get("/campaign/desk?q=王秀英").get_data(as_text=True)
    assert roster["王秀英"] in found and "530329********" in found and HOLDER_ID not in found
    assert roster["张美兰"] not in songxi.get("/campaign/desk?q=张美兰").get_data(as_text=True)
    assert songxi.get(f"/campaign/desk/{roster['张美兰']}").status_code == 404
    assert songxi.get(f"/campaign/register?township={OTHER_TOWNSHIP}").status_code == 403

    page = songxi.get(f"/campaign/desk/{roster['王秀英']}").get_data(as_text=True)
    task_path = page.split('href="/tasks/')[1].split('"')[0]
    assert "核验并换证" in page
    response = post(songxi, f"/tasks/{task_path}", {"action": "complete", "verification": "match",
                                                    "old_certificate": "collected", "issued_on": "2022-03-25"})
    assert response.status_code == 302, response.get_data(as_text=True)

    register = songxi.get("/campaign/register").get_data(as_text=True)
    assert roster["王秀英"] in register and "已收回" in register and "2022-03-25" in register
    assert roster["李国强"] not in register

    workbook = load_workbook(io.BytesIO(songxi.get("/campaign/register.xlsx").data))
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][0] == "案件编号" and len(rows) == 2
    assert rows[1][0] == roster["王秀英"] and rows[1][1] == "王秀英" and rows[1][-1] == "songxi"
    assert rows[1][3] == "松溪镇残联"


def test_the_dashboard_counts_the_roster(app: Flask, as_user, roster: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    page = as_user("county").get("/campaign/dashboard").get_data(as_text=True)
    assert 'id="total">3<' in page
    for key, count in (("非目测", 2), ("目测", 1), ("待换证", 2), ("重新评定中", 1), ("已换证", 0),
                       (TOWNSHIP, 2), (OTHER_TOWNSHIP, 1)):
        assert f'data-key="{key}"><th>' in page
        assert f'<td class="count">{count}</td>' in page.split(f'data-key="{key}"><th>')[1].split("</tr>")[0], key
    assert "2022-03-31" in page and "2022-06-30" in page


def test_others_are_refused(app: Flask, as_user, roster: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    assert as_user("window").get("/campaign/desk").status_code == 403
    assert login(app.test_client(), "songxi").get("/campaign/dashboard").status_code == 403
