"""Resident identity number check (GB 11643-1999) for the pre-review (预审).

The number's checks are the engine's (``certflow.engine.residentid``): the application form already
refuses a number that fails them, so here they only guard cases started before that. The address
code is where the number was first issued, not the household registration (户籍): whether it is one
of the jurisdiction's codes, and which place it names (former codes included), is a hint for the clerk,
who confirms the 户籍 from the 户口簿; it never makes the number invalid.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from certflow.engine import residentid
from certflow.engine.guardians import ADULT_AGE, age_on


def check(id_number: str, *, jurisdiction: tuple[str, ...], today: date) -> dict[str, Any]:
    """``valid`` and, if not, the ``reason``; for a valid number its birth date, age, whether a minor,
    whether its address code is one of ``jurisdiction``'s and where it was first issued (``issued_at``)."""
    try:
        number = residentid.validated(id_number, today)
    except residentid.InvalidNumber as refused:
        return {"valid": False, "reason": str(refused), "birth_date": None, "age": None, "minor": None,
                "in_jurisdiction": None, "issued_at": None}
    born = residentid.birth_date(number)
    age = age_on(born, today)
    return {"valid": True, "reason": None, "birth_date": born.isoformat(), "age": age, "minor": age < ADULT_AGE,
            "in_jurisdiction": number.startswith(jurisdiction), "issued_at": residentid.issued_at(number)}
