"""The ``certflow`` command on the test runtime (passed as the click context object)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from enginekit import BROKEN, CONTENT, DEADLINE, deploy_smoke, open_task, start

from certflow.cli import main
from certflow.engine.runtime import Runtime
from certflow.people.directory import Directory

LUSHAN = "360483"  # 庐山市, the deployment's own county


@pytest.fixture(autouse=True)
def no_other_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The commands must use the runtime they are given, never DATABASE_URL's database."""
    elsewhere = tmp_path / "elsewhere" / "certflow.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{elsewhere}")
    yield
    assert not elsewhere.exists(), "a command opened DATABASE_URL instead of the runtime it was given"


def cli(runtime: Runtime, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), obj=runtime)


def error_lines(result: Result) -> list[str]:
    assert "Traceback" not in result.output
    return [line for line in result.stderr.splitlines() if line.startswith("错误")]


def test_deploy_prints_versions(fresh_rt: Runtime) -> None:
    result = cli(fresh_rt, "deploy", str(CONTENT), "--author", "analyst")
    assert (result.exit_code, result.stdout) == (0, "smoke v1（新版本）\n")
    result = cli(fresh_rt, "deploy", str(CONTENT))
    assert (result.exit_code, result.stdout) == (0, "smoke v1（内容未变，版本不变）\n")
    assert fresh_rt.case(start(fresh_rt))["version"] == 1


def test_deploy_refused_lists_each_problem(fresh_rt: Runtime) -> None:
    result = cli(fresh_rt, "deploy", str(CONTENT), str(BROKEN / "bad_condition.bpmn"))
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "错误：部署被拒绝，共 1 个问题："
    assert lines[1].startswith("  broken/bad_condition.bpmn 第 9 行，元素 decide：条件：第 1 行：Python 语法错误")
    assert len(lines) == 2
    assert result.stdout == ""

    result = cli(fresh_rt, "deploy", str(BROKEN / "not_well_formed.bpmn"))
    assert result.exit_code == 1
    assert "  broken/not_well_formed.bpmn 第 10 行：XML 格式不正确" in result.stderr
    result = cli(fresh_rt, "start", "smoke", "--data", '{"applicant_name": "张三"}')
    assert (result.exit_code, error_lines(result)) == (1, ["错误：没有部署流程 smoke"])


def test_start_prints_the_case_number(rt: Runtime) -> None:
    result = cli(rt, "start", "smoke", "--data", '{"applicant_name": "张三"}', "--user", "applicant")
    assert (result.exit_code, result.stdout) == (0, "LS-2026-000001\n")
    assert rt.case("LS-2026-000001")["applicant_name"] == "张三"


def test_start_reads_data_from_a_file(rt: Runtime, tmp_path: Path) -> None:
    data = tmp_path / "application.json"
    data.write_text('{"applicant_name": "李四"}', encoding="utf-8")
    result = cli(rt, "start", "smoke", "--data", f"@{data}")
    assert (result.exit_code, result.stdout) == (0, "LS-2026-000001\n")
    assert rt.case("LS-2026-000001")["applicant_name"] == "李四"


@pytest.mark.parametrize(("data", "says"), [
    ('{"applicant_name": ', "--data 的值不对：不是有效的 JSON：第 1 行第 20 列有误"),
    ("{'applicant_name': '张三'}", "--data 的值不对：不是有效的 JSON：第 1 行第 2 列有误"),
    ('["张三"]', "--data 的值不对：应为 JSON 对象"),
], ids=["cut short", "single quotes", "not an object"])
def test_bad_json_gives_one_clear_error(rt: Runtime, data: str, says: str) -> None:
    result = cli(rt, "start", "smoke", "--data", data)
    assert result.exit_code != 0
    [line] = error_lines(result)
    assert says in line
    assert result.stdout == ""
    assert rt.tasks() == []


