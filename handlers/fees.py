"""Who pays for what in a case.

Lushan pays the first assessment and the postage of the certificate from the federation's budget,
the special fund of the city's disability employment security fund (残疾人就业保障金); the applicant
pays nothing for a first application. A re-examination (复核) asked for by someone who objects to an
assessment is paid by that applicant (Shizong's plan, 三(六)).
"""

from __future__ import annotations

from typing import Any

from certflow.engine.errors import allowed, quoted

PAYERS: dict[str, str] = {
    "federation_budget": "市残疾人就业保障金",
    "applicant": "申请人承担",
}

# How the certificate reaches the applicant: by post the federation also pays the postage.
DELIVERIES: dict[str, str] = {"post": "邮寄", "in_person": "直接送达"}

_POSTAGE = "残疾人证邮寄费"

# Kind of case -> (item, payer) of its charges besides the postage.
KINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "first_application": (("首次鉴定费", "federation_budget"),),
    "objection_review": (("复核鉴定费", "applicant"),),
}
KIND_LABELS: dict[str, str] = {"first_application": "首次申请", "objection_review": "异议复核"}


def _item(item: str, payer: str) -> dict[str, str]:
    return {"item": item, "payer": payer, "payer_label": PAYERS[payer]}


def charges(kind: str, delivery: str) -> dict[str, Any]:
    """The charges of a case of ``kind`` and who bears each."""
    if kind not in KINDS:
        raise ValueError(f"办理类型{quoted(kind)}不对，应为{allowed(KIND_LABELS)}")
    if delivery not in DELIVERIES:
        raise ValueError(f"送达方式{quoted(delivery)}不对，应为{allowed(DELIVERIES)}")
    items = [_item(item, payer) for item, payer in KINDS[kind]]
    if delivery == "post":
        items.append(_item(_POSTAGE, "federation_budget"))
    return {"items": items}
