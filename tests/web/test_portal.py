"""The applicants' portal (apply online, receipt, status lookup) and the window applying for someone."""

from __future__ import annotations

import hashlib
import io
import json
import re
import struct
import zlib
from typing import Any

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient
from lushan import ADULT_ID, MINOR_ID, PORTAL_CHOICES, CaseDriver, application
from sqlalchemy import func, select
from webkit import csrf_token

from certflow.engine import attachments
from certflow.engine.clock import FixedClock
from certflow.engine.models import Case
from certflow.engine.runtime import Runtime


def tiny_png() -> bytes:
    """A real 1×1 white PNG."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
            + chunk(b"IEND", b""))


PNG = tiny_png()
PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"


def form_data(**changes: Any) -> dict[str, Any]:
    """The online form as a browser posts it: no materials boxes, the parts only for 多重."""
    data = {**PORTAL_CHOICES, **application(**changes)}
    del data["materials"]
    if not data["parts"]:
        del data["parts"]
    return data


def post_application(client: FlaskClient, path: str = "/apply", files: dict[str, list[tuple[bytes, str]]] | None = None,
                     ticked: list[str] | None = None, token: bool = True, **changes: Any):  # type: ignore[no-untyped-def]
    """The form with ``files`` by material, and materials boxes ``ticked`` (as only the window shows them)."""
    data: dict[str, Any] = form_data(**changes)
    if ticked:
        data["materials"] = ticked
    for material, parts in (files or {}).items():
        data[material] = [(io.BytesIO(content), name) for content, name in parts]
    if token:
        data["csrf_token"] = csrf_token(client, path)
    return client.post(path, data=data, content_type="multipart/form-data")


def page(response) -> lxml.html.HtmlElement:  # type: ignore[no-untyped-def]
    return lxml.html.fromstring(response.get_data(as_text=True))


def case_count(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Case))


def field_error(response, selector: str) -> str:  # type: ignore[no-untyped-def]
    found = page(response).cssselect(f"{selector} .field-error")
    return found[0].text_content() if found else ""


# -- the online form -------------------------------------------------------------------------------


def test_apply_page_is_the_chinese_form_with_a_village_choice_and_file_inputs(client: FlaskClient) -> None:
    response = client.get("/apply")
    assert response.status_code == 200
    html = page(response)
    assert html.get("lang") == "zh-CN"
    assert "在线申请残疾人证" in html.cssselect("h1")[0].text_content()
    counties = {o.get("value"): o.text_content() for o in html.cssselect('select[name="place_county"] option')}
    assert counties == {"": "请选择", "360483": "庐山市"}
    (township,) = html.cssselect('select[name="place_township"] optgroup[label="庐山市"] option[value="360483101"]')
    assert township.text_content() == "白鹿镇"
    (in_bailu,) = html.cssselect('select[name="village"] optgroup[label="庐山市白鹿镇"]')
    villages = {o.get("value"): o.text_content() for o in html.cssselect('select[name="village"] option')}
    assert villages["village-360483101209"] == "玉京村" and in_bailu.get("data-parent") == "360483101"
    assert "户籍所在村(社区)" in html.cssselect('label[for="f-village"]')[0].text_content()  # the applicant declares it
    assert "window" not in villages and "hospital-renmin" not in villages
    assert not html.cssselect('input[name="village"]')
    assert not html.cssselect('input[name="materials"]'), "online, materials follow from the files"
    for material in ("photos", "guardian_proof", "medical_records"):
        (upload,) = html.cssselect(f'input[type="file"][name="{material}"]')
        assert upload.get("multiple") is not None
        assert upload.get("accept") == "image/jpeg,image/png,application/pdf"
    assert html.cssselect('form#application')[0].get("enctype") == "multipart/form-data"
    assert html.cssselect('script[src$="apply.js"]')


def test_id_and_phone_fields_bring_up_the_right_keyboards(client: FlaskClient) -> None:
    html = page(client.get("/apply"))
    phone, = html.cssselect('input[name="phone"]')
    assert (phone.get("inputmode"), phone.get("autocomplete")) == ("tel", "tel")
    assert html.cssselect('input[name="guardian_phone"]')[0].get("inputmode") == "tel"
    id_number, = html.cssselect('input[name="id_number"]')
    assert id_number.get("inputmode") is None, "a digits-only pad cannot type the X that ends some ID numbers"
    assert id_number.get("autocomplete") == "off"
    assert html.cssselect('input[name="applicant_name"]')[0].get("autocomplete") == "name"


def test_a_village_of_another_township_is_refused_in_chinese_and_the_choices_kept(
        client: FlaskClient, runtime: Runtime) -> None:
    # 秀峰村 is in 白鹿镇 (360483101); 温泉镇 (360483102) is another township of 庐山市.
    response = post_application(client, place_township="360483102", village="village-360483101207")
    assert response.status_code == 422 and case_count(runtime) == 0
    assert "所选村(社区)不在温泉镇内" in field_error(response, '[data-field="village"]')
    html = page(response)
    assert html.cssselect('select[name="place_township"] option[selected]')[0].get("value") == "360483102"
    assert html.cssselect('input[name="applicant_name"]')[0].get("value") == "李明"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"place_county": ""}, "place_county", "请选择县(市、区)"),
    ({"place_county": "530323"}, "place_county", "请选择县(市、区)"),  # a county the federation does not serve
    ({"place_township": "530323100"}, "place_township", "所选乡镇(街道)不在所选县(市、区)内"),
])
def test_a_county_or_township_that_does_not_fit_is_refused_beside_it(
        client: FlaskClient, runtime: Runtime, changes: dict[str, str], field: str, message: str) -> None:
    response = post_application(client, **changes)
    assert response.status_code == 422 and case_count(runtime) == 0
    assert message in field_error(response, f'[data-field="{field}"]')


def test_without_the_separate_consent_nothing_is_stored_and_the_reason_is_beside_the_box(
        client: FlaskClient, runtime: Runtime) -> None:
    response = post_application(client, sensitive_consent="")
    assert response.status_code == 422 and case_count(runtime) == 0
    html = page(response)
    assert "敏感个人信息" in html.cssselect("#privacy")[0].text_content()
    assert "勾选同意处理敏感个人信息" in field_error(response, '[data-field="sensitive_consent"]')
    assert html.cssselect('input[name="phone"]')[0].get("value") == "13800000001"


def test_the_materials_table_for_intellectual_disability_asks_for_guardian_proof_and_records(
        client: FlaskClient) -> None:
    rules = json.loads(page(client.get("/apply")).cssselect("script#materials-rules")[0].text_content())
    for age in ("adult", "minor"):
        assert {"photos", "guardian_proof", "medical_records"} <= set(rules["required"]["智力"][age])
    assert rules["required"]["肢体"] == {"adult": ["photos"], "minor": ["photos", "guardian_proof"]}
    assert rules["names"]["guardian_proof"] == "法定监护人证明材料"
    assert rules["adult_age"] == 18


def test_a_valid_application_starts_a_case_stores_its_files_and_shows_the_receipt(
        client: FlaskClient, runtime: Runtime) -> None:
    response = post_application(client, files={
        "photos": [(PNG, "photo.png")], "medical_records": [(PDF, "病历.pdf")], "guardian_proof": [(b"", "")],
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    number = re.search(r"/apply/receipt/(.+)$", response.headers["Location"]).group(1)

    receipt = client.get(response.headers["Location"])
    text = page(receipt).text_content()
    assert number in text and "李明" in text
    assert "短信" in text and "材料" in text
    assert ADULT_ID not in text and "13800000001" not in text

    stored = {a["material"]: a for a in runtime.attachments(number)}
    assert set(stored) == {"photos", "medical_records"}, "an empty file input is not a file"
    assert stored["photos"]["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert stored["photos"]["content_type"] == "image/png"
    assert stored["medical_records"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert stored["medical_records"]["filename"] == "病历.pdf"
    assert stored["photos"]["uploaded_by"] == "applicant"
    case = runtime.case(number)
    assert case["process"] == "application_online"
    assert case["data"]["materials"] == ["photos", "medical_records"]


def test_the_applicant_is_texted_the_case_number_when_the_application_is_received(
        client: FlaskClient, runtime: Runtime) -> None:
    response = post_application(client, files={"photos": [(PNG, "photo.png")]})
    number = response.headers["Location"].rsplit("/", 1)[1]
    (receipt,) = [t for t in runtime.outbox(number) if t["template"] == "received"]
    assert receipt["recipient_phone"] == "13800000001" and receipt["status"] == "queued"
    assert number in receipt["text"] and "李明" in receipt["text"] and "已收到" in receipt["text"]
    assert "案件编号已用短信发到您申请时填写的手机号码" in page(client.get(response.headers["Location"])).text_content()


def test_posted_materials_are_ignored_online_only_files_count(client: FlaskClient, runtime: Runtime) -> None:
    response = post_application(client, files={"photos": [(PNG, "a.png"), (PNG, "b.png")]},
                                ticked=["id_card", "guardian_proof"])
    number = response.headers["Location"].rsplit("/", 1)[-1]
    assert runtime.case(number)["data"]["materials"] == ["photos"]
    assert len(runtime.attachments(number)) == 2


def test_a_guessed_receipt_address_shows_nothing_personal(client: FlaskClient, app: Flask, runtime: Runtime) -> None:
    number = runtime.start_case("application_online", application(), actor="applicant")
    response = app.test_client().get(f"/apply/receipt/{number}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/status?number=")
    assert "李明" not in app.test_client().get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("content", [
    b"just some text",
    b"<!doctype html><script>alert(1)</script>",
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00",
], ids=["text", "html", "exe"])
def test_a_file_that_is_not_what_its_name_says_is_refused_and_starts_no_case(
        client: FlaskClient, runtime: Runtime, content: bytes) -> None:
    before = case_count(runtime)
    response = post_application(client, files={"photos": [(content, "photo.jpg")]})
    assert response.status_code == 422
    assert "photo.jpg：只接受" in field_error(response, '.field-upload[data-material="photos"]')
    assert page(response).cssselect("p.reupload"), "the applicant is told to choose the files again"
    assert case_count(runtime) == before


def test_a_file_over_the_limit_is_refused(client: FlaskClient, runtime: Runtime) -> None:
    before = case_count(runtime)
    too_big = PNG + b"\x00" * attachments.MAX_BYTES
    response = post_application(client, files={"photos": [(PNG, "ok.png")], "medical_records": [(too_big, "scan.png")]})
    assert response.status_code == 422
    assert "超过" in field_error(response, '.field-upload[data-material="medical_records"]')
    assert field_error(response, '.field-upload[data-material="photos"]') == ""
    assert case_count(runtime) == before


def test_a_request_over_the_app_limit_gets_413(client: FlaskClient, app: Flask) -> None:
    token = csrf_token(client, "/apply")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/apply", data={"csrf_token": token, "photos": (io.BytesIO(PNG * 40), "big.png")},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert "上传的文件太大" in response.get_data(as_text=True)


def test_invalid_fields_come_back_beside_their_inputs_with_the_typed_values(
        client: FlaskClient, runtime: Runtime) -> None:
    before = case_count(runtime)
    response = post_application(client, files={"photos": [(PNG, "photo.png")]}, applicant_name="",
                                id_number="36048319800101", phone="13912345678")
    assert response.status_code == 422
    html = page(response)
    assert field_error(response, ".field-applicant_name") == "必填"
    assert field_error(response, ".field-id_number")
    assert html.cssselect('input[name="id_number"]')[0].get("value") == "36048319800101"
    assert html.cssselect('input[name="phone"]')[0].get("value") == "13912345678"
    assert html.cssselect('select[name="village"] option[selected]')[0].get("value") == "village-360483101209"
    assert html.cssselect('input[name="delivery"][value="post"]')[0].get("checked") is not None
    assert html.cssselect("p.reupload")
    assert case_count(runtime) == before


@pytest.mark.parametrize(("path", "user"), [("/apply", None), ("/window/apply", "window")])
@pytest.mark.parametrize(("id_number", "reason"), [
    ("360483198001011233", "身份证号码校验位错误，请逐位核对"),
    ("360483198002301238", "身份证号码中的出生日期不存在"),
])
def test_an_invalid_id_number_is_refused_beside_its_field_and_kept_as_typed(  # type: ignore[no-untyped-def]
        client: FlaskClient, as_user, runtime: Runtime, path: str, user: str | None, id_number: str,
        reason: str) -> None:
    browser = as_user(user) if user else client
    before = case_count(runtime)
    ticked = ["id_card", "household_register", "photos", "application_form"] if user else None
    response = post_application(browser, path, files={"photos": [(PNG, "photo.png")]}, id_number=id_number,
                                ticked=ticked)
    assert response.status_code == 422
    assert field_error(response, ".field-id_number") == reason
    assert page(response).cssselect('input[name="id_number"]')[0].get("value") == id_number
    assert case_count(runtime) == before


def test_a_post_without_the_csrf_token_is_refused(client: FlaskClient, runtime: Runtime) -> None:
    before = case_count(runtime)
    response = post_application(client, files={"photos": [(PNG, "photo.png")]}, token=False)
    assert response.status_code == 400
    assert case_count(runtime) == before


# -- the status lookup -----------------------------------------------------------------------------


def lookup(client: FlaskClient, number: str, id_number: str):  # type: ignore[no-untyped-def]
    return client.post("/status", data={"number": number, "id_number": id_number,
                                        "csrf_token": csrf_token(client, "/status")})


@pytest.fixture
def appointed(runtime: Runtime, clock: FixedClock) -> str:
    """An online case past pre-review, its appointment made by the hospital."""
    number = runtime.start_case("application_online", application(), actor="applicant")
    case = CaseDriver(runtime, clock, number)
    case.complete("pre_review", {"decision": "pass"})
    case.complete("register_appointment", {
        "appointment_at": "2026-09-08T09:30:00+08:00", "appointment_place": "庐山市人民医院门诊楼三楼",
        "bring_items": ["居民身份证", "两寸照片"],
    }, group="hospital-renmin")
    return number


def test_the_right_number_and_id_show_the_step_the_appointment_and_the_texts(
        client: FlaskClient, appointed: str) -> None:
    response = lookup(client, appointed, ADULT_ID.lower())
    assert response.status_code == 200
    html = page(response)
    assert "等待定点医院评定" in html.cssselect("#step")[0].text_content()
    line = [(li.get("class"), li.text_content().split()[1]) for li in html.cssselect("#progress-line li")]
    assert line == [("done", "提交申请"), ("done", "窗口预审"), ("current", "医院评定"), ("todo", "村(社区)公示"),
                    ("todo", "发证")]
    # The assessment's 10 working days from 9月1日, as the process sets them.
    assert "本环节应于2026年9月15日前（含当日）办结" in html.cssselect("#due")[0].text_content()
    appointment = html.cssselect("#appointment")[0].text_content()
    assert "2026-09-08 09:30" in appointment and "门诊楼三楼" in appointment and "两寸照片" in appointment
    texts = html.cssselect("#texts li")
    assert len(texts) == 2 and "已收到" in texts[0].text_content() and "您的残疾评定已预约" in texts[1].text_content()
    assert "新的残疾人证申请待预审" not in html.text_content(), "texts to the staff are not shown"
    assert ADULT_ID not in html.text_content()


@pytest.mark.parametrize("wrong", ["id", "number"])
def test_a_wrong_pair_gets_one_message_and_nothing_personal(client: FlaskClient, appointed: str, wrong: str) -> None:
    number, id_number = (appointed, "11010519491231002X") if wrong == "id" else ("LS-2026-999999", ADULT_ID)
    response = lookup(client, number, id_number)
    assert response.status_code == 404
    text = page(response).text_content()
    assert "案件编号或身份证号码不正确" in text
    assert "李明" not in text and "门诊楼" not in text and not page(response).cssselect("#progress")


def test_lookups_are_limited_per_address(client: FlaskClient, appointed: str, app: Flask) -> None:
    for _ in range(10):
        assert lookup(client, appointed, "11010519491231002X").status_code == 404
    assert lookup(client, appointed, ADULT_ID).status_code == 429
    failures = app.extensions["certflow"].accounts.security_events(kind="status_lookup_failed")
    assert len(failures) == 10 and failures[0].target == f"查询进度 {appointed}"


# -- the window ------------------------------------------------------------------------------------


def test_the_window_clerk_starts_an_offline_case_and_lands_on_its_page(as_user, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    clerk = as_user("window")
    form = page(clerk.get("/window/apply"))
    ticks = {box.get("value") for box in form.cssselect('input[type="checkbox"][name="materials"]')}
    assert {"id_card", "household_register", "application_form"} <= ticks
    assert form.cssselect('input[type="file"][name="id_card"]')

    response = post_application(clerk, "/window/apply", files={"id_card": [(PDF, "身份证.pdf")]},
                                ticked=["id_card", "household_register", "photos", "application_form"])
    assert response.status_code == 302, response.get_data(as_text=True)
    number = re.search(r"/cases/(.+)$", response.headers["Location"]).group(1)
    case = runtime.case(number)
    assert case["process"] == "application_offline"
    assert case["data"]["materials"] == ["id_card", "household_register", "photos", "application_form"]
    assert runtime.history(number)[0]["actor"] == "window"
    assert [(a["material"], a["uploaded_by"]) for a in runtime.attachments(number)] == [("id_card", "window")]
    assert number in clerk.get(response.headers["Location"]).get_data(as_text=True)


def test_a_hospital_user_is_refused_at_the_window_form_and_it_is_recorded(as_user, app: Flask) -> None:  # type: ignore[no-untyped-def]
    assert as_user("renmin").get("/window/apply").status_code == 403
    denied = app.extensions["certflow"].accounts.security_events(kind="access_denied")
    assert [(e.username, e.target) for e in denied] == [("renmin", "窗口代办申请（打开 /window/apply）")]


def test_the_window_form_needs_a_login(client: FlaskClient) -> None:
    response = client.get("/window/apply")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# -- the county an application is of ---------------------------------------------------------------

SHIZONG = "530323"
SHIZONG_VILLAGE = "village-530323001001"  # 师宗县丹凤街道丹凤社区
SHIZONG_PLACE = {"place_county": SHIZONG, "place_township": "530323001", "village": SHIZONG_VILLAGE}


@pytest.fixture
def shizong_village(app: Flask, shizong_county: None) -> None:
    """师宗县 as a second county of the installation, with one of its villages."""
    app.extensions["certflow"].directory.add(SHIZONG_VILLAGE, "village", "丹凤街道丹凤社区", SHIZONG)


def test_an_applicant_online_applies_in_the_county_of_the_village_chosen(  # type: ignore[no-untyped-def]
        client: FlaskClient, runtime: Runtime, shizong_village: None) -> None:
    form = page(client.get("/apply"))
    assert SHIZONG_VILLAGE in {o.get("value") for o in form.cssselect('select[name="village"] option')}
    response = post_application(client, files={"photos": [(PNG, "photo.png")]}, **SHIZONG_PLACE)
    assert response.status_code == 302, response.get_data(as_text=True)
    shizong = [t for t in runtime.tasks() if t["county"] == SHIZONG]
    assert len(shizong) == 1 and runtime.case(shizong[0]["case"])["county"] == SHIZONG


def test_the_window_offers_and_takes_only_its_own_countys_villages(  # type: ignore[no-untyped-def]
        as_user, runtime: Runtime, shizong_village: None) -> None:
    clerk = as_user("window")
    offered = {o.get("value") for o in page(clerk.get("/window/apply")).cssselect('select[name="village"] option')}
    assert "village-360483101209" in offered and SHIZONG_VILLAGE not in offered
    before = case_count(runtime)
    response = post_application(clerk, "/window/apply", files={"id_card": [(PDF, "身份证.pdf")]},
                                ticked=["id_card", "household_register", "photos", "application_form"], **SHIZONG_PLACE)
    assert response.status_code == 422
    assert field_error(response, "[data-field=\"place_county\"]") == "请选择县(市、区)"
    assert case_count(runtime) == before


def test_a_program_starting_a_case_is_held_to_its_countys_villages(  # type: ignore[no-untyped-def]
        client: FlaskClient, app: Flask, runtime: Runtime, shizong_village: None) -> None:
    accounts = app.extensions["certflow"].accounts
    api = {"Authorization": f"Bearer {accounts.issue_token(accounts.by_username('window').id, 't')}"}
    before = case_count(runtime)
    for village, reason in ((SHIZONG_VILLAGE, "所选村(社区)不属于本县(市、区)"),
                            ("village-360483999999", "所选村(社区)不在村(社区)名单中")):
        response = client.post("/api/v1/cases", json={"process": "application_online",
                                                      "data": application(village=village)}, headers=api)
        assert response.status_code == 422, response.get_data(as_text=True)
        assert [(d["field"], d["message"][:len(reason)]) for d in response.get_json()["error"]["details"]] == [
            ("village", reason)]
    assert case_count(runtime) == before
    response = client.post("/api/v1/cases", json={"process": "application_online", "data": application()}, headers=api)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["case"]["county"] == runtime.settings.county


# -- missing materials handed in online ------------------------------------------------------------


@pytest.fixture
def missing(start) -> CaseDriver:  # type: ignore[no-untyped-def]
    """A minor's 智力 case sent with photos only; the window chose 材料不全."""
    case = start(category="智力", id_number=MINOR_ID, materials=["photos"])
    case.complete("pre_review", {"decision": "missing", "missing_note": "监护人证明须加盖村委会公章"})
    return case


