"""多重 assessed at one hospital: each part its own verdict and grade (GB/T 26341-2010), then one result."""

from __future__ import annotations

PASS = {"decision": "pass"}
APPOINTMENT = {"appointment_at": "2026-09-08T09:30:00+08:00", "appointment_place": "庐山市人民医院门诊楼三楼",
               "bring_items": ["居民身份证"]}


def assessed(start, *verdicts):
    """A 多重 case of 肢体 and 听力, both assessed at 庐山市人民医院, one verdict per part in that order."""
    case = start(category="多重", parts=["肢体", "听力"])
    case.complete("pre_review", PASS)
    case.complete("register_appointment", APPOINTMENT, group="hospital-renmin")
    for part, (meets, grade) in zip(["肢体", "听力"], verdicts, strict=True):
        task = case.task("assess", group="hospital-renmin")
        assert task["title"] == f"鉴定并审核（{part}）"
        result = {"meets_standard": meets, "conclusion": f"{part}{'符合' if meets else '未达到'}残疾标准"}
        if meets:
            result["grade"] = grade
        case.complete("assess", result, group="hospital-renmin")
    return case


def test_two_parts_met_make_category_7_at_the_most_severe_grade(start):
    case = assessed(start, (True, 3), (True, 2))
    result = case.view["data"]["assessment_result"]
    assert (result["category"], result["category_code"], result["grade"]) == ("多重", 7, 2)
    assert result["verdicts"] == [{"part": "肢体", "meets_standard": True, "grade": 3},
                                  {"part": "听力", "meets_standard": True, "grade": 2}]
    case.post_publicity()
    case.tick("2026-09-18T00:01:00+08:00")
    case.issue()
    assert case.view["data"]["certificate_no"].endswith("72")


def test_one_part_met_gives_that_parts_category_and_grade(start):
    case = assessed(start, (False, None), (True, 4))
    result = case.view["data"]["assessment_result"]
    assert (result["category"], result["category_code"], result["grade"], result["parts"]) == ("听力", 2, 4, ["听力"])
    assert "听力（庐山市人民医院）：听力符合残疾标准" in result["conclusion"]
    case.post_publicity()
    case.tick("2026-09-18T00:01:00+08:00")
    case.issue()
    assert case.view["data"]["certificate_no"].endswith("24")


def test_no_part_met_ends_not_met(start):
    case = assessed(start, (False, None), (False, None))
    assert case.view["data"]["assessment_result"]["meets_standard"] is False
    assert "未达到残疾标准" in case.text("not_met_review")["text"]
