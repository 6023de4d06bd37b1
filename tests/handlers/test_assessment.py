import pytest

from handlers import assessment

RENMIN = ("庐山市人民医院", "hospital-renmin")
ANDING = ("庐山安定医院", "hospital-anding")


def result(hospital: str, parts: list[str], meets: bool, grade: int | None, conclusion: str) -> dict:
    return {"hospital": hospital, "parts": parts, "meets_standard": meets, "grade": grade, "conclusion": conclusion}


def test_sites_single() -> None:
    assert assessment.sites([RENMIN[0]], [RENMIN[1]], ["肢体"]) == [
        {"hospital": "庐山市人民医院", "group": "hospital-renmin", "parts": ["肢体"]},
    ]


def test_sites_grouped_in_first_seen_order() -> None:
    sites = assessment.sites(
        [ANDING[0], RENMIN[0], ANDING[0], RENMIN[0]],
        [ANDING[1], RENMIN[1], ANDING[1], RENMIN[1]],
        ["精神", "肢体", "智力", "视力"],
    )
    assert sites == [
        {"hospital": "庐山安定医院", "group": "hospital-anding", "parts": ["精神", "智力"]},
        {"hospital": "庐山市人民医院", "group": "hospital-renmin", "parts": ["肢体", "视力"]},
    ]


def test_sites_part_listed_once() -> None:
    sites = assessment.sites([RENMIN[0], RENMIN[0]], [RENMIN[1], RENMIN[1]], ["肢体", "肢体"])
    assert sites[0]["parts"] == ["肢体"]


def test_sites_unequal_lists() -> None:
    with pytest.raises(ValueError) as refused:
        assessment.sites([RENMIN[0], ANDING[0]], [RENMIN[1]], ["肢体", "精神"])
    assert str(refused.value) == "评残机构分派结果的三列行数不一致：评残机构 2 行，评残机构用户组 1 行，残疾类别 2 行"


def test_sites_none_matched() -> None:
    with pytest.raises(ValueError) as refused:
        assessment.sites([], [], [])
    assert str(refused.value) == "没有与本案件相符的定点评残机构：评残机构分派表没有一行适用于本案件的残疾类别"


def test_sites_inconsistent_group() -> None:
    with pytest.raises(ValueError) as refused:
        assessment.sites([RENMIN[0], RENMIN[0]], [RENMIN[1], ANDING[1]], ["肢体", "视力"])
    assert str(refused.value) == f"评残机构“{RENMIN[0]}”被分派给两个用户组：“{RENMIN[1]}”和“{ANDING[1]}”"


def test_combine_single_met() -> None:
    combined = assessment.combine("肢体", [result(RENMIN[0], ["肢体"], True, 3, "肢体残疾三级")])
    assert combined == {
        "meets_standard": True,
        "category": "肢体",
        "category_code": 4,
        "grade": 3,
        "parts": ["肢体"],
        "conclusion": "肢体残疾三级",
    }


def test_combine_not_met() -> None:
    combined = assessment.combine("听力", [result(RENMIN[0], ["听力"], False, None, "未达到残疾标准")])
    assert combined == {
        "meets_standard": False,
        "category": "听力",
        "category_code": None,
        "grade": None,
        "parts": [],
        "conclusion": "未达到残疾标准",
    }


def test_combine_multiple_takes_most_severe_grade() -> None:
    combined = assessment.combine(
        "多重",
        [
            result(RENMIN[0], ["肢体"], True, 3, "肢体残疾三级"),
            result(ANDING[0], ["精神"], True, 2, "精神残疾二级"),
        ],
    )
    assert combined == {
        "meets_standard": True,
        "category": "多重",
        "category_code": 7,
        "grade": 2,
        "parts": ["肢体", "精神"],
        "conclusion": "庐山市人民医院：肢体残疾三级；庐山安定医院：精神残疾二级",
    }


def test_combine_multiple_at_one_hospital() -> None:
    combined = assessment.combine("多重", [result(RENMIN[0], ["肢体", "视力"], True, 1, "肢体一级、视力二级")])
    assert (combined["category"], combined["category_code"], combined["grade"]) == ("多重", 7, 1)
    assert combined["parts"] == ["肢体", "视力"]


def test_combine_multiple_only_one_part_met() -> None:
    combined = assessment.combine(
        "多重",
        [
            result(RENMIN[0], ["听力"], False, None, "听力未达到残疾标准"),
            result(ANDING[0], ["智力"], True, 4, "智力残疾四级"),
        ],
    )
    assert combined["meets_standard"] is True
    assert (combined["category"], combined["category_code"], combined["grade"]) == ("智力", 5, 4)
    assert combined["parts"] == ["智力"]
    assert combined["conclusion"] == "庐山市人民医院：听力未达到残疾标准；庐山安定医院：智力残疾四级"


