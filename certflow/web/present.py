"""Submitted data as people read it: labels and chosen options from the form's own titles."""

from __future__ import annotations

from typing import Any

from certflow.engine.privacy import mask_id


def _choice_titles(schema: dict[str, Any]) -> dict[Any, str]:
    options = schema.get("oneOf") or schema.get("anyOf") or []
    return {o["const"]: o.get("title", str(o["const"])) for o in options if isinstance(o, dict) and "const" in o}


def option_titles(schema: dict[str, Any] | None, field: str) -> dict[Any, str]:
    """The titles of a field's choices (of its items, for a list), e.g. material codes → names."""
    field_schema = (schema or {}).get("properties", {}).get(field, {})
    items = field_schema.get("items")
    return _choice_titles(items if isinstance(items, dict) else field_schema)


def _show(schema: dict[str, Any], value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        item_schema = schema.get("items", {}) if isinstance(schema.get("items"), dict) else {}
        return "、".join(_show(item_schema, v) for v in value) or "（无）"
    if isinstance(value, dict):
        return "；".join(f"{k}：{_show({}, v)}" for k, v in value.items())
    return _choice_titles(schema).get(value, str(value))


def describe(schema: dict[str, Any] | None, data: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs in the form's order, then anything the form does not name.

    Resident ID numbers are masked: showing one in full is a separate, recorded act.
    """
    properties = (schema or {}).get("properties", {})
    shown: list[tuple[str, str]] = []
    for name in [*properties, *(k for k in data if k not in properties)]:
        if name not in data or data[name] in (None, "", []):
            continue
        value = mask_id(data[name]) if name == "id_number" and isinstance(data[name], str) else data[name]
        field = properties.get(name, {})
        shown.append((field.get("title", name), _show(field, value)))
    return shown
