"""Guardians: required and recorded for a minor, an 智力 or a 精神 applicant; the texts go to them."""

from __future__ import annotations

import pytest
from lushan import ADULT_ID, GUARDIAN, GUARDIAN_ID, MINOR_ID, application, lushan_id

from certflow.engine.errors import ValidationFailed

MENTAL = {"category": "精神", "materials": ["photos", "guardian_proof", "medical_records"]}


def refused_fields(runtime, **changes) -> dict[str, str]:
    data = {key: value for key, value in application(**changes).items() if key not in GUARDIAN or key in changes}
    with pytest.raises(ValidationFailed) as refused:
        runtime.start_case("application_online", data, actor="applicant")
    return {e.field: e.message for e in refused.value.errors}


@pytest.mark.parametrize("changes", [
    {"id_number": MINOR_ID, "materials": ["photos", "guardian_proof"]},
    MENTAL,
    {"category": "多重", "parts": ["肢体", "智力"], "materials": ["photos", "guardian_proof", "medical_records"]},
], ids=["minor", "mental", "multiple-with-intellectual"])
def test_an_application_without_a_guardian_is_refused_field_by_field(start, runtime, changes):
    errors = refused_fields(runtime, **changes)
    assert errors == {
        "guardian_name": "未成年人或智力、精神残疾人申请，须填写监护人姓名",
        "guardian_relation": "未成年人或智力、精神残疾人申请，须填写监护人与申请人的关系",
        "guardian_id_number": "未成年人或智力、精神残疾人申请，须填写监护人居民身份证号码",
        "guardian_phone": "未成年人或智力、精神残疾人申请，须填写监护人手机号码",
    }
    case = start(**changes, **GUARDIAN)  # the same application with its guardian starts
    assert case.view["data"]["guardian"] == {"needed": True, "name": "王芳", "relation": "父母",
                                             "id_masked": "360483********222" + GUARDIAN_ID[-1]}


@pytest.mark.parametrize(("number", "message"), [
    (GUARDIAN_ID[:-1] + ("0" if GUARDIAN_ID[-1] != "0" else "1"),
     "监护人居民身份证号码无效：身份证号码校验位错误，请逐位核对"),
    (lushan_id("20120101", "224"), "监护人应为成年人"),
    (ADULT_ID, "监护人不能是申请人本人"),
])
def test_a_guardian_id_number_that_cannot_be_the_guardians_is_refused(start, runtime, number, message):
    errors = refused_fields(runtime, **MENTAL, **{**GUARDIAN, "guardian_id_number": number})
    assert errors == {"guardian_id_number": message}
    assert start(**MENTAL, **GUARDIAN).view["data"]["guardian"]["needed"] is True


def test_an_adult_physical_applicant_needs_no_guardian_and_is_texted_directly(start):
    case = start()
    assert case.view["data"]["guardian"] == {"needed": False}
    case.complete("pre_review", {"decision": "pass"})
    case.complete("register_appointment", {"appointment_at": "2026-09-08T09:30:00+08:00",
                                           "appointment_place": "门诊楼", "bring_items": ["居民身份证"]},
                  group="hospital-renmin")
    assert case.text("appointment")["recipient_phone"] == "13800000001"


def test_the_applicants_texts_go_to_the_guardian(start):
    case = start(**MENTAL, **GUARDIAN)
    case.complete("pre_review", {"decision": "pass"})
    case.complete("register_appointment", {"appointment_at": "2026-09-08T09:30:00+08:00",
                                           "appointment_place": "庐山安定医院门诊", "bring_items": ["居民身份证"]},
                  group="hospital-anding")
    text = case.text("appointment")
    assert text["recipient_phone"] == "13900000002"
    assert text["text"].startswith("【庐山市残联】致监护人王芳：李明您好，您的残疾评定已预约")
    assert case.text("routed")["recipient_group"] == "hospital-anding"  # texts to staff are unchanged


def test_the_window_records_the_guardian_too(start):
    case = start("application_offline", id_number=MINOR_ID, **GUARDIAN,
                 materials=["id_card", "household_register", "photos", "application_form", "guardian_proof"])
    assert case.view["data"]["guardian"]["relation"] == "父母"