def supply(client: FlaskClient, number: str, files: dict[str, list[tuple[bytes, str]]], *, token: bool = True):  # type: ignore[no-untyped-def]
    data: dict[str, Any] = {material: [(io.BytesIO(content), name) for content, name in parts]
                            for material, parts in files.items()}
    if token:
        data["csrf_token"] = csrf_token(client, "/status")
    return client.post(f"/status/{number}/materials", data=data, content_type="multipart/form-data")


BOTH = {"guardian_proof": [(PNG, "a.png")], "medical_records": [(PDF, "b.pdf")]}


def waits_for_materials(case: CaseDriver) -> bool:
    return [w["name"] for w in case.view["waiting"]] == ["materials_supplied"]


def test_the_applicant_sees_what_is_missing_and_a_file_input_for_each(client: FlaskClient, missing: CaseDriver) -> None:
    html = page(lookup(client, missing.number, MINOR_ID))
    items = [li.text_content() for li in html.cssselect("#missing li")]
    assert items == ["法定监护人证明材料", "就诊病历材料"]
    assert "加盖村委会公章" in html.cssselect("#missing-note")[0].text_content()
    (form,) = html.cssselect("form#supply")
    assert form.get("action") == f"/status/{missing.number}/materials"
    assert form.get("enctype") == "multipart/form-data"
    assert form.cssselect('input[name="csrf_token"]')
    inputs = form.cssselect('input[type="file"]')
    assert [i.get("name") for i in inputs] == ["guardian_proof", "medical_records"]
    assert all(i.get("multiple") is not None for i in inputs)


