"""The certificate number (残疾人证号) of the national measures (残疾人证管理办法), and voided cards.

The resident identity number, then the category code, then the grade code; a reissue after loss
appends B1, B2, ... . The number identifies the person, so an invalid identity number is refused
here rather than printed on a card.

In an exchange for the third-generation card (Shizong) every card was made and activated in advance
from the records; a card whose record proved wrong is voided (作废) and a new one made.
"""

from __future__ import annotations

import re
from datetime import date

from certflow.engine.residentid import InvalidNumber
from handlers import identity

CATEGORY_CODES: dict[str, int] = {"视力": 1, "听力": 2, "言语": 3, "肢体": 4, "智力": 5, "精神": 6, "多重": 7}
CATEGORY_NAMES: dict[int, str] = {code: name for name, code in CATEGORY_CODES.items()}
GRADE_NAMES: dict[int, str] = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}

NUMBER_PATTERN = re.compile(r"^\d{17}[\dX][1-7][1-4](B\d+)?$")

VOID_REASONS: dict[str, str] = {
    "record_error": "证载残疾类别或等级有误",
    "person_mismatch": "人证不符",
    "reassessed": "重新评定后残疾类别或等级发生变化",
    "rehabilitated": "重新评定不再符合残疾标准（康复脱残）",
}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _valid_id(id_number: str) -> str:
    try:
        return identity.validated(id_number)
    except InvalidNumber as refused:
        raise ValueError(f"身份证号码 {identity.mask(id_number)} 无效：{refused}") from None


def number(id_number: str, category_code: int, grade: int, reissue: int = 0) -> str:
    """``<18-char id><category><grade>[B<reissue>]``, e.g. ``11010519491231002X42``."""
    if not isinstance(id_number, str):
        raise TypeError("resident identity number must be a string")
    if not _is_int(category_code) or category_code not in CATEGORY_NAMES:
        raise ValueError(f"category code must be 1..7, got {category_code!r}")
    if not _is_int(grade) or grade not in GRADE_NAMES:
        raise ValueError(f"grade must be 1..4, got {grade!r}")
    if not _is_int(reissue) or reissue < 0:
        raise ValueError(f"reissue must be a whole number >= 0, got {reissue!r}")
    result = f"{_valid_id(id_number)}{category_code}{grade}"
    if reissue:
        result += f"B{reissue}"
    return result


def category_code(category: str) -> int:
    """The code of a category name (肢体 → 4), for the certificate number."""
    try:
        return CATEGORY_CODES[category]
    except (KeyError, TypeError):
        raise ValueError(f"unknown disability category {category!r}") from None


def void(card_no: str, reason: str, today: date) -> dict[str, str]:
    """The record of a card taken out of use: which card, why (code and words), on which day."""
    if not isinstance(card_no, str) or not NUMBER_PATTERN.match(card_no):
        raise ValueError("the card to void has no valid certificate number")
    if reason not in VOID_REASONS:
        raise ValueError(f"unknown reason {reason!r} to void a card; expected one of {', '.join(VOID_REASONS)}")
    return {"card_no": card_no, "reason": reason, "reason_text": VOID_REASONS[reason], "voided_on": today.isoformat()}
