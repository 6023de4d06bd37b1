"""Scripts as SpiffArena writes them: its time and data modules run on the runtime clock, replay the same,
and its service functions are refused at deploy, naming the element.

Each test deploys a small diagram written here: start -> script task "算时间" -> user task "复核" (so the
case stays open) -> end.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

import pytest
from enginekit import START

from certflow.engine.budget import BudgetExceeded
from certflow.engine.clock import FixedClock
from certflow.engine.errors import DeploymentError, StepFailed
from certflow.engine.runtime import Runtime
from certflow.engine.scripting import RestrictedEnvironment, ScriptError
from certflow.engine.specs import SourceFile

BPMN_FILE = "processes/spiff_script.bpmn"
FORM_FILE = "forms/spiff_review.json"
FORM = b'{"type": "object", "properties": {"ok": {"type": "boolean", "title": "\xe5\xa4\x8d\xe6\xa0\xb8"}}}'


def diagram(script: str) -> list[SourceFile]:
    """The small process with ``script`` in its script task "算时间" (line 9 of the file)."""
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="defs" targetNamespace="http://certflow/tests">
  <bpmn:process id="spiff_script" name="脚本测试" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute"/>
    <bpmn:scriptTask id="compute" name="算时间">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="review"/>
    <bpmn:userTask id="review" name="复核">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="spiff_review.json"/>
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="done"/>
    <bpmn:endEvent id="done"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="spiff_script">
    {_shape("start", 0)}{_shape("compute", 1)}{_shape("review", 2)}{_shape("done", 3)}
    {_edge("f1", 0)}{_edge("f2", 1)}{_edge("f3", 2)}
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
    return [SourceFile(BPMN_FILE, xml.encode()), SourceFile(FORM_FILE, FORM)]


def _shape(element: str, column: int) -> str:
    return (f'<bpmndi:BPMNShape id="{element}_di" bpmnElement="{element}">'
            f'<dc:Bounds x="{150 * column}" y="0" width="100" height="80"/></bpmndi:BPMNShape>')


def _edge(flow: str, column: int) -> str:
    return (f'<bpmndi:BPMNEdge id="{flow}_di" bpmnElement="{flow}"><di:waypoint x="{150 * column + 100}" y="40"/>'
            f'<di:waypoint x="{150 * column + 150}" y="40"/></bpmndi:BPMNEdge>')


def run(runtime: Runtime, script: str, data: dict | None = None) -> dict:
    """Deploy the diagram with ``script``, start a case; the case's data."""
    runtime.deploy(diagram(script), author="analyst")
    number = runtime.start_case("spiff_script", data or {}, actor="applicant")
    return runtime.case(number)["data"] | {"case": number}


# -- what is offered ---------------------------------------------------------------------------------

CLOCK_SCRIPT = """\
started = datetime.now()
due = (started + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
day = date.today().isoformat()
stamp = time.time()
utc = datetime.utcnow().isoformat()
parsed = (datetime.strptime("2026-10-08", "%Y-%m-%d") - started).days
del started
"""


def test_time_comes_from_the_runtime_clock_in_china_time(fresh_rt: Runtime) -> None:
    data = run(fresh_rt, CLOCK_SCRIPT)
    assert data["due"] == "2026-10-03 09:00"  # START is 09:00 China time
    assert data["day"] == "2026-09-30"
    assert data["stamp"] == START.timestamp()
    assert data["utc"] == "2026-09-30T01:00:00"
    assert data["parsed"] == 7


def test_a_case_whose_script_read_the_clock_replays_and_verifies(fresh_rt: Runtime, clock: FixedClock) -> None:
    data = run(fresh_rt, CLOCK_SCRIPT)
    number = data.pop("case")
    clock.advance(days=40)  # the replay runs at the step's recorded instant, not at today's
    [task] = fresh_rt.tasks(case=number)
    fresh_rt.complete_task(task["id"], {"ok": True}, actor="clerk")

    assert fresh_rt.verify(number).ok
    replayed = fresh_rt.replay_at(number, 1)
    assert replayed["error"] is None
    assert {key: replayed["data"][key] for key in ("due", "day", "stamp", "utc")} == {
        key: data[key] for key in ("due", "day", "stamp", "utc")}


def test_json_decimal_and_format_as_spiffarena_offers_them(fresh_rt: Runtime) -> None:
    data = run(fresh_rt, """\
fee = str((Decimal("12.345") * 2).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP))
text = json.dumps({"姓名": name, "费用": fee}, sort_keys=True)
back = json.loads(text)["姓名"]
shown = format(3.14159, ".2f")
safe = sanitize_for_md("a_b*c")
""", {"name": "张三"})
    assert (data["fee"], data["back"], data["shown"], data["safe"]) == ("24.69", "张三", "3.14", "a\\_b\\*c")
    assert data["text"] == '{"姓名": "张三", "费用": "24.69"}'


