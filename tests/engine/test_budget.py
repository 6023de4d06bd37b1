"""A script or step that never ends: every script and step runs under a budget.

The smoke process's first script ("问候") is replaced by what an analyst might deploy by mistake: a tight
loop, a deep recursion, a huge allocation. Each fails its step with a Chinese reason naming the element,
saves nothing, and leaves the database free for the other clerks.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from xml.sax.saxutils import escape

import pytest
from enginekit import CONTENT, DEADLINE, HANDLERS, START, build_runtime, open_task, start

from certflow.engine import budget, sandbox
from certflow.engine.budget import BudgetExceeded, Limits
from certflow.engine.clock import FixedClock
from certflow.engine.errors import DeploymentError
from certflow.engine.runtime import Runtime, Settings
from certflow.engine.specs import SourceFile, parse_deployment, read_paths

# Small budgets keep the suite quick; a loaded machine may give a test a fraction of a core, so the bounds on
# how long a stop takes are generous.
LIMITS = Limits(script_cpu_seconds=0.3, step_cpu_seconds=0.6, step_seconds=3, memory_mb=64, max_cardinality=50)
GREETING = 'greeting = "你好，" + applicant_name\ndeadline = working_days_deadline(today(), 2)'
REMIND = re.compile(r'<bpmn:serviceTask id="remind".*?</bpmn:serviceTask>', re.S)


def smoke(greet: str = GREETING, *, remind: str | None = None, approve_loop: str = "") -> list[SourceFile]:
    """The smoke files with another script in "问候", the timer's "提醒" as a script, or "审批" as a multi-instance."""
    files = read_paths([CONTENT])
    xml = files[0].content.decode()
    xml = xml.replace(GREETING, escape(greet))
    if remind is not None:
        xml = REMIND.sub(f'<bpmn:scriptTask id="remind" name="提醒"><bpmn:incoming>f5</bpmn:incoming>'
                         f'<bpmn:outgoing>f6</bpmn:outgoing><bpmn:script>{escape(remind)}</bpmn:script>'
                         '</bpmn:scriptTask>', xml)
    if approve_loop:
        xml = xml.replace("<bpmn:outgoing>f3</bpmn:outgoing>\n    </bpmn:userTask>",
                          f"<bpmn:outgoing>f3</bpmn:outgoing>{approve_loop}\n    </bpmn:userTask>")
    assert escape(greet) in xml
    return [SourceFile(files[0].name, xml.encode()), *files[1:]]


@pytest.fixture
def budget_rt(migrated_url: str, clock: FixedClock) -> Iterator[Runtime]:
    runtime = build_runtime(migrated_url, clock)
    runtime.settings = Settings(limits=LIMITS)
    yield runtime
    runtime.sessions.kw["bind"].dispose()


def refused(runtime: Runtime, greet: str) -> tuple[BudgetExceeded, float]:
    runtime.deploy(smoke(greet), author="analyst")
    began = time.monotonic()
    with pytest.raises(BudgetExceeded) as caught:
        start(runtime)
    assert runtime.case_numbers() == []  # nothing of the step was saved
    return caught.value, time.monotonic() - began


def test_a_tight_loop_is_stopped_naming_the_script(budget_rt: Runtime) -> None:
    error, took = refused(budget_rt, "while True:\n    pass")
    assert error.step == "问候"
    assert re.fullmatch(r"没有开始办理，未建立案件：“问候”超出运行限额：(脚本占用 CPU 超过 0.3 秒|本步用时超过 3 秒)",
                        str(error))
    assert took < LIMITS.step_seconds + 10


def test_a_deep_recursion_is_stopped(budget_rt: Runtime) -> None:
    error, _ = refused(budget_rt, "def down(n):\n    return down(n + 1)\ndown(0)")
    assert str(error) == "没有开始办理，未建立案件：“问候”超出运行限额：递归层数太深"


def test_a_huge_allocation_is_refused_before_it_is_made(budget_rt: Runtime) -> None:
    error, took = refused(budget_rt, 'padding = "x" * 10 ** 10')
    assert str(error) == ("没有开始办理，未建立案件：“问候”超出运行限额："
                          "一次生成的值有 10000000000 项（字符），超过上限 1000000")
    assert took < 20


def test_memory_that_grows_step_by_step_is_stopped(budget_rt: Runtime) -> None:
    budget_rt.settings = Settings(limits=Limits(script_cpu_seconds=60, step_cpu_seconds=60, step_seconds=60,
                                                memory_mb=48))
    error, _ = refused(budget_rt, 'kept = []\nwhile True:\n    kept.append("y" * 100000)')
    assert str(error) == "没有开始办理，未建立案件：“问候”超出运行限额：内存增长超过 48 MB"


