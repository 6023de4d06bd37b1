"""The publicity's posting date and an objection's received date decide, not when a clerk or the worker acts."""

from __future__ import annotations

import pytest

from certflow.engine.errors import ValidationFailed

PASS = {"decision": "pass"}
PLACE = "村委会公示栏"


def assessed_on_the_third(start):
    case = start()
    case.complete("pre_review", PASS)
    case.at("2026-09-03T15:00:00+08:00")
    case.assess()
    return case


def refusal(error: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str, str]:
    [found] = error.value.errors
    return found.field, found.message


def test_a_posting_date_before_the_assessment_is_refused_and_the_task_stays_open(start):
    case = assessed_on_the_third(start)
    with pytest.raises(ValidationFailed) as refused:
        case.complete("post_publicity", {"posted_on": "2026-08-20", "posting_place": PLACE}, user="village")
    assert refusal(refused) == ("posted_on", "张贴日期不能早于评定结论作出的日期（2026年9月3日）")
    assert case.task("post_publicity")
    assert case.tick("2026-09-04T00:01:00+08:00") == []  # nothing skipped the publicity


def test_a_posting_date_in_the_future_is_refused(start):
    case = assessed_on_the_third(start)
    case.at("2026-09-04T10:00:00+08:00")
    with pytest.raises(ValidationFailed) as refused:
        case.complete("post_publicity", {"posted_on": "2026-09-07", "posting_place": PLACE}, user="village")
    assert refusal(refused) == ("posted_on", "张贴日期不能晚于今天（2026年9月4日）")


def test_the_five_working_days_run_from_a_posting_date_entered_later(start):
    case = assessed_on_the_third(start)
    case.at("2026-09-07T10:00:00+08:00")  # entered on Monday, posted on Friday
    case.complete("post_publicity", {"posted_on": "2026-09-04", "posting_place": PLACE}, user="village")
    timers = [w["value"] for w in case.view["waiting"] if w["event"] == "TimeDateEventDefinition"]
    assert timers == ["2026-09-12T00:00:00+08:00"]  # 7, 8, 9, 10, 11 September


def posted_on_the_fourth(start):
    case = assessed_on_the_third(start)
    case.at("2026-09-04T10:00:00+08:00")
    case.complete("post_publicity", {"posted_on": "2026-09-04", "posting_place": PLACE}, user="village")
    return case  # the last day of the period is Friday 11 September


def test_an_objection_received_on_the_last_day_is_accepted_when_entered_later(start):
    case = posted_on_the_fourth(start)
    case.at("2026-09-11T23:50:00+08:00")  # before the worker ends the period
    case.message("objection", {"reason": "评定等级有误", "by": "村民王某", "received_on": "2026-09-11"})
    assert case.view["data"]["objection_received"] == {"received_on": "2026-09-11", "last_day": "2026-09-11"}
    assert case.task("reexamine")


def test_an_objection_received_after_the_period_is_refused_even_before_the_worker_ticks(start):
    case = posted_on_the_fourth(start)
    case.at("2026-09-14T09:00:00+08:00")  # the period's timer is due but has not been processed yet
    with pytest.raises(ValidationFailed) as refused:
        case.message("objection", {"reason": "太晚了", "by": "村民", "received_on": "2026-09-12"})
    assert refusal(refused) == (
        "received_on", "公示期已于2026年9月11日届满，2026年9月12日收到的异议不予受理")
    assert [w["name"] for w in case.view["waiting"] if w["name"] == "objection"] == ["objection"]
    assert case.tick("2026-09-14T09:01:00+08:00") == [case.number]
    assert case.task("issue_certificate")


def test_an_objection_without_a_date_counts_from_the_day_it_is_entered(start):
    case = posted_on_the_fourth(start)
    case.at("2026-09-14T08:00:00+08:00")
    with pytest.raises(ValidationFailed, match="2026年9月11日届满"):
        case.message("objection", {"reason": "有异议", "by": "村民"})
    case.at("2026-09-10T16:00:00+08:00")
    case.message("objection", {"reason": "有异议", "by": "村民"})
    assert case.view["data"]["objection_received"]["received_on"] == "2026-09-10"


@pytest.mark.parametrize(("received_on", "message"), [
    ("2026-09-09", "收到异议的日期不能晚于今天（2026年9月8日）"),
    ("2026-09-03", "收到异议的日期不能早于公示张贴日期（2026年9月4日）"),
    ("九月八日", "收到异议的日期应为日期（年-月-日）"),
])
def test_an_objection_dated_out_of_reason_is_refused(start, received_on, message):
    case = posted_on_the_fourth(start)
    case.at("2026-09-08T10:00:00+08:00")
    with pytest.raises(ValidationFailed) as refused:
        case.message("objection", {"reason": "有异议", "by": "村民", "received_on": received_on})
    assert refusal(refused) == ("received_on", message)


def test_an_objection_received_in_the_period_but_entered_after_the_worker_ended_it_is_still_accepted(start):
    case = posted_on_the_fourth(start)
    assert case.tick("2026-09-12T00:05:00+08:00") == [case.number]
    assert case.task("issue_certificate")
    case.at("2026-09-14T09:00:00+08:00")  # the letter of Friday is opened on Monday
    case.message("objection", {"reason": "评定等级有误", "by": "村民王某", "received_on": "2026-09-11"})
    assert case.text("objection_received")["recipient_group"] == "expert-committee"
    assert case.open_tasks()[0]["name"] == "reexamine"  # no certificate is issued meanwhile
    case.complete("reexamine", {"decision": "uphold", "opinion": "经复核，原评定结论正确"}, user="expert")
    case.issue()
    assert case.view["outcome"] == "issued"


def test_an_objection_entered_after_the_worker_ended_the_period_is_refused_when_received_late(start):
    case = posted_on_the_fourth(start)
    case.tick("2026-09-12T00:05:00+08:00")
    case.at("2026-09-14T09:00:00+08:00")
    with pytest.raises(ValidationFailed, match="2026年9月11日届满"):
        case.message("objection", {"reason": "有异议", "by": "村民", "received_on": "2026-09-12"})
    assert case.task("issue_certificate")


def test_the_committee_may_send_a_late_entered_objection_back_to_assessment(start):
    case = posted_on_the_fourth(start)
    case.tick("2026-09-12T00:05:00+08:00")
    case.message("objection", {"reason": "评定等级有误", "by": "村民王某", "received_on": "2026-09-10"})
    case.complete("reexamine", {"decision": "reassess", "opinion": "需重新评定"}, user="expert")
    assert case.task("register_appointment")["group"] == "hospital-renmin"
