"""What a task form's JSON Schema and uiSchema may hold, so that the page can draw every part of it.

``shape`` is the one rule: the task page asks it how to draw a node, and a deployment asks it of every node
(``undrawable``) so a form the page cannot draw is refused when it is deployed, not found out by a clerk.
The forms come from SpiffArena's editor too: its ``anyOf: ["options_from_task_data_var:NAME"]`` (choices
taken from the task's data when the form is shown) and draft-07 ``dependencies`` are read here as well.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from typing import Any

import jsonschema

from certflow.engine.errors import Problem

OPTIONS_VAR = "options_from_task_data_var:"
UI_PROPERTY = "formUiSchemaFilename"  # on a task, beside formJsonSchemaFilename: how the form is laid out
FORM_PROPERTIES = ("formJsonSchemaFilename", "startFormJsonSchemaFilename")

# ui:widget values the page draws (react-jsonschema-form's names); "updown" is its number input.
WIDGETS = frozenset({
    "text", "textarea", "password", "email", "date", "datetime", "hidden", "radio", "select", "checkboxes",
    "checkbox", "updown",
})
SCALARS = ("string", "integer", "number", "boolean")
SUPPORTED = ("页面支持：文本、数字、是/否、日期、可选值（enum，或 oneOf/anyOf 中每项写 const），"
             "可选值的多选列表、文本列表、嵌套对象、对象列表，以及 if/then/else 与 dependencies 条件字段")

# Keywords that only constrain a value (checked by the schema on the server), never change how it is drawn.
_ANNOTATIONS = frozenset({
    "title", "description", "default", "examples", "$comment", "$schema", "$id", "readOnly", "writeOnly",
    "deprecated", "format", "pattern", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "uniqueItems", "required", "type", "enum", "const",
    "properties", "items", "additionalProperties", "oneOf", "anyOf", "allOf", "if", "then", "else", "dependencies",
    "dependentRequired", "dependentSchemas", "minProperties", "maxProperties",
})


class Undrawable(ValueError):
    """A schema node the page cannot draw: ``path`` (under the node given) and the reason in words."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}：{reason}" if path else reason)
        self.path = path
        self.reason = reason


def shape(node: Any) -> str:
    """How the page draws a node: "object", "rows" (array of objects), "multi" (array of choices), "lines"
    (array of free values), "choice" or "value"; ``Undrawable`` (path relative to the node) when it cannot."""
    if not isinstance(node, dict):
        raise Undrawable("", "应为一个 JSON 对象（字段的定义）")
    if unknown := [key for key in node if key not in _ANNOTATIONS and not key.startswith("x-")]:
        raise Undrawable(unknown[0], f"页面不支持 {unknown[0]}")
    kind = _single_type(node)
    if kind == "object":
        _check_object(node)
        return "object"
    if kind == "array":
        items = node.get("items")
        if not isinstance(items, dict):
            raise Undrawable("items", "列表须写明每项的定义（items）")
        for key in ("oneOf", "anyOf"):
            if key in node:
                raise Undrawable(key, f"列表本身不能写 {key}")
        inner = _items_shape(items)
        if inner == "object":
            return "rows"
        if inner == "choice":
            return "multi"
        if inner == "value":
            return "lines"
        raise Undrawable("items", "列表中的每项不能又是列表")
    if "allOf" in node or any(key in node for key in ("if", "dependencies", "dependentSchemas")):
        raise Undrawable(next(k for k in ("allOf", "if", "dependencies", "dependentSchemas") if k in node),
                         "条件只能写在对象上")
    for key in ("oneOf", "anyOf"):
        if key in node:
            branches = node[key]
            if task_data_var(branches) is None and not (
                isinstance(branches, list) and branches
                and all(isinstance(b, dict) and "const" in b and set(b) <= {"const", "title", "description", "type"}
                        for b in branches)
            ):
                raise Undrawable(key, f"{key} 只能列出可选值（每项写 const 与 title）")
            return "choice"
    return "choice" if "enum" in node or "const" in node or kind == "boolean" else "value"


def undrawable(schema: Any) -> list[Undrawable]:
    """Every part of a form the page cannot draw, with its path from the form's root (e.g. properties/a/items/oneOf)."""
    try:
        kind = shape(schema)
    except Undrawable as problem:
        return [problem]
    if kind != "object":
        return [Undrawable("", "表单的最外层应为对象（type: object）")]
    return list(_object_problems(schema, ""))


