"""Every path of the online application (flow 2), through the engine."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lushan import MINOR_ID, CaseDriver, application, lushan_id
from stdnum.cn import ric

from certflow.engine import disability
from certflow.engine.errors import ValidationFailed
from certflow.web.present import system_checks
from handlers import identity

PASS = {"decision": "pass"}


def test_arrival_texts_the_window_and_opens_pre_review(start):
    case = start()
    assert case.text("arrival")["recipient_group"] == "window"
    task = case.task("pre_review")
    assert (task["role"], task["group"]) == ("window_clerk", "window")
    assert task["due_at"] is not None
    assert case.view["data"]["identity"]["valid"] is True


def test_pre_review_rejection_tells_the_applicant_why_and_ends(start):
    case = start()
    case.complete("pre_review", {"decision": "reject", "reason": "申请人已持有有效残疾人证"})
    view = case.view
    assert (view["status"], view["outcome"]) == ("completed", "rejected")
    rejected = case.text("rejected")
    assert rejected["recipient_phone"] == "13800000001"
    assert "申请人已持有有效残疾人证" in rejected["text"]
    assert case.open_tasks() == []


def test_an_id_issued_elsewhere_is_valid_and_its_place_a_hint_for_the_clerk(start):
    # Someone who moved to 庐山市 keeps the number first issued in Beijing; the 户籍 is the 户口簿's.
    case = start(id_number="11010519491231002X")
    identity = case.view["data"]["identity"]
    assert (identity["valid"], identity["in_jurisdiction"], identity["issued_at"]) == (True, False, "北京市朝阳区")
    assert case.task("pre_review")["group"] == "window"


def test_a_case_whose_identity_check_recorded_the_old_verdict_still_verifies(start, runtime, monkeypatch):
    # Before the address code became a hint, another county's code was recorded as a failed check.
    old = {"valid": False, "reason": "户籍不在本辖区", "birth_date": "1949-12-31", "age": 76, "minor": False,
           "in_jurisdiction": False}
    monkeypatch.setattr(identity, "check", lambda *args, **kwargs: dict(old))
    case = start(id_number="11010519491231002X")
    monkeypatch.undo()
    assert case.view["data"]["identity"] == old
    case.complete("pre_review", {"decision": "reject", "reason": "户口簿显示户籍不在庐山市"})
    assert runtime.verify(case.number).ok  # replay gives the handler the result the history recorded
    assert system_checks(case.view["data"], {})[:2] == [("身份核验", "未通过：户籍不在本辖区"),
                                                        ("身份证签发地", "非本辖区的地址码（户籍以户口簿为准）")]


def test_an_id_with_the_former_xingzi_code_is_in_the_jurisdiction(start):
    case = start(id_number=lushan_id("19700101", area="360427"))
    identity = case.view["data"]["identity"]
    assert (identity["valid"], identity["in_jurisdiction"]) == (True, True)
    assert identity["issued_at"] == "江西省星子县（代码使用至2016年）"


@pytest.mark.parametrize(("id_number", "reason"), [
    ("360483198001011233", "身份证号码校验位错误，请逐位核对"),  # the README's example of old
    ("36048319800230123X"[:17] + ric.calc_check_digit("36048319800230123X"), "身份证号码中的出生日期不存在"),
    ("3604831980010112", "身份证号码应为18位"),
])
@pytest.mark.parametrize("process", ["application_online", "application_offline"])
def test_an_invalid_id_is_refused_where_the_application_is_made(runtime, process, id_number, reason):
    with pytest.raises(ValidationFailed) as refused:
        runtime.start_case(process, application(id_number=id_number), actor="applicant")
    assert [(e.field, e.message) for e in refused.value.errors] == [("id_number", reason)]
    # Nothing was started: the corrected application takes the first number.
    assert runtime.start_case(process, application(), actor="applicant").endswith("-000001")


def test_missing_materials_are_told_at_once_and_the_case_waits_then_resumes(start):
    case = start(category="智力", id_number=MINOR_ID, materials=["photos"])
    missing = case.view["data"]["materials_result"]["missing"]
    assert set(missing) == {"guardian_proof", "medical_records"}
    case.complete("pre_review", {"decision": "missing"})
    text = case.text("missing_listed")["text"]
    assert "法定监护人证明材料" in text and "就诊病历材料" in text
    assert case.open_tasks() == []
    assert [w["name"] for w in case.view["waiting"]] == ["materials_supplied"]

    case.message("materials_supplied", {"materials": ["guardian_proof", "medical_records"]})
    assert case.view["data"]["materials_result"]["missing"] == []
    case.complete("pre_review", PASS)
    assert case.task("register_appointment")["group"] == "hospital-anding"


def test_assessment_not_meeting_the_standard_ends_with_a_reasoned_notice(start):
    case = start()
    case.complete("pre_review", PASS)
    assert case.text("routed")["recipient_group"] == "hospital-renmin"
    case.assess(meets=False, conclusion="肢体功能障碍程度未达到残疾标准")
    assert "评定结论：肢体功能障碍程度未达到残疾标准" in case.text("not_met_review")["text"]
    case.tick("2026-09-16T00:01:00+08:00")
    view = case.view
    assert (view["status"], view["outcome"]) == ("completed", "not_met")


def test_the_hospital_sets_an_appointment_and_the_applicant_is_told(start):
    case = start()
    case.complete("pre_review", PASS)
    case.complete("register_appointment", {
        "appointment_at": "2026-09-08T09:30:00+08:00",
        "appointment_place": "庐山市人民医院门诊楼三楼",
        "bring_items": ["居民身份证", "两寸照片"],
    }, group="hospital-renmin")
    appointment = case.text("appointment")
    assert appointment["recipient_phone"] == "13800000001"
    assert "2026年9月8日 09:30" in appointment["text"]
    assert "门诊楼三楼" in appointment["text"]
    assert case.task("assess")["group"] == "hospital-renmin"


def test_passed_publicity_and_certificate_by_post(start):
    case = start()
    case.complete("pre_review", PASS)
    case.assess(grade=3)
    assert case.text("passed")["recipient_phone"] == "13800000001"
    assert case.text("publicity_request")["recipient_group"] == "village-360483101209"
    assert case.task("post_publicity")["group"] == "village-360483101209"
    case.post_publicity("2026-09-10")
    assert [w["name"] for w in case.view["waiting"] if w["event"] != "MessageEventDefinition"]
    assert case.tick("2026-09-18T00:01:00+08:00") == [case.number]
    case.issue("post")
    view = case.view
    assert (view["status"], view["outcome"]) == ("completed", "issued")
    number = view["data"]["certificate_no"]
    assert re.fullmatch(r"\d{17}[\dX][1-7][1-4](B\d+)?", number)
    assert number.endswith("43")  # 肢体 4, 三级 3
    assert "邮寄" in case.text("issued")["text"]


def test_the_readme_example_runs_to_a_valid_certificate_number(runtime, clock):
    # README.md's "A case in a terminal" starts a case with this data: it must reach a certificate.
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    data = json.loads(re.search(r"certflow start application_online --data '(.+?)'", readme, re.S).group(1))
    case = CaseDriver(runtime, clock, runtime.start_case("application_online", data, actor="applicant"))
    assert case.view["data"]["identity"]["valid"] is True
    case.complete("pre_review", PASS)
    case.assess(grade=3)
    case.post_publicity("2026-09-10")
    case.tick("2026-09-18T00:01:00+08:00")
    case.issue("post")
    assert case.view["outcome"] == "issued"
    assert case.view["data"]["certificate_no"] == data["id_number"] + "43"
    assert disability.NUMBER_PATTERN.fullmatch(case.view["data"]["certificate_no"])


def test_certificate_delivered_in_person(start):
    case = start(delivery="in_person", address="")
    case.complete("pre_review", PASS)
    case.assess()
    case.post_publicity()
    case.tick("2026-09-18T00:01:00+08:00")
    case.issue("in_person")
    assert case.view["outcome"] == "issued"
    assert "直接送达" in case.text("issued")["text"]


def test_fees_of_a_first_application_are_paid_by_the_federation(start):
    case = start()
    case.complete("pre_review", PASS)
    fees = case.view["data"]["fees"]["items"]
    assert {item["payer"] for item in fees} == {"federation_budget"}
    assert len(fees) == 2  # assessment and postage


def test_objection_dismissed_by_the_committee_lets_the_case_proceed(start):
    case = start()
    case.complete("pre_review", PASS)
    case.assess()
    case.post_publicity()
    case.message("objection", {"reason": "申请人并无残疾", "by": "村民王某"})
    assert case.text("objection_received")["recipient_group"] == "expert-committee"
    task = case.task("reexamine")
    assert (task["role"], task["group"]) == ("expert_committee", "expert-committee")
    case.complete("reexamine", {"decision": "uphold", "opinion": "经复核，原评定结论正确"}, user="expert")
    case.issue()
    assert case.view["outcome"] == "issued"


def test_objection_upheld_sends_the_case_back_to_assessment(start):
    case = start()
    case.complete("pre_review", PASS)
    case.assess(grade=3)
    case.post_publicity()
    case.message("objection", {"reason": "评定等级有误", "by": "村民王某"})
    case.complete("reexamine", {"decision": "reassess", "opinion": "需重新评定"}, user="expert")
    assert case.task("register_appointment")["group"] == "hospital-renmin"
    case.assess(grade=4, conclusion="重新评定为肢体残疾四级")
    case.post_publicity("2026-09-21")
    case.tick("2026-10-14T00:01:00+08:00")
    case.issue()
    assert case.view["data"]["certificate_no"].endswith("44")


def test_an_objection_after_the_publicity_is_refused(start):
    import pytest

    from certflow.engine.errors import InvalidState, ValidationFailed

    case = start()
    case.complete("pre_review", PASS)
    case.assess()
    case.post_publicity()
    case.tick("2026-09-18T00:01:00+08:00")
    with pytest.raises(ValidationFailed, match="公示期已于2026年9月17日届满"):
        case.message("objection", {"reason": "太晚了", "by": "村民"})
    case.issue()
    with pytest.raises(InvalidState, match="已办结"):  # issued: the case waits for nothing any more
        case.message("objection", {"reason": "太晚了", "by": "村民", "received_on": "2026-09-17"})


def test_a_multiple_disability_is_assessed_at_each_hospital_in_parallel(start):
    case = start(category="多重", parts=["肢体", "智力"],
                 materials=["photos", "guardian_proof", "medical_records"])
    case.complete("pre_review", PASS)
    groups = sorted(t["group"] for t in case.open_tasks())
    assert groups == ["hospital-anding", "hospital-renmin"]
    case.assess(group="hospital-renmin", grade=3)
    assert case.task("register_appointment", group="hospital-anding")
    case.assess(group="hospital-anding", grade=2, conclusion="智力残疾二级")
    case.post_publicity()
    case.tick("2026-09-18T00:01:00+08:00")
    case.issue()
    data = case.view["data"]
    assert data["assessment_result"]["category_code"] == 7
    assert data["certificate_no"].endswith("72")  # 多重 7, most severe part 二级


def test_the_hospital_is_reminded_when_its_assessment_is_overdue(start):
    case = start()
    case.complete("pre_review", PASS)
    case.complete("register_appointment", {
        "appointment_at": "2026-09-08T09:30:00+08:00",
        "appointment_place": "门诊楼",
        "bring_items": ["居民身份证"],
    }, group="hospital-renmin")
    assert case.tick("2026-09-14T10:00:00+08:00") == []
    assert case.tick("2026-09-16T00:01:00+08:00") == [case.number]  # 10 working days after 9-01
    overdue = case.text("assessment_overdue")
    assert overdue["recipient_group"] == "hospital-renmin"
    assert case.task("assess")  # still open: the reminder does not take the task away
    assert case.tick("2026-09-17T00:01:00+08:00") == []  # fires once


def test_the_clerk_marks_a_handed_in_photo_as_missing_and_one_text_lists_everything(start):
    case = start(category="智力", id_number=MINOR_ID, materials=["photos"])
    case.complete("pre_review", {"decision": "missing", "missing_materials": ["photos"],
                                 "missing_note": "照片模糊，请重新提交清晰的白底彩照。"})
    [text] = [t for t in case.texts if t["recipient_role"] == "applicant" and t["template"] != "received"]
    assert text["template"] == "missing_listed"
    assert "请补充以下材料：两寸近期免冠白底彩照(3张)、法定监护人证明材料、就诊病历材料。" in text["text"]
    assert "窗口说明：照片模糊，请重新提交清晰的白底彩照。补齐后即可继续办理。" in text["text"]
    assert case.view["data"]["missing_notice"]["missing"] == ["photos", "guardian_proof", "medical_records"]

    case.message("materials_supplied", {"materials": ["photos", "guardian_proof", "medical_records"]})
    task = case.task("pre_review")  # the clerk sees the new photo; the earlier marks are not carried over
    assert case.view["data"]["missing_materials"] == []
    case.complete("pre_review", PASS)
    assert case.task("register_appointment", group="hospital-anding") and task


def test_missing_with_nothing_found_or_marked_is_refused_and_the_review_stays_open(start):
    import pytest

    from certflow.engine.errors import ValidationFailed

    case = start()
    assert case.view["data"]["materials_result"]["missing"] == []
    with pytest.raises(ValidationFailed) as refused:
        case.complete("pre_review", {"decision": "missing", "missing_note": "请补充"})
    assert [(e.field, e.message) for e in refused.value.errors] == [
        ("missing_materials", "选择“材料不全”时，请勾选缺少或需重新提交的材料")]
    assert case.task("pre_review") and case.texts[-1]["template"] == "arrival"
    case.complete("pre_review", {"decision": "missing", "missing_materials": ["photos"]})
    assert "两寸近期免冠白底彩照(3张)" in case.text("missing_listed")["text"]
