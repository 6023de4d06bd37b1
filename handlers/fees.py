"""Who pays for what in a case.

Lushan pays the first assessment and the postage of the certificate from the federation's budget,
the special fund of the city's disability employment security fund (残疾人就业保障金); the applicant
pays nothing for a first application. A re-examination (复核) asked for by someone who objects to an
assessment is paid by that applicant (Shizong's plan, 三(六)).
"""

from __future__ import annotations

from typing import Any

PAYERS: dict[str, str] = {
    "federation_budget": "市残疾人就业保障金",
    "applicant": "申请人承担",
}

DELIVERIES = ("post", "in_person")

_POSTAGE = "残疾人证邮寄费"

# Kind of case -> (item, payer) of its charges besides the postage.
KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "first_application": (("首次鉴定费", "federation_budget"),),
    "objection_review": (("复核鉴定费", "applicant"),),
}


def _item(item: str, payer: str) -> dict[str, str]:
    return {"item": item, "payer": payer, "payer_label": PAYERS[payer]}


def charges(kind: str, delivery: str) -> dict[str, Any]:
    """The charges of a case of ``kind`` and who bears each."""
    if kind not in KINDS:
        raise ValueError(f"unknown fee kind {kind!r}; expected one of {', '.join(KINDS)}")
    if delivery not in DELIVERIES:
        raise ValueError(f"unknown delivery {delivery!r}; expected one of {', '.join(DELIVERIES)}")
    items = [_item(item, payer) for item, payer in KINDS[kind]]
    if delivery == "post":
        items.append(_item(_POSTAGE, "federation_budget"))
    return {"items": items}
