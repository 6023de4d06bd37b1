"""Forms from SpiffArena's editor: a nested, conditional form with a uiSchema, choices taken from the task's data,
instructions filled in with the task's data; and what a deployment refuses that the page could not draw."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from certflow.engine import formschema, instructions
from certflow.engine.errors import DeploymentError, ValidationFailed
from certflow.engine.forms import validate
from certflow.engine.runtime import Runtime
from certflow.engine.specs import SourceFile, read_paths

HOUSEHOLD = Path(__file__).parent / "household"
SCHEMA = json.loads((HOUSEHOLD / "household.json").read_text(encoding="utf-8"))

GOOD: dict[str, Any] = {
    "town": "bailu", "contact": {"name": "李明"}, "housing": "own",
    "members": [{"name": "张兰", "relation": "配偶"}, {"name": "李小", "relation": "子女", "disabled": True,
                                                     "card_no": "36048320100101123X42"}],
}


def household(**changed: bytes) -> list[SourceFile]:
    files = read_paths([HOUSEHOLD])
    return [SourceFile(f.name, changed.get(Path(f.name).name, f.content)) for f in files]


def open_record(runtime: Runtime) -> str:
    runtime.deploy(household(), author="analyst")
    number = runtime.start_case("household", {}, actor="window")
    [task] = runtime.tasks(case=number)
    return task["id"]


def test_the_task_form_has_its_ui_schema_choices_from_task_data_and_instructions(fresh_rt: Runtime) -> None:
    form = fresh_rt.task_form(open_record(fresh_rt))
    assert form["schema"]["properties"]["town"]["anyOf"] == [
        {"const": "bailu", "title": "白鹿镇"}, {"const": "huajing", "title": "华泾镇"}]
    assert form["ui"]["town"] == {"ui:widget": "select"}
    # The data is escaped as the template fills it in; a blank line parts paragraphs.
    assert form["instructions"] == {"html": "<p>请与王&lt;芳&gt;核对家庭成员。</p><p>可选乡镇：白鹿镇、华泾镇</p>",
                                    "problem": ""}


def test_completing_checks_nested_conditional_data_and_the_choices_of_the_task(fresh_rt: Runtime) -> None:
    task_id = open_record(fresh_rt)
    wrong = {**GOOD, "town": "elsewhere", "housing": "rent",
             "members": [{"name": "李小", "relation": "子女", "disabled": True}], "note": "外出务工"}
    with pytest.raises(ValidationFailed) as caught:
        fresh_rt.complete_task(task_id, wrong, actor="window")
    assert {(e.field, e.message) for e in caught.value.errors} == {
        ("town", "不是可选的值"), ("rent", "必填"), ("members.0.card_no", "必填"), ("note_by", "必填")}
    number = fresh_rt.task(task_id)["case"]
    fresh_rt.complete_task(task_id, GOOD, actor="window")
    assert fresh_rt.case(number)["data"]["members"][1]["card_no"] == "36048320100101123X42"


def test_each_missing_name_is_read_from_the_keyword_not_the_message() -> None:
    schema = {"type": "object", "properties": {"o'clock": {"type": "string"}, "b": {"type": "string"}},
              "required": ["o'clock", "b"], "dependentRequired": {"b": ["c"]}}
    assert {(e.field, e.message) for e in validate(schema, {})} == {("o'clock", "必填"), ("b", "必填")}
    assert [(e.field, e.message) for e in validate(schema, {"o'clock": "x", "b": "y"})] == [("c", "必填")]


def test_draft_07_dependencies_are_checked() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}},
              "dependencies": {"a": ["b"], "c": {"required": ["d"]}}}
    assert {e.field for e in validate(schema, {"a": "x", "c": 1})} == {"b", "d"}
    assert validate(schema, {}) == []


def test_choices_from_task_data_offer_nothing_when_the_data_has_no_list() -> None:
    resolved = formschema.with_task_data(SCHEMA, {"towns": "not a list"})
    assert resolved["properties"]["town"]["enum"] == []
    assert [e.message for e in validate(resolved, {**GOOD})][:1] == ["不是可选的值"]
    assert SCHEMA["properties"]["town"]["anyOf"] == ["options_from_task_data_var:towns"]  # the original is kept


@pytest.mark.parametrize(("prop", "path"), [
    ({"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}, "properties/a/items/oneOf"),
    ({"type": "array", "items": {"type": "array", "items": {"type": "string"}}}, "properties/a/items"),
    ({"type": "object", "properties": {"b": {"$ref": "#/$defs/b"}}}, "properties/a/properties/b/$ref"),
    ({"type": "object", "additionalProperties": {"type": "string"}}, "properties/a/additionalProperties"),
    ({"type": "string", "not": {"const": "x"}}, "properties/a/not"),
    ({"type": ["string", "integer"]}, "properties/a/type"),
])
def test_what_the_page_cannot_draw_is_named_by_its_path(prop: dict[str, Any], path: str) -> None:
    [problem] = formschema.undrawable({"type": "object", "properties": {"a": prop}})
    assert problem.path == path


def test_the_projects_forms_and_the_test_form_can_all_be_drawn() -> None:
    root = Path(__file__).parents[2]
    for path in [*sorted((root / "forms").rglob("*.json")), HOUSEHOLD / "household.json"]:
        assert formschema.undrawable(json.loads(path.read_text(encoding="utf-8"))) == [], path


def test_deploy_refuses_an_undrawable_form_with_its_path(fresh_rt: Runtime) -> None:
    schema = {**SCHEMA, "properties": {**SCHEMA["properties"], "pets": {
        "type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "integer"}]}}}}
    with pytest.raises(DeploymentError) as caught:
        fresh_rt.deploy(household(**{"household.json": json.dumps(schema).encode()}), author="analyst")
    [problem] = caught.value.problems
    assert problem.file == "household/household.json"
    assert "表单的 properties/pets/items/oneOf 页面无法显示" in problem.message
    assert "页面支持" in problem.message


def test_a_json_file_no_task_names_is_only_checked_as_json_schema(fresh_rt: Runtime) -> None:
    # SpiffArena keeps a process_model.json beside each model: deployed with it, it is not a form.
    extra = SourceFile("household/process_model.json", '{"display_name": "家庭成员登记", "files": []}'.encode())
    fresh_rt.deploy([*household(), extra], author="analyst")


def test_deploy_refuses_a_ui_schema_naming_an_unknown_widget(fresh_rt: Runtime) -> None:
    ui = {"members": {"items": {"relation": {"ui:widget": "color"}}}}
    with pytest.raises(DeploymentError) as caught:
        fresh_rt.deploy(household(**{"household-uischema.json": json.dumps(ui).encode()}), author="analyst")
    [problem] = caught.value.problems
    assert problem.file == "household/household-uischema.json"
    assert "members/items/relation/ui:widget：页面没有“color”这种输入方式" in problem.message


def test_deploy_refuses_a_missing_ui_schema(fresh_rt: Runtime) -> None:
    files = [f for f in household() if not f.name.endswith("uischema.json")]
    with pytest.raises(DeploymentError) as caught:
        fresh_rt.deploy(files, author="analyst")
    assert [p.message for p in caught.value.problems] == [
        "界面设置文件 household-uischema.json（formUiSchemaFilename）不在这次部署中；请把它一起部署，或改正文件名"]


def test_instructions_are_sandboxed_and_escaped() -> None:
    rendered = instructions.render("<b>{{ name }}</b>\n第二行", {"name": "<script>"})
    assert rendered == {"html": "<p>&lt;b&gt;&lt;script&gt;&lt;/b&gt;<br>第二行</p>", "problem": ""}
    unsafe = instructions.render("{{ ''.__class__.__mro__ }}", {})
    assert unsafe["problem"] and "__class__" in unsafe["html"]
    missing = instructions.render("请核对{{ nobody }}", {})
    assert missing == {"html": "<p>请核对{{ nobody }}</p>",
                       "problem": "说明中引用的数据在本案件中还没有，以下为未填入数据的原文"}
    broken = instructions.render("{% if %}", {})
    assert broken["problem"] == "说明的模板写法有误，以下为原文"
    changed: dict[str, Any] = {"items": []}
    assert instructions.render("{{ items.append(1) }}", changed)["problem"]
    assert changed == {"items": []}  # the sandbox is immutable: the task's data stays as it was