def test_the_missing_materials_handed_in_online_send_the_case_back_to_pre_review(
        client: FlaskClient, runtime: Runtime, missing: CaseDriver) -> None:
    lookup(client, missing.number, MINOR_ID)
    response = supply(client, missing.number, {"guardian_proof": [(PNG, "监护证明.png")],
                                               "medical_records": [(PDF, "病历.pdf")]})
    assert response.status_code == 200, response.get_data(as_text=True)
    text = page(response).text_content()
    assert "材料已提交，等待窗口审核" in text and "病历.pdf" in text

    assert missing.task("pre_review")
    data = missing.view["data"]
    assert data["materials_result"]["missing"] == []
    assert data["materials"] == ["guardian_proof", "medical_records", "photos"], "added to the photos sent first"
    stored = [(a["material"], a["filename"], a["content_type"], a["uploaded_by"])
              for a in runtime.attachments(missing.number)]
    assert stored == [("guardian_proof", "监护证明.png", "image/png", "applicant"),
                      ("medical_records", "病历.pdf", "application/pdf", "applicant")]
    received = [e for e in runtime.history(missing.number) if e["kind"] == "message_received"]
    assert [(e["actor"], e["data"]["name"]) for e in received] == [("applicant", "materials_supplied")]


@pytest.mark.parametrize("files, material, message", [
    ({"guardian_proof": [(b"just some text", "证明.jpg")], "medical_records": [(PDF, "病历.pdf")]},
     "guardian_proof", "证明.jpg：只接受"),
    ({"guardian_proof": [(PNG, "证明.png")]}, "medical_records", "请上传就诊病历材料"),
], ids=["bad-file", "one-missing"])
def test_a_bad_or_incomplete_upload_stores_nothing_and_the_case_keeps_waiting(
        client: FlaskClient, runtime: Runtime, missing: CaseDriver, files: dict[str, list[tuple[bytes, str]]],
        material: str, message: str) -> None:
    lookup(client, missing.number, MINOR_ID)
    response = supply(client, missing.number, files)
    assert response.status_code == 422
    assert message in field_error(response, f'#supply .field-upload[data-material="{material}"]')
    assert page(response).cssselect("#supply p.reupload")
    assert runtime.attachments(missing.number) == []
    assert waits_for_materials(missing)