def test_data_from_a_missing_file_is_refused_naming_it(rt: Runtime, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    result = cli(rt, "start", "smoke", "--data", f"@{missing}")
    assert (result.exit_code, error_lines(result)) == (2, [f"错误：--data 的值不对：找不到文件 {missing}"])
    (tmp_path / "gbk.json").write_bytes('{"applicant_name": "张三"}'.encode("gbk"))
    result = cli(rt, "start", "smoke", "--data", f"@{tmp_path / 'gbk.json'}")
    assert result.exit_code == 2 and "它应是 UTF-8 编码的文本文件" in error_lines(result)[0]
    assert rt.case_numbers() == []


def test_start_with_invalid_data_prints_each_field(rt: Runtime) -> None:
    result = cli(rt, "start", "smoke", "--data", '{"applicant_name": "", "phone": "1"}')
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "错误：提交的数据有误：",
        "  整张表单：表单中没有这些字段：phone",
        "  applicant_name：至少1个字",
    ]


def test_tasks_lists_the_inbox(rt: Runtime) -> None:
    number = start(rt)
    task = open_task(rt, number)

    result = cli(rt, "tasks", "--json")
    assert result.exit_code == 0
    [listed] = json.loads(result.stdout)
    assert listed == task
    assert (listed["case"], listed["title"]) == (number, "审批")
    assert (listed["role"], listed["group"]) == ("window_clerk", "window")
    assert datetime.fromisoformat(listed["due_at"]) == DEADLINE

    result = cli(rt, "tasks", "--role", "window_clerk", "--group", "window")
    assert result.stdout == f"{task['id']}  {number}  审批  （残联综合窗口：window）  期限 2026-10-09\n"
    Directory(rt.sessions).add("window", "window_clerk", "综合窗口", LUSHAN)  # a group the directory knows, by its name
    rt.claim(task["id"], actor="王")
    result = cli(rt, "tasks")
    assert result.stdout == f"{task['id']}  {number}  审批  （残联综合窗口：综合窗口，王 已认领）  期限 2026-10-09\n"

    result = cli(rt, "tasks", "--role", "hospital")
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "没有任务\n")
    assert json.loads(cli(rt, "tasks", "--role", "hospital", "--json").stdout) == []


def test_complete_with_invalid_data_prints_each_field_error(rt: Runtime) -> None:
    number = start(rt)
    task_id = open_task(rt, number)["id"]

    result = cli(rt, "complete", task_id, "--user", "王", "--data", json.dumps({"approved": "同意", "note": "长" * 21}))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "错误：提交的数据有误：",
        "  approved：应为是/否",
        "  note：最多20个字",
    ]
    assert open_task(rt, number)["status"] == "open"

    result = cli(rt, "complete", task_id, "--user", "王", "--data", '{"approved": true}')
    assert (result.exit_code, result.stdout) == (0, f"已办理；案件 {number}\n")

    result = cli(rt, "complete", task_id, "--user", "李", "--data", '{"approved": false}')
    assert result.exit_code == 1
    assert error_lines(result) == [f"错误：任务“审批”（{task_id}）已由 王 办理"]


def test_claim_and_unclaim(rt: Runtime) -> None:
    task_id = open_task(rt, start(rt))["id"]
    assert cli(rt, "claim", task_id, "--user", "王").stdout == "已由 王 认领\n"
    result = cli(rt, "complete", task_id, "--user", "李", "--data", '{"approved": true}')
    assert (result.exit_code, error_lines(result)) == (1, [f"错误：任务“审批”（{task_id}）已由 王 认领"])
    assert cli(rt, "unclaim", task_id, "--user", "王").stdout == "已取消认领\n"
    assert cli(rt, "complete", task_id, "--user", "李", "--data", '{"approved": true}').exit_code == 0


