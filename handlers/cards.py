"""Cards taken out of use (作废) in an exchange for the third-generation card.

In Shizong's exchange every card was made and activated in advance from the records; a card whose record
proved wrong is voided and a new one made. The certificate number itself is the national measures'
(``certflow.engine.disability``).
"""

from __future__ import annotations

from datetime import date

from certflow.engine.disability import NUMBER_PATTERN

VOID_REASONS: dict[str, str] = {
    "record_error": "证载残疾类别或等级有误",
    "person_mismatch": "人证不符",
    "reassessed": "重新评定后残疾类别或等级发生变化",
    "rehabilitated": "重新评定不再符合残疾标准（康复脱残）",
}


def void(card_no: str, reason: str, today: date) -> dict[str, str]:
    """The record of a card taken out of use: which card, why (code and words), on which day."""
    if not isinstance(card_no, str) or not NUMBER_PATTERN.match(card_no):
        raise ValueError("the card to void has no valid certificate number")
    if reason not in VOID_REASONS:
        raise ValueError(f"unknown reason {reason!r} to void a card; expected one of {', '.join(VOID_REASONS)}")
    return {"card_no": card_no, "reason": reason, "reason_text": VOID_REASONS[reason], "voided_on": today.isoformat()}
