"""The deployment's registry: the operators service tasks may call, the helpers scripts may use, and the
materials the application pages ask for.

Each entry adapts a plain handler function to the runtime: it picks the parameters the diagram
passes and the facts the runtime supplies (today's date, the jurisdiction). Adding a handler is
adding a line here; docs/processes.md lists them for analysts. certflow loads ``REGISTRY`` from the
folder ``CERTFLOW_HANDLERS`` names (``certflow.registry``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from certflow.engine import disability, guardians
from certflow.engine.services import Handlers, Operator, ServiceContext
from certflow.registry import Glossary, Materials, Registry

from . import assessment, cards, fees, glossary, identity, materials, notifications, publicity


def _identity_check(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
    return identity.check(params["id_number"], jurisdiction=ctx.jurisdiction, today=ctx.today)


def _materials_check(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
    return materials.check(params["channel"], params["parts"], bool(params["minor"]), params["materials"])


def _guardian_check(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
    # The guardian's fields are optional in the form: read from the data, required here when they apply.
    return guardians.check(data, params["parts"], bool(params["minor"]), ctx.today)


def _notify(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
    # A deployment beside the runtime's own federation signs its texts with its own name (case data).
    return notifications.compose(params["template"], data, signature=data.get("sms_signature") or ctx.signature)


def _certificate_number(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
    number = disability.certificate_number(params["id_number"], int(params["category_code"]), int(params["grade"]))
    return {"number": number}


def _void_card(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
    return cards.void(params["card_no"], params["reason"], ctx.today)


def _fees(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
    return fees.charges(params["kind"], params["delivery"])


def _posting_check(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
    # The caller's data names the assessment's date when it has one (Lushan's applications).
    return publicity.check_posting(params["posted_on"], data.get("assessed_on"), ctx.today)


def _objection_check(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
    return publicity.check_objection(params["objection"], params["posted_on"], ctx.today, ctx.calendar)


def _review_request_check(params: dict[str, Any], data: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
    return publicity.check_review_request(params["request"], params["opened_on"], params["last_day"], ctx.today)


OPERATORS: dict[str, Operator] = {
    op.name: op
    for op in (
        Operator("identity_check", ("id_number",), _identity_check),
        Operator("materials_check", ("channel", "parts", "minor", "materials"), _materials_check),
        Operator("guardian_check", ("parts", "minor"), _guardian_check),
        Operator("notify", ("template",), _notify, sends_notification=True),
        Operator("certificate_number", ("id_number", "category_code", "grade"), _certificate_number),
        Operator("void_card", ("card_no", "reason"), _void_card),
        Operator("fees", ("kind", "delivery"), _fees),
        Operator("posting_check", ("posted_on",), _posting_check),
        Operator("objection_check", ("objection", "posted_on"), _objection_check),
        Operator("review_request_check", ("request", "opened_on", "last_day"), _review_request_check),
    )
}


def script_helpers(ctx: ServiceContext) -> dict[str, Callable[..., Any]]:
    """Functions visible to scripts, conditions and timer expressions."""

    def working_days_deadline(start: str, n: int) -> str:
        return ctx.calendar.deadline(date.fromisoformat(str(start)[:10]), int(n)).isoformat()

    def add_working_days(start: str, n: int) -> str:
        return ctx.calendar.add_working_days(date.fromisoformat(str(start)[:10]), int(n)).isoformat()

    return {
        "today": ctx.today.isoformat,
        "add_working_days": add_working_days,
        "working_days_deadline": working_days_deadline,
        "assessment_sites": assessment.sites,
        "combine_assessments": assessment.combine,
        "category_code": disability.category_code,
        "missing_materials_notice": materials.missing_notice,
    }


HANDLERS = Handlers(operators=OPERATORS, helpers=script_helpers)
REGISTRY = Registry(handlers=HANDLERS, materials=Materials(names=materials.MATERIALS, required=materials.required),
                    glossary=Glossary(glossary.FIELDS, glossary.OPERATORS, glossary.MESSAGES))