def deploy_problems(forms: dict[str, Any], files: dict[str, str], roots: Iterable[Any]) -> list[Problem]:
    """What is wrong with a deployment's .json files (file name → parsed JSON; ``files``: the name as shown),
    read by what the diagrams (``roots``) name them: a task's ``formUiSchemaFilename`` is a uiSchema, a form a
    task or start event names must be one the page can draw, and any other file a valid JSON Schema."""
    elements = list(roots)
    ui_files, form_files = named(elements, UI_PROPERTY), named(elements, *FORM_PROPERTIES)
    problems: list[Problem] = []
    for name, content in forms.items():
        shown = files[name]
        if name in ui_files:
            problems += [Problem(shown, None, None, f"界面设置（uiSchema）{text}") for text in ui_problems(content)]
            continue
        try:
            jsonschema.Draft202012Validator.check_schema(checkable(content))
        except jsonschema.SchemaError as error:
            where = "/".join(str(p) for p in error.path) or "最外层"
            problems.append(Problem(shown, None, None, f"不是有效的 JSON Schema（{where}）"))
            continue
        if name in form_files:
            for part in undrawable(content):
                where = part.path or "最外层"
                problems.append(Problem(shown, None, None, f"表单的 {where} 页面无法显示：{part.reason}。{SUPPORTED}"))
    return problems


def named(roots: Iterable[Any], *properties: str) -> set[str]:
    """The files the diagrams' elements name in these spiffworkflow properties."""
    return {
        str(element.get("value")) for root in roots for element in root.iter("{*}property")
        if element.get("name") in properties and element.get("value")
    }


def task_data_var(branches: Any) -> str | None:
    """NAME of SpiffArena's ``anyOf: ["options_from_task_data_var:NAME"]``, else None."""
    if isinstance(branches, list) and len(branches) == 1 and str(branches[0]).startswith(OPTIONS_VAR):
        return str(branches[0]).removeprefix(OPTIONS_VAR)
    return None


def with_task_data(schema: dict[str, Any], data: Any) -> dict[str, Any]:
    """The schema with each task-data choice list replaced by the options the task's data holds now
    (a list of {"value", "label"}); none when the data holds no such list, so nothing can be chosen."""
    if not uses_task_data(schema):
        return schema
    resolved = copy.deepcopy(schema)
    for node in _nodes(resolved):
        name = task_data_var(node.get("anyOf"))
        if name is None:
            continue
        options = data.get(name) if isinstance(data, dict) else None
        listed = [o for o in options if isinstance(o, dict) and "value" in o] if isinstance(options, list) else []
        del node["anyOf"]
        if listed:
            node["anyOf"] = [{"const": o["value"], "title": str(o.get("label", o["value"]))} for o in listed]
        else:
            node["enum"] = []
    return resolved


def uses_task_data(schema: Any) -> bool:
    return any(task_data_var(node.get("anyOf")) is not None for node in _nodes(schema))


