"""Task forms as HTML: the fields a JSON Schema form shows, and posted values read back as typed data.

The schema stays the one source of rules: ``read_submission`` only turns the strings a browser posts
into the JSON types ``certflow.engine.forms.validate`` expects, leaving out empty inputs so that a
missing required field is reported by the schema ("必填") like any other error; ``check_submission``
does both, so a page shows every error after one submit.

Widgets, by the property's schema:

- ``boolean`` → "boolean" (radio 是/否)
- choices (``enum``, or ``oneOf``/``anyOf`` of ``const``) → "radio" up to 4 options, else "select"
- array of choices → "checkboxes"; array of free values → "lines" (a textarea, one item per line)
- ``integer``/``number`` → "number"
- ``format: date`` → "date"; ``format: date-time`` → "datetime" (datetime-local, China time)
- ``format: password`` → "password" (never shown again after a submit)
- string with ``maxLength`` >= 200 → "textarea"; any other string → "text"
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from certflow.engine.calendar import CHINA_TZ
from certflow.engine.errors import FieldError
from certflow.engine.forms import validate

RADIO_MAX_OPTIONS = 4
TEXTAREA_MIN_LENGTH = 200
_BOOLEAN_CHOICES: tuple[tuple[Any, str], ...] = ((True, "是"), (False, "否"))
_LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what a datetime-local input shows and posts


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    widget: str  # text, textarea, select, radio, checkboxes, boolean, date, datetime, number, lines, password
    required: bool  # always, or under a condition (then ``conditional`` is set)
    conditional: bool = False
    required_when: str = ""  # e.g. 审核结论为“驳回”时必填; "" unless conditional
    description: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (value as posted, label)
    maxlength: int | None = None


@dataclass(frozen=True)
class PageForm:
    """A form as an administration page shows it: its fields, the values in them, and the errors beside them."""

    fields: list[Field]
    values: dict[str, Any]
    errors: dict[str, list[str]]


def fields(schema: dict[str, Any]) -> list[Field]:
    """One field per property, in the schema's order."""
    properties: dict[str, Any] = schema.get("properties", {})
    always = set(schema.get("required", []))
    when = _required_when(schema)
    result = []
    for name, prop in properties.items():
        conditional = name in when and name not in always
        choices = _choices(prop.get("items", {}) if prop.get("type") == "array" else prop)
        result.append(Field(
            name=name,
            label=prop.get("title") or name,
            widget=_widget(prop),
            required=name in always or conditional,
            conditional=conditional,
            required_when=when[name] if conditional else "",
            description=prop.get("description", ""),
            options=tuple((_as_text(value), label) for value, label in choices),
            maxlength=prop.get("maxLength") if prop.get("type") == "string" else None,
        ))
    return result