def test_an_upload_without_looking_the_case_up_is_refused(
        client: FlaskClient, runtime: Runtime, missing: CaseDriver) -> None:
    response = supply(client, missing.number, BOTH)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/status?number={missing.number}"
    assert "请先填写案件编号和身份证号码" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert runtime.attachments(missing.number) == []
    assert waits_for_materials(missing)


def test_looking_up_another_case_does_not_open_this_one(
        client: FlaskClient, runtime: Runtime, missing: CaseDriver, appointed: str) -> None:
    assert lookup(client, appointed, ADULT_ID).status_code == 200
    assert lookup(client, missing.number, ADULT_ID).status_code == 404
    response = supply(client, missing.number, BOTH)
    assert response.status_code == 302
    assert runtime.attachments(missing.number) == []


def test_an_upload_without_the_csrf_token_is_refused(
        client: FlaskClient, runtime: Runtime, missing: CaseDriver) -> None:
    lookup(client, missing.number, MINOR_ID)
    response = supply(client, missing.number, BOTH, token=False)
    assert response.status_code == 400
    assert runtime.attachments(missing.number) == []


def test_a_case_not_waiting_for_materials_shows_no_form_and_takes_no_files(
        client: FlaskClient, runtime: Runtime, appointed: str) -> None:
    html = page(lookup(client, appointed, ADULT_ID))
    assert html.cssselect("#progress") and not html.cssselect("#supplement, form#supply")
    response = supply(client, appointed, {"photos": [(PNG, "a.png")]})
    assert response.status_code == 409
    assert "当前不需要补交材料" in page(response).text_content()
    assert runtime.attachments(appointed) == []



