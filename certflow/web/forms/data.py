"""Posted strings read back as the typed, nested data the schema checks; data and posts as the inputs show them.

The schema stays the one source of rules: ``read_submission`` only turns the strings a browser posts into the
JSON types ``certflow.engine.forms.validate`` expects, leaving out empty inputs so that a missing required field
is reported by the schema ("必填") like any other error; ``check_submission`` does both, so a page shows every
error after one submit.

Values for the inputs are one flat dict by dotted path (``members.0.name``), with the number of rows under an
array of objects' own path. Each row posts its number under the array's path, so a row with nothing typed in it
is still a row; rows are numbered again from 0 in the order posted (the page's script numbers new rows on from
the highest it has), and that is the numbering of the data, of the values shown again and of the errors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from certflow.engine.calendar import CHINA_TZ
from certflow.engine.errors import FieldError
from certflow.engine.forms import validate
from certflow.web.forms.model import as_text, choices, kind, properties, row_count

_LOCAL_MINUTE = "%Y-%m-%dT%H:%M"  # what a datetime-local input shows and posts
# A date field whose schema says "x-default": "today" starts at the day the form is opened (China's calendar):
# 发放日期, 送达日期 … are entered on the day, and the clerk changes the few entered later.
TODAY = "today"


def read_submission(schema: dict[str, Any], form: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Posted form values as typed data for ``validate``, and the values that could not be read at all."""
    errors: list[FieldError] = []
    return _read_object(schema, form, "", "", errors, keep=True), errors


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
    errors += [error for error in validate(schema, data)
               if not any(error.field == name or error.field.startswith(name + ".") for name in unreadable)]
    return data, errors


def form_values(schema: dict[str, Any], data: Mapping[str, Any], today: date | None = None) -> dict[str, Any]:
    """What the inputs show for saved data (a draft, or a completed task): a string, or a list for checkboxes;
    given ``today``, the date fields marked to start at today (``TODAY``) that the data leaves empty show it."""
    values: dict[str, Any] = {}
    _flatten(schema, data if isinstance(data, Mapping) else {}, "", values, today)
    return values


def posted_values(schema: dict[str, Any], form: Mapping[str, Any], today: date | None = None) -> dict[str, Any]:
    """The values exactly as posted, to show again beside their errors (even when they are not valid); given
    ``today``, a date field marked to start at today that was not posted at all (hidden by its condition) shows
    it, as when the form was opened."""
    values: dict[str, Any] = {}
    _posted(schema, form, "", "", values, today)
    return values


def edit_rows(values: dict[str, Any], action: str) -> dict[str, Any] | None:
    """The values after a row button without the page's script: "add:members" adds a row, "remove:members.1"
    removes one (the rows after it move up); None for any other action."""
    verb, _, path = action.partition(":")
    if verb == "add" and isinstance(values.get(path), int):
        return {**values, path: values[path] + 1}
    array, _, index = path.rpartition(".")
    if verb != "remove" or not index.isdigit() or not isinstance(values.get(array), int):
        return None
    removed, edited = int(index), {}
    for name, value in values.items():
        if not name.startswith(array + "."):
            edited[name] = value
            continue
        number, _, rest = name.removeprefix(array + ".").partition(".")
        if number.isdigit() and int(number) != removed:
            shifted = int(number) - (int(number) > removed)
            edited[f"{array}.{shifted}" + (f".{rest}" if rest else "")] = value
    edited[array] = max(values[array] - 1, 0)
    return edited


def errors_by_field(errors: list[FieldError], schema: Mapping[str, Any] | None = None) -> dict[str, list[str]]:
    """Messages by the field they are shown beside ("" for the whole form). With the schema, an error inside a
    row is shown beside its field and says which row ("第2项 姓名：必填"); an item of a list of values is shown
    beside the list ("第2项：…"). Without it, beside the top-level field."""
    grouped: dict[str, list[str]] = {}
    for error in errors:
        key, message = _placed(error, schema)
        grouped.setdefault(key, []).append(message)
    return grouped


def _placed(error: FieldError, schema: Mapping[str, Any] | None) -> tuple[str, str]:
    parts = error.field.split(".") if error.field else []
    node: Mapping[str, Any] = schema or {}
    key: list[str] = []
    row = 0
    for at, part in enumerate(parts):
        props = properties(node) if node.get("type") in (None, "object") else {}
        if schema is None and not key:
            node = {}
        elif part in props:
            node = props[part]
        elif kind(node) == "rows" and part.isdigit():
            node, row = node["items"], int(part) + 1
        else:
            rest = ".".join(parts[at:])
            if not key:
                return rest, error.message
            message = f"第{int(rest) + 1}项：{error.message}" if rest.isdigit() else f"{rest}：{error.message}"
            return ".".join(key), message
        key.append(part)
    label = node.get("title") or (key[-1] if key else "")
    return ".".join(key), f"第{row}项 {label}：{error.message}" if row and kind(node) != "object" else error.message


