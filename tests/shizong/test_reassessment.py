"""Holders assessed by eye (目测): re-assessment, then the exchange, or publicity and a new card; home visits,
holders working away, objections to an assessment."""

from __future__ import annotations

from exchange import COUNTY_GROUP, EXPERTS, GUARDIAN, KANGNING, RENMIN, TCM, TOWNSHIP


def test_the_township_serves_the_notice_and_the_holder_is_told_where_to_be_assessed(start_holder) -> None:
    case = start_holder(basis="目测")
    assert case.texts == []  # a written notice, with a receipt to tear off, not a text
    assert (case.task("serve_notice")["group"], case.task("serve_notice")["title"]) == (TOWNSHIP, "送达重评告知书")
    case.serve_notice()
    notice = case.text("reassessment_notice")
    assert "到雄壁镇卫生院参加评定（评定机构：师宗县中医医院）" in notice["text"]
    assert "医学辅助检查和照片费用由个人自理" in notice["text"]
    task = case.task("reassess")
    assert (task["role"], task["group"], task["title"]) == ("hospital", TCM, "重新评定")


def test_unchanged_after_re_assessment_the_holder_exchanges_at_the_township(start_holder) -> None:
    case = start_holder(basis="目测")
    case.serve_notice()
    case.reassess("肢体", 3, group=TCM)
    told = case.text("reassessed")
    assert "重新评定结果为肢体残疾三级" in told["text"]
    assert "10个工作日内向县残联申请复核，复核费用由申请人承担" in told["text"]
    assert case.open_tasks() == []
    assert {w["name"] for w in case.view["waiting"]} == {"异议期满", "assessment_objection"}
    assert case.data["objection_ends"] == "2022-03-31T00:00:00+08:00"  # 10 working days after 16 March

    case.close_objection_window()
    assert case.text("exchange_invite")
    case.exchange()
    view = case.view
    assert view["outcome"] == "exchanged"
    assert view["data"]["register_entry"]["card_no"] == view["data"]["certificate_no"]
    assert "reassessment_publicity" not in [t["template"] for t in case.texts]


def test_changed_after_re_assessment_publicity_then_a_new_card(start_holder) -> None:
    case = start_holder(basis="目测", category="精神", grade="四级", **GUARDIAN)
    case.serve_notice()
    assert case.task("reassess")["group"] == KANGNING
    case.reassess("精神", 2, group=KANGNING)
    case.close_objection_window()
    # The township posts the result in its area (plan 五(四)), not the village.
    request = case.text("township_publicity")
    assert request["recipient_group"] == TOWNSHIP
    assert "请在本乡镇(街道)辖区内公示天生桥村" in request["text"] and "精神残疾二级" in request["text"]
    task = case.task("post_publicity_township")
    assert (task["role"], task["group"]) == ("township", TOWNSHIP)
    assert case.data["old_certificate_valid"] is True

    case.post_township_publicity("2022-04-01")
    # 5 working days after 1 April: Saturday 2 April was a working day, the Qingming holidays (3-5 April) were not.
    assert case.tick("2022-04-11T23:55:00+08:00") == []
    assert case.tick("2022-04-12T00:05:00+08:00") == [case.number]
    data = case.data
    assert data["voided_card"]["reason"] == "reassessed"
    assert data["voided_card"]["card_no"].endswith("64")
    assert data["card_no"] == data["certificate_no"][:-2] + "62"
    assert data["old_certificate_valid"] is True  # until the new card is in the holder's hands
    case.make_and_issue_new_card()
    view = case.view
    assert view["outcome"] == "new_card"
    assert (view["data"]["register_entry"]["category"], view["data"]["register_entry"]["grade"]) == ("精神", 2)
    assert view["data"]["old_certificate_valid"] is False


def test_an_objection_during_publicity_goes_to_shizongs_expert_committee(start_holder) -> None:
    case = start_holder(basis="目测", category="听力", grade="三级")
    case.serve_notice()
    case.reassess("听力", 4, group=RENMIN)
    case.close_objection_window()
    case.post_township_publicity("2022-04-01")
    case.message("objection", {"reason": "持证人听力情况与评定结果不符", "by": "同村村民"})
    assert case.text("objection_received")["recipient_group"] == EXPERTS
    assert case.task("reexamine")["group"] == EXPERTS
    case.complete("reexamine", {"decision": "reassess", "opinion": "需重新评定"}, group=EXPERTS)
    assert case.task("reassess")["group"] == RENMIN  # back to the institution, not to the township


