"""The operations commands: incidents, cancelling, queued messages and the stuck report."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result
from enginekit import failing_echo, open_task, start
from test_incidents import fail_three_times

from certflow.cli import main
from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime


def cli(runtime: Runtime, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), obj=runtime)


def test_an_incident_is_listed_fixed_and_retried(rt: Runtime, clock: FixedClock) -> None:
    number = start(rt)
    rt.handlers = failing_echo()
    fail_three_times(rt, clock, number)

    listed = cli(rt, "incident", "list")
    assert listed.exit_code == 0 and f"{number}  定时处理  提醒  试了 3 次  未处理" in listed.stdout
    assert f"自动处理失败，案件暂停：用 certflow incident list --case {number} 查看" in cli(rt, "show", number).stdout
    again = cli(rt, "incident", "retry", number, "--user", "admin")
    assert again.exit_code == 1 and "错误：重试后仍然失败：" in again.stderr
    assert cli(rt, "incident", "fix", number, "--user", "admin", "--data", '{"ok": true}').exit_code == 0
    assert cli(rt, "incident", "retry", number, "--user", "admin").stdout == f"{number}：重试成功，继续办理\n"
    assert cli(rt, "incident", "list").stderr == "没有故障\n"
    assert f"{number}  定时处理  提醒  试了 4 次  重试成功（admin）" in cli(rt, "incident", "list", "--all").stdout
    [resolved] = json.loads(cli(rt, "incident", "list", "--all", "--json").stdout)
    assert (resolved["resolution"], resolved["attempts"]) == ("retried", 4)


def test_cancel_and_the_stuck_report(rt: Runtime, clock: FixedClock) -> None:
    waiting = start(rt)
    rt.complete_task(open_task(rt, waiting)["id"], {"approved": True}, actor="王")  # waits for poke only
    late = start(rt, "李四")
    clock.set(clock.now().replace(month=12))

    report = json.loads(cli(rt, "report", "stuck", "--json").stdout)
    assert [(c["case"], c["waiting"]) for c in report["cases"]] == [(waiting, "等待")]
    assert [t["case"] for t in report["overdue_tasks"]] == [late]
    shown = cli(rt, "report", "stuck").stdout.splitlines()
    assert shown[0] == "自己动不了的案件 1 个："
    assert shown[1].startswith(f"  {waiting}  冒烟测试（smoke）  在等：等待  自 2026-")
    assert shown[2] == "超过期限的任务 1 个："
    assert shown[3].startswith(f"  {late}  审批  （window）  期限 2026-10-09  无人认领")

    assert cli(rt, "message", waiting, "poke", "--queue").stdout == "已排队等候送达，后台作业编号 1\n"
    assert json.loads(cli(rt, "report", "stuck", "--json").stdout)["cases"] == []  # the queued message moves it
    assert cli(rt, "cancel", late, "--user", "admin", "--reason", "重复申请").exit_code == 0
    assert rt.case(late)["status"] == "cancelled"
    assert cli(rt, "cancel", late, "--user", "admin", "--reason", "x").exit_code == 1
