from datetime import date

import pytest
from stdnum.cn import ric
from stdnum.cn.ric import calc_check_digit
from stdnum.exceptions import InvalidComponent

from certflow.engine import residentid
from certflow.engine.guardians import age_on
from handlers import identity

BEIJING = "11010519491231002X"  # valid, born 1949-12-31
LUSHAN = ("360483", "360427")  # 庐山市 and the former 星子县
TODAY = date(2026, 3, 2)


def make_id(prefix: str, birth: str, seq: str = "001") -> str:
    body = prefix + birth + seq
    return body + calc_check_digit(body + "0")


def check(number: str, jurisdiction: tuple[str, ...] = LUSHAN, today: date = TODAY) -> dict:
    return identity.check(number, jurisdiction=jurisdiction, today=today)


def test_lushan_adult_is_valid() -> None:
    number = make_id("360483", "19800615")
    assert check(number) == {
        "valid": True,
        "reason": None,
        "birth_date": "1980-06-15",
        "age": 45,
        "minor": False,
        "in_jurisdiction": True,
        "issued_at": "江西省庐山市",
    }


def test_lushan_code_older_than_the_city_is_accepted() -> None:
    # 360483 exists since 2016; stdnum's county table rejects it for anyone born before.
    number = make_id("360483", "19600101", "013")
    with pytest.raises(InvalidComponent):
        ric.validate(number)
    result = check(number)
    assert result["valid"] is True
    assert result["age"] == 66


def test_former_xingzi_code_is_valid_in_the_jurisdiction_and_named() -> None:
    # 星子县 (360427) became 庐山市 (360483) in 2016; numbers issued before keep the old code.
    xingzi = make_id("360427", "19900101")
    result = check(xingzi)
    assert (result["valid"], result["reason"], result["in_jurisdiction"]) == (True, None, True)
    assert result["issued_at"] == "江西省星子县（代码使用至2016年）"
    assert check(xingzi, jurisdiction=("360483",))["in_jurisdiction"] is False


def test_another_countys_number_is_valid_its_place_only_a_hint() -> None:
    # The address code is where the number was first issued, not the 户籍: never a refusal.
    result = check(BEIJING)
    assert (result["valid"], result["reason"]) == (True, None)
    assert result["in_jurisdiction"] is False
    assert result["issued_at"] == "北京市朝阳区"


def test_code_missing_from_the_table_is_valid_without_a_place() -> None:
    number = make_id("360499", "19700301", "021")  # no county has this code
    assert check(number)["valid"] is True
    assert check(number)["issued_at"] is None


def test_lowercase_x_accepted() -> None:
    result = check(BEIJING.lower())
    assert result["valid"] is True
    assert result["birth_date"] == "1949-12-31"


def test_bad_checksum() -> None:
    number = make_id("360483", "19800615")
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    result = check(wrong)
    assert result == {
        "valid": False,
        "reason": "身份证号码校验位错误，请逐位核对",
        "birth_date": None,
        "age": None,
        "minor": None,
        "in_jurisdiction": None,
        "issued_at": None,
    }


def test_readme_example_of_old_had_a_wrong_check_digit() -> None:
    assert check("360483198001011233")["reason"] == "身份证号码校验位错误，请逐位核对"
    assert check("36048319800101123X")["valid"] is True


def test_transposed_digits_fail_the_checksum() -> None:
    number = make_id("360483", "19800615", "123")
    swapped = number[:14] + number[15] + number[14] + number[16:]
    assert check(swapped)["reason"] == "身份证号码校验位错误，请逐位核对"


@pytest.mark.parametrize("birth", ["19800230", "19801301", "19800000"])
def test_impossible_birth_date(birth: str) -> None:
    result = check(make_id("360483", birth))
    assert result["valid"] is False
    assert result["reason"] == "身份证号码中的出生日期不存在"
    assert result["birth_date"] is None


def test_birth_date_in_the_future() -> None:
    result = check(make_id("360483", "20260303"))
    assert result["reason"] == "身份证号码中的出生日期晚于今天"
    assert result["valid"] is False


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("", "未填写身份证号码"),
        ("   ", "未填写身份证号码"),
        ("3604831980061500", "身份证号码应为18位"),
        ("360483198006150011X", "身份证号码应为18位"),
        ("36048319800615A01X", "身份证号码格式错误：前17位应为数字，最后一位为数字或X"),
        ("11010519491231002Y", "身份证号码格式错误：前17位应为数字，最后一位为数字或X"),
    ],
)
def test_malformed(number: str, reason: str) -> None:
    result = check(number)
    assert result["valid"] is False
    assert result["reason"] == reason
    assert result["age"] is None


@pytest.mark.parametrize(
    ("today", "age", "minor"),
    [
        (date(2026, 6, 14), 17, True),  # day before the 18th birthday
        (date(2026, 6, 15), 18, False),  # the birthday itself
        (date(2026, 6, 16), 18, False),
        (date(2026, 1, 1), 17, True),
    ],
)
def test_age_around_the_birthday(today: date, age: int, minor: bool) -> None:
    result = check(make_id("360483", "20080615"), today=today)
    assert result["valid"] is True
    assert (result["age"], result["minor"]) == (age, minor)


def test_leap_day_birthday() -> None:
    assert age_on(date(2008, 2, 29), date(2026, 2, 28)) == 17
    assert age_on(date(2008, 2, 29), date(2026, 3, 1)) == 18
    assert age_on(date(2008, 2, 29), date(2028, 2, 29)) == 20


def test_child() -> None:
    result = check(make_id("360483", "20190901", "022"))
    assert result["valid"] is True
    assert result["age"] == 6
    assert result["minor"] is True


def test_validated_normalises() -> None:
    assert residentid.validated(" 11010519491231002x ") == BEIJING
    with pytest.raises(residentid.InvalidNumber, match="校验位错误"):
        residentid.validated("110105194912310021")


def test_mask() -> None:
    assert residentid.masked(BEIJING) == "110105********002X"
    assert residentid.masked(BEIJING.lower()) == "110105********002X"
    assert residentid.masked("") == ""
    assert residentid.masked("12345") == "*****"
