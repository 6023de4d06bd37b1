"""JSON typed by people (forms, a test run's data): read it, and say what is wrong on which line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from certflow.engine.errors import json_mistake

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

# JSON Schema's types in words; the keyword stays beside each, as the analyst writes it in "type".
_TYPE_NAMES = {"object": "对象", "array": "列表", "string": "文字", "integer": "整数", "number": "数字",
               "boolean": "真假值", "null": "空值"}
_SIMPLE_TYPES = "、".join(f"{name}（{label}）" for name, label in _TYPE_NAMES.items())


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
        return None, [TextProblem(error.lineno, f"{what}不是有效的 JSON（第 {error.colno} 列）：{json_mistake(error)}")]
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
        message = f"不是有效的 JSON Schema，{where}：{_schema_mistake(error)}"
        problems.append(TextProblem(line_of(text, error.absolute_path), message))
    # A field given as true/false is valid JSON Schema, but says nothing a form could show.
    properties = schema.get("properties")
    for name, field in properties.items() if isinstance(properties, dict) else ():
        if not isinstance(field, dict):
            problems.append(TextProblem(line_of(text, ["properties", name]), f"字段 {name} 的定义应为 JSON 对象"))
    return (None if problems else schema), problems


def _schema_mistake(error: ValidationError) -> str:
    """What the JSON Schema's own schema found wrong, in Chinese: jsonschema says it in English."""
    shown = json.dumps(error.instance, ensure_ascii=False)
    rule: Any = error.validator_value
    if error.validator == "type":
        wanted = [rule] if isinstance(rule, str) else rule
        return f"{shown} 的类型不对，应为" + "或".join(_TYPE_NAMES.get(t, t) for t in wanted)
    if error.validator in ("anyOf", "oneOf") and error.absolute_path and error.absolute_path[-1] == "type":
        return f"{shown} 不是 JSON Schema 的类型，应为 {_SIMPLE_TYPES}之一"
    if error.validator == "minimum":
        return f"{shown} 小于最小值 {rule}"
    if error.validator == "minItems":
        return f"至少应有 {rule} 项"
    if error.validator == "uniqueItems":
        return f"{shown} 中有重复的项"
    if error.validator == "enum":
        return f"{shown} 应为 " + "、".join(json.dumps(v, ensure_ascii=False) for v in rule) + "之一"
    return f"{shown} 不符合 JSON Schema 对这里的规定（{error.validator}）"


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
