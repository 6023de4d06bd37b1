"""Files saved by Camunda Modeler and by SpiffArena: what certflow runs deploys; anything else is refused,
one problem per setting, naming its element, its line and why."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from enginekit import FOREIGN, kinds
from test_deploy import line_of, refused

from certflow.engine.clock import FixedClock
from certflow.engine.db import make_engine, make_sessions
from certflow.engine.runtime import DeployedVersion, Runtime, Settings
from certflow.engine.specs import SourceFile, read_paths
from handlers.registry import HANDLERS

CAMUNDA_PLAIN = ("camunda_plain.bpmn", "precheck_register.json")
SPIFFARENA = ("spiffarena.bpmn", "fee-notice-schema.json", "fee-notice-uischema.json")
FEE_NOTICE = "Process_fee_notice_3k9v2x1"


@pytest.fixture
def lushan_rt(migrated_url: str, clock: FixedClock) -> Iterator[Runtime]:
    """Nothing deployed, and certflow's own handlers: the SpiffArena file calls ``fees``."""
    engine = make_engine(migrated_url)
    yield Runtime(make_sessions(engine), HANDLERS, Settings(), clock)
    engine.dispose()


def files(*names: str) -> list[SourceFile]:
    return read_paths([FOREIGN / name for name in names])


def text_of(name: str) -> str:
    return (FOREIGN / name).read_text(encoding="utf-8")


# -- Camunda Modeler ---------------------------------------------------------------------------


def test_a_camunda_file_using_only_what_certflow_runs_deploys_and_runs(lushan_rt: Runtime) -> None:
    assert lushan_rt.deploy(files(*CAMUNDA_PLAIN), author="analyst") == [
        DeployedVersion("materials_precheck", 1, True)
    ]

    complete = lushan_rt.start_case("materials_precheck", {"materials": ["id_card", "photos"]}, actor="applicant")
    [task] = lushan_rt.tasks(case=complete)
    assert (task["title"], task["role"], task["group"], task["form"]) == (
        "受理登记", "window_clerk", "window", "precheck_register.json",
    )
    lushan_rt.complete_task(task["id"], {"received_on": "2026-09-30"}, actor="clerk")
    case = lushan_rt.case(complete)
    assert case["status"] == "completed"
    assert case["data"]["complete"] is True and case["data"]["received_on"] == "2026-09-30"

    # The default flow of the gateway ends the case at once.
    incomplete = lushan_rt.start_case("materials_precheck", {"materials": ["id_card"]}, actor="applicant")
    assert lushan_rt.case(incomplete)["status"] == "completed"
    assert lushan_rt.tasks(case=incomplete) == []


# (element, where the setting is written, what the refusal says), in the order of the file
ENGINE_SPECIFIC = [
    ("apply_form", '<bpmn:userTask id="apply_form"', "camunda:formKey certflow 不使用；请改用 spiffworkflow:properties "
     "里的 formJsonSchemaFilename 指定一个 JSON Schema 表单"),
    ("check_form", "<camunda:formData>", "camunda:formData（Camunda 生成的表单）certflow 不使用"),
    ("accept", '<bpmn:userTask id="accept"', "camunda:assignee certflow 不使用：谁来办由泳道（lane）对应的角色决定"),
    ("expert_review", '<bpmn:userTask id="expert_review"', "camunda:candidateGroups certflow 不使用"),
    ("verify_identity", '<bpmn:serviceTask id="verify_identity"', "camunda:class（Java 类）certflow 不运行；"
     "请改用 spiffworkflow:serviceTaskOperator 指定一个已登记的服务任务操作"),
    ("compute_fees", '<bpmn:serviceTask id="compute_fees"',
     "camunda:expression ${feeService.compute(execution)}（调用 Java 的 JUEL 表达式）certflow 不运行"),
    ("notify_applicant", '<bpmn:serviceTask id="notify_applicant"', "camunda:delegateExpression（Java 委托）"),
    ("print_card", '<bpmn:serviceTask id="print_card"', 'camunda:type="external"（交给 Camunda 外部工作者的任务）'),
    ("archive", "<camunda:inputOutput>", "camunda:inputOutput（输入输出映射）certflow 不运行"),
    ("grade_groovy", '<bpmn:scriptTask id="grade_groovy"',
     "脚本语言 groovy（scriptFormat）certflow 不运行；请改写为 Python"),
    ("summary_js", '<bpmn:scriptTask id="summary_js"', "脚本语言 javascript（scriptFormat）certflow 不运行"),
    ("Flow_large", "<bpmn:conditionExpression", "条件 ${amount > 100} 是 JUEL 表达式；certflow 只计算 Python 表达式，"
     "请改写为 amount > 100"),
]


