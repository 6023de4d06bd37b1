"""A whole online case on a fixed clock, across the 2026 National Day holiday."""

from __future__ import annotations

from datetime import datetime

from certflow.engine.calendar import CHINA_TZ


def china_date(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(CHINA_TZ).date().isoformat()


def test_publicity_over_national_day_ends_after_five_working_days_and_the_certificate_is_issued_then(start):
    # Posted Wednesday 30 September. 1–7 October are holidays (4 October a Sunday); Saturday
    # 10 October is a make-up working day. Working days: 8, 9, 10, 12, 13 October.
    case = start()
    case.at("2026-09-24T09:00:00+08:00")
    case.complete("pre_review", {"decision": "pass"})
    case.at("2026-09-28T10:00:00+08:00")
    case.assess()
    case.at("2026-09-30T10:00:00+08:00")
    case.post_publicity("2026-09-30")
    waiting = [w for w in case.view["waiting"] if w["event"] == "TimeDateEventDefinition"]
    assert [w["value"] for w in waiting] == ["2026-10-14T00:00:00+08:00"]

    assert case.tick("2026-10-09T17:00:00+08:00") == []
    assert case.tick("2026-10-13T23:59:00+08:00") == []
    assert case.open_tasks() == []
    assert case.tick("2026-10-14T00:05:00+08:00") == [case.number]

    issue = case.task("issue_certificate")
    assert china_date(issue["created_at"]) == "2026-10-14"
    assert issue["due_at"] == "2026-10-21T16:00:00+00:00"  # 5 working days: the end of 21 October

    case.at("2026-10-14T10:00:00+08:00")
    case.issue("post", issued_on="2026-10-14")
    view = case.view
    assert view["outcome"] == "issued"
    assert china_date(view["ended_at"]) == "2026-10-14"
    assert view["data"]["issued_on"] == "2026-10-14"
