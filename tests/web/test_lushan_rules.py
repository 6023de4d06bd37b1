"""Lushan's rules as people meet them on the web: guardians at the portal, the posting date and the clerk's
list of missing materials on the task form, and the applicant's request for re-examination (复核)."""

from __future__ import annotations

import io
from typing import Any

import lxml.html
from flask.testing import FlaskClient
from lushan import ADULT_ID, GUARDIAN, PORTAL_CHOICES, application, lushan_id
from webkit import csrf_token, field, post

from certflow.engine.runtime import Runtime

PASS = {"decision": "pass"}
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x9a\xa0\xa1\x00\x00\x00\x00IEND\xaeB`\x82")


def apply_online(client: FlaskClient, **changes: Any):  # type: ignore[no-untyped-def]
    data: dict[str, Any] = {k: v for k, v in application(**changes).items() if k not in ("materials", "parts")}
    data.update(PORTAL_CHOICES)
    for material in ("photos", "guardian_proof", "medical_records"):
        data[material] = [(io.BytesIO(PNG), f"{material}.png")]
    data["csrf_token"] = csrf_token(client, "/apply")
    return client.post("/apply", data=data, content_type="multipart/form-data")


def test_the_portal_refuses_a_mental_disability_application_without_its_guardian_beside_each_field(
        client: FlaskClient, runtime: Runtime) -> None:
    response = apply_online(client, category="精神", **{name: "" for name in GUARDIAN})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "须填写监护人姓名" in field(html, "guardian_name").text_content()
    assert "须填写监护人手机号码" in field(html, "guardian_phone").text_content()
    assert runtime.case_numbers() == []

    response = apply_online(client, category="精神", **{**GUARDIAN, "guardian_id_number": lushan_id("20120101", "224")})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "监护人应为成年人" in field(html, "guardian_id_number").text_content()
    assert field(html, "guardian_name").cssselect("input")[0].get("value") == "王芳"  # what was typed is kept

    assert apply_online(client, category="精神", **GUARDIAN).status_code == 302
    [number] = runtime.case_numbers()
    assert runtime.case(number)["data"]["guardian"]["relation"] == "父母"


def test_the_portal_lists_the_guardian_fields_for_its_script_to_show_only_when_they_apply(client: FlaskClient) -> None:
    html = lxml.html.fromstring(client.get("/apply").get_data(as_text=True))
    for name in GUARDIAN:
        assert html.cssselect(f'.field[data-field="{name}"]'), name
    assert [o.get("value") for o in html.cssselect('select[name="guardian_relation"] option') if o.get("value")][:3] \
        == ["父母", "配偶", "子女"]


def test_a_backdated_posting_date_comes_back_beside_the_field_with_the_input_kept(start, as_user) -> None:
    case = start()
    case.complete("pre_review", PASS)
    case.at("2026-09-03T15:00:00+08:00")
    case.assess()
    village = as_user("yujing")
    task = case.task("post_publicity")
    response = post(village, f"/tasks/{task['id']}", {"action": "complete", "posted_on": "2026-08-20",
                                                     "posting_place": "村委会公示栏"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "张贴日期不能早于评定结论作出的日期（2026年9月3日）" in field(html, "posted_on").text_content()
    assert field(html, "posting_place").cssselect("textarea")[0].text_content().strip() == "村委会公示栏"
    assert case.task("post_publicity")["status"] == "open"


def test_the_clerk_marks_a_blurred_photo_and_the_applicant_is_asked_for_it_online(start, as_user, client) -> None:
    case = start()
    window = as_user("window")
    response = post(window, f"/tasks/{case.task('pre_review')['id']}", {
        "action": "complete", "decision": "missing", "missing_materials": "photos", "missing_note": "照片模糊"})
    assert response.status_code == 302
    assert "请补充以下材料：两寸近期免冠白底彩照(3张)。窗口说明：照片模糊。" in case.text("missing_listed")["text"]
    html = looked_up(client, case)
    assert [li.text_content() for li in html.cssselect("#missing li")] == ["两寸近期免冠白底彩照(3张)"]


def looked_up(client: FlaskClient, case) -> lxml.html.HtmlElement:  # type: ignore[no-untyped-def]
    response = client.post("/status", data={"number": case.number, "id_number": ADULT_ID,
                                             "csrf_token": csrf_token(client, "/status")})
    return lxml.html.fromstring(response.get_data(as_text=True))


def ask_review(client: FlaskClient, number: str, reason: str):  # type: ignore[no-untyped-def]
    return client.post(f"/status/{number}/review", data={"reason": reason, "csrf_token": csrf_token(client, "/status")})


def test_the_applicant_asks_for_re_examination_on_the_status_page(start, client: FlaskClient) -> None:
    case = start()
    case.complete("pre_review", PASS)
    case.assess(meets=False, conclusion="未达到残疾标准")
    assert ask_review(client, case.number, "评定过轻").status_code == 302  # not looked up: no form
    html = looked_up(client, case)
    assert "2026年9月15日前" in html.cssselect("#review")[0].text_content()
    empty = ask_review(client, case.number, "")
    assert empty.status_code == 422 and "请写明异议的理由" in empty.get_data(as_text=True)
    done = ask_review(client, case.number, "本人行走困难，评定过轻")
    assert done.status_code == 200
    assert case.task("committee_review")["group"] == "expert-committee"
    assert case.view["data"]["review_request"]["reason"] == "本人行走困难，评定过轻"
    assert not looked_up(client, case).cssselect("#review")


def test_a_request_after_the_last_day_is_refused_with_it_and_the_reason_kept(start, client: FlaskClient) -> None:
    case = start()
    case.complete("pre_review", PASS)
    case.assess(meets=False, conclusion="未达到残疾标准")
    looked_up(client, case)
    case.at("2026-09-16T08:00:00+08:00")  # the period is over; the worker has not closed it yet
    response = ask_review(client, case.number, "评定过轻")
    assert response.status_code == 422
    html = lxml.html.fromstring(response.get_data(as_text=True))
    assert "申请复核的期限已于2026年9月15日届满" in html.cssselect(".form-errors")[0].text_content()
    assert html.cssselect("#reason")[0].text_content() == "评定过轻"
    assert [w["name"] for w in case.view["waiting"] if w["name"] == "review_request"] == ["review_request"]


def in_publicity(start):  # type: ignore[no-untyped-def]
    case = start()
    case.complete("pre_review", PASS)
    case.assess()
    case.at("2026-09-04T10:00:00+08:00")
    case.post_publicity("2026-09-04")  # the period's last day is Friday 11 September
    return case


def test_the_village_registers_an_objection_received_in_time_after_the_period(start, as_user) -> None:
    case = in_publicity(start)
    case.at("2026-09-14T08:30:00+08:00")  # Monday: the worker has not processed the end yet
    village = as_user("yujing")
    html = lxml.html.fromstring(village.get(f"/cases/{case.number}").get_data(as_text=True))
    assert html.cssselect("#request-objection input[name=received_on]")[0].get("value") == "2026-09-14"
    late = post(village, f"/cases/{case.number}/requests/objection",
                {"reason": "申请人并无残疾", "by": "村民王某", "received_on": "2026-09-14"})
    assert late.status_code == 422
    page = lxml.html.fromstring(late.get_data(as_text=True))
    assert "公示期已于2026年9月11日届满" in page.cssselect("#request-objection")[0].text_content()
    assert page.cssselect("#request-objection textarea")[0].text_content() == "申请人并无残疾"
    in_time = post(village, f"/cases/{case.number}/requests/objection",
                   {"reason": "申请人并无残疾", "by": "村民王某", "received_on": "2026-09-11"})
    assert in_time.status_code == 302
    assert case.task("reexamine")
    assert case.view["data"]["objection"] == {"reason": "申请人并无残疾", "by": "村民王某", "received_on": "2026-09-11"}


def test_another_village_cannot_register_an_objection(start, as_user) -> None:
    case = in_publicity(start)
    other = as_user("xiufeng")
    response = post(other, f"/cases/{case.number}/requests/objection",
                    {"reason": "捏造的异议", "by": "他人", "received_on": "2026-09-04"})
    assert response.status_code in (403, 404)
    assert [w["name"] for w in case.view["waiting"] if w["name"] == "objection"] == ["objection"]


def test_the_window_registers_a_request_for_re_examination_handed_in_at_the_window(start, as_user) -> None:
    case = start()
    case.complete("pre_review", PASS)
    case.assess(meets=False, conclusion="未达到残疾标准")
    window = as_user("window")
    assert lxml.html.fromstring(window.get(f"/cases/{case.number}").get_data(as_text=True)).cssselect(
        "#request-review_request")
    response = post(window, f"/cases/{case.number}/requests/review_request",
                    {"reason": "评定过轻", "received_on": "2026-09-01"})
    assert response.status_code == 302
    assert case.task("committee_review")