def _read_object(node: Mapping[str, Any], form: Mapping[str, Any], posted: str, shown: str,
                 errors: list[FieldError], keep: bool) -> dict[str, Any]:
    """One object's posted values; ``posted`` is its inputs' prefix, ``shown`` the prefix its data and errors
    get (rows numbered again from 0). Empty nested objects are left out unless ``keep``."""
    data: dict[str, Any] = {}
    required = set(node.get("required") or [])
    for name, prop in properties(node).items():
        shape = kind(prop)
        if shape == "object":
            inner = _read_object(prop, form, f"{posted}{name}.", f"{shown}{name}.", errors, keep=name in required)
            if inner or name in required:
                data[name] = inner
        elif shape == "rows":
            rows = [_read_object(prop["items"], form, f"{posted}{name}.{number}.", f"{shown}{name}.{index}.",
                                 errors, keep=True)
                    for index, number in enumerate(_row_numbers(form, posted + name))]
            if rows or name in required:
                data[name] = rows
        elif shape is not None:
            try:
                value = _read_value(prop, shape, form, posted + name)
            except ValueError as error:
                errors.append(FieldError(shown + name, str(error)))
                continue
            if value is not None:
                data[name] = value
    return data if data or keep else {}


def _read_value(prop: Mapping[str, Any], shape: str, form: Mapping[str, Any], name: str) -> Any:
    if shape == "multi":
        texts = _posted_list(form, name)
    elif shape == "lines":
        texts = _posted_text(form, name).splitlines()
    else:
        texts = [_posted_text(form, name)]
    texts = [text.strip() for text in texts if text.strip()]
    if not texts:
        return None
    item = prop["items"] if shape in ("multi", "lines") else prop
    values = [_convert(item, text) for text in texts]
    return values if shape in ("multi", "lines") else values[0]


def _posted(node: Mapping[str, Any], form: Mapping[str, Any], posted: str, shown: str, values: dict[str, Any],
            today: date | None = None) -> None:
    for name, prop in properties(node).items():
        shape = kind(prop)
        if shape == "object":
            _posted(prop, form, f"{posted}{name}.", f"{shown}{name}.", values, today)
        elif shape == "rows":
            numbers = _row_numbers(form, posted + name)
            values[shown + name] = len(numbers)
            for index, number in enumerate(numbers):
                _posted(prop["items"], form, f"{posted}{name}.{number}.", f"{shown}{name}.{index}.", values, today)
        elif shape == "multi":
            values[shown + name] = _posted_list(form, posted + name)
        elif posted + name not in form and _starts_today(prop, today):
            values[shown + name] = today.isoformat() if today else ""
        elif shape is not None:
            values[shown + name] = _posted_text(form, posted + name)


def _starts_today(prop: Mapping[str, Any], today: date | None) -> bool:
    return today is not None and prop.get("format") == "date" and prop.get("x-default") == TODAY


def _flatten(node: Mapping[str, Any], data: Mapping[str, Any], prefix: str, values: dict[str, Any],
             today: date | None = None) -> None:
    for name, prop in properties(node).items():
        shape, value, path = kind(prop), data.get(name), prefix + name
        if shape == "object":
            _flatten(prop, value if isinstance(value, Mapping) else {}, path + ".", values, today)
        elif shape == "rows":
            rows = value if isinstance(value, list) else []
            values[path] = len(rows) if rows else row_count(prop, {}, path)
            for index, row in enumerate(rows):
                _flatten(prop["items"], row if isinstance(row, Mapping) else {}, f"{path}.{index}.", values)
        elif shape == "multi":
            values[path] = [as_text(item) for item in value or []]
        elif value is None and _starts_today(prop, today):
            values[path] = today.isoformat() if today else ""
        elif value is None:
            values[path] = ""
        elif shape == "lines":
            values[path] = "\n".join(as_text(item) for item in value)
        elif prop.get("format") == "date-time":
            values[path] = _local_minute(value)
        else:
            values[path] = as_text(value)


def _row_numbers(form: Mapping[str, Any], name: str) -> list[str]:
    """The numbers of the rows posted for an array of objects, in the page's order, each once."""
    return list(dict.fromkeys(number for number in _posted_list(form, name) if number.isdigit()))


def _convert(prop: Mapping[str, Any], text: str) -> Any:
    """One posted string as the schema's type; ValueError (with the message to show) when it cannot be."""
    for value, _label in choices(prop):
        if as_text(value) == text:
            return value
    converters: dict[str, Callable[[str], Any]] = {"integer": _integer, "number": _number, "boolean": _boolean}
    kind_of = prop.get("type")
    if isinstance(kind_of, str) and kind_of in converters:
        return converters[kind_of](text)
    if prop.get("format") == "date-time":
        return _china_time(text)
    return text


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("应为整数") from None


def _boolean(text: str) -> bool:
    raise ValueError("应为是/否")


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
