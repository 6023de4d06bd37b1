"""Who pays for what in a case.

Lushan pays the first assessment and the postage of the certificate from the federation's budget,
the special fund of the city's disability employment security fund (残疾人就业保障金); the applicant
pays nothing for a first application.
"""

from __future__ import annotations

from typing import Any

PAYERS: dict[str, str] = {
    "federation_budget": "市残疾人就业保障金",
}

DELIVERIES = ("post", "in_person")

_FIRST_ASSESSMENT = "首次鉴定费"
_POSTAGE = "残疾人证邮寄费"


def _item(item: str, payer: str) -> dict[str, str]:
    return {"item": item, "payer": payer, "payer_label": PAYERS[payer]}


def charges(kind: str, delivery: str) -> dict[str, Any]:
    """The charges of a case of ``kind`` and who bears each."""
    if kind != "first_application":
        raise ValueError(f"unknown fee kind {kind!r}; expected first_application")
    if delivery not in DELIVERIES:
        raise ValueError(f"unknown delivery {delivery!r}; expected one of {', '.join(DELIVERIES)}")
    items = [_item(_FIRST_ASSESSMENT, "federation_budget")]
    if delivery == "post":
        items.append(_item(_POSTAGE, "federation_budget"))
    return {"items": items}
