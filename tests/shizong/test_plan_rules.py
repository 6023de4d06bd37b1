"""The plan's rules beyond the exchange itself: new applicants (新评定对象) assessed at home for their first
certificate, holders who no longer meet any standard (康复脱残), the township's publicity, and appointments
moved when the epidemic stops the assessments (另行通知)."""

from __future__ import annotations

import pytest
from exchange import COUNTY_GROUP, EXPERTS, GUARDIAN, HOLDER_ID, KANGNING, RENMIN, TCM, TOWNSHIP

from certflow.engine.errors import ValidationFailed
from certflow.engine.runtime import Runtime


def test_a_new_applicant_is_assessed_at_home_then_publicised_by_the_township_and_gets_a_first_card(
        start_holder, runtime: Runtime) -> None:
    case = start_holder(basis="新评定", grade="", home_visit="是")
    assert "grade" not in case.data and "certificate_no" not in case.data
    assert case.data["old_certificate_valid"] is False  # nothing to keep valid: no certificate yet
    notice = case.text("first_assessment_notice")
    assert "师宗县中医医院的评定医生将上门为您进行残疾评定" in notice["text"]
    assert "serve_notice" not in [t["name"] for t in case.open_tasks()]  # no re-assessment notice for them
    task = case.task("home_visit_assess")
    assert (task["role"], task["group"]) == ("hospital", TCM)

    case.reassess("肢体", 2, group=TCM, task="home_visit_assess")
    told = case.text("first_assessed")["text"]
    assert "您的残疾评定结果为肢体残疾二级" in told and "重新评定" not in told
    case.close_objection_window()
    assert case.text("township_publicity")["recipient_group"] == TOWNSHIP
    case.post_township_publicity("2022-04-01")
    assert case.tick("2022-04-12T00:05:00+08:00") == [case.number]
    data = case.data
    assert "voided_card" not in data  # no pre-made card to void
    assert data["card_no"] == HOLDER_ID + "42"  # the ID number, 肢体 4, 二级 2
    case.complete("make_card", {"made_on": "2022-04-20"}, user="county-clerk", group=COUNTY_GROUP)
    assert "将由雄壁镇残联送达发放" in case.text("first_card_ready")["text"]
    assert "issue_new_card" not in [t["name"] for t in case.open_tasks()]  # no old certificate to take back
    case.complete("issue_first_card", {"received_by": "guardian", "issued_on": "2022-04-25"},
                  user="township-clerk", group=TOWNSHIP)
    view = case.view
    assert view["outcome"] == "first_card"
    assert view["data"]["register_entry"]["old_certificate"] is None
    assert "有效期10年" in case.text("first_card_issued")["text"]


def test_a_new_applicant_who_meets_no_standard_is_told_and_the_case_ends(start_holder) -> None:
    case = start_holder(basis="新评定", grade="", home_visit="是", category="精神", **GUARDIAN)
    case.reassess(None, group=KANGNING, task="home_visit_assess")
    assert "经评定，您目前不符合残疾标准" in case.text("assessed_not_met")["text"]
    case.close_objection_window()
    view = case.view
    assert (view["status"], view["outcome"]) == ("completed", "not_met")
    assert "本次不予办理残疾人证" in case.text("first_not_met")["text"]
    assert "township_publicity" not in [t["template"] for t in case.texts]


def test_a_holder_who_no_longer_meets_any_standard_has_the_certificate_withdrawn(start_holder) -> None:
    case = start_holder(basis="目测", category="听力", grade="四级")
    case.serve_notice()
    case.reassess(None, group=RENMIN)  # the form no longer demands a grade
    assert "经评定，您目前不符合残疾标准" in case.text("assessed_not_met")["text"]
    case.close_objection_window()
    publicity = case.text("township_publicity_not_met")
    assert publicity["recipient_group"] == TOWNSHIP and "不再符合残疾标准" in publicity["text"]
    case.post_township_publicity("2022-04-01")
    assert case.tick("2022-04-12T00:05:00+08:00") == [case.number]
    data = case.data
    assert (data["voided_card"]["reason"], data["voided_card"]["card_no"]) == ("rehabilitated", data["certificate_no"])
    assert data["old_certificate_valid"] is True  # until the township has it back
    withdrawn = case.text("certificate_withdrawn")["text"]
    assert "康复脱残" in withdrawn and "由雄壁镇残联收回注销" in withdrawn
    assert "make_card" not in [t["name"] for t in case.open_tasks()]
    task = case.task("withdraw_certificate")
    assert (task["role"], task["group"]) == ("township", TOWNSHIP)
    case.complete("withdraw_certificate", {"old_certificate": "lost", "statement_signed": True,
                                           "withdrawn_on": "2022-04-15"}, user="township-clerk", group=TOWNSHIP)
    view = case.view
    assert view["outcome"] == "withdrawn"
    assert view["data"]["old_certificate_valid"] is False
    assert view["data"]["withdrawal_entry"]["statement_signed"] is True


def test_the_expert_committee_may_find_no_standard_met_on_an_objection(start_holder) -> None:
    case = start_holder(basis="目测")
    case.serve_notice()
    case.reassess("肢体", 4, group=TCM)
    case.message("assessment_objection", {"reason": "本人认为已康复", "by": "王秀英"})
    case.complete("expert_review", {"fee_paid": True, "meets_standard": False, "review_opinion": "已不符合残疾标准"},
                  group=EXPERTS)
    assert case.data["rehabilitated"] is True
    assert case.text("township_publicity_not_met")


def test_a_re_assessment_with_a_grade_missing_is_refused_with_the_reason(start_holder) -> None:
    case = start_holder(basis="目测")
    case.serve_notice()
    with pytest.raises(ValidationFailed) as refused:
        case.complete("reassess", {"meets_standard": True, "assessed_category": "肢体", "doctor": "评残医生甲",
                                   "conclusion": "肢体残疾", "assessed_on": "2022-04-06"}, group=TCM)
    assert [(e.field, e.message) for e in refused.value.errors] == [("assessed_grade", "必填")]
    assert case.task("reassess")


def test_a_moved_appointment_texts_the_holder_and_stays_in_the_history(start_holder, runtime: Runtime) -> None:
    case = start_holder(basis="目测")
    case.serve_notice()
    move = {"reason": "疫情防控需要", "day": "2022-04-20", "day_text": "2022年4月20日（星期三）",
            "place": "雄壁镇卫生院"}
    case.message("appointment_moved", move)
    text = case.text("appointment_moved")["text"]
    assert "因疫情防控需要，您的残疾评定时间改为2022年4月20日（星期三），地点：雄壁镇卫生院" in text
    assert case.task("reassess")  # still to be assessed, on the new day
    received = [e for e in runtime.history(case.number) if e["kind"] == "message_received"]
    assert received[-1]["data"]["payload"] == move
