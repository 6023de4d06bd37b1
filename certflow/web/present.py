"""Case data as people read it: labels and chosen options from the form's own titles, and what a case waits on.

Resident ID numbers are masked here: showing one in full is a separate, recorded act.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator

from certflow.engine import formschema
from certflow.engine.calendar import CHINA_TZ
from certflow.engine.privacy import mask_personal
from certflow.engine.views import WaitingEvent

Rename = Callable[[str], str]

WAIT_KINDS = {
    "MessageEventDefinition": "消息", "SignalEventDefinition": "信号", "TimeDateEventDefinition": "定时",
    "DurationTimerEventDefinition": "定时", "CycleTimerEventDefinition": "定时",
}


def china_time(value: str | datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment as people in China read it; stored times are UTC."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(CHINA_TZ).strftime(fmt)


def waiting_text(event: WaitingEvent) -> str:
    """What a case waits on, in words: 消息“supplement”（applicant_ref：尚未确定）,
    定时“超时”（到期 2026-10-10 00:00）."""
    kind, value = WAIT_KINDS.get(event["event"], "事件"), event["value"]
    if isinstance(value, dict):  # a correlated message: the values the message must carry
        shown = "，".join(f"{name}：{'尚未确定' if v is None else v}" for name, v in value.items())
    elif kind == "定时" and isinstance(value, str):
        try:
            shown = "到期 " + china_time(value)
        except ValueError:  # a moment written in another form: shown as written
            shown = value
    else:
        shown = "" if value is None else str(value)
    return f"{kind}“{event['name'] or ''}”" + (f"（{shown}）" if shown else "")


def _choice_titles(schema: dict[str, Any]) -> dict[Any, str]:
    options = schema.get("oneOf") or schema.get("anyOf") or []
    return {o["const"]: o.get("title", str(o["const"])) for o in options if isinstance(o, dict) and "const" in o}


def option_titles(schema: dict[str, Any] | None, field: str) -> dict[Any, str]:
    """The titles of a field's choices (of its items, for a list), e.g. material codes → names."""
    field_schema = (schema or {}).get("properties", {}).get(field, {})
    items = field_schema.get("items")
    return _choice_titles(items if isinstance(items, dict) else field_schema)


def _show(schema: dict[str, Any], value: Any, rename: Rename) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        item_schema = schema.get("items", {}) if isinstance(schema.get("items"), dict) else {}
        if any(isinstance(v, dict) for v in value):  # rows of a form: numbered, so one row's fields stay together
            return " ".join(f"（{i}）{_show(item_schema, v, rename)}" for i, v in enumerate(value, 1))
        return "、".join(_show(item_schema, v, rename) for v in value) or "（无）"
    if isinstance(value, dict):
        # A nested object of a form (or a correlated message): its fields by their titles where the schema has them.
        fields = schema.get("properties", {}) if isinstance(schema.get("properties"), dict) else {}
        return "；".join(f"{fields.get(k, {}).get('title', k)}：{_show(fields.get(k, {}), v, rename)}"
                        for k, v in value.items())
    titles = _choice_titles(schema)
    if value in titles:
        return titles[value]
    if schema.get("format") == "date-time" and isinstance(value, str):
        try:
            return china_time(value)
        except ValueError:
            return value
    return rename(value) if isinstance(value, str) else str(value)


def describe(schema: dict[str, Any] | None, data: dict[str, Any], *, only_schema: bool = False,
             rename: Rename = str) -> list[tuple[str, str]]:
    """(label, value) pairs in the form's order, then (unless ``only_schema``) what the form does not name.

    ``rename`` turns ids into names, e.g. a village's group id into the village. ID numbers are masked wherever
    they stand, a certificate number's included.
    """
    left_out = _not_applying(schema or {}, data)
    data = mask_personal(data)
    properties = (schema or {}).get("properties", {})
    names = list(properties) if only_schema else [*properties, *(k for k in data if k not in properties)]
    shown: list[tuple[str, str]] = []
    for name in names:
        if name not in data or data[name] in (None, "", []) or name in left_out:
            continue
        field = properties.get(name, {})
        if field.get("writeOnly"):  # the form's own setting (a group id, the text's signature), not the person's
            continue
        shown.append((field.get("title", name), _show(field, data[name], rename)))
    return shown


def _not_applying(schema: dict[str, Any], data: dict[str, Any]) -> set[str]:
    """The fields the form shows only under conditions (if/then/else, dependencies) none of which ``data`` meets:
    "多重残疾包含的类别" beside a single category. The same rule as the form's page, read from the same schema."""
    applies: dict[str, bool] = {}
    for test, part, negated in formschema.conditions(schema):
        if test is None:
            holds = data.get(part["controller"]) not in (None, "", [])
        else:
            holds = Draft202012Validator(test).is_valid(data) != negated
        for name in [*(part.get("required") or []), *(part.get("properties") or {})]:
            applies[name] = applies.get(name, False) or holds
    return {name for name, holds in applies.items() if not holds}


def all_fields(forms: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One schema with every field of a version's forms: case data gathers values from several of them."""
    return {"properties": {k: v for schema in forms.values() for k, v in schema.get("properties", {}).items()}}


# The identity check's ``in_jurisdiction`` in words; cases from before it have none.
_JURISDICTION: dict[bool | None, str] = {True: "属本辖区的地址码", False: "非本辖区的地址码"}


def _issued_at(identity: dict[str, Any]) -> list[tuple[str, str]]:
    """Where the number was first issued: a hint for the clerk, who confirms the 户籍 from the 户口簿.

    Cases started before the hint existed recorded only ``in_jurisdiction`` (then also the verdict).
    """
    scope = _JURISDICTION.get(identity.get("in_jurisdiction"))
    parts = [part for part in (identity.get("issued_at"), scope) if part]
    return [("身份证签发地", f"{'，'.join(parts)}（户籍以户口簿为准）")] if parts else []


def system_checks(data: dict[str, Any], material_names: dict[Any, str]) -> list[tuple[str, str]]:
    """What the handlers found (docs/processes.md: ``identity``, ``materials_result``), in words."""
    checks: list[tuple[str, str]] = []
    identity = data.get("identity")
    if isinstance(identity, dict):
        if identity.get("valid"):
            age = f"，{identity['age']}岁" if identity.get("age") is not None else ""
            minor = "（未成年）" if identity.get("minor") else ""
            checks.append(("身份核验", f"身份证号码有效{age}{minor}"))
        else:
            checks.append(("身份核验", f"未通过：{identity.get('reason') or '身份证号码无效'}"))
        checks += _issued_at(identity)
    result = data.get("materials_result")
    if isinstance(result, dict):
        missing = [material_names.get(code, code) for code in result.get("missing", [])]
        checks.append(("材料核对", "缺少：" + "、".join(missing) if missing else "齐全"))
    return checks
