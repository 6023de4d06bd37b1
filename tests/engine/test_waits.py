"""Whatever a case waits on is shown: on the command line (also as JSON), and as plain data in the case view."""

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

    waiting = [{"event": "MessageEventDefinition", "name": "supplement", "value": {"applicant_ref": None}}]
    assert fresh_rt.case(number)["waiting"] == waiting
    shown = CliRunner().invoke(main, ["show", number, "--json"], obj=fresh_rt)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["waiting"] == waiting
    lines = CliRunner().invoke(main, ["show", number], obj=fresh_rt).stdout.splitlines()
    assert '  waiting: supplement {"applicant_ref": null}' in lines

    # The first message sets the correlation it carries, and the case goes on.
    fresh_rt.send_message(number, "supplement", {"applicant_ref": "A-17"}, actor="applicant")
    assert fresh_rt.case(number)["status"] == "completed"
