"""The national measures' categories, grades and certificate number."""

import re

import pytest
from stdnum.cn.ric import calc_check_digit

from certflow.engine import disability

BEIJING = "11010519491231002X"
PATTERN = re.compile(r"^\d{17}[\dX][1-7][1-4](B\d+)?$")


def make_id(prefix: str, birth: str, seq: str = "001") -> str:
    body = prefix + birth + seq
    return body + calc_check_digit(body + "0")


def test_codes() -> None:
    assert disability.CATEGORY_CODES == {
        "视力": 1,
        "听力": 2,
        "言语": 3,
        "肢体": 4,
        "智力": 5,
        "精神": 6,
        "多重": 7,
    }
    assert disability.GRADE_NAMES == {1: "一级", 2: "二级", 3: "三级", 4: "四级"}


def test_number() -> None:
    assert disability.certificate_number(BEIJING, 4, 2) == "11010519491231002X42"


def test_lowercase_x_becomes_uppercase() -> None:
    assert disability.certificate_number("11010519491231002x", 7, 1) == "11010519491231002X71"


def test_reissue() -> None:
    assert disability.certificate_number(BEIJING, 6, 3, reissue=1) == "11010519491231002X63B1"
    assert disability.certificate_number(BEIJING, 6, 3, reissue=12) == "11010519491231002X63B12"


def test_lushan_number() -> None:
    number_id = make_id("360483", "19750310", "024")
    assert disability.certificate_number(number_id, 1, 4) == number_id + "14"


@pytest.mark.parametrize("category", range(1, 8))
@pytest.mark.parametrize("grade", range(1, 5))
@pytest.mark.parametrize("reissue", [0, 1, 3])
def test_pattern(category: int, grade: int, reissue: int) -> None:
    for id_number in (BEIJING, make_id("360483", "20120229", "007")):
        result = disability.certificate_number(id_number, category, grade, reissue)
        assert PATTERN.match(result), result
        assert len(result) == (20 if not reissue else 22)


def test_pattern_constant() -> None:
    assert disability.NUMBER_PATTERN.pattern == PATTERN.pattern


@pytest.mark.parametrize("category", [0, 8, -1, True, "4", None])
def test_bad_category(category: object) -> None:
    with pytest.raises(ValueError) as refused:
        disability.certificate_number(BEIJING, category, 2)  # type: ignore[arg-type]
    shown = "（空值）" if category is None else f"“{category}”"
    assert str(refused.value) == (f"残疾类别代码{shown}不对，应为视力（1）、听力（2）、言语（3）、肢体（4）、"
                                  "智力（5）、精神（6）、多重（7）")


@pytest.mark.parametrize("grade", [0, 5, 2.0, "1"])
def test_bad_grade(grade: object) -> None:
    with pytest.raises(ValueError) as refused:
        disability.certificate_number(BEIJING, 4, grade)  # type: ignore[arg-type]
    assert str(refused.value) == f"残疾等级“{grade}”不对，应为一级（1）、二级（2）、三级（3）、四级（4）"


def test_bad_reissue() -> None:
    with pytest.raises(ValueError) as refused:
        disability.certificate_number(BEIJING, 4, 2, reissue=-1)
    assert str(refused.value) == "补办次数“-1”不对，应为 0 或正整数"


@pytest.mark.parametrize(
    "id_number",
    ["11010519491231002Y", "110105194912310021", "1101051949123100", make_id("360483", "19800230")],
)
def test_bad_id(id_number: str) -> None:
    with pytest.raises(ValueError, match="身份证号码 .* 无效：身份证号码"):
        disability.certificate_number(id_number, 4, 2)


def test_error_does_not_show_the_full_id() -> None:
    with pytest.raises(ValueError) as excinfo:
        disability.certificate_number("110105194912310021", 4, 2)
    assert "110105194912310021" not in str(excinfo.value)
    assert "110105********0021" in str(excinfo.value)


def test_id_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="^生成残疾人证号要用的身份证号码应为文字$"):
        disability.certificate_number(None, 4, 2)  # type: ignore[arg-type]


def test_category_code() -> None:
    assert disability.category_code("精神") == 6
    with pytest.raises(ValueError) as refused:
        disability.category_code("癫痫")
    assert str(refused.value) == "残疾类别“癫痫”不对，应为视力、听力、言语、肢体、智力、精神、多重之一"