def test_camunda_engine_settings_are_refused_one_problem_each(lushan_rt: Runtime) -> None:
    text = text_of("camunda_engine_specific.bpmn")

    problems = refused(lushan_rt, files("camunda_engine_specific.bpmn"))

    # Ours alone: SpiffWorkflow's schema lets Camunda's namespace through, and the process is not built
    # (which would stop at the first service task without an operator).
    assert [(p.file, p.line, p.element) for p in problems] == [
        ("foreign/camunda_engine_specific.bpmn", line_of(text, marker), element)
        for element, marker, _ in ENGINE_SPECIFIC
    ]
    for problem, (_, _, words) in zip(problems, ENGINE_SPECIFIC, strict=True):
        assert words in problem.message
    # Version tag, history time to live, asyncBefore and the modeler's attributes are no problem.
    assert not any(word in str(problems) for word in ("versionTag", "historyTimeToLive", "asyncBefore", "modeler:"))
    assert lushan_rt.versions() == []


ZEEBE = 'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:camunda='
SCRIPT_TASK = '<bpmn:scriptTask id="check_materials" name="核对材料" scriptFormat="python">'
CONDITION = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">complete<'

# (replacements in camunda_plain.bpmn, element named, where the setting is written, what the refusal says)
SETTINGS = {
    "a Camunda 8 job": (
        {"xmlns:camunda=": ZEEBE, SCRIPT_TASK: SCRIPT_TASK + '<bpmn:extensionElements><zeebe:taskDefinition '
                                                            'type="check" /></bpmn:extensionElements>'},
        "check_materials", "<zeebe:taskDefinition",
        "zeebe:taskDefinition 是 Camunda 8 的设置，certflow 不运行；请改用 spiffworkflow:serviceTaskOperator",
    ),
    "a FEEL condition": ({CONDITION: CONDITION.replace("complete", "=complete")}, "Flow_complete",
                         "<bpmn:conditionExpression",
                         "条件 =complete 是 FEEL 表达式；certflow 只计算 Python 表达式，请改写为 complete"),
    "a condition in JavaScript": ({CONDITION: CONDITION.replace(">", ' language="javascript">', 1)},
                                  "Flow_complete", "<bpmn:conditionExpression",
                                  "条件的语言 javascript certflow 不运行"),
    "a script's result variable": ({SCRIPT_TASK: SCRIPT_TASK.replace(">", ' camunda:resultVariable="ok">')},
                                   "check_materials", "<bpmn:scriptTask", "camunda:resultVariable certflow 不会赋值"),
    "a setting with no advice of its own": (
        {'name="收到材料">': 'name="收到材料" camunda:initiator="starter">'}, "StartEvent_1", "<bpmn:startEvent",
        "camunda:initiator 是 Camunda 的设置，certflow 不运行；请在建模器中删除它",
    ),
    "a setting of the process": (
        {'camunda:versionTag="1.0"': 'camunda:versionTag="1.0" camunda:candidateStarterGroups="window"'},
        "materials_precheck", "<bpmn:process", "camunda:candidateStarterGroups 是 Camunda 的设置",
    ),
}


