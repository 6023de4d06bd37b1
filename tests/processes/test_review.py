"""复核 after 不符合标准 (Lushan): the applicant may ask the expert committee within 10 working days."""

from __future__ import annotations

import pytest

from certflow.engine.errors import ValidationFailed

PASS = {"decision": "pass"}


def not_met(start, process: str = "application_online"):
    case = start(process) if process == "application_online" else start(
        process, materials=["id_card", "household_register", "photos", "application_form"])
    case.complete("pre_review" if process == "application_online" else "window_review", PASS)
    case.assess(meets=False, conclusion="肢体功能障碍程度未达到残疾标准")
    return case  # told on Tuesday 1 September 2026: the 10 working days end on Tuesday 15 September


def test_the_text_says_how_and_until_when_to_ask_for_re_examination(start):
    case = not_met(start)
    assert case.text("not_met_review")["text"] == (
        "【庐山市残联】李明您好，经评定您未达到残疾标准（案件号LS-2026-000001），"
        "评定结论：肢体功能障碍程度未达到残疾标准。如有异议，可在2026年9月15日前（含当日）通过网上办理进度查询页面"
        "或到残联综合窗口申请复核，由评残专家委员会复核；逾期未申请的，本次申请办结，不予办理残疾人证。")
    assert case.view["status"] == "running" and case.open_tasks() == []
    assert [w["name"] for w in case.view["waiting"] if w["name"] == "review_request"] == ["review_request"]
    assert case.tick("2026-09-15T23:59:00+08:00") == []
    assert case.tick("2026-09-16T00:01:00+08:00") == [case.number]
    assert (case.view["status"], case.view["outcome"]) == ("completed", "not_met")


def test_the_committee_upholds_and_the_case_ends_not_met(start):
    case = not_met(start)
    case.at("2026-09-14T10:00:00+08:00")
    case.message("review_request", {"reason": "本人行走困难，评定过轻"})
    assert case.text("not_met_review_request")["recipient_group"] == "expert-committee"
    task = case.task("committee_review")
    assert (task["role"], task["group"]) == ("expert_committee", "expert-committee")
    case.complete("committee_review", {"decision": "uphold", "opinion": "经复核，原评定结论正确"}, user="expert")
    assert "维持未达到残疾标准的评定结论。复核意见：经复核，原评定结论正确。" in case.text("review_upheld")["text"]
    assert (case.view["status"], case.view["outcome"]) == ("completed", "not_met")


def test_the_committee_orders_a_re_assessment_that_meets_the_standard(start):
    case = not_met(start, "application_offline")
    case.message("review_request", {"reason": "评定过轻", "received_on": "2026-09-01"})
    case.complete("committee_review", {"decision": "reassess", "opinion": "需重新评定"}, user="expert")
    assert "决定由定点医院重新评定" in case.text("review_reassess")["text"]
    case.assess(grade=4, conclusion="重新评定为肢体残疾四级")
    case.post_publicity()
    case.tick("2026-09-18T00:01:00+08:00")
    case.issue()
    assert case.view["outcome"] == "issued" and case.view["data"]["certificate_no"].endswith("44")


def test_a_re_assessment_still_not_met_ends_without_a_second_review(start):
    case = not_met(start)
    case.message("review_request", {"reason": "评定过轻"})
    case.complete("committee_review", {"decision": "reassess", "opinion": "需重新评定"}, user="expert")
    case.assess(meets=False, conclusion="仍未达到残疾标准")
    assert "您仍未达到残疾标准" in case.text("not_met_final")["text"]
    assert (case.view["status"], case.view["outcome"]) == ("completed", "not_met")


def test_a_request_received_after_the_tenth_working_day_is_refused_with_the_last_day(start):
    case = not_met(start)
    case.at("2026-09-15T23:59:00+08:00")  # entered before the worker closes the period
    with pytest.raises(ValidationFailed) as refused:
        case.message("review_request", {"reason": "评定过轻", "received_on": "2026-09-16"})
    [error] = refused.value.errors
    assert (error.field, error.message) == ("received_on", "收到复核申请的日期不能晚于今天（2026年9月15日）")
    case.at("2026-09-16T08:00:00+08:00")
    with pytest.raises(ValidationFailed, match="期限已于2026年9月15日届满，2026年9月16日收到的复核申请不予受理"):
        case.message("review_request", {"reason": "评定过轻"})
    case.message("review_request", {"reason": "评定过轻", "received_on": "2026-09-15"})  # mailed in on the last day
    assert case.task("committee_review")