def normalised(schema: Any) -> Any:
    """The schema as JSON Schema 2020-12 validates it: draft-07 ``dependencies`` (what SpiffArena's editor writes)
    split into ``dependentRequired`` (a list of names) and ``dependentSchemas`` (a schema)."""
    if isinstance(schema, list):
        return [normalised(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: normalised(value) for key, value in schema.items() if key != "dependencies"}
    for name, rule in (schema.get("dependencies") or {}).items():
        target = "dependentRequired" if isinstance(rule, list) else "dependentSchemas"
        result.setdefault(target, {})[name] = normalised(rule)
    return result


def checkable(schema: Any) -> Any:
    """The schema with each task-data choice list replaced by a valid stand-in, for the JSON Schema meta-check."""
    if isinstance(schema, list):
        return [checkable(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {key: ([{"type": "string"}] if key == "anyOf" and task_data_var(value) else checkable(value))
            for key, value in schema.items()}


def ui_problems(ui: Any) -> list[str]:
    """What is wrong with a uiSchema: it must be an object, and every ui:widget one the page draws."""
    if not isinstance(ui, dict):
        return ["最外层应为 JSON 对象"]
    return _ui_part_problems(ui, "")


def _ui_part_problems(ui: dict[str, Any], path: str) -> list[str]:
    """A field's part of a uiSchema: its ui: settings, and the parts of its own fields (or of ``items``)."""
    problems: list[str] = []
    for key, value in ui.items():
        where = f"{path}/{key}" if path else key
        if key == "ui:widget" and value not in WIDGETS:
            problems.append(f"{where}：页面没有“{value}”这种输入方式，可用：{'、'.join(sorted(WIDGETS))}")
        elif key == "ui:order" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            problems.append(f"{where}：应为字段名的列表")
        elif not key.startswith("ui:") and isinstance(value, dict):
            problems.extend(_ui_part_problems(value, where))
    return problems


def conditions(node: dict[str, Any]) -> Iterator[tuple[dict[str, Any] | None, dict[str, Any], bool]]:
    """An object's conditional parts: (if, then-or-else schema, True for else) for if/then/else (also in allOf);
    (None, schema, False) with the schema {"controller": name, ...} for dependencies."""
    for rule in [node, *[r for r in node.get("allOf", []) if isinstance(r, dict)]]:
        if isinstance(rule.get("if"), dict):
            if isinstance(rule.get("then"), dict):
                yield rule["if"], rule["then"], False
            if isinstance(rule.get("else"), dict):
                yield rule["if"], rule["else"], True
        plain = normalised({"dependencies": rule.get("dependencies", {})})
        for key in ("dependentRequired", "dependentSchemas"):
            for name, needed in {**plain.get(key, {}), **rule.get(key, {})}.items():
                part = {"required": needed} if isinstance(needed, list) else needed
                yield None, {**part, "controller": name}, False


def _check_object(node: dict[str, Any]) -> None:
    extra = node.get("additionalProperties")
    if extra not in (None, False, True):
        raise Undrawable("additionalProperties", "对象不能接受任意名称的字段")
    if not isinstance(node.get("properties", {}), dict):
        raise Undrawable("properties", "应为对象")
    for key in ("oneOf", "anyOf"):
        if key in node:
            raise Undrawable(key, f"对象不能写 {key}；请改用 if/then/else 或 dependencies")
    for index, rule in enumerate(node.get("allOf", [])):
        if not isinstance(rule, dict) or set(rule) - {"if", "then", "else", "required", "dependencies",
                                                      "dependentRequired", "dependentSchemas", "$comment"}:
            raise Undrawable(f"allOf/{index}", "allOf 中只能写 if/then/else、required 与 dependencies")


def _object_problems(node: dict[str, Any], path: str) -> Iterator[Undrawable]:
    """The problems of the properties an object draws: its own and those its conditions add."""
    parts: list[tuple[str, dict[str, Any]]] = [(path, node)]
    for index, rule in enumerate([node, *node.get("allOf", [])]):
        prefix = f"{path}allOf/{index - 1}/" if index else path
        for key in ("then", "else"):
            if isinstance(rule.get(key), dict):
                parts.append((f"{prefix}{key}/", rule[key]))
        for key in ("dependencies", "dependentSchemas"):
            for name, sub in (rule.get(key) or {}).items():
                if isinstance(sub, dict):
                    parts.append((f"{prefix}{key}/{name}/", sub))
    for where, part in parts:
        for name, prop in (part.get("properties") or {}).items():
            at = f"{where}properties/{name}"
            if part is not node and not isinstance(prop, dict):
                continue  # a condition's true/false schema for a field: a rule, nothing more to draw
            try:
                kind = shape(prop)
            except Undrawable as problem:
                yield Undrawable(f"{at}/{problem.path}".rstrip("/"), problem.reason)
                continue
            if kind == "object":
                yield from _object_problems(prop, f"{at}/")
            elif kind == "rows":
                yield from _object_problems(prop["items"], f"{at}/items/")


def _single_type(node: dict[str, Any]) -> str | None:
    kind = node.get("type")
    if isinstance(kind, list):
        types = [k for k in kind if k != "null"]
        if len(types) != 1:
            raise Undrawable("type", "一个字段只能有一种类型")
        kind = types[0]
    if kind is not None and kind not in (*SCALARS, "object", "array"):
        raise Undrawable("type", f"不支持的类型 {kind}")
    if kind is None and "properties" in node:
        return "object"
    return kind


def _items_shape(items: dict[str, Any]) -> str:
    """The shape of an array's items, a problem's path starting at ``items``."""
    try:
        return shape(items)
    except Undrawable as problem:
        raise Undrawable(f"items/{problem.path}".rstrip("/"), problem.reason) from None


def _nodes(schema: Any) -> Iterator[dict[str, Any]]:
    if isinstance(schema, dict):
        yield schema
        for value in schema.values():
            yield from _nodes(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _nodes(item)
