"""A test run of the Lushan processes in a sandbox: steps, what each led to, refusals in words; no real case."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from click.testing import CliRunner
from drafts import ROOT
from enginekit import CONTENT
from lushan import application

from certflow.cli import main
from certflow.engine import sandbox
from certflow.engine.runtime import Settings
from certflow.engine.specs import SourceFile, read_paths
from handlers.registry import HANDLERS

START = datetime.fromisoformat("2026-09-01T09:00:00+08:00")
ASSESSED = {"meets_standard": True, "grade": 3, "conclusion": "经评定，符合肢体残疾三级标准"}
APPOINTMENT = {"appointment_at": "2026-09-08T09:30:00+08:00", "appointment_place": "庐山市人民医院门诊楼三楼",
               "bring_items": ["居民身份证"]}


def run(steps: list[dict], data: dict | None = None, paths: tuple[Path, ...] = (ROOT / "processes", ROOT / "forms")):
    return sandbox.test_run(read_paths(paths), HANDLERS, Settings(), "application_online",
                            application() if data is None else data, steps, start_at=START)


def test_a_case_runs_through_the_draft_step_by_step():
    result = run([
        {"task": "pre_review", "data": {"decision": "pass"}},
        {"task": "登记并预约鉴定", "data": APPOINTMENT},  # a task may be named by its title
        {"task": "assess", "data": ASSESSED},
        {"task": "post_publicity", "data": {"posted_on": "2026-09-01", "posting_place": "村委会公示栏"}},
        {"tick": "2026-09-30T09:00:00+08:00"},
        {"task": "issue_certificate", "data": {"delivery": "in_person", "issued_on": "2026-09-30"}},
    ])

    assert result["ok"] and result["problems"] == [] and result["case"] == "LS-2026-000001"
    trace = result["trace"]
    assert [[t["name"] for t in entry["open_tasks"]] for entry in trace] == [
        ["pre_review"], ["register_appointment"], ["assess"], ["post_publicity"], [], ["issue_certificate"], [],
    ]
    started = trace[0]
    [review] = started["open_tasks"]
    assert (review["title"], review["role"], review["group"], review["form"]) == ("预审", "window_clerk", "window",
                                                                                 "review.json")
    assert started["data"]["id_number"].count("*") == 8  # shown masked
    assert [t["template"] for t in started["texts"]] == ["received", "arrival"]
    # the publicity period is among the waits
    assert any(w["event"] == "TimeDateEventDefinition" and w["value"] for w in trace[4]["waiting"])
    assert (trace[-1]["status"], trace[-1]["outcome"]) == ("completed", "issued")
    assert all(entry["error"] is None for entry in trace)


def test_each_refused_step_says_why_and_the_case_goes_on():
    result = run([
        {"task": "pre_review", "data": {"decision": "maybe"}},
        {"message": "objection", "payload": {"reason": "不同意"}},
        {"task": "assess", "data": ASSESSED},
        {"tick": "tomorrow"},
        {"task": "pre_review", "data": {"decision": "pass"}},
    ])

    assert not result["ok"]
    refused = result["trace"][1:5]
    assert refused[0]["error_code"] == "validation_failed"
    assert [e["field"] for e in refused[0]["field_errors"]] == ["decision"]
    assert (refused[1]["error_code"], refused[1]["error"]) == (
        "invalid_state", "案件 LS-2026-000001 现在不等消息“objection”")
    assert refused[2]["error"].startswith(
        "有 0 个待办任务与“assess”相符，须恰好一个；待办任务：预审（pre_review，window）")
    assert (refused[3]["error_code"], refused[3]["error"]) == (
        "bad_step", "时间 tomorrow 的写法不对，应写成 2026-10-14T00:05:00+08:00 这样")
    assert all(entry["current_step"] == "预审" for entry in refused)
    assert result["trace"][-1]["error"] is None and result["trace"][-1]["current_step"] == "登记并预约鉴定"


def test_a_handler_refusing_what_the_draft_passes_is_told_in_chinese():
    # The draft writes the kind of case by its label, not by the value the fees handler takes.
    files = [SourceFile(f.name, f.content.replace(b"&quot;first_application&quot;", "&quot;首次申请&quot;".encode()))
             for f in read_paths((ROOT / "processes", ROOT / "forms"))]
    result = sandbox.test_run(files, HANDLERS, Settings(), "application_online", application(),
                              [{"task": "pre_review", "data": {"decision": "pass"}}], start_at=START)

    failed = result["trace"][1]
    assert (failed["error_code"], failed["error"]) == (
        "step_failed", "案件 LS-2026-000001：环节“核定费用”的服务出错：办理类型“首次申请”不对，"
        "应为首次申请（first_application）、异议复核（objection_review）")
    assert failed["current_step"] == "预审"


def test_start_data_that_the_form_refuses_ends_the_run():
    result = run([{"task": "pre_review", "data": {"decision": "pass"}}], data={"applicant_name": "李明"})
    assert (result["ok"], result["case"]) == (False, None)
    [entry] = result["trace"]
    assert "id_number" in [e["field"] for e in entry["field_errors"]]


def test_a_broken_draft_gives_its_problems_and_runs_nothing():
    result = run([], paths=(ROOT / "processes",))  # the forms are missing
    assert (result["ok"], result["case"], result["trace"]) == (False, None, [])
    found = {(p["file"], p["element"], p["message"]) for p in result["problems"]}
    missing = "表单 review.json 不在这次部署中；请把 forms/review.json 一起部署，或改正表单文件名"
    assert ("processes/application_online.bpmn", "pre_review", missing) in found


def test_a_test_run_touches_no_real_case(runtime):
    before = runtime.versions()
    run([{"task": "pre_review", "data": {"decision": "pass"}}])
    assert runtime.case_numbers() == [] and runtime.versions() == before and runtime.outbox() == []


def test_test_run_on_the_command_line(rt, tmp_path):
    steps = tmp_path / "steps.json"
    steps.write_text('{"task": "approve", "data": {"approved": true}}', encoding="utf-8")
    result = CliRunner().invoke(main, [
        "test-run", "smoke", str(CONTENT), "--data", '{"applicant_name": "张三"}',
        "--step", f"@{steps}", "--step", '{"message": "poke"}', "--step", '{"message": "poke"}',
    ], obj=rt)
    assert result.exit_code == 1  # the second poke finds the case ended
    assert "  办理中：审批" in result.output and "  已办结：" in result.output
    assert "  被拒绝：案件 LS-2026-000001 已办结，不能再办理" in result.output
    assert rt.case_numbers() == []
