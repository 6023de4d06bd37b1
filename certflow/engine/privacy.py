"""Masking of personal data before it leaves the server."""

from __future__ import annotations


def mask_id(id_number: str) -> str:
    """110105********002X: the address code and the last four stay, the birth date does not."""
    value = str(id_number).strip().upper()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
