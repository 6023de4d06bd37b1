"""Routing a case to its designated hospitals, and one result from their assessments.

The routing decision (``hospital_routing``, hit policy COLLECT) returns one list per output, a
row per part: ``hospital``, ``hospital_group`` and ``part``. A multiple disability (多重) is
assessed at every hospital its parts belong to; the federation then combines the results by the
national measures: a multiple disability takes the grade of its most severe part and lists every
part.
"""

from __future__ import annotations

from typing import Any

from certflow.engine.disability import CATEGORIES, CATEGORY_CODES, GRADE_NAMES, MULTIPLE
from certflow.engine.errors import allowed, quoted

# The categories a part assessed may have: a multiple disability is the result of several, never one part.
_PARTS = [c for c in CATEGORIES if c != MULTIPLE]


def sites(hospital: list[str], hospital_group: list[str], part: list[str]) -> list[dict[str, Any]]:
    """``[{hospital, group, parts}]``, one per hospital in first-seen order.

    No row at all is an error, not an empty list: a case routed nowhere would skip its assessment.
    """
    if not len(hospital) == len(hospital_group) == len(part):
        raise ValueError(
            f"评残机构分派结果的三列行数不一致：评残机构 {len(hospital)} 行，"
            f"评残机构用户组 {len(hospital_group)} 行，残疾类别 {len(part)} 行"
        )
    if not hospital:
        raise ValueError("没有与本案件相符的定点评残机构：评残机构分派表没有一行适用于本案件的残疾类别")
    by_hospital: dict[str, dict[str, Any]] = {}
    for name, group, category in zip(hospital, hospital_group, part, strict=True):
        site = by_hospital.setdefault(name, {"hospital": name, "group": group, "parts": []})
        if site["group"] != group:
            raise ValueError(f"评残机构{quoted(name)}被分派给两个用户组：{quoted(site['group'])}和{quoted(group)}")
        if category not in site["parts"]:
            site["parts"].append(category)
    return list(by_hospital.values())


def _check_verdict(hospital: str, verdict: dict[str, Any]) -> None:
    part = verdict.get("part")
    if part not in _PARTS:
        raise ValueError(f"{hospital}的评定结论中，残疾类别{quoted(part)}不对，应为{allowed(_PARTS)}之一")
    grade = verdict.get("grade")
    if verdict["meets_standard"] and (isinstance(grade, bool) or grade not in GRADE_NAMES):
        raise ValueError(f"{hospital}评定{part}残疾符合标准，但残疾等级{quoted(grade)}不对，应为{allowed(GRADE_NAMES)}")


def _verdicts(assessments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every part's verdict, each with the hospital that gave it, in the order of the sites."""
    found = []
    for assessment in assessments:
        for verdict in assessment["verdicts"]:
            _check_verdict(assessment["hospital"], verdict)
            found.append({"hospital": assessment["hospital"], **verdict})
    return found


def combine(category: str, assessments: list[dict[str, Any]]) -> dict[str, Any]:
    """One result for the case from each part's verdict (GB/T 26341-2010, 多重残疾).

    Each part assessed gets its own verdict and grade. Only the parts that met a standard count: two
    or more make a multiple disability (多重, code 7) at the grade of the most severe part (the lowest
    number); exactly one gives that part's own category and grade.
    """
    if category not in CATEGORY_CODES:
        raise ValueError(f"残疾类别{quoted(category)}不对，应为{allowed(CATEGORIES)}之一")
    if not assessments:
        raise ValueError("没有可以合并的评定：各评残机构的评定结果是空的")
    if any("verdicts" not in a for a in assessments):
        return _combine_by_hospital(category, assessments)
    verdicts = _verdicts(assessments)
    met = [v for v in verdicts if v["meets_standard"]]
    if len(verdicts) == 1:
        conclusion = verdicts[0]["conclusion"]
    else:
        conclusion = "；".join(f"{v['part']}（{v['hospital']}）：{v['conclusion']}" for v in verdicts)
    result_category = category if not met else met[0]["part"] if len(met) == 1 else MULTIPLE
    return {
        "meets_standard": bool(met),
        "category": result_category,
        "category_code": CATEGORY_CODES[result_category] if met else None,
        "grade": min(v["grade"] for v in met) if met else None,
        "parts": [v["part"] for v in met],
        "verdicts": [{key: v[key] for key in ("part", "meets_standard", "grade")} for v in verdicts],
        "conclusion": conclusion,
    }


# Cases of process versions before each part got its own verdict: one verdict per hospital for all its parts.
def _check(assessment: dict[str, Any]) -> None:
    hospital = assessment["hospital"]
    unknown = [p for p in assessment["parts"] if p not in _PARTS]
    if unknown:
        raise ValueError(
            f"{hospital}的评定中，残疾类别{'、'.join(map(quoted, unknown))}不对，应为{allowed(_PARTS)}之一"
        )
    if assessment["meets_standard"] and not assessment["parts"]:
        raise ValueError(f"{hospital}的评定符合标准，但没有写明评定的残疾类别")
    grade = assessment.get("grade")
    if assessment["meets_standard"] and (isinstance(grade, bool) or grade not in GRADE_NAMES):
        raise ValueError(f"{hospital}的评定符合标准，但残疾等级{quoted(grade)}不对，应为{allowed(GRADE_NAMES)}")


def _conclusion(assessments: list[dict[str, Any]]) -> str:
    if len(assessments) == 1:
        return assessments[0]["conclusion"]
    return "；".join(f"{a['hospital']}：{a['conclusion']}" for a in assessments)


def _combine_by_hospital(category: str, assessments: list[dict[str, Any]]) -> dict[str, Any]:
    """One result for the case from the assessments of each hospital.

    Only the parts that met the standard count: one such part gives its own category, two or more
    a multiple disability (多重, code 7) at the most severe grade (the lowest number).
    """
    for assessment in assessments:
        _check(assessment)
    met = [a for a in assessments if a["meets_standard"]]
    parts: list[str] = []
    for assessment in met:
        parts.extend(p for p in assessment["parts"] if p not in parts)
    conclusion = _conclusion(assessments)
    if not parts:
        return {
            "meets_standard": False,
            "category": category,
            "category_code": None,
            "grade": None,
            "parts": [],
            "conclusion": conclusion,
        }
    result_category = parts[0] if len(parts) == 1 else MULTIPLE
    return {
        "meets_standard": True,
        "category": result_category,
        "category_code": CATEGORY_CODES[result_category],
        "grade": min(a["grade"] for a in met),
        "parts": parts,
        "conclusion": conclusion,
    }
