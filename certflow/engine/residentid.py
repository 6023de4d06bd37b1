"""The resident identity number (居民身份证号码, GB 11643-1999): its checks, in the words a clerk reads.

One place decides whether a number is well formed, so that every entry (the forms' ``resident-id``
format, the roster import, the identity handler, the certificate number) refuses the same numbers
with the same reason. ``stdnum.cn.ric`` does the arithmetic. Its lookup of the address code is not
a verdict: a number keeps the code of the place that first issued it, and people registered late
(common among disabled persons) carry a code younger than their birth year; every 庐山市 number
(360483, created 2016) of someone born before 2016 fails that lookup.

The address code is the place of first issue, not the household registration (户籍): ``issued_at``
names it, former codes included, as a hint for the clerk who confirms the 户籍 from the 户口簿.
"""

from __future__ import annotations

import re
from datetime import date

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from certflow.engine.privacy import mask_id

REASON_EMPTY = "未填写身份证号码"
REASON_LENGTH = "身份证号码应为18位"
REASON_FORMAT = "身份证号码格式错误：前17位应为数字，最后一位为数字或X"
REASON_CHECKSUM = "身份证号码校验位错误，请逐位核对"
REASON_BIRTH_DATE = "身份证号码中的出生日期不存在"
REASON_FUTURE = "身份证号码中的出生日期晚于今天"

_YEARS = re.compile(r"^\[(\d*)-(\d*)\]")
_FORM = re.compile(r"\d{17}[\dX]", re.ASCII)


class InvalidNumber(ValueError):
    """A number refused; ``str()`` is the reason in Chinese."""


def validated(id_number: object, today: date | None = None) -> str:
    """The number in compact form (upper-case X); ``InvalidNumber`` with the reason otherwise.

    A birth date after ``today`` is refused too when ``today`` is given.
    """
    if not isinstance(id_number, str) or not id_number.strip():
        raise InvalidNumber(REASON_EMPTY)
    number = ric.compact(id_number)
    if len(number) != 18:
        raise InvalidNumber(REASON_LENGTH)
    if not _FORM.fullmatch(number):
        raise InvalidNumber(REASON_FORMAT)
    # The parts in the order a person reads them; the address code is looked up by ``issued_at`` only.
    try:
        born = ric.get_birth_date(number)
    except ValidationError:
        raise InvalidNumber(REASON_BIRTH_DATE) from None
    if ric.calc_check_digit(number) != number[-1]:
        raise InvalidNumber(REASON_CHECKSUM)
    if today is not None and born > today:
        raise InvalidNumber(REASON_FUTURE)
    return number


def masked(id_number: str) -> str:
    """``110105********002X``: the first 6 and last 4 characters; anything shorter than 11 fully masked."""
    return mask_id(ric.compact(id_number))


def birth_date(id_number: str) -> date:
    """The birth date of a number ``validated`` accepted."""
    return ric.get_birth_date(id_number)


def issued_at(id_number: str) -> str | None:
    """Where the number was first issued, from GB/T 2260 with its history, e.g. ``江西省星子县（代码使用至2016年）``.

    None when the table does not know the address code.
    """
    code = ric.compact(id_number)[:6]
    found = {key: value for _part, info in numdb.get("cn/loc").info(code) for key, value in info.items()}
    county = found.get("county")
    if not county or "province" not in found:
        return None
    # The table lists a renamed code's names one after the other: the last one is the newest.
    name = county.split(",")[-1]
    years = _YEARS.match(name)
    name = _YEARS.sub("", name)
    if years and years.group(2):
        return f"{found['province']}{name}（代码使用至{years.group(2)}年）"
    return f"{found['province']}{name}"
