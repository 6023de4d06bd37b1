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


def test_voiding_needs_a_card_number_and_a_known_reason() -> None:
    with pytest.raises(ValueError, match="no valid certificate number"):
        cards.void("42", "record_error", date(2022, 3, 20))
    with pytest.raises(ValueError, match="unknown reason 'lost'"):
        cards.void(certificate_number(BEIJING, 4, 2), "lost", date(2022, 3, 20))
