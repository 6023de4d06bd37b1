"""A nested, conditional form with a uiSchema, as the task page draws it and reads it back: a household form
written for these tests (tests/engine/household), filled in through the page without its script."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from flask.testing import FlaskClient
from jinja2 import Environment, FileSystemLoader, select_autoescape
from webkit import csrf_token, field
from werkzeug.datastructures import MultiDict

from certflow.engine import formschema
from certflow.engine.errors import FieldError
from certflow.engine.runtime import Runtime
from certflow.engine.specs import read_paths
from certflow.web.forms import Field, check_submission, edit_rows, errors_by_field, fields, form_values, posted_values

ROOT = Path(__file__).resolve().parents[2]
HOUSEHOLD = ROOT / "tests" / "engine" / "household"
TEMPLATES = ROOT / "certflow" / "web" / "templates"
TOWNS = {"towns": [{"value": "bailu", "label": "白鹿镇"}, {"value": "huajing", "label": "华泾镇"}]}
SCHEMA = formschema.with_task_data(json.loads((HOUSEHOLD / "household.json").read_text(encoding="utf-8")), TOWNS)
UI = json.loads((HOUSEHOLD / "household-uischema.json").read_text(encoding="utf-8"))

# A complete post, as a browser without the page's script sends it: rows numbered as the page numbered them.
POSTED = [
    ("town", "bailu"), ("contact.name", "李明"), ("contact.phone", ""),
    ("members", "0"), ("members.0.name", "张兰"), ("members.0.relation", "配偶"),
    ("members", "3"), ("members.3.name", "李小"), ("members.3.relation", "子女"), ("members.3.disabled", "true"),
    ("members.3.card_no", "36048320100101123X42"),
    ("housing", "rent"), ("rent", "800"), ("note", ""), ("note_by", ""), ("visit_on", ""), ("source", "窗口"),
]


def by_name(found: list[Field] | tuple[Field, ...]) -> dict[str, Field]:
    return {f.name: f for f in found}


def render(values: dict[str, Any], errors: list[FieldError] | None = None, schema: dict[str, Any] = SCHEMA,
           ui: dict[str, Any] = UI) -> lxml.html.HtmlElement:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    page = env.from_string('{% from "macros/form.html" import render_fields %}'
                           "<form>{{ render_fields(fields, values, errors) }}</form>")
    return lxml.html.fromstring(page.render(fields=fields(schema, ui, values), values=values,
                                            errors=errors_by_field(errors or [], schema)))


def test_ui_order_with_a_star_and_the_ui_schema_widgets() -> None:
    found = by_name(fields(SCHEMA, UI))
    assert list(found) == ["town", "contact", "members", "housing", "rent", "visit_on", "note", "note_by", "source"]
    assert [found[n].widget for n in ("town", "housing", "note", "visit_on", "source")] == [
        "select", "radio", "textarea", "date", "hidden"]
    assert found["town"].options == (("bailu", "白鹿镇"), ("huajing", "华泾镇"))
    assert (found["housing"].label, found["note"].rows) == ("住房情况", 2)
    assert found["visit_on"].description == "上门走访的日期"
    phone = by_name(found["contact"].children)["contact.phone"]
    assert (phone.placeholder, phone.help) == ("11位手机号", "用于回访")


def test_an_object_is_a_fieldset_of_its_fields() -> None:
    doc = render(form_values(SCHEMA, {"contact": {"name": "李明", "phone": "13800000001"}}))
    [group] = doc.xpath('//div[@data-field="contact"]/fieldset')
    assert group.xpath("legend")[0].text_content().strip().startswith("联系人")
    assert group.xpath('.//input[@name="contact.phone"]/@value') == ["13800000001"]
    assert group.xpath('.//input[@name="contact.phone"]/@placeholder') == ["11位手机号"]


def test_rows_as_saved_and_a_blank_row_for_the_script() -> None:
    values = form_values(SCHEMA, {"members": [{"name": "张兰", "relation": "配偶"}, {"name": "李小"}]})
    doc = render(values)
    assert doc.xpath('//input[@type="hidden"][@name="members"][not(ancestor::template)]/@value') == ["0", "1"]
    assert doc.xpath('//input[@name="members.1.name"]/@value') == ["李小"]
    assert doc.xpath('//select[@name="members.0.relation"]/option[@selected]/@value') == ["配偶"]
    [blank] = doc.xpath('//template[@data-blank-row="members"]')
    assert 'name="members.__i__.name"' in lxml.html.tostring(blank, encoding="unicode")
    # A new form shows as many rows as the list needs at least.
    assert fields(SCHEMA, UI, form_values(SCHEMA, {}))[2].children[0].name == "members.0"


def test_posted_rows_become_a_list_numbered_again_from_0() -> None:
    data, errors = check_submission(SCHEMA, MultiDict(POSTED))
    assert errors == []
    assert data["members"] == [
        {"name": "张兰", "relation": "配偶"},
        {"name": "李小", "relation": "子女", "disabled": True, "card_no": "36048320100101123X42"},
    ]
    assert (data["contact"], data["rent"], data["source"]) == ({"name": "李明"}, 800, "窗口")
    assert posted_values(SCHEMA, MultiDict(POSTED))["members.1.card_no"] == "36048320100101123X42"


def test_errors_inside_a_row_are_shown_beside_the_field_and_say_which_row() -> None:
    posted = MultiDict([(k, v) for k, v in POSTED if k not in ("members.3.name", "members.3.card_no", "rent")])
    data, errors = check_submission(SCHEMA, posted)
    assert {(e.field, e.message) for e in errors} == {
        ("members.1.name", "必填"), ("members.1.card_no", "必填"), ("rent", "必填")}
    doc = render(posted_values(SCHEMA, posted), errors)
    beside = '//div[@data-field="{}"]/p[@class="field-error"]'
    assert doc.xpath(beside.format("members.1.name"))[0].text == "第2项 姓名：必填"
    assert doc.xpath(beside.format("members.1.card_no"))[0].text == "第2项 残疾人证号：必填"
    assert doc.xpath('//input[@name="members.1.relation"]') == []  # a select: what was chosen is kept
    assert doc.xpath('//select[@name="members.1.relation"]/option[@selected]/@value') == ["子女"]


def test_an_empty_row_is_a_row_and_an_empty_list_says_so() -> None:
    _data, errors = check_submission(SCHEMA, MultiDict([("members", "0")]))
    assert {"members.0.name", "members.0.relation"} <= {e.field for e in errors}
    _data, errors = check_submission(SCHEMA, MultiDict([]))
    assert ("members", "至少选择1项") in {(e.field, e.message) for e in errors}


def test_rows_added_and_removed_without_the_script_keep_everything_typed() -> None:
    values = posted_values(SCHEMA, MultiDict(POSTED))
    added = edit_rows(values, "add:members")
    assert added is not None and added["members"] == 3 and added["members.1.name"] == "李小"
    removed = edit_rows(values, "remove:members.0")
    assert removed is not None
    assert (removed["members"], removed["members.0.name"], removed["members.0.card_no"]) == (1, "李小",
                                                                                          "36048320100101123X42")
    assert "members.1.name" not in removed and removed["contact.name"] == "李明"
    assert edit_rows(values, "complete") is None


def test_conditional_fields_carry_their_condition_and_say_it_in_words() -> None:
    found = by_name(fields(SCHEMA, UI))
    rent, note_by = found["rent"], found["note_by"]
    assert (rent.required, rent.conditional, rent.required_when) == (True, True, "住房为“租住”时必填")
    assert json.loads(rent.show_when) == [{"all": [{"field": "housing", "in": ["rent"]}], "not": False}]
    assert note_by.required_when == "填写了备注时必填"
    assert json.loads(note_by.show_when) == [{"all": [{"field": "note", "filled": True}], "not": False}]
    card = by_name(fields(SCHEMA, UI, {"members": 1})[2].children[0].children)["members.0.card_no"]
    assert json.loads(card.show_when)[0]["all"] == [{"field": "members.0.disabled", "in": ["true"]}]
    doc = render({})
    assert "住房为“租住”时必填" in doc.xpath('//div[@data-field="rent"]')[0].text_content()


def test_else_and_dependent_schemas_are_conditions_too() -> None:
    schema = {"type": "object", "properties": {"kind": {"title": "类别", "enum": ["a", "b"]},
                                               "other": {"type": "string"}},
              "if": {"properties": {"kind": {"const": "a"}}}, "else": {"required": ["other"]},
              "dependentSchemas": {"other": {"properties": {"why": {"type": "string"}}}}}
    found = by_name(fields(schema))
    assert found["other"].required_when == "类别不为“a”时必填"
    assert json.loads(found["other"].show_when)[0]["not"] is True
    assert (found["why"].conditional, found["why"].required) == (True, False)


def test_the_review_form_shows_the_reason_only_for_a_rejection() -> None:
    review = json.loads((ROOT / "forms" / "review.json").read_text(encoding="utf-8"))
    reason = by_name(fields(review))["reason"]
    assert json.loads(reason.show_when) == [{"all": [{"field": "decision", "in": ["reject"]}], "not": False}]
    assert by_name(fields(review))["missing_note"].show_when == ""


def test_choices_from_task_data_that_has_none_are_an_empty_select() -> None:
    raw = json.loads((HOUSEHOLD / "household.json").read_text(encoding="utf-8"))
    [town] = [f for f in fields(formschema.with_task_data(raw, {})) if f.name == "town"]
    assert (town.widget, town.options) == ("select", ())


def test_ui_options_a_hidden_input_and_a_note_for_what_cannot_be_drawn() -> None:
    schema = {"type": "object", "properties": {
        "code": {"title": "编码", "type": "string"}, "urgent": {"title": "加急", "type": "boolean"},
        "source": {"type": "string"}, "grid": {"title": "表格", "type": "array", "items": {"type": "array"}}}}
    ui = {"code": {"ui:options": {"label": False}}, "urgent": {"ui:options": {"inline": True}},
          "source": {"ui:widget": "hidden"}}
    doc = render({"source": "窗口"}, schema=schema, ui=ui)
    assert doc.xpath('//div[@data-field="code"]/label') == []
    assert doc.xpath('//input[@name="code"]/@aria-label') == ["编码"]
    assert doc.xpath('//div[@data-field="urgent"]//div[@class="choices inline"]')
    assert doc.xpath('//input[@type="hidden"][@name="source"]/@value') == ["窗口"]
    assert doc.xpath('//div[@data-field="grid"]//p')[0].text_content() == "表格：此项无法在页面填写，请联系管理员。"


# -- through the task page ----------------------------------------------------------------------


def send(client: FlaskClient, path: str, pairs: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    """A post with repeated names (one per row, one per ticked box), as a browser sends it."""
    return client.post(path, data=MultiDict([*pairs, ("csrf_token", csrf_token(client, "/inbox"))]))


@pytest.fixture
def record(runtime: Runtime) -> str:
    runtime.deploy(read_paths([HOUSEHOLD]), author="analyst")
    number = runtime.start_case("household", {}, actor="window")
    [task] = runtime.tasks(case=number)
    return task["id"]


def test_the_task_page_draws_the_form_with_its_instructions(as_user, record: str) -> None:  # type: ignore[no-untyped-def]
    html = as_user("window").get(f"/tasks/{record}").get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    [instructions] = doc.xpath('//div[@id="instructions"]')
    paragraphs = [p.text_content() for p in instructions.xpath("p")]
    assert paragraphs == ["请与王<芳>核对家庭成员。", "可选乡镇：白鹿镇、华泾镇"]
    assert doc.xpath('//select[@name="town"]/option/@value') == ["", "bailu", "huajing"]
    assert field(html, "rent").get("data-show-when")
    assert doc.xpath('//script[contains(@src, "forms.js")]')


def test_nested_data_submitted_through_the_page(as_user, runtime: Runtime, record: str) -> None:  # type: ignore[no-untyped-def]
    client: FlaskClient = as_user("window")
    number = runtime.task(record)["case"]
    response = send(client, f"/tasks/{record}", [*POSTED, ("action", "complete")])
    assert response.status_code == 302
    assert runtime.case(number)["data"]["members"][1]["card_no"] == "36048320100101123X42"
    # The case's timeline shows the nested data by the form's titles, a row's fields together.
    page = client.get(f"/cases/{number}").get_data(as_text=True)
    assert "（1）姓名：张兰；关系：配偶 （2）姓名：李小；关系：子女；是否持证：是" in page
    assert "姓名：李明" in page


def test_a_refused_submission_shows_the_errors_beside_nested_fields(as_user, record: str) -> None:  # type: ignore[no-untyped-def]
    client: FlaskClient = as_user("window")
    posted = [(k, v) for k, v in POSTED if k != "members.3.card_no"] + [("town", "elsewhere"), ("action", "complete")]
    response = send(client, f"/tasks/{record}", [(k, v) for k, v in posted if (k, v) != ("town", "bailu")])
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field(html, "members.1.card_no").cssselect(".field-error")[0].text == "第2项 残疾人证号：必填"
    assert field(html, "town").cssselect(".field-error")[0].text == "不是可选的值"
    assert field(html, "members.1.name").cssselect("input")[0].get("value") == "李小"


def test_a_row_added_and_removed_without_the_script(as_user, record: str) -> None:  # type: ignore[no-untyped-def]
    client: FlaskClient = as_user("window")
    added = send(client, f"/tasks/{record}", [*POSTED, ("row_action", "add:members")])
    assert added.status_code == 200
    doc = lxml.html.fromstring(added.get_data(as_text=True))
    assert doc.xpath('//input[@type="hidden"][@name="members"][not(ancestor::template)]/@value') == ["0", "1", "2"]
    assert doc.xpath('//input[@name="members.1.name"]/@value') == ["李小"]
    assert doc.xpath('//p[@class="field-error"]') == []  # nothing was checked yet
    removed = send(client, f"/tasks/{record}", [*POSTED, ("row_action", "remove:members.0")])
    doc = lxml.html.fromstring(removed.get_data(as_text=True))
    assert doc.xpath('//input[@name="members.0.name"]/@value') == ["李小"]
    assert doc.xpath('//input[@type="hidden"][@name="members"][not(ancestor::template)]/@value') == ["0"]


def test_a_draft_keeps_the_rows(as_user, record: str) -> None:  # type: ignore[no-untyped-def]
    client: FlaskClient = as_user("window")
    assert send(client, f"/tasks/{record}", [*POSTED, ("action", "draft")]).status_code == 302
    doc = lxml.html.fromstring(client.get(f"/tasks/{record}").get_data(as_text=True))
    assert doc.xpath('//input[@type="hidden"][@name="members"][not(ancestor::template)]/@value') == ["0", "1"]
    assert doc.xpath('//input[@name="members.1.card_no"]/@value') == ["36048320100101123X42"]
    assert doc.xpath('//input[@name="contact.name"]/@value') == ["李明"]


def test_the_api_gives_the_ui_schema_and_the_instructions(app, accounts, record: str) -> None:  # type: ignore[no-untyped-def]
    token = accounts.issue_token(accounts.by_username("window").id, "t")
    response = app.test_client().get(f"/api/v1/tasks/{record}", headers={"Authorization": f"Bearer {token}"})
    answer = response.get_json()
    assert answer["ui"]["town"] == {"ui:widget": "select"}
    assert answer["schema"]["properties"]["town"]["anyOf"][0] == {"const": "bailu", "title": "白鹿镇"}
    assert answer["instructions"]["html"].startswith("<p>请与王&lt;芳&gt;核对")


def test_a_yes_no_as_one_checkbox() -> None:
    foreign = ROOT / "tests" / "engine" / "foreign"
    schema = json.loads((foreign / "fee-notice-schema.json").read_text(encoding="utf-8"))
    ui = json.loads((foreign / "fee-notice-uischema.json").read_text(encoding="utf-8"))
    [acknowledged] = fields(schema, ui)
    assert acknowledged.widget == "checkbox"
    assert check_submission(schema, MultiDict([("acknowledged", "true")])) == ({"acknowledged": True}, [])
    assert [(e.field, e.message) for e in check_submission(schema, MultiDict([]))[1]] == [("acknowledged", "必填")]
