import re

import pytest

from handlers import notifications
from handlers.notifications import TEMPLATES, compose

ID_NUMBER = "11010519491231002X"
FULL_ID = re.compile(r"\d{17}[\dXx]")


@pytest.fixture
def data() -> dict:
    return {
        "case_no": "LS-2026-0042",
        "applicant_name": "张三",
        "id_number": ID_NUMBER,
        "phone": "13800000000",
        "village": "village-360483100201",
        "category": "多重",
        "parts": ["肢体", "精神"],
        "delivery": "post",
        "site": {"hospital": "庐山市人民医院", "group": "hospital-renmin", "parts": ["肢体", "视力"]},
        "appointment_at": "2026-03-05T09:30:00+08:00",
        "appointment_place": "庐山市人民医院门诊三楼评残室",
        "bring_items": ["居民身份证", "近期病历"],
        "reason": "上传的照片不清晰。",
        "materials_result": {"missing_text": "请补充以下材料：法定监护人证明材料、就诊病历材料。"},
        "missing_notice": {"missing": ["photos"], "text": "请补充以下材料：两寸近期免冠白底彩照(3张)。"},
        "assessment_result": {"conclusion": "未达到残疾标准"},
        "certificate_no": ID_NUMBER + "72",
        "expert_group": "expert-committee",
        # the exchange for the third-generation card (Shizong)
        "township_name": "雄壁镇",
        "venue": "雄壁镇卫生院",
        "hospital_name": "师宗县中医医院",
        "county_group": "county-530323",
        "away_reason": "评定机构不具备评残资格",
        "card_category": "肢体",
        "card_grade": 2,
        "card_no": ID_NUMBER + "42",
        "review_last_day": "2026-03-17",
        "opinion": "经复核，原评定结论正确",
        "verification_note": "证载等级与本人情况不符",
        "review_fees": {"items": [{"item": "复核鉴定费", "payer": "applicant", "payer_label": "申请人承担"}]},
        "township": "township-530323101",
        "village_name": "天生桥村",
        "appointment_move": {"reason": "疫情防控需要", "day": "2022-04-20", "day_text": "2022年4月20日（星期三）",
                             "place": "雄壁镇卫生院"},
    }


def test_all_templates_listed() -> None:
    assert set(TEMPLATES) == {
        "arrival",
        "received",
        "routed",
        "appointment",
        "rejected",
        "missing_materials",
        "missing_listed",
        "not_met_review",
        "not_met_final",
        "not_met_review_request",
        "review_upheld",
        "review_reassess",
        "not_met",
        "passed",
        "publicity_request",
        "objection_received",
        "issued",
        "assessment_overdue",
        "exchange_invite",
        "reassessment_notice",
        "home_visit_notice",
        "away_review_request",
        "away_rejected",
        "reassessed",
        "objection_accepted",
        "review_request",
        "reassessment_publicity",
        "card_mismatch",
        "new_card_ready",
        "exchanged",
        "township_publicity",
        "township_publicity_not_met",
        "first_assessment_notice",
        "first_assessed",
        "assessed_not_met",
        "first_not_met",
        "certificate_withdrawn",
        "first_card_ready",
        "first_card_issued",
        "appointment_moved",
    }
    for template in TEMPLATES.values():
        assert template.label
        assert (template.group, template.group_field, template.phone_field).count(None) == 2


def test_arrival(data: dict) -> None:
    assert compose("arrival", data) == {
        "template": "arrival",
        "recipient_role": "window_clerk",
        "recipient_group": "window",
        "recipient_phone": None,
        "text": "【庐山市残联】新的残疾人证申请待预审：案件号LS-2026-0042，申请人张三。",
    }


def test_routed_goes_to_the_site_group(data: dict) -> None:
    message = compose("routed", data)
    assert message["recipient_role"] == "hospital"
    assert message["recipient_group"] == "hospital-renmin"
    assert message["recipient_phone"] is None
    assert message["text"] == (
        "【庐山市残联】有一件残疾评定业务已分派至贵院：案件号LS-2026-0042，评定类别肢体、视力。"
        "请登录系统登记并预约评定。"
    )