def read_submission(schema: dict[str, Any], form: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Posted form values as typed data for ``validate``, and the values that could not be read at all."""
    data: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field in fields(schema):
        prop = schema["properties"][field.name]
        if field.widget == "checkboxes":
            texts = _posted_list(form, field.name)
        elif field.widget == "lines":
            texts = _posted_text(form, field.name).splitlines()
        else:
            texts = [_posted_text(form, field.name)]
        texts = [text.strip() for text in texts if text.strip()]
        if not texts:
            continue
        item = prop.get("items", {}) if prop.get("type") == "array" else prop
        try:
            values = [_convert(item, text) for text in texts]
        except ValueError as error:
            errors.append(FieldError(field.name, str(error)))
            continue
        data[field.name] = values if prop.get("type") == "array" else values[0]
    return data, errors


def check_submission(
    schema: dict[str, Any], form: Mapping[str, Any], decided: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], list[FieldError]]:
    """``read_submission`` then ``validate``: every error at once, so one round trip shows all that needs fixing.

    A value that could not be read keeps its own message; the schema's "必填" for it would only confuse.
    ``decided`` holds values the server sets rather than the browser (e.g. the materials an online applicant
    uploaded files for): they replace whatever was posted under those names.
    """
    data, errors = read_submission(schema, form)
    data.update(decided or {})
    unreadable = {error.field for error in errors}
    errors += [error for error in validate(schema, data) if error.field.partition(".")[0] not in unreadable]
    return data, errors


def form_values(schema: dict[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """What the inputs show for saved data (a draft, or a completed task): a string, or a list for checkboxes."""
    values: dict[str, Any] = {}
    for field in fields(schema):
        value = data.get(field.name)
        if field.widget == "checkboxes":
            values[field.name] = [_as_text(item) for item in value or []]
        elif value is None:
            values[field.name] = ""
        elif field.widget == "lines":
            values[field.name] = "\n".join(_as_text(item) for item in value)
        elif field.widget == "datetime":
            values[field.name] = _local_minute(value)
        else:
            values[field.name] = _as_text(value)
    return values


def posted_values(schema: dict[str, Any], form: Mapping[str, Any]) -> dict[str, Any]:
    """The values exactly as posted, to show again beside their errors (even when they are not valid)."""
    return {
        field.name: _posted_list(form, field.name) if field.widget == "checkboxes" else _posted_text(form, field.name)
        for field in fields(schema)
    }


def errors_by_field(errors: list[FieldError]) -> dict[str, list[str]]:
    """Messages by top-level field ("" for the whole form); an item's error says which item."""
    grouped: dict[str, list[str]] = {}
    for error in errors:
        name, _, rest = error.field.partition(".")
        message = error.message
        if rest:
            message = f"第{int(rest) + 1}项：{message}" if rest.isdigit() else f"{rest}：{message}"
        grouped.setdefault(name, []).append(message)
    return grouped


def _widget(prop: dict[str, Any]) -> str:
    kind = prop.get("type")
    if kind == "array":
        return "checkboxes" if _choices(prop.get("items", {})) else "lines"
    if kind == "boolean":
        return "boolean"
    choices = _choices(prop)
    if choices:
        return "radio" if len(choices) <= RADIO_MAX_OPTIONS else "select"
    if kind in ("integer", "number"):
        return "number"
    if prop.get("format") == "date":
        return "date"
    if prop.get("format") == "date-time":
        return "datetime"
    if prop.get("format") == "password":
        return "password"
    return "textarea" if prop.get("maxLength", 0) >= TEXTAREA_MIN_LENGTH else "text"


def _choices(prop: dict[str, Any]) -> tuple[tuple[Any, str], ...]:
    """(value, label) pairs a property allows, or () when it takes free input."""
    if prop.get("type") == "boolean":
        return _BOOLEAN_CHOICES
    if "enum" in prop:
        return tuple((value, _as_text(value)) for value in prop["enum"])
    branches = prop.get("oneOf") or prop.get("anyOf") or []
    if branches and all("const" in branch for branch in branches):
        return tuple((branch["const"], branch.get("title") or _as_text(branch["const"])) for branch in branches)
    return ()


def _required_when(schema: dict[str, Any]) -> dict[str, str]:
    """Fields an if/then makes required, with the condition in words."""
    conditions: dict[str, list[str]] = {}
    for rule in [schema, *schema.get("allOf", [])]:
        if "if" in rule:
            condition = _condition(schema, rule["if"])
            for name in rule.get("then", {}).get("required", []):
                conditions.setdefault(name, []).append(condition)
    return {
        name: "或".join(texts) + "时必填" if all(texts) else "视情况必填"
        for name, texts in conditions.items()
    }


def _condition(schema: dict[str, Any], test: dict[str, Any]) -> str:
    """'残疾类别为“多重”' for an ``if`` made of ``const`` tests; "" when it says something else."""
    parts = []
    for name, sub in test.get("properties", {}).items():
        prop = schema.get("properties", {}).get(name)
        if prop is None or set(sub) != {"const"}:
            return ""
        labels = {_as_text(value): label for value, label in _choices(prop)}
        value = _as_text(sub["const"])
        parts.append(f"{prop.get('title') or name}为“{labels.get(value, value)}”")
    return "且".join(parts)


def _convert(prop: dict[str, Any], text: str) -> Any:
    """One posted string as the schema's type; ValueError (with the message to show) when it cannot be."""
    for value, _label in _choices(prop):
        if _as_text(value) == text:
            return value
    kind = prop.get("type")
    if kind == "integer":
        try:
            return int(text)
        except ValueError:
            raise ValueError("应为整数") from None
    if kind == "number":
        return _number(text)
    if kind == "boolean":
        raise ValueError("应为是/否")
    if prop.get("format") == "date-time":
        return _china_time(text)
    return text


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        number = float(text)
    except ValueError:
        raise ValueError("应为数字") from None
    if not math.isfinite(number):
        raise ValueError("应为数字")
    return number


def _china_time(text: str) -> str:
    """A datetime-local value carries no offset: it is China time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # validate() says what is wrong with it
    if moment.tzinfo is not None:
        return text
    return moment.replace(tzinfo=CHINA_TZ).isoformat(timespec="seconds")


def _local_minute(value: Any) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(CHINA_TZ)
    return moment.strftime(_LOCAL_MINUTE)


def _as_text(value: Any) -> str:
    """A value as an HTML form posts it: JSON's true/false, not Python's True/False."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _posted_text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    return "" if value is None else str(value)


def _posted_list(form: Mapping[str, Any], name: str) -> list[str]:
    if isinstance(form, MultiDict):
        return [str(value) for value in form.getlist(name)]
    value = form.get(name)
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, list | tuple) else [str(value)]