# -- finding one's case without its number ------------------------------------------------------------


def ask_code(client: FlaskClient, id_number: str = ADULT_ID):  # type: ignore[no-untyped-def]
    return client.post("/status/code", data={"id_number": id_number, "action": "send",
                                             "csrf_token": csrf_token(client, "/status/code")})


def give_code(client: FlaskClient, code: str, id_number: str = ADULT_ID):  # type: ignore[no-untyped-def]
    return client.post("/status/code", data={"id_number": id_number, "code": code, "action": "check",
                                             "csrf_token": csrf_token(client, "/status/code")})


def texted_code(runtime: Runtime, number: str) -> str:
    """The newest code texted to the applicant of ``number``."""
    codes = [t for t in runtime.outbox(number) if t["template"] == "lookup_code"]
    return re.search(r"验证码为(\d{6})", codes[-1]["text"]).group(1)


def test_the_id_number_and_the_texted_code_show_the_case(
        client: FlaskClient, runtime: Runtime, appointed: str) -> None:
    page_ = page(client.get("/status"))
    assert page_.cssselect('a[href="/status/code"]'), "the status page points to the lookup without a number"
    sent = ask_code(client)
    assert sent.status_code == 200 and "验证码已发送到申请时填写的手机号码" in sent.get_data(as_text=True)
    (text,) = [t for t in runtime.outbox(appointed) if t["template"] == "lookup_code"]
    assert text["recipient_phone"] == "13800000001"
    found = give_code(client, texted_code(runtime, appointed))
    assert found.status_code == 200
    html = page(found)
    assert appointed in html.cssselect("#progress h2")[0].text_content()
    assert "验证码为" not in html.cssselect("#texts")[0].text_content(), "the code is not kept among the case's texts"