def test_a_script_cannot_catch_the_stop() -> None:
    with pytest.raises(DeploymentError) as caught:
        parse_deployment(smoke("try:\n    x = 1\nexcept BaseException:\n    x = 2"), HANDLERS.signatures)
    [problem] = caught.value.problems
    assert (problem.element, problem.line) == ("greet", 27)
    assert "第 3 行：except 必须直接写出要拦住的异常类（如 except KeyError:），且不能是 BaseException" \
        in problem.message


def test_the_step_fails_even_if_the_interruption_is_swallowed() -> None:
    def careless() -> str:
        try:
            while True:
                pass
        except BaseException:  # noqa: BLE001 - what a careless handler in a step's code might do
            return "carried on"

    with pytest.raises(BudgetExceeded, match="本步用时超过 1 秒"):
        budget.run_step(Limits(step_seconds=1, step_cpu_seconds=60), careless)


def test_a_forked_process_has_its_own_watchdog() -> None:
    def loop() -> None:
        while True:
            pass

    budget.run_step(LIMITS, lambda: None)  # the parent's watchdog is running
    child = os.fork()
    if child == 0:  # a gunicorn worker, forked from the master
        try:
            budget.run_step(Limits(step_seconds=0.5, step_cpu_seconds=60), loop)
        except BudgetExceeded:
            os._exit(0)
        os._exit(1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_a_step_that_ends_in_time_is_left_alone() -> None:
    assert budget.run_step(LIMITS, lambda: budget.run_script(LIMITS, lambda: sum(range(1000)))) == 499500
    time.sleep(3 * budget.POLL_SECONDS)  # no interruption arrives after the watch ended


def test_a_runaway_candidate_group_names_its_task(budget_rt: Runtime) -> None:
    [bpmn, *forms] = smoke()
    endless = ('<spiffworkflow:property name="candidateGroup" '
               'value="len([x for x in range(10 ** 6) for y in range(10 ** 6)])"/>')
    xml = bpmn.content.decode().replace('<spiffworkflow:property name="dueInWorkingDays" value="2"/>', endless)
    budget_rt.deploy([SourceFile(bpmn.name, xml.encode()), *forms], author="analyst")
    runaway = r"^没有开始办理，未建立案件：“审批”超出运行限额：(脚本占用 CPU 超过 0.3 秒|用时超过 3 秒)$"
    with pytest.raises(BudgetExceeded, match=runaway):
        start(budget_rt)
    assert budget_rt.case_numbers() == []


def test_a_literal_cardinality_over_the_cap_is_refused_at_deploy(budget_rt: Runtime) -> None:
    loop = "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>1000000</bpmn:loopCardinality>" \
           "</bpmn:multiInstanceLoopCharacteristics>"
    with pytest.raises(DeploymentError) as caught:
        budget_rt.deploy(smoke(approve_loop=loop), author="analyst")
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.element) == ("content/smoke.bpmn", 33, "approve")
    assert problem.message == ("多实例数量（loopCardinality） 1000000 超过上限 50；请改小，"
                               "或请管理员调高上限（设置 CERTFLOW_MAX_CARDINALITY）")


def test_a_computed_cardinality_over_the_cap_fails_the_step(budget_rt: Runtime) -> None:
    loop = "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>copies</bpmn:loopCardinality>" \
           "</bpmn:multiInstanceLoopCharacteristics>"
    budget_rt.deploy(smoke(GREETING + "\ncopies = 1000000", approve_loop=loop), author="analyst")
    began = time.monotonic()
    with pytest.raises(BudgetExceeded) as caught:
        start(budget_rt)
    assert str(caught.value) == "没有开始办理，未建立案件：“审批”超出运行限额：多实例数量 1000000 超过上限 50"
    assert time.monotonic() - began < 20 and budget_rt.case_numbers() == []


def test_a_cardinality_within_the_cap_runs(budget_rt: Runtime) -> None:
    loop = "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>copies</bpmn:loopCardinality>" \
           "</bpmn:multiInstanceLoopCharacteristics>"
    budget_rt.deploy(smoke(GREETING + "\ncopies = 3", approve_loop=loop), author="analyst")
    number = start(budget_rt)
    assert len(budget_rt.tasks(case=number)) == 3


