"""Cards taken out of use (作废) in an exchange for the third-generation card.

In Shizong's exchange every card was made and activated in advance from the records; a card whose record
proved wrong is voided and a new one made. The certificate number itself is the national measures'
(``certflow.engine.disability``).
"""

from __future__ import annotations

from datetime import date

from certflow.engine.disability import NUMBER_PATTERN
from certflow.engine.errors import allowed, quoted

VOID_REASONS: dict[str, str] = {
    "record_error": "证载残疾类别或等级有误",
    "person_mismatch": "人证不符",
    "reassessed": "重新评定后残疾类别或等级发生变化",
    "rehabilitated": "重新评定不再符合残疾标准（康复脱残）",
}


def void(card_no: str, reason: str, today: date) -> dict[str, str]:
    """The record of a card taken out of use: which card, why (code and words), on which day."""
    if not isinstance(card_no, str) or not NUMBER_PATTERN.match(card_no):
        # The number is not repeated: it holds the holder's identity number, and the refusal is kept and shown.
        raise ValueError("要注销的残疾人证号不对：应为 18 位身份证号码，后接残疾类别代码（1至7）和等级代码（1至4）")
    if reason not in VOID_REASONS:
        raise ValueError(f"注销残疾人证的原因{quoted(reason)}不对，应为{allowed(VOID_REASONS)}")
    return {"card_no": card_no, "reason": reason, "reason_text": VOID_REASONS[reason], "voided_on": today.isoformat()}
