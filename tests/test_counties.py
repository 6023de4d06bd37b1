"""Counties as data: each one checked against the divisions dataset, the first from the configuration, a county
file's when it is loaded; and a case numbered and texted as its county's row says."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from exchange import COUNTY, roster_csv, roster_row
from lushan import application, lushan_id
from sqlalchemy import update

from certflow.campaign.roster import import_roster
from certflow.cli import main
from certflow.engine.counties import RULES_SECONDS, Rules
from certflow.engine.errors import ValidationFailed
from certflow.engine.models import County
from certflow.engine.runtime import Runtime, Settings
from certflow.people.counties import Counties
from certflow.people.models import Group

LUSHAN, SHIZONG, LUOPING = "360483", "530323", "530324"  # 庐山市, 师宗县, 罗平县


@pytest.fixture
def counties(runtime: Runtime) -> Counties:
    return Counties(runtime.sessions, runtime.clock)


def received(runtime: Runtime, number: str) -> str:
    """The text telling the applicant their application was received."""
    [text] = [t["text"] for t in runtime.outbox(number) if t["template"] == "received"]
    return text


def refusal(counties: Counties, code: str = LUOPING, **fields: object) -> dict[str, str]:
    """The field → message of a refused ``add``."""
    given: dict = {"case_prefix": "LP", "sms_signature": "罗平县残联", **fields}
    with pytest.raises(ValidationFailed) as refused:
        counties.add(code, **given)
    assert refused.value.header == "县（市）信息有误"
    return {e.field: e.message for e in refused.value.errors}


def test_a_county_takes_its_name_from_the_divisions_dataset(counties: Counties) -> None:
    added = counties.add(LUOPING, case_prefix="LP", sms_signature="罗平县残联", holidays=["2026-10-09 "])
    assert (added.name, added.federation, added.holidays, added.workdays) == (
        "罗平县", "罗平县残联", ["2026-10-09"], [])
    assert counties.names() == {LUOPING: "罗平县"}
    assert counties.get(LUOPING).case_prefix == "LP"


@pytest.mark.parametrize(("code", "says"), [
    ("999999", "999999 不是行政区划数据中的县级代码"),  # no such county
    ("530300", "530300 不是行政区划数据中的县级代码"),  # 曲靖市: a prefecture, not a county
    ("5303", "5303 不是行政区划数据中的县级代码"),
    ("", "（空） 不是行政区划数据中的县级代码"),
])
def test_only_a_county_level_code_of_the_dataset_is_a_county(counties: Counties, code: str, says: str) -> None:
    assert refusal(counties, code) == {"code": f"{says}（6位，如 530323）"}
    assert counties.all() == []


def test_every_wrong_field_is_named_with_its_reason(counties: Counties) -> None:
    assert refusal(counties, case_prefix="lp-1", sms_signature="【罗平县残联】", federation="罗" * 101,
                   holidays=["2026-13-01", "下周一"], workdays=["2026-10-10"]) == {
        "federation": "最多100个字",
        "case_prefix": "案件编号前缀应为1到6个大写英文字母，如 SZ",
        "sms_signature": "短信签名应为2到12个字，不带【】，如 师宗县残联",
        "holidays": "不是日期（应写成 2026-10-09 这样）：2026-13-01、下周一",
    }
    assert refusal(counties, sms_signature="罗平县残疾人联合会办公室主任") == {
        "sms_signature": "短信签名应为2到12个字，不带【】，如 师宗县残联"}
    assert refusal(counties, case_prefix="ABCDEFG") == {"case_prefix": "案件编号前缀应为1到6个大写英文字母，如 SZ"}
    assert refusal(counties, sms_signature=" ") == {"sms_signature": "必填"}
    assert refusal(counties, holidays=["2026-10-09"], workdays=["2026-10-09"]) == {
        "workdays": "这些日子同时写成了放假和上班：2026-10-09"}
    assert counties.all() == []


def test_a_prefix_or_a_code_is_one_countys_only(counties: Counties) -> None:
    counties.add(SHIZONG, case_prefix="SZ", sms_signature="师宗县残联")
    assert refusal(counties, case_prefix="SZ") == {"case_prefix": "前缀 SZ 已由师宗县使用"}
    assert refusal(counties, SHIZONG, case_prefix="SX") == {"code": "县（市）530323 已经有了"}
    counties.add(LUOPING, case_prefix="LP", sms_signature="罗平县残联")
    with pytest.raises(ValidationFailed) as taken:
        counties.update(LUOPING, case_prefix="SZ")
    assert [(e.field, e.message) for e in taken.value.errors] == [("case_prefix", "前缀 SZ 已由师宗县使用")]
    assert counties.get(LUOPING).case_prefix == "LP"


def test_an_update_changes_what_is_given_and_keeps_the_rest(counties: Counties) -> None:
    counties.add(SHIZONG, case_prefix="SZ", sms_signature="师宗县残联", holidays=["2026-10-09"])
    saved = counties.update(SHIZONG, sms_signature="师宗残联", workdays=["2026-10-10"], active=False)
    assert (saved.name, saved.case_prefix, saved.sms_signature, saved.holidays, saved.workdays, saved.active) == (
        "师宗县", "SZ", "师宗残联", ["2026-10-09"], ["2026-10-10"], False)
    assert counties.all(active_only=True) == []
    with pytest.raises(ValidationFailed):
        counties.update(SHIZONG, name="")
    assert counties.get(SHIZONG).name == "师宗县"


def test_an_empty_table_gets_the_deployments_county_from_the_configuration(counties: Counties) -> None:
    assert counties.seed(Settings(jurisdiction=(SHIZONG,), case_prefix="SZ", signature="师宗县残联")) == 1
    [seeded] = counties.all()
    assert (seeded.code, seeded.name, seeded.federation, seeded.case_prefix, seeded.sms_signature) == (
        SHIZONG, "师宗县", "师宗县残联", "SZ", "师宗县残联")
    assert counties.seed(Settings()) == 0  # once there is any, the configuration adds none


def test_a_case_is_numbered_and_texted_as_its_countys_row_says(runtime: Runtime, counties: Counties,
                                                                 every_case_replays: None) -> None:
    counties.add(LUSHAN, case_prefix="LS", sms_signature="庐山市残联")
    counties.add(SHIZONG, case_prefix="SZ", sms_signature="师宗县残联")
    shizong = runtime.start_case("application_online", application(id_number=lushan_id("19800101", area=SHIZONG)),
                                 actor="applicant", county=SHIZONG)
    lushan = runtime.start_case("application_online", application(), actor="applicant")
    assert shizong.startswith("SZ-2026-") and lushan.startswith("LS-2026-")
    assert received(runtime, shizong).startswith(f"【师宗县残联】李明您好，您的残疾人证申请已收到，案件编号{shizong}。")
    assert received(runtime, lushan).startswith("【庐山市残联】")

    # the next cases, not the numbered; at once, though this process's steps keep the rules they read a while
    counties.update(SHIZONG, case_prefix="SHZ", sms_signature="师宗残联")
    again = runtime.start_case("application_online", application(id_number=lushan_id("19800101", area=SHIZONG)),
                               actor="applicant", county=SHIZONG)
    assert again.startswith("SHZ-2026-")
    assert received(runtime, again).startswith("【师宗残联】")
    assert runtime.case(shizong)["number"] == shizong


def test_another_process_numbers_and_texts_by_a_changed_row_within_the_rules_time(
        runtime: Runtime, counties: Counties) -> None:
    """A county changed by another process (the row changes, this process's ``Counties`` is not called) is seen
    here once the rules read before are ``RULES_SECONDS`` old, as docs/deploy.md says."""
    seconds = [0.0]
    runtime._steps.rules = Rules(timer=lambda: seconds[0])
    counties.add(SHIZONG, case_prefix="SZ", sms_signature="师宗县残联")

    def start() -> str:
        return runtime.start_case("application_online", application(id_number=lushan_id("19800101", area=SHIZONG)),
                                  actor="applicant", county=SHIZONG)

    assert start().startswith("SZ-2026-")
    with runtime.sessions.begin() as session:  # as the other process's change
        session.execute(update(County).where(County.code == SHIZONG).values(case_prefix="SHZ",
                                                                              sms_signature="师宗残联"))
    seconds[0] += RULES_SECONDS - 0.5
    kept = start()
    assert kept.startswith("SZ-2026-") and received(runtime, kept).startswith("【师宗县残联】")
    seconds[0] += 0.5
    again = start()
    assert again.startswith("SHZ-2026-") and received(runtime, again).startswith("【师宗残联】")


def test_a_county_without_a_row_keeps_the_configurations_prefix_and_signature(runtime: Runtime) -> None:
    number = runtime.start_case("application_online", application(), actor="applicant")
    assert number.startswith("LS-2026-")
    assert received(runtime, number).startswith("【庐山市残联】")


def test_importing_a_roster_makes_the_county_files_county_a_row_with_its_process_prefix(
        runtime: Runtime, counties: Counties, tmp_path: Path) -> None:
    [number] = import_roster(runtime.sessions, runtime, roster_csv(tmp_path / "roster.csv", [roster_row()]),
                             actor="county", county=COUNTY).started
    [shizong] = counties.all()
    assert (shizong.code, shizong.name, shizong.federation, shizong.case_prefix, shizong.sms_signature) == (
        SHIZONG, "师宗县", "师宗县残联", "SZ", "师宗县残联")
    assert number.startswith("SZ-")
    with runtime.sessions() as session:
        township = session.get(Group, "township-530323102")
        assert township is not None and township.county == SHIZONG


def test_the_county_command_adds_lists_and_updates(runtime: Runtime) -> None:
    runner = CliRunner()
    added = runner.invoke(main, ["county", "add", LUOPING, "--prefix", "LP", "--signature", "罗平县残联",
                                 "--holidays", "2026-10-09，2026-10-12"], obj=runtime)
    assert (added.exit_code, added.stdout) == (0, "已添加 罗平县（530324），案件编号前缀 LP\n")
    refused = runner.invoke(main, ["county", "update", LUOPING, "--prefix", "lp"], obj=runtime)
    assert refused.exit_code == 2
    assert refused.stderr == "错误：县（市）信息有误：\n  --prefix：案件编号前缀应为1到6个大写英文字母，如 SZ\n"
    cleared = runner.invoke(main, ["county", "update", LUOPING, "--holidays", "", "--inactive"], obj=runtime)
    assert (cleared.exit_code, cleared.stdout) == (0, "已保存 罗平县（530324）\n")
    listed = runner.invoke(main, ["county", "list"], obj=runtime)
    assert listed.stdout == "530324  罗平县  罗平县残联  前缀 LP  签名【罗平县残联】（停用）\n"
    unknown = runner.invoke(main, ["county", "add", "530300", "--prefix", "QJ", "--signature", "曲靖市残联"],
                            obj=runtime)
    assert unknown.exit_code == 2 and "CODE：530300 不是行政区划数据中的县级代码" in unknown.stderr