def test_a_home_visit_holder_is_assessed_at_home(start_holder) -> None:
    case = start_holder(basis="目测", category="多重", grade="一级", home_visit="是")
    assert case.data["home_visit"] is True
    case.serve_notice("home_visit")
    home = case.text("home_visit_notice")
    assert "师宗县人民医院的评定医生将上门为您评定" in home["text"]
    task = case.task("home_visit_assess")
    assert (task["group"], task["title"]) == (RENMIN, "上门评定")
    assert task["due_at"] == "2022-04-07T16:00:00+00:00"  # 15 working days: 2 April worked, 3-5 April holidays
    case.reassess("多重", 1, group=RENMIN, task="home_visit_assess")
    case.close_objection_window()
    case.exchange()
    assert case.view["outcome"] == "exchanged"


def test_an_objection_is_re_examined_by_the_expert_committee_at_the_applicants_expense(start_holder) -> None:
    case = start_holder(basis="目测")
    case.serve_notice()
    case.reassess("肢体", 4, group=TCM)
    case.message("assessment_objection", {"reason": "本人认为肢体残疾程度重于四级", "by": "王秀英"})
    assert case.data["review_fees"] == {
        "items": [{"item": "复核鉴定费", "payer": "applicant", "payer_label": "申请人承担"}],
    }
    assert case.text("objection_accepted")["text"].endswith("费用：复核鉴定费（申请人承担）。")
    assert case.text("review_request")["recipient_group"] == EXPERTS
    task = case.task("expert_review")
    assert (task["role"], task["group"]) == ("expert_committee", EXPERTS)

    case.complete("expert_review", {"fee_paid": True, "meets_standard": True, "reviewed_category": "肢体",
                                    "reviewed_grade": 3,
                                    "review_opinion": "复核维持原肢体残疾三级"}, group=EXPERTS)
    # Back to the grade of the old certificate: nothing to publish, the pre-made card is the right one.
    assert case.data["assessment_changed"] is False
    case.exchange()
    assert case.view["outcome"] == "exchanged"


def test_a_re_examination_that_changes_the_grade_leads_to_publicity(start_holder) -> None:
    case = start_holder(basis="目测")
    case.serve_notice()
    case.reassess("肢体", 3, group=TCM)
    case.message("assessment_objection", {"reason": "评定时未携带病历", "by": "王秀英"})
    case.complete("expert_review", {"fee_paid": True, "meets_standard": True, "reviewed_category": "肢体",
                                    "reviewed_grade": 2,
                                    "review_opinion": "复核评定为肢体残疾二级"}, group=EXPERTS)
    assert "肢体残疾二级" in case.text("township_publicity")["text"]
    assert case.task("post_publicity_township")


def test_working_away_assessed_elsewhere_approved_by_the_county(start_holder) -> None:
    case = start_holder(basis="目测", category="言语", grade="三级")
    case.serve_notice("away")
    request = case.text("away_review_request")
    assert request["recipient_group"] == COUNTY_GROUP
    assert "原件邮寄至县残联" in request["text"]
    assert [t["name"] for t in case.open_tasks()] == ["review_away"]
    assert case.task("review_away")["group"] == COUNTY_GROUP

    case.complete("review_away", {"received_on": "2022-04-20", "assessed_at": "某市第一人民医院（具备评残资格）",
                                  "away_decision": "approve", "assessed_category": "言语", "assessed_grade": 3,
                                  "conclusion": "言语残疾三级"}, group=COUNTY_GROUP)
    assert "言语残疾三级" in case.text("reassessed")["text"]
    case.close_objection_window()
    case.exchange()
    assert case.view["outcome"] == "exchanged"


def test_working_away_assessment_not_approved_is_redone_by_the_county_institution(start_holder) -> None:
    case = start_holder(basis="目测", category="智力", grade="二级", **GUARDIAN)
    case.serve_notice("away")
    case.complete("review_away", {"received_on": "2022-04-20", "assessed_at": "某县诊所", "away_decision": "reject",
                                  "away_reason": "评定机构不具备评残资格"}, group=COUNTY_GROUP)
    rejected = case.text("away_rejected")
    assert "原因：评定机构不具备评残资格" in rejected["text"]
    assert "到雄壁镇卫生院参加重新评定（评定机构：师宗康宁精神病专科医院）" in rejected["text"]
    assert case.task("reassess")["group"] == KANGNING
    assert "assessment_changed" in case.data and case.data["old_certificate_valid"] is True
