"""Whole cases in a real browser, as the people in them would do it, with a screenshot of each page.

Online: the applicant applies on a phone, the window clerk pre-reviews, the hospital registers and
assesses, the village posts the publicity, the period ends, the clerk issues, the applicant checks.
Offline: the window clerk enters a paper application on the applicant's behalf.
"""

from __future__ import annotations

import re
import struct
import zlib
from datetime import timedelta

from browserkit import LiveServer, Screens, sign_in
from stdnum.cn import ric

from certflow.engine.calendar import china_today

PHONE = {"width": 390, "height": 844}


def photo_png(width: int = 120, height: int = 160) -> bytes:
    """A plain two-inch-photo-shaped PNG: a pale blue background with a darker block for the face."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + b"".join(b"\x40\x50\x70" if 30 < x < 90 and 30 < y < 110 else b"\xc8\xdc\xf0" for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def lushan_id(birth: str, sequence: str) -> str:
    body = f"360483{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")


def open_task(page, live: LiveServer, number: str, title: str) -> None:  # type: ignore[no-untyped-def]
    """From the inbox's unclaimed queue, find the case by its number, claim its task and open it (认领并办理)."""
    page.goto(f"{live.url}/inbox?queue=group")
    page.fill("input[name=q]", number)
    page.click("form.filters button")
    row = page.locator(f"tr[data-case='{number}']")
    assert title in row.inner_text()
    row.get_by_role("button", name="认领并办理").click()
    page.wait_for_selector("#task-form")
    assert "已认领" in page.inner_text(".flash")


def submit(page) -> None:  # type: ignore[no-untyped-def]
    page.click("button[value=complete]")
    page.wait_for_url(re.compile(r"/inbox"))
    assert "已提交。案件 LS-" in page.inner_text(".flash")  # and where it went


def test_an_online_case_from_application_to_certificate(browser, live: LiveServer, screens: Screens, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(photo_png())

    # The applicant, on a phone.
    applicant = browser.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True)
    applicant.goto(f"{live.url}/apply")
    assert applicant.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screens.shot(applicant, "apply-empty")
    applicant.fill("#f-applicant_name", "赵丽华")
    applicant.fill("#f-id_number", lushan_id("19750312", "482"))
    applicant.fill("#f-phone", "13900001111")
    applicant.fill("#f-address", "庐山市白鹿镇玉京村8组21号")
    applicant.select_option("#f-place_county", "360483")
    applicant.select_option("#f-place_township", "360483101")
    applicant.select_option("#f-village", "village-360483101209")
    applicant.select_option("#f-category", "肢体")
    applicant.get_by_role("radio", name="邮寄").check()
    applicant.set_input_files("#u-photos", str(photo))
    applicant.check("#f-sensitive_consent")
    screens.shot(applicant, "apply-filled")
    applicant.click("#application button[type=submit]")
    applicant.wait_for_selector("#receipt")
    number = re.search(r"LS-\d{4}-\d{6}", applicant.inner_text("#receipt")).group(0)
    assert applicant.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screens.shot(applicant, "receipt")

    # The window clerk pre-reviews: the photo is shown beside the form.
    window = sign_in(browser, live, "window")
    screens.shot(window, "window-inbox")
    open_task(window, live, number, "预审")
    window.wait_for_selector("#materials img")
    window.wait_for_selector("#diagram[data-ready=true]")
    screens.shot(window, "window-pre-review")
    window.get_by_role("radio", name="通过").check()
    submit(window)

    # The hospital registers the appointment and assesses.
    hospital = sign_in(browser, live, "renmin")
    open_task(hospital, live, number, "登记并预约鉴定")
    hospital.fill("#f-appointment_at", "2026-12-03T09:30")
    hospital.fill("#f-appointment_place", "庐山市人民医院门诊楼三楼残疾评定室")
    hospital.fill("#f-bring_items", "居民身份证\n近期就诊病历")
    screens.shot(hospital, "hospital-appointment")
    submit(hospital)
    open_task(hospital, live, number, "鉴定并审核")
    hospital.click("button[value=complete]")  # nothing chosen yet: the errors show beside the fields
    assert "必填" in hospital.inner_text("[data-field=meets_standard]")
    screens.shot(hospital, "hospital-assess-errors")
    hospital.locator("[data-field=meets_standard]").get_by_role("radio", name="是").check()
    hospital.get_by_role("radio", name="三级").check()
    hospital.fill("#f-conclusion", "经评定，右下肢功能障碍，符合肢体残疾三级标准")
    submit(hospital)

    # The village posts the publicity.
    village = sign_in(browser, live, "yujing")
    open_task(village, live, number, "张贴公示")
    village.fill("#f-posted_on", china_today(live.runtime.clock).isoformat())
    village.fill("#f-posting_place", "玉京村村委会公示栏")
    screens.shot(village, "village-publicity")
    submit(village)

    # Five working days pass without objection.
    moved = live.runtime.tick(now=live.runtime.clock.now() + timedelta(days=30))
    assert number in moved

    # The window clerk issues the certificate.
    open_task(window, live, number, "发证")
    window.get_by_role("radio", name="邮寄").check()
    window.fill("#f-tracking_no", "EMS1180012345")
    window.fill("#f-issued_on", china_today(live.runtime.clock).isoformat())
    submit(window)
    window.goto(f"{live.url}/cases/{number}")
    window.wait_for_selector("#diagram[data-ready=true]")
    assert "已办结" in window.inner_text("#case-summary")
    assert window.locator("#diagram .cf-passed").count() > 5
    screens.shot(window, "case-finished")

    # The applicant follows the case to its end.
    applicant.goto(f"{live.url}/status")
    applicant.fill("input[name=number]", number)
    applicant.fill("input[name=id_number]", lushan_id("19750312", "482"))
    applicant.click("main form button[type=submit]")
    applicant.wait_for_selector("text=已办结")
    assert "EMS1180012345" in applicant.inner_text("main") or "邮寄" in applicant.inner_text("main")
    assert applicant.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screens.shot(applicant, "status-finished")


def test_an_offline_case_entered_at_the_window(browser, live: LiveServer, screens: Screens):
    window = sign_in(browser, live, "window")
    window.goto(f"{live.url}/window/apply")
    window.fill("#f-applicant_name", "钱建国")
    window.fill("#f-id_number", lushan_id("19620805", "275"))
    window.fill("#f-phone", "13700002222")
    window.select_option("#f-place_county", "360483")
    window.select_option("#f-place_township", "360483102")
    window.select_option("#f-village", "village-360483102208")
    window.select_option("#f-category", "视力")
    for material in ("居民身份证", "户口本", "两寸近期免冠白底彩照(3张)", "残疾人证申请表"):
        window.get_by_role("checkbox", name=material, exact=True).check()
    window.get_by_role("radio", name="直接送达").check()
    screens.shot(window, "window-apply")
    window.click("#application button[type=submit]")
    window.wait_for_url(re.compile(r"/cases/LS-"))
    number = window.url.rsplit("/", 1)[1]
    window.wait_for_selector("#diagram[data-ready=true]")
    screens.shot(window, "offline-case")
    open_task(window, live, number, "窗口受理审核")
    screens.shot(window, "offline-window-review")
