"""A person's data exported by their ID number (PIPL arts. 44–45): everything held about them and nothing about
anyone else, on the administrators' page and from the command line, each export in the security log and in their
cases' histories; nobody else may export."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from click.testing import CliRunner
from lushan import ADULT_ID, GUARDIAN_ID, MINOR_ID, application, lushan_id
from sqlalchemy import select
from webkit import PASSWORD, post

from certflow import personal
from certflow.campaign.models import CampaignHolder
from certflow.cli import main
from certflow.engine.attachments import DiskStorage, FileStore, Upload
from certflow.engine.models import Case
from certflow.engine.privacy import mask_id
from certflow.engine.runtime import Runtime, Settings
from certflow.people import lookupcodes
from certflow.people.models import SecurityEvent

PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
OTHER_PHONE = "13800000009"


@pytest.fixture
def held(runtime: Runtime, tmp_path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Two people's cases: 李明's with a file, a view of his ID number, a campaign row and a lookup code; 张小红's
    with a lookup code of her own."""
    runtime.files = runtime.files or FileStore(DiskStorage(tmp_path / "uploads"), runtime.settings.data_keys)
    mine = runtime.start_case("application_online", application(), actor="applicant")
    runtime.attach(mine, [Upload("photos", "照片.png", PNG)], actor="applicant")
    runtime.record_view(mine, "身份证号码", actor="window")
    other = runtime.start_case("application_online", application(applicant_name="张小红", id_number=MINOR_ID,
                                                                 phone=OTHER_PHONE), actor="applicant")
    now = runtime.clock.now()
    keys = runtime.settings.data_keys
    with runtime.sessions.begin() as session:
        case_id = session.scalar(select(Case.id).where(Case.number == mine))
        session.add(CampaignHolder(campaign="2026", id_key=keys.current, id_digest=keys.lookup_digest(ADULT_ID),
                                   id_masked=mask_id(ADULT_ID), case_id=case_id, case_number=mine,
                                   township="township-360483101", village="village-360483101209",
                                   basis="hospital", home_visit=False, category="肢体", grade=3,
                                   imported_at=now, imported_by="county"))
    lookupcodes.issue(runtime.sessions, ADULT_ID, now)
    lookupcodes.issue(runtime.sessions, MINOR_ID, now)
    return {"mine": mine, "other": other}


def check_export(data: dict[str, Any], held: dict[str, str], by: str) -> None:
    """李明's data, all of it, and nothing of 张小红's."""
    assert [record["case"]["number"] for record in data["cases"]] == [held["mine"]]
    record = data["cases"][0]
    assert record["history"][0]["kind"] == "case_started"
    assert record["history"][0]["data"]["data"]["id_number"] == ADULT_ID  # in full: it is his own
    assert [f["filename"] for f in record["files"]] == ["照片.png"]
    assert all(text["recipient_phone"] in (None, "13800000001") for text in record["texts"])
    assert [(h["case"], h["grade"]) for h in data["holders"]] == [(held["mine"], 3)]
    assert len(data["lookups"]) == 1 and data["lookups"][0]["spent"] is False
    assert [(v["by"], v["what"]) for v in data["views"]] == [("window", "身份证号码"), (by, "个人信息导出")]
    assert data["accounts"] == [] and "账号不登记身份证号码" in data["notes"]["accounts"]
    text = json.dumps(data, ensure_ascii=False)
    for theirs in (held["other"], MINOR_ID, mask_id(MINOR_ID), "张小红", OTHER_PHONE):
        assert theirs not in text


def exports_logged(runtime: Runtime) -> list[tuple[str | None, str | None]]:
    with runtime.sessions() as session:
        return [(e.username, e.target) for e in session.query(SecurityEvent).filter_by(kind=personal.SECURITY_KIND)]


