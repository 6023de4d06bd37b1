"""The project's JSON Schema forms as HTML fields, and posted values read back as data the schema accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.datastructures import MultiDict

from certflow.engine.errors import FieldError
from certflow.engine.forms import validate
from certflow.web.forms import (
    Field,
    check_submission,
    errors_by_field,
    fields,
    form_values,
    posted_values,
    read_submission,
)

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "forms"
TEMPLATES = ROOT / "certflow" / "web" / "templates"

WIDGETS = {
    "application": {
        "applicant_name": "text", "id_number": "text", "phone": "text", "address": "textarea", "village": "text",
        "category": "select", "parts": "checkboxes", "materials": "checkboxes", "delivery": "radio",
        "guardian_name": "text", "guardian_relation": "select", "guardian_id_number": "text", "guardian_phone": "text",
    },
    "review": {"decision": "radio", "reason": "textarea", "missing_materials": "checkboxes",
               "missing_note": "textarea"},
    "register_appointment": {"appointment_at": "datetime", "appointment_place": "textarea", "bring_items": "lines"},
    "assess": {"meets_standard": "boolean", "grade": "radio", "conclusion": "textarea"},
    "post_publicity": {"posted_on": "date", "posting_place": "textarea"},
    "reexamine": {"decision": "radio", "opinion": "textarea"},
    "issue": {"delivery": "radio", "tracking_no": "text", "issued_on": "date"},
}

# Per form: what a browser posts for a typical submission, and the data it must become.
TYPICAL: dict[str, tuple[list[tuple[str, str]], dict[str, Any]]] = {
    "application": (
        [
            ("csrf_token", "t0ken"), ("applicant_name", " 李明 "), ("id_number", "36048319800101123X"),
            ("phone", "13800000001"), ("address", "庐山市白鹿镇玉京村12号"), ("village", "village-360483101209"),
            ("category", "多重"), ("parts", "视力"), ("parts", "肢体"),
            ("materials", "id_card"), ("materials", "photos"), ("delivery", "post"),
            ("guardian_name", ""), ("guardian_phone", ""), ("action", "submit"),
        ],
        {
            "applicant_name": "李明", "id_number": "36048319800101123X", "phone": "13800000001",
            "address": "庐山市白鹿镇玉京村12号", "village": "village-360483101209", "category": "多重",
            "parts": ["视力", "肢体"], "materials": ["id_card", "photos"], "delivery": "post",
        },
    ),
    "review": (
        [("decision", "reject"), ("reason", "身份证与本人不符"), ("missing_note", "")],
        {"decision": "reject", "reason": "身份证与本人不符"},
    ),
    "register_appointment": (
        [
            ("appointment_at", "2026-09-08T09:30"), ("appointment_place", "庐山市人民医院门诊楼三楼"),
            ("bring_items", "居民身份证\r\n\r\n  两寸照片 \r\n"),
        ],
        {
            "appointment_at": "2026-09-08T09:30:00+08:00", "appointment_place": "庐山市人民医院门诊楼三楼",
            "bring_items": ["居民身份证", "两寸照片"],
        },
    ),
    "assess": (
        [("meets_standard", "true"), ("grade", "3"), ("conclusion", "经评定，符合肢体残疾三级标准")],
        {"meets_standard": True, "grade": 3, "conclusion": "经评定，符合肢体残疾三级标准"},
    ),
    "post_publicity": (
        [("posted_on", "2026-12-02"), ("posting_place", "村委会公示栏")],
        {"posted_on": "2026-12-02", "posting_place": "村委会公示栏"},
    ),
    "reexamine": (
        [("decision", "uphold"), ("opinion", "原鉴定结论正确")],
        {"decision": "uphold", "opinion": "原鉴定结论正确"},
    ),
    "issue": (
        [("delivery", "post"), ("tracking_no", "EMS1234567890"), ("issued_on", "2026-12-10")],
        {"delivery": "post", "tracking_no": "EMS1234567890", "issued_on": "2026-12-10"},
    ),
}

NUMBERS = {
    "type": "object",
    "properties": {
        "count": {"title": "数量", "type": "integer"},
        "weight": {"title": "重量", "type": "number"},
        "levels": {"title": "等级", "type": "array", "items": {"type": "integer", "enum": [1, 2, 3]}},
    },
}


def load(name: str) -> dict[str, Any]:
    return json.loads((FORMS / f"{name}.json").read_text(encoding="utf-8"))


def render(schema: dict[str, Any], values: dict[str, Any] | None = None,
           errors: list[FieldError] | None = None) -> lxml.html.HtmlElement:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    page = env.from_string(
        '{% from "macros/form.html" import form_errors, render_fields %}'
        "<form>{{ form_errors(errors) }}{{ render_fields(fields, values, errors) }}</form>"
    )
    html = page.render(fields=fields(schema), values=values or {}, errors=errors_by_field(errors or []))
    return lxml.html.fromstring(html)


def wrapper(doc: lxml.html.HtmlElement, name: str) -> lxml.html.HtmlElement:
    (found,) = doc.xpath(f'//div[@data-field="{name}"]')
    return found


def textarea_value(element: lxml.html.HtmlElement) -> str:
    # As a browser reads it: HTML drops one newline right after <textarea> (lxml keeps it).
    text = element.text_content()
    return text.removeprefix("\n")


def test_every_form_is_covered() -> None:
    assert {path.stem for path in FORMS.glob("*.json")} == set(WIDGETS) == set(TYPICAL)


@pytest.mark.parametrize("name", sorted(WIDGETS))
def test_a_field_per_property_with_its_widget(name: str) -> None:
    schema = load(name)
    found = fields(schema)
    assert [field.name for field in found] == list(schema["properties"])
    assert {field.name: field.widget for field in found} == WIDGETS[name]
    assert all(field.label == schema["properties"][field.name]["title"] for field in found)


def test_required_always_and_under_a_condition() -> None:
    by_name = {field.name: field for field in fields(load("review"))}
    assert by_name["decision"].required and not by_name["decision"].conditional
    assert by_name["reason"].required and by_name["reason"].conditional
    assert by_name["reason"].required_when == "审核结论为“驳回”时必填"
    assert not by_name["missing_note"].required
    grade = {field.name: field for field in fields(load("assess"))}["grade"]
    assert grade.required_when == "是否达到残疾标准为“是”时必填"


def test_choices_labels_and_limits() -> None:
    by_name = {field.name: field for field in fields(load("application"))}
    assert by_name["materials"].options[0] == ("id_card", "居民身份证")
    assert by_name["delivery"].options == (("post", "邮寄"), ("in_person", "直接送达"))
    assert len(by_name["category"].options) == 7
    assert by_name["village"].description == "村(社区)用户组：village-12位区划代码"
    assert by_name["applicant_name"].maxlength == 50
    assess = {field.name: field for field in fields(load("assess"))}
    assert assess["grade"].options == (("1", "一级"), ("2", "二级"), ("3", "三级"), ("4", "四级"))
    assert assess["meets_standard"].options == (("true", "是"), ("false", "否"))


@pytest.mark.parametrize("name", sorted(WIDGETS))
def test_rendered_with_an_input_and_a_label_per_field(name: str) -> None:
    schema = load(name)
    doc = render(schema)
    assert len(doc.xpath("//div[@data-field]")) == len(schema["properties"])
    for field in fields(schema):
        box = wrapper(doc, field.name)
        assert f"field-{field.name}" in box.classes and "has-error" not in box.classes
        if field.widget in ("radio", "boolean", "checkboxes"):
            assert field.label in box.xpath("string(.//legend)")
            kind = "checkbox" if field.widget == "checkboxes" else "radio"
            inputs = box.xpath(f'.//input[@type="{kind}"][@name="{field.name}"]')
            assert [element.get("value") for element in inputs] == [value for value, _ in field.options]
            assert [element.xpath("string(..)").strip() for element in inputs] == [text for _, text in field.options]
        else:
            (label,) = box.xpath(f'.//label[@for="f-{field.name}"]')
            assert field.label in label.text_content()
            (control,) = box.xpath(f'.//*[@id="f-{field.name}"]')
            assert control.get("name") == field.name
        caption = box.xpath("string(.//legend | .//label[@for])")
        assert ("*" in caption) == field.required


def test_inputs_by_widget() -> None:
    doc = render(load("register_appointment"), {"bring_items": "居民身份证\n两寸照片"})
    assert doc.get_element_by_id("f-appointment_at").get("type") == "datetime-local"
    lines = doc.get_element_by_id("f-bring_items")
    assert lines.tag == "textarea" and textarea_value(lines) == "居民身份证\n两寸照片"
    doc = render(load("application"), {"category": "肢体", "materials": ["photos"]})
    category = doc.get_element_by_id("f-category")
    assert category.tag == "select" and category.value == "肢体"
    checked = wrapper(doc, "materials").xpath(".//input[@checked]/@value")
    assert checked == ["photos"]
    assert doc.get_element_by_id("f-address").get("maxlength") == "200"
    assert "（残疾人证发放方式为“邮寄”时必填）" in wrapper(doc, "address").text_content()
    doc = render(load("issue"), {"issued_on": "2026-12-10"})
    issued_on = doc.get_element_by_id("f-issued_on")
    assert (issued_on.get("type"), issued_on.get("value")) == ("date", "2026-12-10")


@pytest.mark.parametrize("name", sorted(TYPICAL))
def test_typical_submission_round_trips(name: str) -> None:
    schema = load(name)
    posted, expected = TYPICAL[name]
    data, errors = read_submission(schema, MultiDict(posted))
    assert (data, errors) == (expected, [])
    assert validate(schema, data) == []
    # What the inputs show for the saved data posts back as the same data, from a MultiDict or a plain dict.
    shown = form_values(schema, data)
    assert set(shown) == set(schema["properties"])
    assert read_submission(schema, MultiDict(shown)) == (expected, [])
    assert read_submission(schema, shown) == (expected, [])


def test_values_shown_for_saved_data() -> None:
    shown = form_values(load("register_appointment"), {
        "appointment_at": "2026-09-08T01:30:00+00:00", "appointment_place": "门诊楼", "bring_items": ["身份证", "照片"],
    })
    assert shown == {"appointment_at": "2026-09-08T09:30", "appointment_place": "门诊楼", "bring_items": "身份证\n照片"}
    assert form_values(load("assess"), {"meets_standard": False, "grade": 2}) == {
        "meets_standard": "false", "grade": "2", "conclusion": "",
    }
    assert form_values(load("application"), {})["materials"] == []


def test_a_time_with_an_offset_is_kept() -> None:
    schema = load("register_appointment")
    data, _ = read_submission(schema, {"appointment_at": "2026-09-08T09:30:00+00:00"})
    assert data["appointment_at"] == "2026-09-08T09:30:00+00:00"


def test_numbers_and_typed_choices() -> None:
    form = MultiDict([("count", "12"), ("weight", "2.5"), ("levels", "1"), ("levels", "3")])
    assert read_submission(NUMBERS, form) == ({"count": 12, "weight": 2.5, "levels": [1, 3]}, [])
    assert [field.widget for field in fields(NUMBERS)] == ["number", "number", "checkboxes"]
    data, errors = read_submission(NUMBERS, {"count": "1.5", "weight": "nan"})
    assert data == {}
    assert errors == [FieldError("count", "应为整数"), FieldError("weight", "应为数字")]


def test_a_word_for_an_integer_is_an_error_on_that_field() -> None:
    schema = load("assess")
    form = MultiDict([("meets_standard", "true"), ("grade", "abc"), ("conclusion", "符合标准")])
    data, errors = read_submission(schema, form)
    assert data == {"meets_standard": True, "conclusion": "符合标准"}
    assert errors == [FieldError("grade", "应为整数")]
    # The schema would say "必填" for the dropped value; the reading error is the one that is kept.
    assert check_submission(schema, form) == (data, [FieldError("grade", "应为整数")])


def test_check_submission_reports_everything_at_once() -> None:
    data, errors = check_submission(load("review"), MultiDict([("decision", "reject"), ("reason", "")]))
    assert data == {"decision": "reject"}
    assert errors == [FieldError("reason", "必填")]


def test_errors_beside_their_field() -> None:
    schema = load("application")
    posted = MultiDict([("applicant_name", "李"), ("phone", "12345"), ("category", "多重"), ("parts", "视力"),
                        ("materials", "photos"), ("delivery", "邮寄")])
    data, errors = check_submission(schema, posted)
    assert [error for error in errors if error.field == "delivery"] == [FieldError("delivery", "不是可选的值")]
    assert errors_by_field(errors)["parts"] == ["至少选择2项"]
    doc = render(schema, posted_values(schema, posted), errors + [FieldError("", "该申请已受理，请勿重复提交")])
    expected = {
        "applicant_name": "至少2个字", "id_number": "必填", "phone": "格式不正确", "village": "必填",
        "parts": "至少选择2项", "delivery": "不是可选的值",
    }
    for field in fields(schema):
        box = wrapper(doc, field.name)
        messages = box.xpath('.//p[@class="field-error"]')
        if field.name not in expected:
            assert not messages and "has-error" not in box.classes, field.name
            continue
        (message,) = messages
        assert message.text_content() == expected[field.name]
        assert message.get("id") == f"{field.name}-error"
        assert "has-error" in box.classes
        for control in box.xpath(".//input | .//select | .//textarea"):
            assert control.get("aria-invalid") == "true"
            assert f"{field.name}-error" in control.get("aria-describedby").split()
    (summary,) = doc.xpath('//div[@class="form-errors"]')
    assert "该申请已受理，请勿重复提交" in summary.text_content()
    assert "该申请已受理" not in "".join(box.text_content() for box in doc.xpath("//div[@data-field]"))


def test_an_item_error_says_which_item() -> None:
    schema = load("register_appointment")
    data, errors = check_submission(schema, {"appointment_at": "2026-09-08T09:30", "appointment_place": "门诊楼",
                                             "bring_items": "身份证\n" + "很长" * 60})
    assert errors == [FieldError("bring_items.1", "最多100个字")]
    assert errors_by_field(errors) == {"bring_items": ["第2项：最多100个字"]}


def test_posted_values_keep_what_was_typed() -> None:
    schema = load("register_appointment")
    posted = MultiDict([("appointment_at", "明天上午"), ("bring_items", "身份证\n\n照片"), ("csrf_token", "x")])
    data, errors = check_submission(schema, posted)
    assert FieldError("appointment_at", "应为日期时间") in errors
    kept = posted_values(schema, posted)
    assert kept == {"appointment_at": "明天上午", "appointment_place": "", "bring_items": "身份证\n\n照片"}
    doc = render(schema, kept, errors)
    assert doc.get_element_by_id("f-appointment_at").get("value") == "明天上午"
    assert textarea_value(doc.get_element_by_id("f-bring_items")) == "身份证\n\n照片"
    assessed = posted_values(load("assess"), MultiDict([("grade", "abc"), ("meets_standard", "true")]))
    assert assessed == {"meets_standard": "true", "grade": "abc", "conclusion": ""}
    application = posted_values(load("application"), MultiDict([("materials", "photos"), ("materials", "bogus")]))
    assert application["materials"] == ["photos", "bogus"]


def test_field_is_a_value() -> None:
    assert fields(load("issue"))[0] == Field(
        name="delivery", label="发放方式", widget="radio", required=True,
        options=(("post", "邮寄"), ("in_person", "直接送达")),
    )
