"""The task page: what a clerk reads about the case, the form, drafts, comments, files and the diagram."""

from __future__ import annotations

import lxml.html
from lushan import lushan_id
from webkit import post

from certflow.engine.attachments import Upload

PASS = {"decision": "pass"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
APPOINTMENT = {
    "appointment_at": "2026-09-08T09:30",
    "appointment_place": "庐山市人民医院门诊楼三楼",
    "bring_items": "居民身份证\n两寸照片",
}


def field(html: str, name: str) -> lxml.html.HtmlElement:
    [wrapper] = lxml.html.fromstring(html).cssselect(f'[data-field="{name}"]')
    return wrapper


def test_the_page_shows_the_case_its_earlier_steps_and_the_form(start, as_user):
    case = start()
    case.complete("pre_review", PASS, user="window")
    html = as_user("renmin").get(f"/tasks/{case.task('register_appointment')['id']}").get_data(as_text=True)
    summary = lxml.html.fromstring(html).cssselect("#case-summary")[0].text_content()
    assert "李明" in summary and "肢体" in summary and "邮寄" in summary
    assert "19800101" not in html  # the ID number is masked
    timeline = lxml.html.fromstring(html).cssselect("#timeline")[0].text_content()
    assert "预审" in timeline and "审核结论通过" in timeline and "window" in timeline
    for name in ("appointment_at", "appointment_place", "bring_items"):
        assert field(html, name) is not None
    assert "鉴定时间" in html and 'type="datetime-local"' in html


def test_the_pre_review_shows_where_the_id_was_issued_and_passing_confirms_the_household(start, as_user):
    # A number first issued by 星子县 (360427), the county 庐山市 replaced: valid, in the jurisdiction.
    case = start(id_number=lushan_id("19700101", area="360427"))
    html = as_user("window").get(f"/tasks/{case.task('pre_review')['id']}").get_data(as_text=True)
    summary = lxml.html.fromstring(html).cssselect("#case-summary")[0].text_content()
    assert "身份证号码有效" in summary
    assert "江西省星子县（代码使用至2016年），属本辖区的地址码（户籍以户口簿为准）" in summary
    assert "通过（已核对户口簿，户籍在本辖区）" in field(html, "decision").text_content()


def test_an_id_issued_elsewhere_is_a_hint_not_a_failure(start, as_user):
    case = start(id_number="11010519491231002X")
    html = as_user("window").get(f"/tasks/{case.task('pre_review')['id']}").get_data(as_text=True)
    summary = lxml.html.fromstring(html).cssselect("#case-summary")[0].text_content()
    assert "未通过" not in summary
    assert "北京市朝阳区，非本辖区的地址码（户籍以户口簿为准）" in summary


def test_errors_appear_beside_their_fields_and_the_input_is_kept(start, as_user):
    case = start()
    window = as_user("window")
    task = case.task("pre_review")
    response = post(window, f"/tasks/{task['id']}", {"action": "complete", "decision": "reject",
                                                    "missing_note": "x" * 600})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "必填" in field(html, "reason").text_content()
    assert "最多500个字" in field(html, "missing_note").text_content()
    assert field(html, "decision").cssselect('input[value="reject"]')[0].get("checked") is not None
    assert case.task("pre_review")["status"] == "open"


def test_completing_moves_the_case_on(start, as_user):
    case = start()
    case.complete("pre_review", PASS)
    renmin = as_user("renmin")
    response = post(renmin, f"/tasks/{case.task('register_appointment')['id']}", {"action": "complete", **APPOINTMENT})
    assert response.status_code == 302
    assert case.task("assess")["group"] == "hospital-renmin"
    assert "2026年9月8日 09:30" in case.text("appointment")["text"]


def test_a_draft_is_kept_for_its_author_only(start, as_user):
    case = start()
    case.complete("pre_review", PASS)
    task_id = case.task("register_appointment")["id"]
    renmin = as_user("renmin")
    post(renmin, f"/tasks/{task_id}", {"action": "draft", "appointment_place": "门诊楼三楼"})
    html = renmin.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "门诊楼三楼" in field(html, "appointment_place").cssselect("textarea")[0].text_content()
    assert case.task("register_appointment")["status"] == "open"
    assert case.runtime.history(case.number)[-1]["kind"] != "task_completed"


def test_another_group_gets_404_for_the_page_and_403_for_the_action(start, as_user, app):
    case = start()
    case.complete("pre_review", PASS)
    task_id = case.task("register_appointment")["id"]
    for username in ("anding", "yujing", "expert", "analyst"):
        client = as_user(username)
        assert client.get(f"/tasks/{task_id}").status_code == 404, username
        assert post(client, f"/tasks/{task_id}", {"action": "complete", **APPOINTMENT}).status_code == 403, username
    assert as_user("auditor").get(f"/tasks/{task_id}").status_code == 404
    denied = app.extensions["certflow"].accounts.security_events(kind="access_denied")
    assert len(denied) >= 9 and all(task_id in e.target for e in denied)
    assert case.task("register_appointment")["status"] == "open"


def test_a_village_sees_only_its_own_publicity_task(start, as_user):
    case = start()
    case.complete("pre_review", PASS)
    case.assess()
    task_id = case.task("post_publicity")["id"]
    assert as_user("yujing").get(f"/tasks/{task_id}").status_code == 200
    assert as_user("xiufeng").get(f"/tasks/{task_id}").status_code == 404


def test_a_task_done_by_someone_else_meanwhile_answers_409(start, as_user):
    case = start()
    task_id = case.task("pre_review")["id"]
    window = as_user("window")
    window.get(f"/tasks/{task_id}")
    case.runtime.complete_task(task_id, PASS, actor="other-clerk")
    response = post(window, f"/tasks/{task_id}", {"action": "complete", "decision": "pass"})
    assert response.status_code == 409
    assert "此任务已由 other-clerk 于 2026年9月1日 09:00 办理完毕" in response.get_data(as_text=True)


def test_a_task_claimed_by_someone_else_shows_no_form(start, as_user):
    case = start()
    task_id = case.task("pre_review")["id"]
    case.runtime.claim(task_id, actor="other-clerk")
    html = as_user("window").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "由 other-clerk 办理中" in html
    assert not lxml.html.fromstring(html).cssselect('button[value="complete"]')


def test_comments_are_added_to_the_case_history(start, as_user):
    case = start()
    window = as_user("window")
    task_id = case.task("pre_review")["id"]
    post(window, f"/cases/{case.number}/comments", {"comment": "已电话联系申请人", "next": f"/tasks/{task_id}"})
    html = window.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "已电话联系申请人" in lxml.html.fromstring(html).cssselect("#timeline")[0].text_content()
    empty = post(window, f"/cases/{case.number}/comments", {"comment": "  "}, follow_redirects=True)
    assert "必填" in empty.get_data(as_text=True)
    # a case they may not read
    assert post(as_user("anding"), f"/cases/{case.number}/comments", {"comment": "x"}).status_code == 404


def test_uploaded_files_are_shown_inline_to_those_who_may_read_the_case(start, as_user):
    case = start()
    case.runtime.attach(case.number, [Upload("photos", "照片.png", PNG)], actor="applicant")
    [attachment] = case.runtime.attachments(case.number)
    window = as_user("window")
    html = window.get(f"/tasks/{case.task('pre_review')['id']}").get_data(as_text=True)
    materials = lxml.html.fromstring(html).cssselect("#materials")[0]
    assert materials.cssselect("img") and "两寸近期免冠白底彩照" in materials.text_content()
    response = window.get(f"/cases/{case.number}/files/{attachment['id']}")
    assert response.data == PNG and response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert as_user("anding").get(f"/cases/{case.number}/files/{attachment['id']}").status_code == 404


def test_a_stored_file_changed_since_it_was_filed_is_refused_in_chinese(start, as_user):
    case = start()
    case.runtime.attach(case.number, [Upload("photos", "照片.png", PNG)], actor="applicant")
    [attachment] = case.runtime.attachments(case.number)
    case.runtime.files.storage.put(attachment["sha256"], PNG + b"changed")
    response = as_user("window").get(f"/cases/{case.number}/files/{attachment['id']}")
    assert response.status_code == 409
    assert "存档后被改动过" in response.get_data(as_text=True) and PNG not in response.data


def test_the_diagram_marks_the_path_taken_and_the_current_step(start, as_user):
    case = start()
    case.complete("pre_review", PASS)
    diagram = as_user("window").get(f"/cases/{case.number}/diagram.json").json
    assert diagram["process"] == "application_online" and "<bpmn:process" in diagram["xml"]
    assert diagram["passed"]["pre_review"] == 1
    assert "call_assessment" in diagram["current"]
    assert as_user("anding").get(f"/cases/{case.number}/diagram.json").status_code == 404


def test_the_case_page_lists_open_tasks_and_texts(start, as_user):
    case = start()
    html = as_user("county").get(f"/cases/{case.number}").get_data(as_text=True)
    assert "预审" in html and "已发短信" in html
    assert as_user("renmin").get(f"/cases/{case.number}").status_code == 404



def test_the_summary_names_the_parts_of_a_multiple_disability_only(start, as_user):
    def summary(case) -> dict[str, str]:  # type: ignore[no-untyped-def]
        html = as_user("window").get(f"/tasks/{case.task('pre_review')['id']}").get_data(as_text=True)
        card = lxml.html.fromstring(html).cssselect("#case-summary dl.summary")[0]
        return {dt.text_content(): dt.getnext().text_content() for dt in card.cssselect("dt")}

    single = summary(start(category="肢体", parts=["肢体"]))
    assert single["残疾类别"] == "肢体" and "多重残疾包含的类别" not in single
    multiple = summary(start(category="多重", parts=["肢体", "视力"]))
    assert multiple["多重残疾包含的类别"] == "肢体、视力"


def test_the_diagram_card_lists_the_steps_taken_for_a_phone(start, as_user):
    case = start()
    case.complete("pre_review", PASS, user="window")
    html = as_user("renmin").get(f"/tasks/{case.task('register_appointment')['id']}").get_data(as_text=True)
    [steps] = lxml.html.fromstring(html).cssselect("#diagram-card #steps-taken")
    items = [li.text_content() for li in steps.cssselect("li")]
    assert len(items) == 2 and items[0].startswith("预审") and "window" in items[0]
    assert items[1] == "当前环节：登记并预约鉴定"
    assert "bpmn-navigated-viewer.production.min.js" in html  # the diagram can be zoomed and moved
