"""Every path of the offline application at the hospital window (flow 1), through the engine."""

from __future__ import annotations

OFFLINE_MATERIALS = ["id_card", "household_register", "photos", "application_form"]


def offline(start, **changes):
    changes.setdefault("materials", OFFLINE_MATERIALS)
    return start("application_offline", **changes)


def test_the_window_reviews_without_an_arrival_text(start):
    case = offline(start)
    assert case.task("window_review")["group"] == "window"
    assert [t["template"] for t in case.texts] == []
    assert case.view["data"]["channel"] == "offline"


def test_window_rejection_ends_the_case_with_the_reason(start):
    case = offline(start)
    case.complete("window_review", {"decision": "reject", "reason": "非庐山市户籍"})
    assert case.view["outcome"] == "rejected"
    assert "非庐山市户籍" in case.text("rejected")["text"]


def test_missing_household_register_is_told_and_the_case_resumes(start):
    case = offline(start, materials=["id_card", "photos", "application_form"])
    assert case.view["data"]["materials_result"]["missing"] == ["household_register"]
    case.complete("window_review", {"decision": "missing"})
    assert "户口本" in case.text("missing_listed")["text"]
    case.message("materials_supplied", {"materials": ["household_register"]})
    assert case.view["data"]["materials_result"]["missing"] == []
    case.complete("window_review", {"decision": "pass"})
    assert case.task("register_appointment")


def test_offline_case_not_meeting_the_standard(start):
    case = offline(start, category="听力")
    case.complete("window_review", {"decision": "pass"})
    case.assess(meets=False, conclusion="听力损失未达到残疾标准")
    assert "2026年9月15日前" in case.text("not_met_review")["text"]
    case.tick("2026-09-16T00:01:00+08:00")  # no re-examination asked for within 10 working days
    assert case.view["outcome"] == "not_met"


def test_offline_case_from_application_to_certificate(start):
    case = offline(start, category="精神",
                   materials=OFFLINE_MATERIALS + ["guardian_proof", "medical_records"])
    case.complete("window_review", {"decision": "pass"})
    case.assess(group="hospital-anding", grade=2, conclusion="精神残疾二级")
    case.post_publicity()
    case.tick("2026-09-18T00:01:00+08:00")
    case.issue("in_person")
    view = case.view
    assert view["outcome"] == "issued"
    assert view["data"]["certificate_no"].endswith("62")