def test_appointment(data: dict) -> None:
    message = compose("appointment", data)
    assert message["recipient_role"] == "applicant"
    assert message["recipient_group"] is None
    assert message["recipient_phone"] == "13800000000"
    assert message["text"] == (
        "【庐山市残联】张三您好，您的残疾评定已预约：时间2026年3月5日 09:30，"
        "地点庐山市人民医院门诊三楼评残室。请携带：居民身份证、近期病历。"
    )


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2026-03-05T01:30:00+00:00", "2026年3月5日 09:30"),
        ("2026-03-05T14:00", "2026年3月5日 14:00"),
        ("2026-03-05", "2026年3月5日"),
        ("周四上午", "周四上午"),
    ],
)
def test_appointment_time_as_read(data: dict, value: str, shown: str) -> None:
    data["appointment_at"] = value
    data["bring_items"] = "身份证"
    assert f"时间{shown}，" in compose("appointment", data)["text"]


def test_rejected_punctuation_not_doubled(data: dict) -> None:
    assert compose("rejected", data)["text"] == (
        "【庐山市残联】张三您好，您的残疾人证申请（案件号LS-2026-0042）预审未通过，原因：上传的照片不清晰。"
        "如有疑问请咨询残联综合窗口。"
    )


def test_missing_materials(data: dict) -> None:
    assert compose("missing_materials", data)["text"] == (
        "【庐山市残联】张三您好，您的残疾人证申请（案件号LS-2026-0042）材料不全。"
        "请补充以下材料：法定监护人证明材料、就诊病历材料。补齐后即可继续办理。"
    )


def test_not_met(data: dict) -> None:
    text = compose("not_met", data)["text"]
    assert text.startswith("【庐山市残联】张三您好，经评定您未达到残疾标准")
    assert "评定结论：未达到残疾标准。" in text
    assert "10个工作日内向残联申请复核" in text


def test_passed(data: dict) -> None:
    assert compose("passed", data)["text"] == (
        "【庐山市残联】张三您好，您的残疾评定已通过（案件号LS-2026-0042），将在您所在村（社区）公示5个工作日，"
        "公示期满无异议后发放残疾人证。"
    )


def test_publicity_request_goes_to_the_village(data: dict) -> None:
    message = compose("publicity_request", data)
    assert message["recipient_role"] == "village"
    assert message["recipient_group"] == "village-360483100201"
    assert message["text"] == (
        "【庐山市残联】请在本村（社区）公示张三的残疾人证申请（案件号LS-2026-0042），公示期5个工作日。"
        "公示期内如有异议，请在系统中登记上报。"
    )


def test_objection_received(data: dict) -> None:
    message = compose("objection_received", data)
    assert (message["recipient_role"], message["recipient_group"]) == ("expert_committee", "expert-committee")
    assert message["text"] == "【庐山市残联】案件号LS-2026-0042在公示期内收到异议，请评残专家委员会组织复核。"


@pytest.mark.parametrize(("delivery", "label"), [("post", "邮寄"), ("in_person", "直接送达")])
def test_issued_masks_the_certificate_number(data: dict, delivery: str, label: str) -> None:
    data["delivery"] = delivery
    message = compose("issued", data)
    assert message["recipient_phone"] == "13800000000"
    assert message["text"] == (
        f"【庐山市残联】张三您好，您的残疾人证已办结，证号110105********002X72，将以{label}方式发放。"
    )


def test_assessment_overdue(data: dict) -> None:
    message = compose("assessment_overdue", data)
    assert message["recipient_group"] == "hospital-renmin"
    assert message["text"] == (
        "【庐山市残联】催办：案件号LS-2026-0042的残疾评定已超过10个工作日的办理时限，请尽快完成评定并上传结果。"
    )


def test_signature_is_a_parameter(data: dict) -> None:
    assert compose("arrival", data, signature="师宗县残联")["text"].startswith("【师宗县残联】新的残疾人证申请")


def test_no_text_carries_a_full_id_number(data: dict) -> None:
    # Even a clerk's free text that quotes the number.
    data["reason"] = f"身份证号{ID_NUMBER.lower()}与户籍信息不符"
    data["assessment_result"]["conclusion"] = f"{ID_NUMBER}未达到残疾标准"
    for name in TEMPLATES:
        text = compose(name, data)["text"]
        assert not FULL_ID.search(text), (name, text)
        assert text.startswith("【庐山市残联】")
    assert "身份证号110105********002X与户籍信息不符" in compose("rejected", data)["text"]


def test_reassessed_tells_the_result_and_the_right_to_object(data: dict) -> None:
    message = compose("reassessed", data, signature="师宗县残联")
    assert message["recipient_phone"] == "13800000000"
    assert message["text"] == (
        "【师宗县残联】张三您好，您的重新评定结果为肢体残疾二级（案件号LS-2026-0042）。"
        "如有异议，可自收到本通知之日起10个工作日内向县残联申请复核，复核费用由申请人承担。"
    )


