"""The national measures' disability categories and grades, and the certificate number (残疾人证号).

These are fixed by the national measures (残疾人证管理办法, GB/T 26341-2010), not chosen by a deployment:
the processes, the roster of an exchange campaign and the web pages all read them from here.

The certificate number is the resident identity number, then the category code, then the grade code; a
reissue after loss appends B1, B2, ... . The number identifies the person, so an invalid identity number
is refused here rather than printed on a card.
"""

from __future__ import annotations

import re

from certflow.engine import residentid
from certflow.engine.errors import allowed, quoted

CATEGORY_CODES: dict[str, int] = {"视力": 1, "听力": 2, "言语": 3, "肢体": 4, "智力": 5, "精神": 6, "多重": 7}
CATEGORY_NAMES: dict[int, str] = {code: name for name, code in CATEGORY_CODES.items()}
CATEGORIES: tuple[str, ...] = tuple(CATEGORY_CODES)  # in code order
MULTIPLE = "多重"  # two or more parts met a standard
GRADE_NAMES: dict[int, str] = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}

NUMBER_PATTERN = re.compile(r"^\d{17}[\dX][1-7][1-4](B\d+)?$")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _valid_id(id_number: str) -> str:
    try:
        return residentid.validated(id_number)
    except residentid.InvalidNumber as refused:
        raise ValueError(f"身份证号码 {residentid.masked(id_number)} 无效：{refused}") from None


def certificate_number(id_number: str, category_code: int, grade: int, reissue: int = 0) -> str:
    """``<18-char id><category><grade>[B<reissue>]``, e.g. ``11010519491231002X42``."""
    if not isinstance(id_number, str):
        raise TypeError("生成残疾人证号要用的身份证号码应为文字")
    if not _is_int(category_code) or category_code not in CATEGORY_NAMES:
        raise ValueError(f"残疾类别代码{quoted(category_code)}不对，应为{allowed(CATEGORY_NAMES)}")
    if not _is_int(grade) or grade not in GRADE_NAMES:
        raise ValueError(f"残疾等级{quoted(grade)}不对，应为{allowed(GRADE_NAMES)}")
    if not _is_int(reissue) or reissue < 0:
        raise ValueError(f"补办次数{quoted(reissue)}不对，应为 0 或正整数")
    result = f"{_valid_id(id_number)}{category_code}{grade}"
    if reissue:
        result += f"B{reissue}"
    return result


def category_code(category: str) -> int:
    """The code of a category name (肢体 → 4), for the certificate number."""
    try:
        return CATEGORY_CODES[category]
    except (KeyError, TypeError):
        raise ValueError(f"残疾类别{quoted(category)}不对，应为{allowed(CATEGORIES)}之一") from None
