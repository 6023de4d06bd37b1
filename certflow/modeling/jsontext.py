"""JSON typed by people (forms, a test run's data): read it, and say what is wrong on which line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

# What a new form starts from: a JSON Schema (draft 2020-12) with no fields yet.
NEW_FORM = json.dumps({
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "新表单",
    "type": "object",
    "properties": {},
    "required": [],
    "additionalProperties": False,
}, ensure_ascii=False, indent=2) + "\n"

_KIND_NAMES: dict[type, str] = {dict: "JSON 对象（{…}）", list: "JSON 列表（[…]）"}


@dataclass(frozen=True)
class TextProblem:
    line: int | None
    message: str


def read_json(text: str, kind: type[dict[str, Any] | list[Any]], what: str, *,
              items: type | None = None) -> tuple[Any, list[TextProblem]]:
    """The value, if ``text`` is JSON of that kind (dict or list, with ``items`` of that kind); else the problem,
    with its line."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        return None, [TextProblem(error.lineno, f"{what}不是有效的 JSON（第 {error.colno} 列）：{error.msg}")]
    if not isinstance(value, kind):
        return None, [TextProblem(1, f"{what}应为{_KIND_NAMES[kind]}")]
    if items is not None and not all(isinstance(item, items) for item in value):
        return None, [TextProblem(1, f"{what}的每一项应为{_KIND_NAMES[items]}")]
    return value, []


def read_schema(text: str) -> tuple[dict[str, Any] | None, list[TextProblem]]:
    """A form's JSON Schema, if it is one the form macros can show; else every problem, with its line."""
    schema, problems = read_json(text, dict, "表单")
    if problems:
        return None, problems
    for error in sorted(Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(schema),
                        key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(map(str, error.absolute_path)) or "（根）"
        message = f"不是有效的 JSON Schema，{where}：{error.message}"
        problems.append(TextProblem(line_of(text, error.absolute_path), message))
    # A field given as true/false is valid JSON Schema, but says nothing a form could show.
    properties = schema.get("properties")
    for name, field in properties.items() if isinstance(properties, dict) else ():
        if not isinstance(field, dict):
            problems.append(TextProblem(line_of(text, ["properties", name]), f"字段 {name} 的定义应为 JSON 对象"))
    return (None if problems else schema), problems


def line_of(text: str, path: Sequence[str | int]) -> int:
    """The line where the member at ``path`` starts, found by its keys in order (array positions are skipped)."""
    position = 0
    for key in path:
        if isinstance(key, str):
            found = text.find(json.dumps(key, ensure_ascii=False), position)
            if found < 0:
                break
            position = found
    return text.count("\n", 0, position) + 1
