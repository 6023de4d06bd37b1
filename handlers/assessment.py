"""Routing a case to its designated hospitals, and one result from their assessments.

The routing decision (``hospital_routing``, hit policy COLLECT) returns one list per output, a
row per part: ``hospital``, ``hospital_group`` and ``part``. A multiple disability (多重) is
assessed at every hospital its parts belong to; the federation then combines the results by the
national measures: a multiple disability takes the grade of its most severe part and lists every
part.
"""

from __future__ import annotations

from typing import Any

from certflow.engine.disability import CATEGORY_CODES, GRADE_NAMES, MULTIPLE


def sites(hospital: list[str], hospital_group: list[str], part: list[str]) -> list[dict[str, Any]]:
    """``[{hospital, group, parts}]``, one per hospital in first-seen order.

    No row at all is an error, not an empty list: a case routed nowhere would skip its assessment.
    """
    if not len(hospital) == len(hospital_group) == len(part):
        raise ValueError(
            f"routing lists differ in length: hospital {len(hospital)}, "
            f"hospital_group {len(hospital_group)}, part {len(part)}"
        )
    if not hospital:
        raise ValueError("no designated hospital matched the case")
    by_hospital: dict[str, dict[str, Any]] = {}
    for name, group, category in zip(hospital, hospital_group, part, strict=True):
        site = by_hospital.setdefault(name, {"hospital": name, "group": group, "parts": []})
        if site["group"] != group:
            raise ValueError(f"hospital {name!r} routed to two groups: {site['group']!r} and {group!r}")
        if category not in site["parts"]:
            site["parts"].append(category)
    return list(by_hospital.values())


def _check_verdict(hospital: str, verdict: dict[str, Any]) -> None:
    part = verdict.get("part")
    if part not in CATEGORY_CODES or part == MULTIPLE:
        raise ValueError(f"assessment of {hospital!r}: unknown part {part!r}")
    grade = verdict.get("grade")
    if verdict["meets_standard"] and (isinstance(grade, bool) or grade not in GRADE_NAMES):
        raise ValueError(
            f"assessment of {part} at {hospital!r} meets the standard but has grade {grade!r}; expected 1..4"
        )


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
        raise ValueError(f"unknown disability category {category!r}")
    if not assessments:
        raise ValueError("no assessment to combine")
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
    unknown = [p for p in assessment["parts"] if p not in CATEGORY_CODES or p == MULTIPLE]
    if unknown:
        raise ValueError(f"assessment of {assessment['hospital']!r}: unknown part {unknown!r}")
    if assessment["meets_standard"] and not assessment["parts"]:
        raise ValueError(f"assessment of {assessment['hospital']!r} meets the standard but names no part")
    grade = assessment.get("grade")
    if assessment["meets_standard"] and (isinstance(grade, bool) or grade not in GRADE_NAMES):
        raise ValueError(
            f"assessment of {assessment['hospital']!r} meets the standard but has grade {grade!r}; expected 1..4"
        )


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