def test_an_id_number_without_cases_gets_the_same_answer_and_no_text(
        client: FlaskClient, runtime: Runtime, appointed: str) -> None:
    other = ask_code(client, MINOR_ID)
    assert other.status_code == 200 and "验证码已发送到申请时填写的手机号码" in other.get_data(as_text=True)
    assert all(t["template"] != "lookup_code" for t in runtime.outbox())


def test_a_wrong_code_an_expired_code_and_too_many_tries_are_refused_in_chinese(
        client: FlaskClient, runtime: Runtime, clock: FixedClock, appointed: str) -> None:
    ask_code(client)
    code = texted_code(runtime, appointed)
    wrong = "000000" if code != "000000" else "111111"
    refused = give_code(client, wrong)
    assert refused.status_code == 422 and "验证码不正确" in field_error(refused, '[data-field="code"]')
    assert "progress" not in refused.get_data(as_text=True)
    for _ in range(3):
        give_code(client, wrong)
    too_many = give_code(client, wrong)  # the fifth wrong try voids the code
    assert too_many.status_code == 429 and "验证码输错次数过多" in field_error(too_many, '[data-field="code"]')
    assert give_code(client, code).status_code == 429, "the right code no longer opens the case"

    clock.advance(seconds=60)
    ask_code(client)
    late = texted_code(runtime, appointed)
    clock.advance(seconds=11 * 60)
    expired = give_code(client, late)
    assert expired.status_code == 422 and "验证码已过期" in field_error(expired, '[data-field="code"]')


