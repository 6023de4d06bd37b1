"""A case's file: the history in words (filtered, exported as CSV and as a JSON chain checked outside certflow),
the case replayed at each step, verification from the case page, personal data in full on a recorded request,
and auditors who read everything and change nothing."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from forgery import changing, dropping_the_last, forge
from lushan import ADULT_ID, CaseDriver
from sqlalchemy import select, update
from webkit import post

from certflow.engine.attachments import Upload
from certflow.engine.models import Case, Event
from certflow.engine.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "scripts" / "check_history_export.py"
PASS = {"decision": "pass"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64
EVERY_KIND = {
    "case_started", "service_called", "files_attached", "task_claimed", "task_unclaimed", "task_reassigned",
    "task_completed", "message_received", "comment_added", "timer_fired", "case_ended",
}


@pytest.fixture
def issued(start, app) -> CaseDriver:  # type: ignore[no-untyped-def]  # app: the upload directory
    """A case for an intellectual disability: materials missing at first and handed in online, claimed and handed
    back, reassigned, commented, assessed at 安定医院, publicised and issued in person rather than by post."""
    case = start(category="智力", materials=["photos"])
    runtime = case.runtime
    runtime.attach(case.number, [Upload("photos", "照片.png", PNG), Upload("medical_records", "病历.pdf", PDF)],
                   actor="applicant")
    task_id = case.task("pre_review")["id"]
    runtime.claim(task_id, actor="window")
    runtime.unclaim(task_id, actor="window")
    runtime.reassign(task_id, "window", actor="admin")
    case.clock.advance(minutes=20)
    case.complete("pre_review", {"decision": "missing", "missing_note": "请补交监护人证明和就诊病历"}, user="window")
    case.message("materials_supplied", {"materials": ["guardian_proof", "medical_records"]})
    case.complete("pre_review", PASS, user="window")
    runtime.add_comment(case.number, "已电话确认材料齐全", actor="county")
    case.assess(group="hospital-anding")
    case.complete("post_publicity", {"posted_on": "2026-09-01", "posting_place": "村委会公示栏"}, user="yujing")
    case.tick("2026-09-30T09:00:00+08:00")
    case.issue(delivery="in_person")
    assert case.view["outcome"] == "issued"
    return case


def page(response: Any) -> lxml.html.HtmlElement:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return lxml.html.fromstring(response.get_data(as_text=True))


def seq_of(runtime: Runtime, number: str, kind: str, task_name: str | None = None, nth: int = 0) -> int:
    return [e["seq"] for e in runtime.history(number)
            if e["kind"] == kind and (task_name is None or e["task_name"] == task_name)][nth]


def tamper(runtime: Runtime, number: str, seq: int, **values: Any) -> None:
    with runtime.sessions.begin() as session:
        case_id = session.scalar(select(Case.id).where(Case.number == number))
        session.execute(update(Event).where(Event.case_id == case_id, Event.seq == seq).values(**values))


def views(runtime: Runtime, number: str) -> list[tuple[str, str]]:
    return [(e["actor"], e["data"]["what"]) for e in runtime.history(number) if e["kind"] == "personal_data_viewed"]


# -- the history -------------------------------------------------------------------------------

def test_the_history_shows_every_event_with_who_when_role_step_and_details(issued, as_user):
    runtime, number = issued.runtime, issued.number
    post(as_user("county"), f"/cases/{number}/id-number", page=f"/cases/{number}")
    html = as_user("auditor").get(f"/cases/{number}/history")
    table = page(html).cssselect("#history")[0]
    rows = {int(r.get("id")[1:]): r for r in table.cssselect("tbody tr")}
    assert len(rows) == len(runtime.history(number))
    assert {r.get("data-kind") for r in rows.values()} == EVERY_KIND | {"personal_data_viewed"}

    def cells(seq: int) -> list[str]:
        return [" ".join(" ".join(td.itertext()).split()) for td in rows[seq].cssselect("td")]

    started = cells(1)
    assert started[2] == "申请人" and started[3] == "受理"
    assert "李明" in started[5] and "360483********123X" in started[5] and "重放此步" in started[0]
    review = cells(seq_of(runtime, number, "task_completed", "pre_review"))
    assert review[2] == "window 测试 残联综合窗口" and review[3] == "办理" and review[4] == "预审"
    assert "审核结论 材料不全" in review[5] and "补正材料说明 请补交监护人证明和就诊病历" in review[5]
    identity = cells(seq_of(runtime, number, "service_called"))
    assert identity[3] == "系统处理" and "处理 身份证号码核验" in identity[5] and "360483********123X" in identity[5]
    assert "身份证号码有效 是" in identity[5] and "属本辖区的地址码 是" in identity[5]
    assert "identity_check" not in identity[5] and "in_jurisdiction" not in identity[5]
    texts = [cells(e["seq"]) for e in runtime.history(number)
             if e["kind"] == "service_called" and e["data"]["operator"] == "notify"]
    assert texts and all("短信" in t[5] and "待发送" in t[5] for t in texts)
    assert "村(社区)" in next(t[5] for t in texts if "公示" in t[5] and "请在本村" in t[5])
    reassigned = cells(seq_of(runtime, number, "task_reassigned"))
    assert "改派 待认领 → window 测试" in reassigned[5] and "admin 测试 系统管理员" in reassigned[2]
    assert cells(seq_of(runtime, number, "task_claimed"))[4] == "预审"
    assert cells(seq_of(runtime, number, "task_unclaimed"))[3] == "取消认领"  # 退回 is sending a case back a step
    assert "消息 申请人补交材料" in cells(seq_of(runtime, number, "message_received"))[5]
    timer = cells(seq_of(runtime, number, "timer_fired"))
    assert timer[2] == "系统" and "2026-09-30 09:00" in timer[5]
    assert "已电话确认材料齐全" in cells(seq_of(runtime, number, "comment_added"))[5]
    files = cells(seq_of(runtime, number, "files_attached"))
    assert "就诊病历材料 病历.pdf" in files[5] and runtime.attachments(number)[1]["sha256"] in files[5]
    assert "已发证" in cells(seq_of(runtime, number, "case_ended"))[5]
    viewed = cells(seq_of(runtime, number, "personal_data_viewed"))
    assert viewed[2] == "county 测试 县残联" and "身份证号码" in viewed[5]
    assert ADULT_ID not in html.get_data(as_text=True)  # masked everywhere, the certificate number included


def test_the_history_shows_what_a_form_changed(issued, as_user):
    runtime, number = issued.runtime, issued.number
    html = page(as_user("window").get(f"/cases/{number}/history"))

    def change(seq: int) -> list[tuple[str, str]]:
        row = html.cssselect(f"#e{seq}")[0]
        return [(b.text_content(), b.getnext().text_content()) for b in row.cssselect(".before")]

    passed = "通过（已核对户口簿，户籍在本辖区）"
    assert change(seq_of(runtime, number, "task_completed", "pre_review", nth=1)) == [("材料不全", passed)]
    assert change(seq_of(runtime, number, "task_completed", "issue_certificate")) == [("邮寄", "直接送达")]
    assert change(seq_of(runtime, number, "task_completed", "pre_review")) == []


def test_the_history_filters_by_kind_and_by_person(issued, as_user):
    runtime, number = issued.runtime, issued.number
    auditor = as_user("auditor")
    html = page(auditor.get(f"/cases/{number}/history?kind=task_completed&kind=comment_added"))
    kinds = [r.get("data-kind") for r in html.cssselect("#history tbody tr")]
    assert set(kinds) == {"task_completed", "comment_added"}
    assert len(kinds) == len([e for e in runtime.history(number) if e["kind"] in set(kinds)])
    assert {i.get("value") for i in html.cssselect("input[name=kind][checked]")} == {"task_completed",
                                                                                     "comment_added"}
    by_window = page(auditor.get(f"/cases/{number}/history?person=window"))
    assert {r.get("data-actor") for r in by_window.cssselect("#history tbody tr")} == {"window"}
    both = page(auditor.get(f"/cases/{number}/history?person=window&kind=task_completed"))
    assert [r.get("data-kind") for r in both.cssselect("#history tbody tr")] == ["task_completed"] * 2


def test_the_csv_export_has_the_filtered_rows_and_their_hashes(issued, as_user):
    runtime, number = issued.runtime, issued.number
    html = page(as_user("auditor").get(f"/cases/{number}/history?kind=task_completed"))
    href = html.cssselect("#export-csv")[0].get("href")
    response = as_user("auditor").get(href)
    assert response.mimetype == "text/csv" and f"{number}-history.csv" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    header, *lines = list(csv.reader(io.StringIO(text[1:])))
    assert header == ["序号", "时间", "操作人", "角色", "事件", "环节", "内容", "前一哈希", "哈希"]
    completed = [e for e in runtime.history(number) if e["kind"] == "task_completed"]
    assert [(int(r[0]), r[7], r[8]) for r in lines] == [(e["seq"], e["prev_hash"], e["hash"]) for e in completed]
    assert lines[0][2:6] == ["window 测试", "残联综合窗口", "办理", "预审"]
    assert "审核结论：材料不全 → 通过" in lines[1][6]


def test_the_json_export_is_the_whole_chain_and_checks_outside_certflow(issued, as_user, tmp_path):
    runtime, number = issued.runtime, issued.number
    response = post(as_user("auditor"), f"/cases/{number}/history.json?kind=comment_added", page=f"/cases/{number}")
    assert response.status_code == 200 and f"{number}-history.json" in response.headers["Content-Disposition"]
    export = json.loads(response.get_data(as_text=True))
    assert export == runtime.history_export(number)  # never filtered
    assert views(runtime, number) == [("auditor", "导出完整历史")]
    assert export["events"][-1]["body"]["kind"] == "personal_data_viewed"  # the export shows its own record
    assert ADULT_ID in response.get_data(as_text=True)

    exported = tmp_path / "history.json"
    exported.write_text(response.get_data(as_text=True), encoding="utf-8")
    checked = subprocess.run([sys.executable, str(CHECKER), str(exported)], capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stdout.startswith(f"OK {number}: {len(export['events'])} events")

    seq = seq_of(runtime, number, "task_completed", "assess")
    export["events"][seq - 1]["body"]["data"]["data"]["grade"] = 1
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    broken = subprocess.run([sys.executable, str(CHECKER), str(tampered)], capture_output=True, text=True)
    assert broken.returncode == 1 and f"at seq {seq}:" in broken.stdout

    del export["events"][-1]
    cut = tmp_path / "cut.json"
    cut.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run([sys.executable, str(CHECKER), str(cut)], capture_output=True, text=True)
    assert result.returncode == 1 and f"at seq {seq}:" in result.stdout  # the first break is reported


def test_only_those_who_may_see_personal_data_in_full_export_the_chain(issued, as_user):
    number = issued.number
    hospital = as_user("anding")  # assessed the case: reads it, but needs no complete export
    assert hospital.get(f"/cases/{number}/history").status_code == 200
    assert not page(hospital.get(f"/cases/{number}/history")).cssselect("#export-json")
    assert post(hospital, f"/cases/{number}/history.json", page=f"/cases/{number}").status_code == 403
    assert views(issued.runtime, number) == []


def test_another_hospital_sees_nothing_of_the_case(start, as_user):
    case = start()  # 肢体: 人民医院
    case.complete("pre_review", PASS, user="window")
    assert as_user("renmin").get(f"/cases/{case.number}/history").status_code == 200
    anding = as_user("anding")
    for path in ("history", "history.csv", "replay", "replay?seq=1"):
        assert anding.get(f"/cases/{case.number}/{path}").status_code == 404, path
    for path in ("history.json", "verify", "id-number"):
        assert post(anding, f"/cases/{case.number}/{path}").status_code == 404, path
    assert as_user("window").get("/cases/LS-2026-999999/history").status_code == 404


# -- replay ------------------------------------------------------------------------------------

def test_replay_shows_the_case_as_it_was_after_each_step(issued, as_user):
    runtime, number = issued.runtime, issued.number
    auditor = as_user("auditor")
    steps = runtime.replay_at(number, 1)["steps"]
    assert [s["label"] for s in steps] == ["受理", "办理：预审", "收到消息", "办理：预审", "办理：登记并预约鉴定",
                                           "办理：鉴定并审核（智力）", "办理：张贴公示", "定时到期", "办理：发证"]
    expected_open = [["预审"], [], ["预审"], ["登记并预约鉴定"], ["鉴定并审核（智力）"], ["张贴公示"], [], ["发证"], []]
    for index, (step, open_tasks) in enumerate(zip(steps, expected_open, strict=True)):
        html = page(auditor.get(f"/cases/{number}/replay?seq={step['seq']}"))
        assert [li.text_content().split(" · ")[0] for li in html.cssselect("#open-tasks li")] == open_tasks, step
        assert f"第 {index + 1} / 9 步：{step['label']}" in html.cssselect("#stepper")[0].text_content()
        previous, following = html.cssselect("#previous"), html.cssselect("#next")
        assert [a.get("href") for a in previous] == (
            [f"/cases/{number}/replay?seq={steps[index - 1]['seq']}"] if index else [])
        assert [a.get("href") for a in following] == (
            [f"/cases/{number}/replay?seq={steps[index + 1]['seq']}"] if index < 8 else [])
        assert html.cssselect("#steps li.current a")[0].text_content() == step["label"]
        shown = {int(li.get("data-seq")) for li in html.cssselect("#step-events li")}
        assert shown == set(range(step["seq"], step["last_seq"] + 1))
        assert not html.cssselect("#replay-error")

    second_review = page(auditor.get(f"/cases/{number}/replay?seq={steps[3]['seq']}"))
    diagram = json.loads(second_review.cssselect("#diagram-data")[0].text)
    assert diagram["passed"]["pre_review"] == 2 and "call_assessment" in diagram["current"]
    assert "<bpmn:process" in diagram["xml"]
    assert second_review.cssselect("#diagram")[0].get("data-embedded") == "diagram-data"
    events = second_review.cssselect("#step-events")[0].text_content()
    assert "审核结论" in events and "材料不全" in events and "通过" in events  # the form as submitted, and the change
    data = second_review.cssselect("#replay-data")[0].text_content()
    assert "360483********123X" in data and ADULT_ID not in second_review.text_content()
    first = page(auditor.get(f"/cases/{number}/replay"))  # the first step unless another is asked for
    assert "第 1 / 9 步：受理" in first.cssselect("#stepper")[0].text_content()
    assert auditor.get(f"/cases/{number}/replay?seq=999").status_code == 404


def test_a_step_that_cannot_be_replayed_shows_why(issued, as_user):
    runtime, number = issued.runtime, issued.number
    seq = seq_of(runtime, number, "task_completed", "assess")
    tamper(runtime, number, seq, task_id="00000000-0000-5000-8000-000000000000")
    html = page(as_user("auditor").get(f"/cases/{number}/replay?seq={seq}"))
    assert "这一步无法重放" in html.cssselect("#replay-error")[0].text_content()


# -- verification ------------------------------------------------------------------------------

def test_verify_from_the_case_page_finds_a_tampered_event(issued, as_user):
    runtime, number = issued.runtime, issued.number
    auditor = as_user("auditor")
    assert page(auditor.get(f"/cases/{number}")).cssselect("#verify")
    events = len(runtime.history(number))
    ok = page(post(auditor, f"/cases/{number}/verify", page=f"/cases/{number}"))
    assert ok.cssselect("#verification")[0].text_content().split()[0] == f"核验通过：{events}"
    assert "9 步重放一致" in ok.cssselect("#verification")[0].text_content()
    assert len(runtime.history(number)) == events  # verifying changes nothing

    seq = seq_of(runtime, number, "task_completed", "assess")
    edited = runtime.history(number)[seq - 1]["data"]
    tamper(runtime, number, seq, data={**edited, "data": {**edited["data"], "grade": 1}})
    found = page(post(auditor, f"/cases/{number}/verify", page=f"/cases/{number}"))
    assert f"第 {seq} 条事件：内容与其哈希不符" in found.cssselect("#verification.bad")[0].text_content()


def test_verify_from_the_case_page_finds_forgeries_with_the_chain_recomputed(issued, as_user):
    runtime, number = issued.runtime, issued.number
    auditor = as_user("auditor")

    def verdict() -> str:
        return page(post(auditor, f"/cases/{number}/verify", page=f"/cases/{number}")).cssselect(
            "#verification")[0].text_content()

    last = len(runtime.history(number))
    forge(runtime, number, dropping_the_last)
    assert f"第 {last - 1} 条事件：案件记录的密钥封印与其事件数、最后哈希不符" in verdict()
    seq = seq_of(runtime, number, "task_completed", "issue_certificate")
    forge(runtime, number, changing(seq, actor="someone-else"))
    assert f"第 {seq} 条事件：密钥签名与此事件不符" in verdict()


def test_a_history_from_before_the_keys_verifies_and_says_so(issued, as_user):
    runtime, number = issued.runtime, issued.number
    forge(runtime, number, lambda session, rows: rows, keys=runtime.settings.history_keys, unsigned=True)
    found = page(post(as_user("auditor"), f"/cases/{number}/verify", page=f"/cases/{number}"))
    assert found.cssselect("#verification")[0].text_content().split()[0].startswith("核验通过")
    events = len(runtime.history(number))
    assert found.cssselect("#unsigned-note")[0].text_content() == (
        f"前 {events} 条事件是启用密钥签名之前的旧版历史，只受案件记录的封印保护。")


def test_an_erased_case_verifies_on_its_page_and_says_what_was_erased(issued, as_user):
    runtime, number = issued.runtime, issued.number
    issued.at("2037-10-20T10:00:00+08:00")  # eleven years after it ended
    runtime.erase_personal_data(number, actor="system", basis="保存期限已满")
    found = page(post(as_user("auditor"), f"/cases/{number}/verify", page=f"/cases/{number}"))
    assert found.cssselect("#verification")[0].text_content().split()[0].startswith("核验通过")
    note = found.cssselect("#erased-note")[0].text_content()
    assert note.startswith("第 1") and "条事件中的个人信息已于 2037-10-20 按保存期限删除" in note
    assert "李明" not in found.text_content()


def test_only_those_who_audit_verify(issued, as_user):
    number = issued.number
    for username in ("window", "anding"):
        client = as_user(username)
        assert not page(client.get(f"/cases/{number}")).cssselect("#verify")
        assert post(client, f"/cases/{number}/verify", page=f"/cases/{number}").status_code == 403
    for username in ("county", "admin"):
        assert page(as_user(username).get(f"/cases/{number}")).cssselect("#verify")


# -- personal data in full ---------------------------------------------------------------------

@pytest.mark.parametrize("username", ["window", "county", "auditor", "admin"])
def test_the_full_id_number_is_shown_once_on_request_and_recorded(start, as_user, username: str):
    case = start()
    client = as_user(username)
    html = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert ADULT_ID not in html and 'id="reveal-id"' in html
    shown = page(post(client, f"/cases/{case.number}/id-number", page=f"/cases/{case.number}"))
    assert ADULT_ID in shown.cssselect("#full-id")[0].text_content()
    assert views(case.runtime, case.number) == [(username, "身份证号码")]
    assert "查看完整个人信息" in shown.cssselect("#timeline")[0].text_content()
    assert ADULT_ID not in client.get(f"/cases/{case.number}").get_data(as_text=True)  # once, not kept


def test_whoever_works_without_the_full_id_number_may_not_ask_for_it(issued, as_user):
    number = issued.number
    hospital = as_user("anding")
    assert 'id="reveal-id"' not in hospital.get(f"/cases/{number}").get_data(as_text=True)
    assert post(hospital, f"/cases/{number}/id-number", page=f"/cases/{number}").status_code == 403
    assert views(issued.runtime, number) == []


def test_medical_files_are_shown_to_those_who_work_with_them_and_to_checkers_on_request(issued, as_user):
    runtime, number = issued.runtime, issued.number
    photo, medical = runtime.attachments(number)
    files = f"/cases/{number}/files"
    for username in ("window", "anding"):  # checking the materials, assessing
        client = as_user(username)
        figure = page(client.get(f"/cases/{number}")).cssselect(f"figure[data-access=inline] iframe[src='{files}/"
                                                                 f"{medical['id']}']")
        assert figure and client.get(f"{files}/{medical['id']}").data == PDF
    auditor = as_user("auditor")
    html = page(auditor.get(f"/cases/{number}"))
    [withheld] = html.cssselect("figure[data-access=on_request]")
    assert "就诊病历材料" in withheld.text_content() and not withheld.cssselect("iframe, img")
    assert html.cssselect("figure[data-access=inline] img")  # the photo is no medical record
    assert auditor.get(f"{files}/{medical['id']}").status_code == 403
    assert auditor.get(f"{files}/{photo['id']}").data == PNG
    assert views(runtime, number) == []
    shown = post(auditor, f"{files}/{medical['id']}/view", page=f"/cases/{number}")
    assert shown.data == PDF and shown.headers["X-Content-Type-Options"] == "nosniff"
    assert views(runtime, number) == [("auditor", "就诊病历材料 病历.pdf")]

    village = as_user("yujing")  # posted the publicity: reads the case, not the medical records
    assert page(village.get(f"/cases/{number}")).cssselect("figure[data-access=none]")
    assert village.get(f"{files}/{medical['id']}").status_code == 403
    assert post(village, f"{files}/{medical['id']}/view", page=f"/cases/{number}").status_code == 403
    assert len(views(runtime, number)) == 1


# -- auditors change nothing -------------------------------------------------------------------

def test_auditors_read_everything_and_change_nothing(start, as_user):
    case = start()
    task_id = case.task("pre_review")["id"]
    events = len(case.runtime.history(case.number))
    auditor = as_user("auditor")
    html = page(auditor.get(f"/cases/{case.number}"))
    assert not html.cssselect("#comment") and html.cssselect("#verify")
    for path, data in (
        (f"/cases/{case.number}/comments", {"comment": "审计意见"}),
        (f"/tasks/{task_id}/claim", {}),
        (f"/tasks/{task_id}/unclaim", {}),
        (f"/tasks/{task_id}/reassign", {"assignee": "window"}),
        (f"/tasks/{task_id}", {"action": "complete", **PASS}),
        (f"/tasks/{task_id}", {"action": "draft", **PASS}),
        ("/window/apply", {}),
    ):
        assert post(auditor, path, data, page=f"/cases/{case.number}").status_code == 403, path
    assert len(case.runtime.history(case.number)) == events
    assert case.task("pre_review")["assignee"] is None
    assert page(as_user("county").get(f"/cases/{case.number}")).cssselect("#comment")  # the county may comment
