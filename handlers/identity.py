"""Resident identity number check (GB 11643-1999) for the online pre-review (预审).

The number itself is checked by ``stdnum.cn.ric``. One of its checks is not used as a verdict:
the lookup of the address code in stdnum's table of counties by the year of birth. A number keeps
the address code of the place where it was first issued, and people registered late (common among
disabled persons) carry a code created after their birth year: every 庐山市 number (360483,
created 2016) of someone born before 2016 fails that lookup. The jurisdiction check below is the
one that matters for the federation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from stdnum.cn import ric
from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

from certflow.engine.privacy import mask_id

ADULT_AGE = 18

REASON_EMPTY = "未填写身份证号码"
REASON_LENGTH = "身份证号码应为18位"
REASON_FORMAT = "身份证号码格式错误"
REASON_CHECKSUM = "身份证号码校验位错误"
REASON_BIRTH_DATE = "出生日期无效"
REASON_JURISDICTION = "户籍不在本辖区"


def _result(
    reason: str | None,
    *,
    birth_date: date | None = None,
    today: date | None = None,
    in_jurisdiction: bool = False,
) -> dict[str, Any]:
    age = minor = None
    if birth_date is not None and today is not None:
        age = age_on(birth_date, today)
        minor = age < ADULT_AGE
    return {
        "valid": reason is None,
        "reason": reason,
        "birth_date": birth_date.isoformat() if birth_date else None,
        "age": age,
        "minor": minor,
        "in_jurisdiction": in_jurisdiction,
    }


def age_on(birth_date: date, today: date) -> int:
    """Full years (周岁) on ``today``; the birthday itself counts. Born 29 February: 1 March."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


def validated(id_number: str) -> str:
    """The number in compact form (upper-case X); raises stdnum's ``ValidationError`` if invalid.

    ``InvalidComponent`` here always means the birth date: the address-code lookup is not a verdict.
    """
    try:
        return ric.validate(id_number)
    except (InvalidComponent, KeyError):
        # validate() checks the birth date before the address code: find out which one failed.
        # (stdnum raises KeyError for a code its table lists the prefecture of but not the county.)
        ric.get_birth_date(id_number)
        return ric.compact(id_number)


def check(id_number: str, *, jurisdiction_prefix: str | tuple[str, ...], today: date) -> dict[str, Any]:
    """Check a number and whether it belongs to this jurisdiction.

    ``valid`` is true only for a well-formed number in the jurisdiction; ``reason`` names the first
    check that failed. ``jurisdiction_prefix`` may be a tuple, for a city whose residents also carry
    the code of the county it replaced (庐山市 360483, formerly 星子县 360427).
    """
    if not isinstance(id_number, str) or not id_number.strip():
        return _result(REASON_EMPTY)
    try:
        number = validated(id_number)
    except InvalidLength:
        return _result(REASON_LENGTH)
    except InvalidFormat:
        return _result(REASON_FORMAT)
    except InvalidChecksum:
        return _result(REASON_CHECKSUM)
    except InvalidComponent:
        return _result(REASON_BIRTH_DATE)
    except ValidationError:
        return _result(REASON_FORMAT)

    birth_date = ric.get_birth_date(number)
    if birth_date > today:
        return _result(REASON_BIRTH_DATE)
    in_jurisdiction = number.startswith(jurisdiction_prefix)
    return _result(
        None if in_jurisdiction else REASON_JURISDICTION,
        birth_date=birth_date,
        today=today,
        in_jurisdiction=in_jurisdiction,
    )


def mask(id_number: str) -> str:
    """``110105********002X``: the first 6 and last 4 characters; anything shorter than 11 fully masked."""
    return mask_id(ric.compact(id_number))
