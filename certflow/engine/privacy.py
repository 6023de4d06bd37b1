"""Masking of personal data before it leaves the server."""

from __future__ import annotations

import re
from typing import Any

# A resident ID number standing alone or at the start of a longer number (a certificate number is one plus two digits).
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx]")
# A SHA-256 digest (an event's hash, a state digest) may begin with 18 digits; it is no ID number and must stay
# as it is to be checked.
DIGEST = re.compile(r"[0-9a-f]{64}")
# Application materials that are medical records: shown to those who work with them, to others only on a recorded
# request (docs/web.md, "Who may do what").
MEDICAL_MATERIALS = frozenset({"medical_records"})


def mask_id(id_number: str) -> str:
    """110105********002X: the address code and the last four stay, the birth date does not."""
    value = str(id_number).strip().upper()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_id_numbers(text: str) -> str:
    """Every ID number in a text masked, wherever it stands."""
    return ID_NUMBER.sub(lambda m: mask_id(m.group(0)), text)


def mask_personal(value: Any) -> Any:
    """A copy of JSON-like data with every ID number masked: ``id_number`` fields whatever their form, and any
    ID number inside a text (a certificate number, a comment, a handler's parameters)."""
    if isinstance(value, dict):
        return {k: mask_id(v) if k == "id_number" and isinstance(v, str) else mask_personal(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [mask_personal(v) for v in value]
    if isinstance(value, str) and not DIGEST.fullmatch(value):
        return mask_id_numbers(value)
    return value