def over_collection(sequential: bool) -> str:
    """"审批" once per item of ``copies``."""
    return f'<bpmn:multiInstanceLoopCharacteristics isSequential="{str(sequential).lower()}">' \
           "<bpmn:loopDataInputRef>copies</bpmn:loopDataInputRef></bpmn:multiInstanceLoopCharacteristics>"


@pytest.mark.parametrize("sequential", [False, True], ids=["parallel", "sequential"])
def test_a_collection_over_the_cap_fails_the_step(budget_rt: Runtime, sequential: bool) -> None:
    loop = over_collection(sequential)
    budget_rt.deploy(smoke(GREETING + "\ncopies = list(range(51))", approve_loop=loop), author="analyst")
    with pytest.raises(BudgetExceeded) as caught:
        start(budget_rt)
    assert str(caught.value) == "没有开始办理，未建立案件：“审批”超出运行限额：多实例数量 51 超过上限 50"
    assert budget_rt.case_numbers() == []


@pytest.mark.parametrize("sequential", [False, True], ids=["parallel", "sequential"])
def test_a_collection_at_the_cap_runs(budget_rt: Runtime, sequential: bool) -> None:
    loop = over_collection(sequential)
    budget_rt.deploy(smoke(GREETING + "\ncopies = list(range(50))", approve_loop=loop), author="analyst")
    number = start(budget_rt)
    assert len(budget_rt.tasks(case=number)) == (1 if sequential else 50)


def test_in_the_worker_a_step_over_budget_opens_an_incident_at_once(budget_rt: Runtime, clock: FixedClock) -> None:
    budget_rt.deploy(smoke(remind="while True:\n    pass"), author="analyst")
    runaway, other = start(budget_rt), start(budget_rt, "李四")
    clock.set(DEADLINE + timedelta(hours=1))

    moved = budget_rt.tick()

    assert moved == []  # neither moved: both cases run the same runaway reminder
    incidents = {i["case"]: i for i in budget_rt.incidents()}
    assert set(incidents) == {runaway, other}  # the first did not hold up the second
    incident = incidents[runaway]
    assert (incident["kind"], incident["step"], incident["attempts"]) == ("timer", "提醒", 1)
    assert incident["message"].startswith("“提醒”超出运行限额：")
    assert budget_rt.case(runaway)["status"] == "error"
    assert budget_rt.verify(runaway).ok


def test_in_a_test_run_the_step_over_budget_is_listed() -> None:
    result = sandbox.test_run(smoke("while True:\n    pass"), HANDLERS,
                              Settings(limits=LIMITS), "smoke", {"applicant_name": "张三"}, [], start_at=START)
    [entry] = result["trace"]
    assert not result["ok"] and entry["error_code"] == "budget_exceeded"
    assert entry["error"].startswith("没有开始办理，未建立案件：“问候”超出运行限额：")


def test_in_a_test_run_a_collection_over_the_cap_is_listed() -> None:
    files = smoke(GREETING + "\ncopies = list(range(51))", approve_loop=over_collection(False))
    result = sandbox.test_run(files, HANDLERS, Settings(limits=LIMITS), "smoke", {"applicant_name": "张三"}, [],
                              start_at=START)
    assert not result["ok"] and result["trace"][-1]["error_code"] == "budget_exceeded"
    assert result["trace"][-1]["error"] == "没有开始办理，未建立案件：“审批”超出运行限额：多实例数量 51 超过上限 50"


def test_other_clerks_are_not_blocked_by_a_runaway_step(migrated_url: str, clock: FixedClock) -> None:
    runtime = build_runtime(migrated_url, clock)
    runtime.deploy(smoke(), author="analyst")
    number = start(runtime)  # a clerk's ordinary case, before the runaway version is deployed
    runtime.settings = Settings(limits=Limits(script_cpu_seconds=60, step_cpu_seconds=60, step_seconds=1.5))
    runtime.deploy(smoke("while True:\n    pass"), author="analyst")
    failures: list[Exception] = []

    def runaway() -> None:
        try:
            start(runtime, "王五")
        except BudgetExceeded as error:
            failures.append(error)

    thread = threading.Thread(target=runaway, daemon=True)
    thread.start()
    time.sleep(0.3)  # the runaway step holds its transaction now
    runtime.complete_task(open_task(runtime, number)["id"], {"approved": True}, actor="王")

    thread.join(timeout=10)
    assert not thread.is_alive() and len(failures) == 1
    assert runtime.case(number)["current_step"] == "等待"
    runtime.sessions.kw["bind"].dispose()