def test_objection_accepted_lists_the_fee_and_its_payer(data: dict) -> None:
    assert compose("objection_accepted", data)["text"].endswith("费用：复核鉴定费（申请人承担）。")


def test_the_township_is_asked_to_post_the_publicity_in_its_area(data: dict) -> None:
    message = compose("township_publicity", data, signature="师宗县残联")
    assert (message["recipient_role"], message["recipient_group"]) == ("township", "township-530323101")
    assert message["text"] == (
        "【师宗县残联】请在本乡镇(街道)辖区内公示天生桥村张三的残疾评定结果（肢体残疾二级，案件号LS-2026-0042），"
        "公示期5个工作日，并通知本人或监护人。公示期内如有异议，请在系统中登记上报。"
    )


def test_a_certificate_withdrawn_is_told_with_its_number_masked(data: dict) -> None:
    text = compose("certificate_withdrawn", data, signature="师宗县残联")["text"]
    assert "康复脱残" in text and "证号110105********002X72" in text


@pytest.mark.parametrize(("template", "group"), [
    ("away_review_request", "county-530323"), ("card_mismatch", "county-530323"),
    ("review_request", "expert-committee"), ("reassessment_publicity", "village-360483100201"),
])
def test_exchange_texts_to_groups(data: dict, template: str, group: str) -> None:
    assert compose(template, data)["recipient_group"] == group


def test_new_card_text_masks_its_number(data: dict) -> None:
    assert "证号110105********002X42" in compose("new_card_ready", data)["text"]


def test_unknown_template_is_named_with_the_templates_there_are(data: dict) -> None:
    with pytest.raises(ValueError) as refused:
        compose("welcome", data)
    said = str(refused.value)
    assert said.startswith("没有名为“welcome”的短信模板，应为新申请到达，提醒残联窗口预审（arrival）、")
    assert all(f"{t.label}（{name}）" in said for name, t in TEMPLATES.items())


@pytest.mark.parametrize(
    ("template", "remove", "field"),
    [
        ("arrival", "applicant_name", "applicant_name"),
        ("appointment", "phone", "phone"),
        ("appointment", "appointment_at", "appointment_at"),
        ("routed", "site", "site[group]"),
        ("publicity_request", "village", "village"),
        ("missing_materials", "materials_result", "materials_result[missing_text]"),
        ("issued", "delivery", "delivery"),
    ],
)
def test_missing_field_names_template_and_field(data: dict, template: str, remove: str, field: str) -> None:
    del data[remove]
    with pytest.raises(ValueError) as refused:
        compose(template, data)
    assert str(refused.value) == f"短信“{TEMPLATES[template].label}”要用到案件数据中的变量 {field}，但它没有值或是空的"


def test_nested_and_empty_fields_are_missing(data: dict) -> None:
    data["site"] = {"group": "hospital-renmin"}
    with pytest.raises(ValueError, match=re.escape("变量 site[parts]，")):
        compose("routed", data)
    data["materials_result"] = {"missing_text": ""}
    with pytest.raises(ValueError, match=re.escape("变量 materials_result[missing_text]，")):
        compose("missing_materials", data)
    data["reason"] = None
    with pytest.raises(ValueError, match="变量 reason，"):
        compose("rejected", data)


def test_unknown_delivery(data: dict) -> None:
    data["delivery"] = "drone"
    with pytest.raises(ValueError) as refused:
        compose("issued", data)
    assert str(refused.value) == "送达方式“drone”不对，应为邮寄（post）、直接送达（in_person）"


def test_unknown_grade(data: dict) -> None:
    data["card_grade"] = 5
    with pytest.raises(ValueError) as refused:
        compose("reassessed", data)
    assert str(refused.value) == "残疾等级“5”不对，应为一级（1）、二级（2）、三级（3）、四级（4）"


def test_mask_id_numbers() -> None:
    assert notifications.mask_id_numbers("号码11010519491231002X，电话13800000000") == (
        "号码110105********002X，电话13800000000"
    )


def test_a_guardians_case_texts_the_guardian_and_says_so(data: dict) -> None:
    data.update(guardian={"needed": True}, guardian_name="王芳", guardian_phone="13900000002")
    message = compose("appointment", data)
    assert message["recipient_phone"] == "13900000002"
    assert message["text"].startswith("【庐山市残联】致监护人王芳：张三您好，")
    assert compose("routed", data)["recipient_group"] == "hospital-renmin"  # staff texts are not redirected
    data["guardian"] = {"needed": False}
    assert compose("appointment", data)["recipient_phone"] == "13800000000"
