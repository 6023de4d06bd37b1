"""Text messages (短信) the processes send, and to whom.

The templates are each county's (``handlers/texts/``). A template is filled with ``str.format`` from
the case's task data (``{site[group]}`` reaches into nested data). A few fields are derived from the
data (``DERIVED``) so that lists, codes and times read naturally. ``notify`` in the registry queues
the composed message in the outbox.

SMS is not a private channel: every resident identity number that would end up in a text is
masked, whichever field it came from (a certificate number starts with one).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from certflow.engine.calendar import moment_text
from certflow.engine.disability import GRADE_NAMES
from certflow.engine.errors import allowed, quoted
from certflow.engine.privacy import mask_id_numbers

from .fees import DELIVERIES
from .texts import lushan, shizong
from .texts.template import Template

DEFAULT_SIGNATURE = "庐山市残联"

# Template name -> its text, of every county the deployment serves.
TEMPLATES: dict[str, Template] = {**lushan.TEMPLATES, **shizong.TEMPLATES}
TEMPLATE_LABELS: dict[str, str] = {name: template.label for name, template in TEMPLATES.items()}


def _listing(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "、".join(str(item) for item in value)


def _grade(value: Any) -> str:
    try:
        return GRADE_NAMES[value]
    except (KeyError, TypeError):
        raise ValueError(f"残疾等级{quoted(value)}不对，应为{allowed(GRADE_NAMES)}") from None


def _fee_items(items: Any) -> str:
    return "、".join(f"{item['item']}（{item['payer_label']}）" for item in items)


def _delivery(value: Any) -> str:
    try:
        return DELIVERIES[value]
    except (KeyError, TypeError):
        raise ValueError(f"送达方式{quoted(value)}不对，应为{allowed(DELIVERIES)}") from None


# Field a text may use -> (the task data field it is made from, how).
DERIVED: dict[str, tuple[str, Callable[[Any], str]]] = {
    "site_parts": ("site[parts]", _listing),
    "bring_items_text": ("bring_items", _listing),
    "appointment_time": ("appointment_at", moment_text),
    "review_last_day_text": ("review_last_day", moment_text),
    "delivery_text": ("delivery", _delivery),
    "card_grade_text": ("card_grade", _grade),
    "review_fee_text": ("review_fees[items]", _fee_items),
}

# Free text typed by clerks may already end a sentence; the templates supply the punctuation.
_TRAILING = "。．.；;，, \t\r\n"


class _MissingField(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class _Formatter(string.Formatter):
    def _lookup(self, field_name: str, data: Mapping[str, Any]) -> Any:
        try:
            value, _ = super().get_field(field_name, (), data)
        except (KeyError, IndexError, AttributeError, TypeError):
            raise _MissingField(field_name) from None
        if value is None or (isinstance(value, (str, list, tuple, dict)) and not value):
            raise _MissingField(field_name)
        return value

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[Any, str]:
        if field_name in DERIVED:
            source, derive = DERIVED[field_name]
            return derive(self._lookup(source, kwargs)), field_name
        return self._lookup(field_name, kwargs), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, str):
            value = value.strip().rstrip(_TRAILING)
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


def _render(name: str, pattern: str, data: Mapping[str, Any]) -> str:
    try:
        return _FORMATTER.vformat(pattern, (), data)
    except _MissingField as missing:
        raise ValueError(
            f"短信“{TEMPLATE_LABELS[name]}”要用到案件数据中的变量 {missing.field}，但它没有值或是空的"
        ) from None


def compose(template: str, data: dict[str, Any], *, signature: str = DEFAULT_SIGNATURE) -> dict[str, Any]:
    """The message ``template`` makes from the task data, ready for the outbox."""
    spec = TEMPLATES.get(template)
    if spec is None:
        raise ValueError(f"没有名为{quoted(template)}的短信模板，应为{allowed(TEMPLATE_LABELS)}")
    group = spec.group
    if spec.group_field:
        group = _render(template, "{" + spec.group_field + "}", data)
    phone = _render(template, "{" + spec.phone_field + "}", data) if spec.phone_field else None
    addressee = ""
    if spec.recipient_role == "applicant" and (data.get("guardian") or {}).get("needed"):
        # A guardian acts for the applicant (certflow.engine.guardians): the applicant's texts go to them.
        phone = _render(template, "{guardian_phone}", data)
        addressee = _render(template, "致监护人{guardian_name}：", data)
    text = f"【{signature}】" + addressee + _render(template, spec.text, data)
    return {
        "template": template,
        "recipient_role": spec.recipient_role,
        "recipient_group": group,
        "recipient_phone": phone,
        "text": mask_id_numbers(text),
    }