def test_combine_multiple_none_met() -> None:
    combined = assessment.combine(
        "多重",
        [
            result(RENMIN[0], ["视力"], False, None, "视力未达到残疾标准"),
            result(ANDING[0], ["精神"], False, None, "精神未达到残疾标准"),
        ],
    )
    assert combined["meets_standard"] is False
    assert combined["grade"] is None
    assert combined["conclusion"] == "庐山市人民医院：视力未达到残疾标准；庐山安定医院：精神未达到残疾标准"


PARTS = "视力、听力、言语、肢体、智力、精神"  # a part assessed is never 多重


def test_combine_empty() -> None:
    with pytest.raises(ValueError) as refused:
        assessment.combine("肢体", [])
    assert str(refused.value) == "没有可以合并的评定：各评残机构的评定结果是空的"


def test_combine_unknown_category() -> None:
    with pytest.raises(ValueError) as refused:
        assessment.combine("腿", [result(RENMIN[0], ["肢体"], True, 3, "")])
    assert str(refused.value) == "残疾类别“腿”不对，应为视力、听力、言语、肢体、智力、精神、多重之一"


@pytest.mark.parametrize(("grade", "shown"), [(None, "（空值）"), (0, "“0”"), (5, "“5”"), (True, "“True”")])
def test_combine_met_needs_a_grade(grade: object, shown: str) -> None:
    with pytest.raises(ValueError) as refused:
        assessment.combine("肢体", [result(RENMIN[0], ["肢体"], True, grade, "肢体残疾")])  # type: ignore[arg-type]
    assert str(refused.value) == (
        f"{RENMIN[0]}的评定符合标准，但残疾等级{shown}不对，应为一级（1）、二级（2）、三级（3）、四级（4）")


def test_combine_met_needs_a_part() -> None:
    with pytest.raises(ValueError) as refused:
        assessment.combine("肢体", [result(RENMIN[0], [], True, 2, "肢体残疾二级")])
    assert str(refused.value) == f"{RENMIN[0]}的评定符合标准，但没有写明评定的残疾类别"


def test_combine_unknown_part() -> None:
    with pytest.raises(ValueError) as refused:
        assessment.combine("多重", [result(RENMIN[0], ["多重", "腿"], True, 2, "")])
    assert str(refused.value) == f"{RENMIN[0]}的评定中，残疾类别“多重”、“腿”不对，应为{PARTS}之一"


def _verdicts(hospital: str, *verdicts: tuple[str, bool, int | None]) -> dict:
    return {"hospital": hospital, "parts": [v[0] for v in verdicts],
            "verdicts": [{"part": p, "meets_standard": m, "grade": g, "conclusion": f"{p}结论"}
                         for p, m, g in verdicts]}


def test_each_part_counts_by_its_own_verdict_at_one_hospital() -> None:
    from handlers.assessment import combine

    both = combine("多重", [_verdicts("庐山市人民医院", ("肢体", True, 3), ("听力", True, 1))])
    assert (both["category_code"], both["grade"], both["parts"]) == (7, 1, ["肢体", "听力"])
    one = combine("多重", [_verdicts("庐山市人民医院", ("肢体", True, 3), ("听力", False, None))])
    assert (one["category"], one["category_code"], one["grade"]) == ("肢体", 4, 3)
    across = combine("多重", [_verdicts("庐山市人民医院", ("肢体", False, None)),
                              _verdicts("庐山安定医院", ("智力", True, 2), ("精神", True, 3))])
    assert (across["category_code"], across["grade"], across["parts"]) == (7, 2, ["智力", "精神"])
    none = combine("多重", [_verdicts("庐山市人民医院", ("肢体", False, None), ("听力", False, None))])
    assert (none["meets_standard"], none["category_code"], none["grade"]) == (False, None, None)


def test_a_part_verdict_meeting_the_standard_without_a_grade_is_an_error() -> None:
    from handlers.assessment import combine

    with pytest.raises(ValueError) as refused:
        combine("多重", [_verdicts("庐山市人民医院", ("肢体", True, None), ("听力", True, 2))])
    assert str(refused.value) == (
        "庐山市人民医院评定肢体残疾符合标准，但残疾等级（空值）不对，应为一级（1）、二级（2）、三级（3）、四级（4）")


def test_a_part_verdict_of_an_unknown_part_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError) as refused:
        assessment.combine("多重", [_verdicts("庐山市人民医院", ("腿", True, 2))])
    assert str(refused.value) == f"庐山市人民医院的评定结论中，残疾类别“腿”不对，应为{PARTS}之一"