def test_task_data_with_the_name_of_an_offered_module_hides_it(fresh_rt: Runtime) -> None:
    data = run(fresh_rt, "label = time + '到场'", {"time": "上午"})
    assert data["label"] == "上午到场"


# -- f(*args) and f(**kwargs) ----------------------------------------------------------------------

def test_calls_with_star_args_and_star_star_kwargs_run(fresh_rt: Runtime) -> None:
    data = run(fresh_rt, """\
parts = ["肢体", "视力"]
options = {"sep": "、"}
biggest = max(*[3, 9, 4])
ordered = sorted(*[[3, 1, 2]])
both = dict(**options, end="。")
def label(first, second, sep="-"):
    return first + sep + second
named = label(*parts, **options)
""")
    assert (data["biggest"], data["ordered"], data["both"], data["named"]) == (
        9, [1, 2, 3], {"sep": "、", "end": "。"}, "肢体、视力")


@pytest.mark.parametrize("script", [
    "r = list(range(*[10 ** 12]))",
    "p = pow(*[10, 10 ** 9])",
    "s = 'x'.ljust(*[10 ** 10])",
    "s = format(*[1, '>2000000'])",
], ids=["range", "pow", "ljust", "format"])
def test_the_budget_still_holds_for_star_calls(fresh_rt: Runtime, script: str) -> None:
    fresh_rt.deploy(diagram(script), author="analyst")
    with pytest.raises(BudgetExceeded) as caught:
        fresh_rt.start_case("spiff_script", {}, actor="applicant")
    assert caught.value.step == "算时间"
    assert fresh_rt.case_numbers() == []


# -- what is refused ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("script", "words"), [
    ("secret = get_secret('sms_key')", ["get_secret()", "SpiffArena 的服务函数", "certflow 不提供"]),
    ("info = get_toplevel_process_info()", ["get_toplevel_process_info()", "SpiffArena 的服务函数"]),
    ("set_user_properties({'a': 1})", ["set_user_properties()", "SpiffArena 的服务函数"]),
    ("who = get_current_user()['username']", ["get_current_user()", "SpiffArena 的服务函数", "泳道"]),
    ("n = random.randint(1, 6)", ["random", "SpiffArena 脚本环境里的模块", "重放"]),
    ("key = str(uuid.uuid4())", ["uuid", "重放"]),
    ("ok = re.match('a+', name)", ["re", "运行限额"]),
    ("time.sleep(5)", ["time.sleep 不提供", "只有 time"]),
    ("decimal.getcontext().prec = 50", ["decimal.getcontext 不提供", "Decimal"]),
])
def test_spiffarena_names_certflow_does_not_offer_are_refused_at_deploy(
    fresh_rt: Runtime, script: str, words: list[str],
) -> None:
    with pytest.raises(DeploymentError) as caught:
        fresh_rt.deploy(diagram("x = 1\n" + script), author="analyst")
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.element) == (BPMN_FILE, 9, "compute")
    assert problem.name == "算时间" and problem.message.startswith("脚本：第 2 行：")
    assert str(problem).startswith(f"{BPMN_FILE} 第 9 行，元素 compute（算时间）：脚本：第 2 行：")
    for word in words:
        assert word in problem.message
    assert fresh_rt.processes() == []


def test_a_name_the_script_defines_itself_is_not_refused(fresh_rt: Runtime) -> None:
    data = run(fresh_rt, "def get_user(n):\n    return n\nwho = get_user('张三')")
    assert data["who"] == "张三"


def test_the_environment_refuses_them_too_with_the_same_reason() -> None:
    with pytest.raises(ScriptError, match="SpiffArena 的服务函数"):
        RestrictedEnvironment({}, lambda *a: None).execute("x = get_env()", {})


@pytest.mark.parametrize(("script", "kind"), [
    ("due = datetime.now() + timedelta(hours=1)", "datetime"),
    ("fee = Decimal('1.5')", "Decimal"),
    ("clock = time", "SimpleNamespace"),
])
def test_a_value_the_case_data_cannot_hold_fails_the_step_naming_it(
    fresh_rt: Runtime, script: str, kind: str,
) -> None:
    fresh_rt.deploy(diagram(script), author="analyst")
    with pytest.raises(StepFailed) as caught:
        fresh_rt.start_case("spiff_script", {}, actor="applicant")
    assert caught.value.step == "算时间"
    name = script.split(" = ")[0]
    assert f"变量 {name} 留下了 {kind} 类型的值" in str(caught.value)
    assert fresh_rt.case_numbers() == []


def test_json_dumps_keeps_its_indent_small(fresh_rt: Runtime) -> None:
    fresh_rt.deploy(diagram("x = json.dumps({}, indent=100)"), author="analyst")
    with pytest.raises(StepFailed, match="indent 只能是 0 到 8"):
        fresh_rt.start_case("spiff_script", {}, actor="applicant")
