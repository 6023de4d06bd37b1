"""Whatever a case waits on is shown or offered: a correlated message on the command line (also as JSON) and as
plain data in the case view; a manual or plain task in its lane's inbox, done without a form."""

from __future__ import annotations

import json

from click.testing import CliRunner
from enginekit import WAITS

from certflow.cli import main
from certflow.engine.runtime import Runtime
from certflow.engine.specs import read_paths


def test_a_case_waiting_on_a_correlated_message_shows_the_message_and_its_correlation(fresh_rt: Runtime) -> None:
    fresh_rt.deploy(read_paths([WAITS / "correlated_wait.bpmn"]), author="tests")
    number = fresh_rt.start_case("correlated_wait", {}, actor="applicant")

    waiting = [{"event": "MessageEventDefinition", "name": "supplement", "value": {"applicant_ref": None},
                "label": "等待补交"}]
    assert fresh_rt.case(number)["waiting"] == waiting
    shown = CliRunner().invoke(main, ["show", number, "--json"], obj=fresh_rt)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["waiting"] == waiting
    lines = CliRunner().invoke(main, ["show", number], obj=fresh_rt).stdout.splitlines()
    assert '  等待：等待补交 {"applicant_ref": null}' in lines  # the element's name, with the correlation

    # The first message sets the correlation it carries, and the case goes on.
    fresh_rt.send_message(number, "supplement", {"applicant_ref": "A-17"}, actor="applicant")
    assert fresh_rt.case(number)["status"] == "completed"


def test_manual_and_plain_tasks_are_offered_to_their_lane_and_completed_without_a_form(fresh_rt: Runtime) -> None:
    fresh_rt.deploy(read_paths([WAITS / "manual_steps.bpmn"]), author="tests")
    number = fresh_rt.start_case("manual_steps", {}, actor="applicant")

    [check] = fresh_rt.tasks(role="window_clerk", group="window")
    assert (check["case"], check["name"], check["title"]) == (number, "check_originals", "核对原件")
    assert check["form"] is None
    assert fresh_rt.task_form(check["id"])["instructions"] == {
        "html": "<p>请核对&lt;b&gt;身份证原件&lt;/b&gt;与复印件一致。<br>核对后点击继续。</p>", "problem": ""}
    assert {"process": "manual_steps", "name": "file_away", "title": "归档", "role": "window_clerk"} in (
        fresh_rt.user_tasks())

    fresh_rt.complete_task(check["id"], {}, actor="窗口")
    [file_away] = fresh_rt.tasks(case=number)
    assert (file_away["name"], file_away["role"], file_away["form"]) == ("file_away", "window_clerk", None)
    assert fresh_rt.task_form(file_away["id"])["instructions"]["html"] == "<p>把材料放入档案袋。</p>"

    fresh_rt.complete_task(file_away["id"], {}, actor="窗口")
    assert fresh_rt.case(number)["status"] == "completed"
    assert fresh_rt.verify(number).ok
