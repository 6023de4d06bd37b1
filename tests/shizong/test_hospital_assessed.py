"""Holders assessed by a hospital (非目测): the exchange at the township, and the card voided and made anew."""

from __future__ import annotations

import pytest
from exchange import COUNTY_GROUP, GUARDIAN, TOWNSHIP, shizong_id

from certflow.engine.errors import ValidationFailed


def test_a_matching_holder_exchanges_at_the_township_and_the_register_gets_a_line(start_holder) -> None:
    case = start_holder()
    assert case.number.startswith("SZ-2022-")
    invite = case.text("exchange_invite")
    assert invite["recipient_phone"] == "13800000021"
    assert invite["text"].startswith("【师宗县残联】王秀英您好，您的第三代残疾人证（智能化）已制作完成")
    assert "到雄壁镇残联换领" in invite["text"]
    task = case.task("exchange")
    assert (task["role"], task["group"], task["title"]) == ("township", TOWNSHIP, "核验并换证")
    assert task["due_at"] == "2022-03-30T16:00:00+00:00"  # 10 working days: by the end of 30 March, before the 31st
    assert case.data["old_certificate_valid"] is True

    case.exchange()
    view = case.view
    assert (view["status"], view["outcome"]) == ("completed", "exchanged")
    entry = view["data"]["register_entry"]
    assert entry == {
        "township": TOWNSHIP, "village": "village-530323102204", "applicant_name": "王秀英",
        "certificate_no": entry["card_no"], "card_no": entry["card_no"], "category": "肢体", "grade": 3,
        "old_certificate": "collected", "statement_signed": False, "issued_on": "2022-03-25", "card_remade": False,
    }
    assert entry["card_no"].endswith("43")  # the pre-made card: 肢体 (4), grade 3
    assert view["data"]["old_certificate_valid"] is False
    assert "第二代残疾人证自即日起停止使用" in case.text("exchanged")["text"]
    assert "voided_card" not in view["data"]


@pytest.mark.parametrize("old", ["lost", "damaged"])
def test_a_lost_or_damaged_old_certificate_takes_a_signed_statement(start_holder, old: str) -> None:
    case = start_holder()
    with pytest.raises(ValidationFailed) as refused:
        case.complete("exchange", {"verification": "match", "old_certificate": old, "issued_on": "2022-03-25"},
                      group=TOWNSHIP)
    assert [(e.field, e.message) for e in refused.value.errors] == [("statement_signed", "必填")]
    case.exchange(old=old)
    entry = case.data["register_entry"]
    assert (entry["old_certificate"], entry["statement_signed"]) == (old, True)
    assert case.view["outcome"] == "exchanged"


def test_a_wrong_grade_voids_the_pre_made_card_and_a_new_one_is_made_then_issued(start_holder) -> None:
    case = start_holder()
    premade = case.data["card_no"]
    case.exchange("record_error", note="本人二代证为肢体二级，预制卡为三级")
    mismatch = case.text("card_mismatch")
    assert mismatch["recipient_group"] == COUNTY_GROUP
    assert "本人二代证为肢体二级，预制卡为三级" in mismatch["text"]
    assert case.data["old_certificate_valid"] is True  # the holder keeps using the old one meanwhile
    assert case.task("verify_record")["group"] == COUNTY_GROUP

    case.complete("verify_record", {"card_category": "肢体", "card_grade": 2, "verify_opinion": "经核对档案为肢体二级"},
                  group=COUNTY_GROUP)
    data = case.data
    assert data["voided_card"] == {
        "card_no": premade, "reason": "record_error", "reason_text": "证载残疾类别或等级有误",
        "voided_on": "2022-03-16",
    }
    assert data["card_no"] == premade[:-1] + "2"
    assert case.task("make_card")["group"] == COUNTY_GROUP

    case.complete("make_card", {"made_on": "2022-04-01"}, group=COUNTY_GROUP)
    ready = case.text("new_card_ready")
    assert "重新制作" in ready["text"] and "到雄壁镇残联领取" in ready["text"]
    assert case.task("issue_new_card")["group"] == TOWNSHIP
    case.complete("issue_new_card", {"old_certificate": "collected", "issued_on": "2022-04-06"}, group=TOWNSHIP)
    view = case.view
    assert view["outcome"] == "new_card"
    assert view["data"]["register_entry"]["card_no"] == premade[:-1] + "2"
    assert view["data"]["register_entry"]["card_remade"] is True
    assert view["data"]["old_certificate_valid"] is False


def test_a_person_not_matching_the_certificate_gets_a_new_card_after_the_county_checks(start_holder) -> None:
    case = start_holder(category="视力", grade="一级")
    premade = case.data["card_no"]
    case.exchange("person_mismatch", note="照片与本人不符，需重新采集信息")
    case.complete("verify_record", {"card_category": "视力", "card_grade": 1, "verify_opinion": "已重新采集照片"},
                  group=COUNTY_GROUP)
    voided = case.data["voided_card"]
    assert (voided["card_no"], voided["reason"], voided["reason_text"]) == (premade, "person_mismatch", "人证不符")
    assert case.data["card_no"] == premade  # category and grade hold: the new card keeps the number
    case.make_and_issue_new_card(old="damaged")
    entry = case.data["register_entry"]
    assert (entry["card_remade"], entry["old_certificate"], entry["statement_signed"]) == (True, "damaged", True)
    assert case.view["outcome"] == "new_card"


@pytest.mark.parametrize("holder", [{"category": "智力"}, {"id_number": shizong_id("20100505", "023")}],
                         ids=["intellectual", "minor"])
def test_the_texts_of_a_holder_with_a_guardian_go_to_the_guardian(start_holder, holder: dict) -> None:
    case = start_holder(**GUARDIAN, **holder)
    invite = case.text("exchange_invite")
    assert invite["recipient_phone"] == "13900000002"
    assert invite["text"].startswith("【师宗县残联】致监护人王建国：王秀英您好，您的第三代残疾人证")
    case.exchange()
    assert case.text("exchanged")["recipient_phone"] == "13900000002"