def changed_plain(changes: dict[str, str]) -> tuple[str, list[SourceFile]]:
    text = text_of("camunda_plain.bpmn")
    for old, new in changes.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text, [SourceFile("foreign/camunda_plain.bpmn", text.encode()), *files("precheck_register.json")]


@pytest.mark.parametrize("case", SETTINGS.values(), ids=list(SETTINGS))
def test_each_other_engine_setting_is_refused_where_it_is_written(lushan_rt: Runtime, case: tuple) -> None:
    changes, element, marker, words = case
    text, changed = changed_plain(changes)

    [problem] = refused(lushan_rt, changed)

    assert (problem.file, problem.line, problem.element) == ("foreign/camunda_plain.bpmn", line_of(text, marker),
                                                              element)
    assert words in problem.message
    assert lushan_rt.versions() == []


def test_camunda_settings_that_change_nothing_certflow_does_are_ignored(lushan_rt: Runtime) -> None:
    _, changed = changed_plain({
        SCRIPT_TASK: SCRIPT_TASK.replace(">", ' camunda:asyncBefore="true" camunda:exclusive="false">')
        + '<bpmn:extensionElements><camunda:properties><camunda:property name="owner" value="窗口" />'
        "</camunda:properties></bpmn:extensionElements>",
        '<bpmn:userTask id="register" name="受理登记">':
            '<bpmn:userTask id="register" name="受理登记" camunda:modelerTemplate="cn.lushan.register">',
    })
    assert lushan_rt.deploy(changed, author="analyst") == [DeployedVersion("materials_precheck", 1, True)]


# -- SpiffArena --------------------------------------------------------------------------------


def test_a_spiffarena_file_deploys_and_its_service_task_runs(lushan_rt: Runtime) -> None:
    # formUiSchemaFilename and instructionsForEndUser are SpiffArena's screen; certflow draws its own.
    assert lushan_rt.deploy(files(*SPIFFARENA), author="analyst") == [DeployedVersion(FEE_NOTICE, 1, True)]

    number = lushan_rt.start_case(FEE_NOTICE, {"applicant_name": "李四", "delivery": "post"}, actor="clerk")

    called = [e["data"] for e in lushan_rt.history(number) if e["kind"] == "service_called"]
    assert [(c["operator"], c["params"]) for c in called] == [
        ("fees", {"kind": "first_application", "delivery": "post"}),
    ]
    [task] = lushan_rt.tasks(case=number)
    assert (task["title"], task["role"], task["form"]) == ("告知费用", "window_clerk", "fee-notice-schema.json")
    data = lushan_rt.case(number)["data"]
    assert len(data["fee_result"]["items"]) == 2
    assert (data["fee_count"], data["payer"]) == (2, "市残疾人就业保障金")  # the pre-script

    lushan_rt.complete_task(task["id"], {"acknowledged": True}, actor="clerk")
    case = lushan_rt.case(number)
    assert (case["status"], case["data"]["told_on"]) == ("completed", "2026-09-30")  # the post-script
    assert kinds(lushan_rt, number)[-1] == "case_ended"


def test_a_spiffarena_connector_certflow_does_not_have_is_refused(lushan_rt: Runtime) -> None:
    name = "spiffarena_unknown_connector.bpmn"

    [problem] = refused(lushan_rt, files(name))

    line = line_of(text_of(name), '<bpmn:serviceTask id="Activity_lookup_household"')
    assert (problem.file, problem.line, problem.element) == (f"foreign/{name}", line, "Activity_lookup_household")
    assert problem.message.startswith("服务任务操作 http/GetRequestV2 没有登记（这是 SpiffArena 连接器的名字，"
                                      "certflow 没有连接器代理）；请改用已登记的操作：")
    assert "fees" in problem.message
    assert lushan_rt.versions() == []

