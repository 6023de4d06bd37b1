"""Case data as people read it: labels and chosen options from the form's own titles, and what a case waits on.

Resident ID numbers are masked here: showing one in full is a separate, recorded act.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from jsonschema import Draft202012Validator

from certflow.engine import formschema
from certflow.engine.calendar import CHINA_TZ
from certflow.engine.privacy import mask_personal
from certflow.engine.views import WaitingEvent

Rename = Callable[[str], str]
Glossary = dict[str, Any]  # data name -> its JSON Schema for people (title, choices, keys), as Registry.glossary

_TIMERS = {"TimeDateEventDefinition", "DurationTimerEventDefinition", "CycleTimerEventDefinition"}


def china_time(value: str | datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment as people in China read it; stored times are UTC."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(CHINA_TZ).strftime(fmt)


def waiting_text(event: WaitingEvent) -> str:
    """What a case waits on, as the diagram names it, with the moment a timer is due: 等待补正材料,
    公示期满（2026-10-10 00:00 到期）. The message's name and its correlation stay in the API's data."""
    label, value = event["label"], event["value"]
    if event["event"] in _TIMERS and isinstance(value, str):
        try:
            return f"{label}（{china_time(value)} 到期）"
        except ValueError:  # a duration or a moment written in another form: the due moment is not known here
            pass
    return label


def _choice_titles(schema: dict[str, Any]) -> dict[Any, str]:
    options = schema.get("oneOf") or schema.get("anyOf") or []
    return {o["const"]: o.get("title", str(o["const"])) for o in options if isinstance(o, dict) and "const" in o}


def option_titles(schema: dict[str, Any] | None, field: str) -> dict[Any, str]:
    """The titles of a field's choices (of its items, for a list), e.g. material codes → names."""
    field_schema = (schema or {}).get("properties", {}).get(field, {})
    items = field_schema.get("items")
    return _choice_titles(items if isinstance(items, dict) else field_schema)


def _field(schema: dict[str, Any], name: str, glossary: Glossary) -> dict[str, Any]:
    """A key's schema: the form's (or the enclosing object's) own, over the glossary's name for it."""
    properties = schema.get("properties")
    return {**glossary.get(name, {}), **(properties.get(name, {}) if isinstance(properties, dict) else {})}


def _show(schema: dict[str, Any], value: Any, rename: Rename, glossary: Glossary) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        item_schema = schema.get("items", {}) if isinstance(schema.get("items"), dict) else {}
        if any(isinstance(v, dict) for v in value):  # rows of a form: numbered, so one row's fields stay together
            return " ".join(f"（{i}）{_show(item_schema, v, rename, glossary)}" for i, v in enumerate(value, 1))
        return "、".join(_show(item_schema, v, rename, glossary) for v in value) or "（无）"
    if isinstance(value, dict):
        # A nested object of a form, a handler's result, a message: its fields by their titles, as a form's are.
        return "；".join(f"{label}：{shown}" for label, shown in _pairs(schema, value, list(value), rename, glossary))
    titles = _choice_titles(schema)
    if value in titles:
        return titles[value]
    if schema.get("format") == "date-time" and isinstance(value, str):
        try:
            return china_time(value)
        except ValueError:
            return value
    return rename(value) if isinstance(value, str) else str(value)


def _pairs(schema: dict[str, Any], data: dict[str, Any], names: list[str], rename: Rename,
           glossary: Glossary) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    for name in names:
        if name not in data or data[name] in (None, "", []):
            continue
        field = _field(schema, name, glossary)
        if not field.get("writeOnly"):  # the form's own setting (a group id, the text's signature), not the person's
            shown.append((field.get("title", name), _show(field, data[name], rename, glossary)))
    return shown


def describe(schema: dict[str, Any] | None, data: dict[str, Any], *, only_schema: bool = False,
             rename: Rename = str, glossary: Glossary | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs in the form's order, then (unless ``only_schema``) what the form does not name; a field
    the form shows only under conditions the data does not meet is left out.

    Labels and choices are the form's, else the ``glossary``'s (the deployment's names of the data no form asks
    for: ``Registry.glossary.fields``), at any depth. ``rename`` turns ids into names, e.g. a village's group id
    into the village. ID numbers are masked wherever they stand, a certificate number's included.
    """
    schema = schema or {}
    left_out = _not_applying(schema, data)
    data = mask_personal(data)
    properties = schema.get("properties", {})
    names = list(properties) if only_schema else [*properties, *(k for k in data if k not in properties)]
    return _pairs(schema, data, [n for n in names if n not in left_out], rename, glossary or {})


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


def all_fields(forms: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """One schema with every field of a version's forms: case data gathers values from several of them."""
    return {"properties": {k: v for schema in forms.values() for k, v in schema.get("properties", {}).items()}}


def with_forms(glossary: Glossary, forms: Mapping[str, dict[str, Any]]) -> Glossary:
    """The glossary with every field of these forms over it: a form's title wins, the glossary's choices stay."""
    fields = all_fields(forms)["properties"]
    return {**glossary, **{name: {**glossary.get(name, {}), **field} for name, field in fields.items()}}


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
