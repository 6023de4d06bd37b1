"""JSON and JSON Schema typed by an analyst: what is wrong is said in Chinese, on its line."""

from __future__ import annotations

import re

import pytest

from certflow.modeling.jsontext import read_json, read_schema


@pytest.mark.parametrize(("text", "says"), [
    ('{"a": 1,}', "第 9 列）：键名应写在双引号里（最后一项后面不能有逗号）"),
    ('{"a" 1}', "第 6 列）：键名后缺少冒号"),
    ('{"a": 1 "b": 2}', "第 9 列）：缺少逗号"),
    ('{"a": "x', "第 7 列）：文字缺少结尾的双引号"),
    ("{} x", "第 4 列）：JSON 结束后还有多余的内容"),
    ('{"a": ', "第 7 列）：这里缺少一个值（或多了一个逗号）"),
])
def test_json_mistakes_are_said_in_chinese(text: str, says: str) -> None:
    _, [problem] = read_json(text, dict, "表单")
    assert problem.message == f"表单不是有效的 JSON（{says}"


TYPES = ("object（对象）、array（列表）、string（文字）、integer（整数）、number（数字）、boolean（真假值）、"
         "null（空值）")


@pytest.mark.parametrize(("schema", "says"), [
    ('{"type": "obj"}', f'type："obj" 不是 JSON Schema 的类型，应为 {TYPES}之一'),
    ('{"required": "name"}', 'required："name" 的类型不对，应为列表'),
    ('{"properties": {"name": {"minLength": -1}}}', "properties/name/minLength：-1 小于最小值 0"),
    ('{"required": ["name", "name"]}', 'required：["name", "name"] 中有重复的项'),
    ('{"properties": {"name": {"title": 1}}}', "properties/name/title：1 的类型不对，应为文字"),
])
def test_json_schema_mistakes_are_said_in_chinese(schema: str, says: str) -> None:
    _, [problem] = read_schema(schema)
    assert problem.message == f"不是有效的 JSON Schema，{says}"
    assert not re.search(r"\b(is|not|of|valid|under|than)\b", problem.message)  # jsonschema's English
