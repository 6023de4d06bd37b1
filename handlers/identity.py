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

from stdnum.cn import ric

from certflow.engine import residentid
from certflow.engine.privacy import mask_id

ADULT_AGE = 18


def age_on(birth_date: date, today: date) -> int:
    """Full years (周岁) on ``today``; the birthday itself counts. Born 29 February: 1 March."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def validated(id_number: str) -> str:
    """The number in compact form (upper-case X); ``residentid.InvalidNumber`` with the reason if invalid."""
    return residentid.validated(id_number)


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


def mask(id_number: str) -> str:
    """``110105********002X``: the first 6 and last 4 characters; anything shorter than 11 fully masked."""
    return mask_id(ric.compact(id_number))
