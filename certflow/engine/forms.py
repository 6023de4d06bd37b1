"""Validate submitted form data against a task's JSON Schema, with messages a clerk can read.

Every error names its field (a dotted path, ``""`` for the form as a whole) so a page can show
it beside the input and the API can return one entry per field.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from certflow.engine import formschema, residentid
from certflow.engine.errors import FieldError


def _is_datetime(value: object) -> bool:
    # Browsers' datetime-local inputs send no offset; such a time is read as China time later.
    if isinstance(value, str):
        datetime.fromisoformat(value)
    return True


def _formats(today: date | None) -> FormatChecker:
    """The formats forms may name; ``resident-id`` (GB 11643-1999) refuses a birth date after ``today``."""
    checker = FormatChecker(formats=("date", "email"))
    checker.checks("date-time", raises=ValueError)(_is_datetime)

    @checker.checks("resident-id", raises=residentid.InvalidNumber)
    def _is_resident_id(value: object) -> bool:
        return not isinstance(value, str) or bool(residentid.validated(value, today))

    return checker

_TYPES = {"string": "文本", "integer": "整数", "number": "数字", "boolean": "是/否", "array": "列表", "object": "对象"}
_FORMAT_NAMES = {"date": "日期(YYYY-MM-DD)", "date-time": "日期时间", "email": "电子邮箱"}


def validate(schema: dict[str, Any], data: Any, *, today: date | None = None) -> list[FieldError]:
    """Every error of ``data``; ``today`` (China) bounds the birth date of a ``resident-id``."""
    # Choices from task data not filled in (no task's data at hand, e.g. a start form) offer nothing.
    checked = formschema.normalised(formschema.with_task_data(schema, {}))
    validator = Draft202012Validator(checked, format_checker=_formats(today))
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(e.absolute_path), e.validator))
    # Each branch of a oneOf of choices fails on its own: say "不是可选的值" once, not once per choice.
    return list(dict.fromkeys(found for error in _leaves(errors) for found in _field_errors(error)))


def _leaves(errors: list[ValidationError]) -> list[ValidationError]:
    """Errors inside if/then or allOf are reported by their own cause, not by the wrapper."""
    found: list[ValidationError] = []
    for error in errors:
        if error.context:
            found.extend(_leaves(list(error.context)))
        else:
            found.append(error)
    return found


def _unexpected(error: ValidationError) -> list[str]:
    """The names ``additionalProperties`` refused (jsonschema's own message is English)."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance if isinstance(error.instance, dict) else {}  # the keyword checks objects only
    known = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    return [
        str(name) for name in instance
        if name not in known and not any(re.search(p, str(name)) for p in patterns)
    ]


def _missing(error: ValidationError) -> list[str]:
    """The names a ``required`` or ``dependentRequired`` error found missing, from the keyword's value and the
    object it checked (jsonschema's message is English and quotes names its own way)."""
    instance = error.instance if isinstance(error.instance, dict) else {}
    needed: Any = error.validator_value
    if str(error.validator) == "dependentRequired":
        needed = [name for present, names in dict(needed).items() if present in instance for name in names]
    return [str(name) for name in needed if name not in instance]


def _field_errors(error: ValidationError) -> list[FieldError]:
    path = [str(p) for p in error.absolute_path]
    kind = str(error.validator)  # the keyword that failed, set on every error a validator yields
    if kind in ("required", "dependentRequired"):
        return [FieldError(".".join([*path, name]), "必填") for name in _missing(error)]
    if kind == "additionalProperties":
        return [FieldError(".".join(path), f"表单中没有这些字段：{'、'.join(_unexpected(error))}")]
    messages = {
        "type": lambda: f"应为{_TYPES.get(str(error.validator_value), error.validator_value)}",
        "enum": lambda: "不是可选的值",
        "const": lambda: "不是可选的值",
        "oneOf": lambda: "不是可选的值",
        "pattern": lambda: "格式不正确",
        # A resident ID number says which of its checks failed: that is what the person must correct.
        "format": lambda: (str(error.cause) if isinstance(error.cause, residentid.InvalidNumber)
                           else f"应为{_FORMAT_NAMES.get(str(error.validator_value), error.validator_value)}"),
        "minLength": lambda: f"至少{error.validator_value}个字",
        "maxLength": lambda: f"最多{error.validator_value}个字",
        "minimum": lambda: f"不能小于{error.validator_value}",
        "maximum": lambda: f"不能大于{error.validator_value}",
        "minItems": lambda: f"至少选择{error.validator_value}项",
        "maxItems": lambda: f"最多选择{error.validator_value}项",
        "uniqueItems": lambda: "有重复的项",
    }
    return [FieldError(".".join(path), messages.get(kind, lambda: "不符合要求")())]