@pytest.mark.parametrize(("now", "says"), [
    ("2026-10-12T09:00:00", "--now 的值不对：请写上时区，如 +08:00"),
    ("next monday", "--now 的值不对：不是时间，应写成 2026-10-14T00:05:00+08:00 这样"),
], ids=["no offset", "not a time"])
def test_tick_now_needs_a_time_with_offset(rt: Runtime, now: str, says: str) -> None:
    number = start(rt)
    result = cli(rt, "tick", "--now", now)
    assert result.exit_code != 0
    [line] = error_lines(result)
    assert line == f"错误：{says}"
    assert [e["kind"] for e in rt.history(number)] == ["case_started"]


def test_tick_fires_due_timers(rt: Runtime) -> None:
    number = start(rt)
    assert cli(rt, "tick", "--now", "2026-10-09T23:00:00+08:00").stdout == "0 个案件往下办理了\n"
    result = cli(rt, "tick", "--now", "2026-10-12T09:00:00+08:00")
    assert (result.exit_code, result.stdout) == (0, f"1 个案件往下办理了：{number}\n")
    assert cli(rt, "tick", "--now", "2026-10-12T09:00:00+08:00").stdout == "0 个案件往下办理了\n"


def test_message_not_awaited_is_one_error_line(rt: Runtime) -> None:
    number = start(rt)
    result = cli(rt, "message", number, "poke", "--data", '{"x": 1}')
    assert result.exit_code == 1
    assert error_lines(result) == [f"错误：案件 {number} 现在不等消息“poke”"]


def test_show_prints_the_case(rt: Runtime) -> None:
    number = start(rt, "张三")
    task = open_task(rt, number)

    result = cli(rt, "show", number)
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"{number}  冒烟测试（smoke） v1  办理中",
        "申请人：张三",
        "当前：审批",
        f"  任务 {task['id']}  审批  （残联综合窗口：window）",
        "  等待：超时 2026-10-10T00:00:00+08:00",
    ]

    view = json.loads(cli(rt, "show", number, "--json").stdout)
    assert (view["number"], view["status"], view["version"]) == (number, "running", 1)
    assert view["data"]["greeting"] == "你好，张三"
    assert view["messages"] == []

    rt.complete_task(task["id"], {"approved": True}, actor="王")
    rt.send_message(number, "poke", {}, actor="applicant")
    assert cli(rt, "show", number).stdout.splitlines() == [f"{number}  冒烟测试（smoke） v1  已办结", "申请人：张三"]

    result = cli(rt, "show", "LS-2026-999999")
    assert (result.exit_code, error_lines(result)) == (1, ["错误：案件 LS-2026-999999 不存在"])


def test_history_prints_the_events(rt: Runtime) -> None:
    number = start(rt)
    rt.complete_task(open_task(rt, number)["id"], {"approved": True}, actor="王")

    result = cli(rt, "history", number)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    events = rt.history(number)
    assert len(lines) == len(events) == 2
    for line, event in zip(lines, events, strict=True):
        assert line.split()[0] == str(event["seq"])
        assert line.endswith(event["hash"][:12])
    assert lines[0].split()[3] == "受理"
    assert lines[1].split()[3:5] == ["办理", "审批"]
    assert "王" in lines[1].split()

    assert json.loads(cli(rt, "history", number, "--json").stdout) == events


def test_commands_use_the_given_runtime(fresh_rt: Runtime) -> None:
    deploy_smoke(fresh_rt)
    number = start(fresh_rt)
    result = cli(fresh_rt, "show", number)
    assert result.exit_code == 0
    assert result.stdout.startswith(number)


def test_start_refuses_an_invalid_id_number_with_its_reason(runtime: Runtime) -> None:
    data = {"applicant_name": "李明", "id_number": "360483198001011233", "phone": "13800000001",
            "village": "village-360483101209", "category": "肢体", "parts": [], "materials": ["photos"],
            "delivery": "post"}
    result = cli(runtime, "start", "application_online", "--data", json.dumps(data, ensure_ascii=False))
    assert result.exit_code == 2
    assert "  id_number：身份证号码校验位错误，请逐位核对" in result.stderr.splitlines()
    assert runtime.case_numbers() == []