def test_codes_are_limited_per_id_number_and_a_malformed_id_number_is_refused(
        client: FlaskClient, runtime: Runtime, appointed: str) -> None:
    bad = ask_code(client, ADULT_ID[:-1])
    assert bad.status_code == 422 and "身份证号码应为18位" in field_error(bad, '[data-field="id_number"]')
    assert [ask_code(client).status_code for _ in range(3)] == [200, 200, 200]
    busy = ask_code(client)
    assert busy.status_code == 429 and "获取验证码过于频繁" in field_error(busy, '[data-field="id_number"]')
    assert len([t for t in runtime.outbox(appointed) if t["template"] == "lookup_code"]) == 3


# -- photos uploaded as they are picked ---------------------------------------------------------------


def pick(client: FlaskClient, content: bytes, name: str = "photo.png", material: str = "photos"):  # type: ignore[no-untyped-def]
    return client.post("/apply/files", data={"material": material, material: (io.BytesIO(content), name),
                                              "csrf_token": csrf_token(client, "/apply")},
                       content_type="multipart/form-data")


def test_a_picked_photo_is_stored_at_once_with_a_thumbnail_for_this_browser_only(
        client: FlaskClient, app: Flask) -> None:
    answer = pick(client, PNG)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["filename"] == "photo.png" and body["thumbnail"] == f"/apply/files/{body['id']}"
    thumbnail = client.get(body["thumbnail"])
    assert thumbnail.status_code == 200 and thumbnail.data == PNG and thumbnail.mimetype == "image/png"
    assert app.test_client().get(body["thumbnail"]).status_code == 404, "another browser does not see it"
    assert pick(client, PDF, "病历.pdf", "medical_records").get_json()["thumbnail"] is None


