"""Cards taken out of use in an exchange."""

from datetime import date

import pytest

from certflow.engine.disability import certificate_number
from handlers import cards

BEIJING = "11010519491231002X"


def test_a_voided_card_records_which_why_and_when() -> None:
    card = certificate_number(BEIJING, 4, 2)
    assert cards.void(card, "person_mismatch", date(2022, 3, 20)) == {
        "card_no": card, "reason": "person_mismatch", "reason_text": "人证不符", "voided_on": "2022-03-20",
    }


def test_voiding_needs_a_card_number_and_says_what_one_is_without_repeating_it() -> None:
    wrong = BEIJING + "9"  # an identity number and a category code that cannot be: the refusal is kept and shown
    with pytest.raises(ValueError) as refused:
        cards.void(wrong, "record_error", date(2022, 3, 20))
    assert str(refused.value) == (
        "要注销的残疾人证号不对：应为 18 位身份证号码，后接残疾类别代码（1至7）和等级代码（1至4）")
    assert BEIJING not in str(refused.value)


def test_voiding_needs_a_known_reason_named_in_words() -> None:
    with pytest.raises(ValueError) as refused:
        cards.void(certificate_number(BEIJING, 4, 2), "lost", date(2022, 3, 20))
    assert str(refused.value) == (
        "注销残疾人证的原因“lost”不对，应为证载残疾类别或等级有误（record_error）、人证不符（person_mismatch）、"
        "重新评定后残疾类别或等级发生变化（reassessed）、重新评定不再符合残疾标准（康复脱残）（rehabilitated）")