def test_an_administrator_exports_a_persons_data_from_the_page(as_user, runtime: Runtime,  # type: ignore[no-untyped-def]
                                                               held: dict[str, str]) -> None:
    admin = as_user("admin")
    page = admin.get("/admin/personal-data").get_data(as_text=True)
    assert "按身份证号码导出" in page and 'name="id_number"' in page
    answer = post(admin, "/admin/personal-data", {"id_number": ADULT_ID.lower()}, page="/admin/personal-data")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert answer.headers["Cache-Control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    assert sorted(archive.namelist()) == ["个人信息.json", "说明.txt"]
    check_export(json.loads(archive.read("个人信息.json")), held, "admin")
    assert exports_logged(runtime) == [("admin", f"{mask_id(ADULT_ID)}（1 个案件：{held['mine']}）")]
    assert "个人信息导出" in admin.get("/admin/security?kind=personal_data_exported").get_data(as_text=True)


def test_a_wrong_id_number_is_refused_beside_the_field(as_user, runtime: Runtime,  # type: ignore[no-untyped-def]
                                                       held: dict[str, str]) -> None:
    admin = as_user("admin")
    wrong = ADULT_ID[:-1] + ("0" if ADULT_ID[-1] != "0" else "1")
    answer = post(admin, "/admin/personal-data", {"id_number": wrong}, page="/admin/personal-data")
    assert answer.status_code == 422
    beside = '<p class="field-error" id="id_number-error">身份证号码校验位错误，请逐位核对</p>'
    assert beside in answer.get_data(as_text=True)
    assert exports_logged(runtime) == []


@pytest.mark.parametrize("username", ["window", "county", "auditor"])
def test_nobody_but_an_administrator_exports(as_user, runtime: Runtime, held: dict[str, str],  # type: ignore[no-untyped-def]
                                             username: str) -> None:
    client = as_user(username)
    assert client.get("/admin/personal-data").status_code == 403
    assert post(client, "/admin/personal-data", {"id_number": ADULT_ID}).status_code == 403
    assert exports_logged(runtime) == []


def test_the_command_exports_a_persons_data(runtime: Runtime, held: dict[str, str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "李明.zip"
    result = CliRunner().invoke(main, ["person", "export", ADULT_ID, "-o", str(out), "--user", "admin"], obj=runtime)
    assert result.exit_code == 0, result.output
    assert result.output == f"已把 {mask_id(ADULT_ID)} 的个人信息（1 个案件）写入 {out}\n"
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    check_export(json.loads(zipfile.ZipFile(out).read("个人信息.json")), held, "admin")
    printed = CliRunner().invoke(main, ["person", "export", MINOR_ID, "--user", "admin"], obj=runtime)
    assert [record["case"]["number"] for record in json.loads(printed.output)["cases"]] == [held["other"]]
    assert [who for who, _ in exports_logged(runtime)] == ["admin", "admin"]


def test_the_command_refuses_a_wrong_id_number(runtime: Runtime) -> None:
    result = CliRunner().invoke(main, ["person", "export", ADULT_ID[:17], "--user", "admin"], obj=runtime)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "错误：ID_NUMBER 的值不对：身份证号码应为18位"


def test_someone_whose_masked_number_is_the_same_is_not_found(runtime: Runtime, held: dict[str, str]) -> None:
    """Another 360483 number ending in the same four characters: shown alike in lists, never mixed up."""
    twin = next(number for number in (lushan_id(f"1985{month:02d}01") for month in range(1, 13))
                if mask_id(number) == mask_id(ADULT_ID) and number != ADULT_ID)
    printed = CliRunner().invoke(main, ["person", "export", twin, "--user", "admin"], obj=runtime)
    data = json.loads(printed.output)
    assert data["cases"] == [] and data["holders"] == [] and data["lookups"] == [] and data["views"] == []
    assert exports_logged(runtime) == [("admin", f"{mask_id(twin)}（0 个案件）")]


def export_zip(client, id_number: str) -> tuple[dict[str, Any], str]:  # type: ignore[no-untyped-def]
    answer = post(client, "/admin/personal-data", {"id_number": id_number}, page="/admin/personal-data")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    archive = zipfile.ZipFile(io.BytesIO(answer.data))
    return json.loads(archive.read("个人信息.json")), archive.read("说明.txt").decode()


def test_a_guardian_gets_the_cases_they_applied_for_as_guardian(as_user, runtime: Runtime,  # type: ignore[no-untyped-def]
                                                                held: dict[str, str]) -> None:
    """王芳 applied for her child 张小红: her export has that case, marked as one where she is the guardian."""
    data, readme = export_zip(as_user("admin"), GUARDIAN_ID)
    assert data["cases"] == [] and data["holders"] == [] and data["lookups"] == []
    [record] = data["guarded"]
    assert record["case"]["number"] == held["other"] and sorted(record) == ["case", "history"]
    started = record["history"][0]["data"]["data"]
    assert (started["guardian_name"], started["guardian_id_number"]) == ("王芳", GUARDIAN_ID)
    assert "guarded：申请人是他人、此身份证号码是申请中所填监护人（代办人）的案件" in readme
    assert [(v["case"], v["what"]) for v in data["views"]] == [(held["other"], "个人信息导出")]
    assert exports_logged(runtime) == [
        ("admin", f"{mask_id(GUARDIAN_ID)}（0 个案件；作为监护人的 1 个案件：{held['other']}）")]
    assert [e["kind"] for e in runtime.history(held["other"])][-1] == "personal_data_viewed"
    applicant, _ = export_zip(as_user("admin"), MINOR_ID)  # the child's own export is as before
    assert [r["case"]["number"] for r in applicant["cases"]] == [held["other"]] and applicant["guarded"] == []


def test_a_county_administrator_exports_only_their_countys_guardian_cases(  # type: ignore[no-untyped-def]
        as_user, accounts, runtime: Runtime, held: dict[str, str], shizong_county: None) -> None:
    elsewhere = runtime.start_case("application_online", application(applicant_name="王小军", id_number=MINOR_ID),
                                   actor="applicant", county="530323")
    assert runtime.case_numbers_for_guardian(GUARDIAN_ID) == [elsewhere, held["other"]]
    accounts.create("ls-admin", PASSWORD, display_name="庐山 管理员", roles=["admin"], county=Settings().county)
    data, _ = export_zip(as_user("ls-admin"), GUARDIAN_ID)
    assert [record["case"]["number"] for record in data["guarded"]] == [held["other"]]
    text = json.dumps(data, ensure_ascii=False)
    assert elsewhere not in text and "王小军" not in text
    assert [e["kind"] for e in runtime.history(elsewhere)][-1] != "personal_data_viewed"
    province, _ = export_zip(as_user("admin"), GUARDIAN_ID)
    assert [record["case"]["number"] for record in province["guarded"]] == [elsewhere, held["other"]]


def test_the_command_counts_the_guardians_cases(runtime: Runtime, held: dict[str, str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "王芳.zip"
    result = CliRunner().invoke(main, ["person", "export", GUARDIAN_ID, "-o", str(out), "--user", "admin"],
                                obj=runtime)
    assert result.exit_code == 0, result.output
    assert result.output == f"已把 {mask_id(GUARDIAN_ID)} 的个人信息（0 个案件，作为监护人的 1 个案件）写入 {out}\n"
