"""A form's fields as a tree, from its JSON Schema and its uiSchema: what the macros in macros/form.html draw.

Each field is named by its dotted path in the data (``members.1.name``): that is the input's name, the key of
its value and of its errors. Objects are fieldsets of their fields; an array of objects is rows of objects,
with a blank row (numbered ``__i__``) for the page's script to copy. A field that applies only under a
condition (if/then/else, dependencies) carries the condition for the script, and the condition in words for a
page without it.

Widgets, by the property's schema unless its uiSchema's ``ui:widget`` names another that fits:

- ``boolean`` → "boolean" (radio 是/否)
- choices (``enum``, ``const``, or ``oneOf``/``anyOf`` of ``const``) → "radio" up to 4 options, else "select"
- array of choices → "checkboxes"; array of free values → "lines" (a textarea, one item per line)
- ``integer``/``number`` → "number"
- ``format: date`` → "date"; ``format: date-time`` → "datetime" (datetime-local, China time)
- ``format: password`` → "password" (never shown again after a submit)
- string with ``maxLength`` >= 200 → "textarea"; any other string → "text"
- object → "object"; array of objects → "rows"; what the page cannot draw → "undrawable" (a note, no input)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from certflow.engine import formschema
from certflow.engine.formschema import Undrawable

RADIO_MAX_OPTIONS = 4
TEXTAREA_MIN_LENGTH = 200
ROW_MARK = "__i__"  # a new row's number in the blank row, replaced by the page's script
_BOOLEAN_CHOICES: tuple[tuple[Any, str], ...] = ((True, "是"), (False, "否"))
# The ui:widget values that fit each shape; "updown" (react-jsonschema-form's number input) is "number" here.
_FITTING = {
    "choice": {"radio", "select", "hidden"},
    "boolean": {"radio", "select", "hidden", "checkbox"},
    "value": {"text", "textarea", "password", "email", "date", "datetime", "hidden", "updown"},
    "multi": {"checkboxes"},
}
_UI_WIDGET = {"email": "text", "updown": "number"}


@dataclass(frozen=True)
class Field:
    name: str  # the dotted path: the input's name, and the key of its value and its errors
    label: str
    widget: str  # text, textarea, select, radio, checkboxes, boolean, checkbox (one box for a boolean), date,
    #              datetime, number, lines, password, hidden, object, rows, undrawable
    required: bool  # always, or under a condition (then ``conditional`` is set)
    conditional: bool = False
    required_when: str = ""  # e.g. 审核结论为“驳回”时必填; "" unless required under a condition
    description: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (value as posted, label)
    maxlength: int | None = None
    show_when: str = ""  # JSON for the page's script: the conditions under which the field applies
    help: str = ""  # ui:help
    placeholder: str = ""  # ui:placeholder
    rows: int = 4  # a textarea's lines (ui:options rows)
    inline: bool = False  # choices on one line (ui:options inline)
    show_label: bool = True  # ui:options label false hides it
    inputmode: str = ""  # the keyboard a phone shows for a text input (HTML inputmode), e.g. tel
    autocomplete: str = ""  # what the browser may fill in (HTML autocomplete), e.g. tel, name, off
    children: tuple[Field, ...] = ()  # an object's fields; the rows of an array of objects
    blank: Field | None = None  # rows: a new row, numbered ROW_MARK

    @property
    def key(self) -> str:
        """The last part of the name (the property's own name), for CSS classes."""
        return self.name.rpartition(".")[2]


@dataclass(frozen=True)
class PageForm:
    """A form as an administration page shows it: its fields, the values in them, and the errors beside them."""

    fields: list[Field]
    values: dict[str, Any]
    errors: dict[str, list[str]]


def fields(schema: dict[str, Any], ui: Mapping[str, Any] | None = None,
           values: Mapping[str, Any] | None = None) -> list[Field]:
    """The form's fields, in ``ui:order`` (else the schema's order); ``values`` (as ``form_values`` gives them)
    say how many rows each array of objects has."""
    return list(_object_fields(schema, ui or {}, "", values or {}))


def properties(node: Mapping[str, Any]) -> dict[str, Any]:
    """An object's properties, with those only its conditions (then/else, dependencies) define after its own."""
    found = dict(node.get("properties") or {})
    for _test, part, _negated in formschema.conditions(dict(node)):
        for name, prop in (part.get("properties") or {}).items():
            if isinstance(prop, dict) and name not in found:
                found[name] = prop
    return found


def kind(prop: Any) -> str | None:
    """The shape of a property (formschema.shape), or None for one the page cannot draw."""
    try:
        return formschema.shape(prop)
    except Undrawable:
        return None


def row_count(prop: Mapping[str, Any], values: Mapping[str, Any], path: str) -> int:
    """How many rows an array of objects shows: as many as its values have, else as many as it needs."""
    count = values.get(path)
    return count if isinstance(count, int) else int(prop.get("minItems", 0))


def choices(prop: Mapping[str, Any]) -> tuple[tuple[Any, str], ...]:
    """(value, label) pairs a property allows, or () when it takes free input."""
    if prop.get("type") == "boolean":
        return _BOOLEAN_CHOICES
    if "enum" in prop:
        return tuple((value, as_text(value)) for value in prop["enum"])
    if "const" in prop:
        return ((prop["const"], prop.get("title") or as_text(prop["const"])),)
    branches = prop.get("oneOf") or prop.get("anyOf") or []
    if branches and all(isinstance(branch, dict) and "const" in branch for branch in branches):
        return tuple((branch["const"], branch.get("title") or as_text(branch["const"])) for branch in branches)
    return ()


def as_text(value: Any) -> str:
    """A value as an HTML form posts it: JSON's true/false, not Python's True/False."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _object_fields(node: Mapping[str, Any], ui: Mapping[str, Any], prefix: str,
                   values: Mapping[str, Any]) -> list[Field]:
    found = properties(node)
    always = set(node.get("required") or [])
    rules = _rules(dict(node), prefix)
    result = []
    for name in _ordered(list(found), ui.get("ui:order")):
        prop, path, own_ui = found[name], prefix + name, ui.get(name) or {}
        field = _field(prop, _mapping(own_ui), path, values)
        tests = rules.get(name, [])
        if tests and name not in always:
            required = any(needed for _test, _words, needed in tests)
            texts = [words for _test, words, needed in tests if needed]
            when = "或".join(texts) + "时必填" if all(texts) else "视情况必填"
            shown = json.dumps([t for t, _w, _r in tests], ensure_ascii=False)
            field = _with(field, required=field.required or required, conditional=True,
                          required_when=when if required else "",
                          show_when=shown if all(t is not None for t, _w, _r in tests) else "")
        else:
            field = _with(field, required=name in always)
        result.append(field)
    return result


def _field(prop: Any, ui: Mapping[str, Any], path: str, values: Mapping[str, Any]) -> Field:
    options, own = _mapping(ui.get("ui:options")), _mapping(prop)
    base = Field(
        name=path, label=str(ui.get("ui:title") or own.get("title") or path.rpartition(".")[2]),
        widget="undrawable", required=False,
        description=str(ui.get("ui:description") or own.get("description") or ""),
        help=str(ui.get("ui:help") or ""), placeholder=str(ui.get("ui:placeholder") or ""),
        rows=int(options.get("rows", 4)) if str(options.get("rows", 4)).isdigit() else 4,
        inline=bool(options.get("inline", False)), show_label=options.get("label", True) is not False,
    )
    shape = kind(prop)
    if shape is None:
        return base
    if shape == "object":
        return _with(base, widget="object", children=tuple(_object_fields(prop, ui, path + ".", values)))
    if shape == "rows":
        items, item_ui = prop["items"], _mapping(ui.get("items"))
        rows = tuple(
            Field(name=f"{path}.{index}", label=f"第{index + 1}项", widget="object", required=False,
                  children=tuple(_object_fields(items, item_ui, f"{path}.{index}.", values)))
            for index in range(row_count(prop, values, path))
        )
        blank = Field(name=f"{path}.{ROW_MARK}", label="新的一项", widget="object", required=False,
                      children=tuple(_object_fields(items, item_ui, f"{path}.{ROW_MARK}.", {})))
        return _with(base, widget="rows", children=rows, blank=blank)
    item = prop["items"] if shape in ("multi", "lines") else prop
    widget = _widget(prop)
    chosen = ui.get("ui:widget")
    fits = "multi" if shape == "multi" else "boolean" if prop.get("type") == "boolean" else (
        "choice" if choices(item) else "value")
    if chosen in _FITTING[fits]:
        widget = _UI_WIDGET.get(chosen, chosen)
    return _with(
        base, widget=widget,
        options=tuple((as_text(value), label) for value, label in choices(item)),
        maxlength=prop.get("maxLength") if prop.get("type") == "string" else None,
    )


def _mapping(value: Any) -> Mapping[str, Any]:
    """A part of a schema or uiSchema that should be an object: anything else counts as empty."""
    return value if isinstance(value, dict) else {}


def _with(field: Field, **changes: Any) -> Field:
    return Field(**{**field.__dict__, **changes})


def _ordered(names: list[str], order: Any) -> list[str]:
    """``ui:order``: the names it lists first, in its order; "*" stands for the others, which otherwise go last."""
    if not isinstance(order, list):
        return names
    listed = [name for name in order if name in names]
    rest = [name for name in names if name not in listed]
    if "*" not in order:
        return listed + rest
    at = order.index("*")
    before = [name for name in order[:at] if name in names]
    return before + rest + [name for name in order[at + 1:] if name in names]


def _widget(prop: dict[str, Any]) -> str:
    kind = prop.get("type")
    if kind == "array":
        return "checkboxes" if choices(prop.get("items", {})) else "lines"
    if kind == "boolean":
        return "boolean"
    found = choices(prop)
    if found or "enum" in prop:  # an empty list (choices from task data that has none) is an empty select
        return "radio" if 0 < len(found) <= RADIO_MAX_OPTIONS else "select"
    if kind in ("integer", "number"):
        return "number"
    if prop.get("format") == "date":
        return "date"
    if prop.get("format") == "date-time":
        return "datetime"
    if prop.get("format") == "password":
        return "password"
    return "textarea" if prop.get("maxLength", 0) >= TEXTAREA_MIN_LENGTH else "text"


Rule = tuple[dict[str, Any] | None, str, bool]  # (condition for the script or None, in words or "", required)


def _rules(node: dict[str, Any], prefix: str) -> dict[str, list[Rule]]:
    """The fields an object's conditions name, each with the conditions under which it applies."""
    found: dict[str, list[Rule]] = {}
    props = node.get("properties") or {}
    for test, part, negated in formschema.conditions(node):
        if test is None:
            controller = part["controller"]
            title = (props.get(controller) or {}).get("title") or controller
            condition: dict[str, Any] | None = {"all": [{"field": prefix + controller, "filled": True}], "not": False}
            words = f"填写了{title}"
        else:
            condition, words = _test(props, test, prefix, negated)
        needed = set(part.get("required") or [])
        for name in [*needed, *[n for n in (part.get("properties") or {}) if n not in needed]]:
            found.setdefault(name, []).append((condition, words, name in needed))
    return found


def _test(props: dict[str, Any], test: dict[str, Any], prefix: str,
          negated: bool) -> tuple[dict[str, Any] | None, str]:
    """An ``if`` made of ``const``/``enum`` tests, for the script and in words ('残疾类别为“多重”');
    (None, "") when it says something else (then the field is always shown, and the server decides)."""
    parts, words = [], []
    tested = test.get("properties") or {}
    if not tested or set(test) - {"properties", "required"}:
        return None, ""
    for name, sub in tested.items():
        prop = props.get(name)
        if prop is None or not isinstance(sub, dict) or len(sub) != 1 or not ({"const", "enum"} & set(sub)):
            return None, ""
        allowed = [sub["const"]] if "const" in sub else list(sub["enum"])
        labels = {as_text(value): label for value, label in choices(prop)}
        parts.append({"field": prefix + name, "in": [as_text(value) for value in allowed]})
        shown = "或".join(f"“{labels.get(as_text(v), as_text(v))}”" for v in allowed)
        words.append(f"{prop.get('title') or name}{'不为' if negated else '为'}{shown}")
    # Not (A and B) is "A is not … or B is not …".
    return {"all": parts, "not": negated}, ("或" if negated else "且").join(words)
