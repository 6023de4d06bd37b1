"""Who is a minor, and the guardian (监护人) who acts for a minor or an intellectually or mentally disabled person.

The national measures ask for the guardian's proof for every minor and for 智力 and 精神 disability. The
guardian's name, relation, resident ID number and mobile number are then required and kept with the case;
the texts of the case go to the guardian. Under the Civil Code (民法典 第二十七、二十八条) a guardian is an
adult with full capacity: an ID number showing a minor, or the applicant's own, is refused. The portal, the
processes (through the deployment's ``guardian_check``) and the roster of an exchange campaign check the
same rules here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from certflow.engine import residentid
from certflow.engine.errors import InputRefused

ADULT_AGE = 18

# Intellectual and mental disability: a guardian acts for the applicant, also as part of 多重.
GUARDIAN_CATEGORIES = frozenset({"智力", "精神"})

FIELDS: dict[str, str] = {
    "guardian_name": "监护人姓名",
    "guardian_relation": "监护人与申请人的关系",
    "guardian_id_number": "监护人居民身份证号码",
    "guardian_phone": "监护人手机号码",
}


def age_on(birth_date: date, today: date) -> int:
    """Full years (周岁) on ``today``; the birthday itself counts. Born 29 February: 1 March."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def needed(parts: list[str], minor: bool) -> bool:
    """A guardian acts for a minor and for an intellectual or mental disability, also as part of 多重."""
    return bool(minor) or bool(set(parts) & GUARDIAN_CATEGORIES)


def check(data: dict[str, Any], parts: list[str], minor: bool, today: date) -> dict[str, Any]:
    """``{needed, name, relation, id_masked}``; every missing or wrong guardian field is refused at once."""
    if not needed(parts, minor):
        return {"needed": False}
    errors = [(field, f"未成年人或智力、精神残疾人申请，须填写{label}") for field, label in FIELDS.items()
              if not str(data.get(field) or "").strip()]
    number = str(data.get("guardian_id_number") or "")
    if number and not any(field == "guardian_id_number" for field, _ in errors):
        problem = _id_problem(number, str(data.get("id_number") or ""), today)
        if problem:
            errors.append(("guardian_id_number", problem))
    if errors:
        raise InputRefused(*errors[0], *errors[1:])
    return {"needed": True, "name": data["guardian_name"], "relation": data["guardian_relation"],
            "id_masked": residentid.masked(number)}


def _id_problem(number: str, applicant: str, today: date) -> str | None:
    try:
        compact = residentid.validated(number, today)
    except residentid.InvalidNumber as refused:
        return f"监护人居民身份证号码无效：{refused}"
    if compact == applicant.upper():
        return "监护人不能是申请人本人"
    if age_on(residentid.birth_date(compact), today) < ADULT_AGE:
        return "监护人应为成年人"
    return None
