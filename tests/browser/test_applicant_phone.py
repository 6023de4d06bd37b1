"""The applicant's journey on a phone (390 px): apply with the village chosen county → township → village, a
mistake said beside its field, the photo uploaded as it is picked and kept through a refusal, the separate consent,
the receipt and its text, then the case found again without its number; axe-core on the form, the status page and
the lookup page."""

from __future__ import annotations

import re

from browserkit import PHONE, LiveServer, Screens, assert_accessible
from stdnum.cn import ric
from test_journeys import photo_png


def lushan_id(birth: str, sequence: str) -> str:
    body = f"360483{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")


def fits(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_applicant_applies_and_finds_the_case_again_on_a_phone(
        browser, live: LiveServer, screens: Screens, tmp_path) -> None:  # type: ignore[no-untyped-def]
    photo = tmp_path / "photo.png"
    photo.write_bytes(photo_png())
    id_number = lushan_id("19681109", "513")
    phone = browser.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    phone.goto(f"{live.url}/apply")
    assert fits(phone)
    assert_accessible(phone)
    screens.shot(phone, "apply-empty")

    # The townships follow the county, the villages the township.
    phone.select_option("#f-place_county", "360483")
    townships = phone.locator("#f-place_township option").all_inner_texts()
    assert "白鹿镇" in townships and "丹凤街道" not in townships  # 丹凤 is Shizong's
    phone.select_option("#f-place_township", "360483101")
    villages = [v for v in phone.locator("#f-village option").all_inner_texts() if v != "请选择"]
    assert sorted(villages) == ["玉京村", "秀峰村"]
    phone.select_option("#f-village", "village-360483101209")

    # A wrong digit is said beside the field on leaving it, before anything is sent.
    phone.fill("#f-applicant_name", "周桂兰")
    phone.fill("#f-id_number", id_number[:-1] + ("1" if id_number[-1] != "1" else "2"))
    phone.fill("#f-phone", "13912345678")
    assert "校验位错误" in phone.inner_text("[data-field=id_number] .field-error")
    screens.shot(phone, "apply-id-mistake")
    phone.fill("#f-id_number", id_number)
    phone.locator("#f-phone").focus()
    assert not phone.locator("[data-field=id_number] .field-error").is_visible()
    phone.select_option("#f-category", "肢体")
    phone.get_by_role("radio", name="邮寄").check()
    phone.fill("#f-address", "庐山市白鹿镇玉京村3组7号")
    phone.set_input_files("#u-photos", str(photo))  # uploaded at once, shown as a thumbnail
    phone.wait_for_selector('.kept[data-kept="photos"] img')
    assert phone.input_value("#u-photos") == ""

    # Sent without the consent: the page comes back with the focus on the box, the choices kept.
    phone.click("#application button[type=submit]")
    phone.wait_for_selector("[data-field=sensitive_consent] .field-error")
    assert phone.evaluate("document.activeElement.id") == "f-sensitive_consent"
    assert phone.input_value("#f-village") == "village-360483101209"
    assert phone.locator('.kept[data-kept="photos"] img').count() == 1, "the photo survives the refusal"
    assert_accessible(phone)
    screens.shot(phone, "apply-no-consent")
    phone.check("#f-sensitive_consent")
    phone.click("#application button[type=submit]")
    phone.wait_for_selector("#receipt")
    number = re.search(r"LS-\d{4}-\d{6}", phone.inner_text("#receipt")).group(0)
    assert fits(phone)
    assert_accessible(phone)
    screens.shot(phone, "receipt")
    assert [a["filename"] for a in live.runtime.attachments(number)] == ["photo.png"]
    (text,) = [t for t in live.runtime.outbox(number) if t["template"] == "received"]
    assert text["recipient_phone"] == "13912345678" and number in text["text"]

    # Without the number: the ID number, then the code texted to the phone.
    phone.goto(f"{live.url}/status")
    assert_accessible(phone)
    phone.click("text=忘记案件编号")
    phone.fill("#id_number", id_number)
    phone.click("button[value=send]")
    phone.wait_for_selector("#code")
    assert phone.get_attribute("#code", "autocomplete") == "one-time-code"
    assert_accessible(phone)
    screens.shot(phone, "lookup-code")
    (sent,) = [t for t in live.runtime.outbox(number) if t["template"] == "lookup_code"]
    phone.fill("#code", re.search(r"验证码为(\d{6})", sent["text"]).group(1))
    phone.click("button[value=check]")
    phone.wait_for_selector("#progress-line")
    assert number in phone.inner_text("#progress h2")
    assert phone.inner_text("#progress-line [aria-current=step]").split()[1] == "窗口预审"
    assert "本环节应于" in phone.inner_text("#due")
    assert fits(phone)
    assert_accessible(phone)
    screens.shot(phone, "status")