def test_a_picked_file_that_is_refused_says_why_in_chinese(client: FlaskClient) -> None:
    refused = pick(client, b"GIF89a....", "photo.gif")
    assert refused.status_code == 422 and "只接受JPEG、PNG 图片或 PDF 文件" in refused.get_json()["error"]
    assert pick(client, PNG, material="password").status_code == 422


def test_picked_files_survive_a_refused_form_and_become_the_cases(
        client: FlaskClient, runtime: Runtime) -> None:
    token = pick(client, PNG).get_json()["id"]
    refused = post_application(client, applicant_name="", uploaded=[token])
    assert refused.status_code == 422
    html = page(refused)
    assert [i.get("value") for i in html.cssselect('.kept[data-kept="photos"] input[name="uploaded"]')] == [token]
    assert html.cssselect('.kept[data-kept="photos"] img')[0].get("src") == f"/apply/files/{token}"
    assert not html.cssselect(".reupload"), "nothing to pick again"
    sent = post_application(client, uploaded=[token])
    assert sent.status_code == 302
    number = sent.headers["Location"].rsplit("/", 1)[1]
    assert [(a["material"], a["filename"]) for a in runtime.attachments(number)] == [("photos", "photo.png")]


def test_another_browsers_token_is_not_taken(client: FlaskClient, app: Flask, runtime: Runtime) -> None:
    other = app.test_client()
    token = pick(other, PNG).get_json()["id"]
    sent = post_application(client, uploaded=[token], files={"photos": [(PNG, "mine.png")]})
    number = sent.headers["Location"].rsplit("/", 1)[1]
    assert [a["filename"] for a in runtime.attachments(number)] == ["mine.png"]


def test_a_form_sent_after_its_picked_file_was_removed_asks_for_the_file_again(
        client: FlaskClient, runtime: Runtime, clock: FixedClock) -> None:
    token = pick(client, PNG).get_json()["id"]
    clock.advance(hours=runtime.settings.upload_draft_hours + 1)
    assert runtime.remove_old_drafts() == 1
    before = case_count(runtime)
    refused = post_application(client, uploaded=[token])
    assert refused.status_code == 422
    messages = [li.text_content() for li in page(refused).cssselect("#form-errors li")]
    assert messages == ["您之前选择上传的 1 个文件已超过 24 小时未提交，为保护您的信息已被删除，"
                        "请重新选择这些文件后再提交"]
    assert not page(refused).cssselect('.kept input[name="uploaded"]')
    assert case_count(runtime) == before, "no case without the file"
    assert client.get(f"/apply/files/{token}").status_code == 404
    again = post_application(client, files={"photos": [(PNG, "photo.png")]})
    assert again.status_code == 302
