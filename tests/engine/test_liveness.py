"""Diagrams as other tools write them run to an end, or say in words why not: implicit ends, several start events,
timers given as timedelta or datetime, event-based gateways, messages that lack their correlation value, scripts
that fail. And a deployment never stores nothing in silence."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from enginekit import START
from sketch import sketch

from certflow.cli import main
from certflow.engine.errors import DeploymentError, InvalidState, StepFailed, ValidationFailed
from certflow.engine.runtime import Runtime
from certflow.engine.specs import SourceFile, read_paths

START_TO = '<bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>'


def _flow(flow: str, source: str, target: str) -> str:
    return f'<bpmn:sequenceFlow id="{flow}" sourceRef="{source}" targetRef="{target}"/>'


def _catch(element: str, name: str, definition: str, incoming: str, outgoing: str) -> str:
    return (f'<bpmn:intermediateCatchEvent id="{element}" name="{name}"><bpmn:incoming>{incoming}</bpmn:incoming>'
            f'<bpmn:outgoing>{outgoing}</bpmn:outgoing>{definition}</bpmn:intermediateCatchEvent>')


def _end(element: str, *incoming: str) -> str:
    return (f'<bpmn:endEvent id="{element}">' + "".join(f"<bpmn:incoming>{f}</bpmn:incoming>" for f in incoming)
            + "</bpmn:endEvent>")


def _timer(key: str, kind: str, expression: str) -> SourceFile:
    definition = f"<bpmn:timerEventDefinition><bpmn:{kind}>{expression}</bpmn:{kind}></bpmn:timerEventDefinition>"
    return sketch(key, START_TO + _catch("wait", "等待答复期满", definition, "f1", "f2") + _end("done", "f2")
                  + _flow("f1", "start", "wait") + _flow("f2", "wait", "done"))


def _script(key: str, script: str) -> SourceFile:
    return sketch(key, START_TO + '<bpmn:scriptTask id="compute" name="计算补贴"><bpmn:incoming>f1</bpmn:incoming>'
                  f"<bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>"
                  + _end("done", "f2") + _flow("f1", "start", "compute") + _flow("f2", "compute", "done"))


CORRELATED = (
    '<bpmn:collaboration id="talk"><bpmn:participant id="pool" processRef="twice"/>'
    '<bpmn:correlationKey id="applicant_key" name="applicant_key">'
    "<bpmn:correlationPropertyRef>applicant_ref</bpmn:correlationPropertyRef></bpmn:correlationKey>"
    '</bpmn:collaboration><bpmn:message id="supplement_message" name="supplement"/>'
    '<bpmn:correlationProperty id="applicant_ref" name="applicant_ref">'
    '<bpmn:correlationPropertyRetrievalExpression messageRef="supplement_message">'
    "<bpmn:formalExpression>applicant_ref</bpmn:formalExpression></bpmn:correlationPropertyRetrievalExpression>"
    "</bpmn:correlationProperty>"
)
MESSAGE = '<bpmn:messageEventDefinition messageRef="supplement_message"/>'


@pytest.fixture
def twice(fresh_rt: Runtime) -> Runtime:
    """A case that waits twice for the message ``supplement``, correlated by ``applicant_ref``."""
    fresh_rt.deploy([sketch("twice", START_TO + _catch("first", "等待补交", MESSAGE, "f1", "f2")
                            + _catch("second", "等待再次补交", MESSAGE, "f2", "f3") + _end("done", "f3")
                            + _flow("f1", "start", "first") + _flow("f2", "first", "second")
                            + _flow("f3", "second", "done"), around=CORRELATED)], author="tests")
    return fresh_rt


def test_a_message_without_its_correlation_value_is_refused_naming_it_and_changes_nothing(twice: Runtime) -> None:
    number = twice.start_case("twice", {}, actor="applicant")
    before = twice.history(number)

    with pytest.raises(ValidationFailed) as refused:
        twice.send_message(number, "supplement", {"note": "照片"}, actor="applicant")
    [error] = refused.value.errors
    assert error.field == "applicant_ref"
    assert "消息“supplement”要带上 applicant_ref" in error.message
    assert twice.history(number) == before

    result = CliRunner().invoke(main, ["message", number, "supplement", "--data", '{"note": "照片"}'], obj=twice)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.splitlines()[0] == "错误：消息内容不全："
    assert twice.history(number) == before


def test_a_queued_message_without_its_correlation_value_opens_an_incident_at_once(twice: Runtime) -> None:
    number = twice.start_case("twice", {}, actor="applicant")
    twice.queue_message(number, "supplement", {"note": "照片"}, actor="applicant")
    assert twice.run_jobs() == []
    [incident] = twice.incidents(case_ref=number)
    assert (incident["kind"], incident["attempts"]) == ("message", 1)
    assert incident["message"].startswith("消息内容不全：applicant_ref：消息“supplement”要带上 applicant_ref")
    assert twice.case(number)["status"] == "error"


def test_a_message_for_another_case_is_refused_in_words(twice: Runtime) -> None:
    number = twice.start_case("twice", {}, actor="applicant")
    twice.send_message(number, "supplement", {"applicant_ref": "A-17"}, actor="applicant")
    assert twice.case(number)["current_step"] == "等待再次补交"

    with pytest.raises(InvalidState, match="关联值与本案件的不符（本案件：applicant_ref = A-17）"):
        twice.send_message(number, "supplement", {"applicant_ref": "B-2"}, actor="applicant")
    twice.send_message(number, "supplement", {"applicant_ref": "A-17"}, actor="applicant")
    assert twice.case(number)["status"] == "completed"


@pytest.mark.parametrize(("expression", "due"), [
    ("timedelta(days=3)", "2026-10-03T09:00:00+08:00"),
    ("datetime(2026, 10, 8, 9, 30)", "2026-10-08T09:30:00+08:00"),  # no zone: China time, as datetime.now() gives
], ids=["timedelta", "datetime"])
def test_a_timer_given_as_timedelta_or_datetime_waits_and_fires(fresh_rt: Runtime, expression: str, due: str) -> None:
    fresh_rt.deploy([_timer("answer_period", "timeDuration" if "delta" in expression else "timeDate", expression)],
                    author="tests")
    number = fresh_rt.start_case("answer_period", {}, actor="applicant")
    assert datetime.fromisoformat(fresh_rt.case(number)["next_due_at"]) == datetime.fromisoformat(due)

    assert fresh_rt.tick(datetime.fromisoformat(due)) == []
    assert fresh_rt.tick(datetime.fromisoformat(due).replace(second=1)) == [number]
    assert fresh_rt.case(number)["status"] == "completed"
    assert fresh_rt.verify(number).ok


def test_a_timer_expression_naming_nothing_fails_in_words(fresh_rt: Runtime) -> None:
    fresh_rt.deploy([_timer("answer_period", "timeDuration", "period")], author="tests")
    with pytest.raises(StepFailed) as failed:
        fresh_rt.start_case("answer_period", {}, actor="applicant")
    assert str(failed.value) == ("没有开始办理，未建立案件：环节“等待答复期满”的表达式“period”出错："
                                 "名称 period 未定义：任务数据里没有这个变量，请先在前面的环节给它赋值")


def test_a_timer_of_another_kind_of_value_fails_in_words(fresh_rt: Runtime) -> None:
    fresh_rt.deploy([_timer("answer_period", "timeDuration", "30")], author="tests")
    with pytest.raises(StepFailed, match="环节“等待答复期满”的定时器的表达式 30 得到了 30，应为 ISO 8601 文字"):
        fresh_rt.start_case("answer_period", {}, actor="applicant")
    assert fresh_rt.case_numbers() == []


def _gateway() -> SourceFile:
    timer = '<bpmn:timerEventDefinition><bpmn:timeDuration>"P15D"</bpmn:timeDuration></bpmn:timerEventDefinition>'
    return sketch("supplement_or_lapse", START_TO
                  + '<bpmn:eventBasedGateway id="which"><bpmn:incoming>f1</bpmn:incoming>'
                  + "<bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>f3</bpmn:outgoing></bpmn:eventBasedGateway>"
                  + _catch("supplied", "收到补正材料", '<bpmn:messageEventDefinition messageRef="m"/>', "f2", "f4")
                  + _catch("lapsed", "补正期满", timer, "f3", "f5") + _end("done", "f4") + _end("closed", "f5")
                  + _flow("f1", "start", "which") + _flow("f2", "which", "supplied") + _flow("f3", "which", "lapsed")
                  + _flow("f4", "supplied", "done") + _flow("f5", "lapsed", "closed"),
                  around='<bpmn:message id="m" name="materials_supplied"/>')


def test_an_event_based_gateway_fires_its_timer_on_tick_or_takes_its_message(fresh_rt: Runtime) -> None:
    fresh_rt.deploy([_gateway()], author="tests")
    lapsing = fresh_rt.start_case("supplement_or_lapse", {}, actor="applicant")
    case = fresh_rt.case(lapsing)
    assert case["current_step"] == "收到补正材料或补正期满"
    assert [w["label"] for w in case["waiting"]] == ["收到补正材料或补正期满"]  # the gateway, as people read it
    assert datetime.fromisoformat(case["next_due_at"]) == datetime.fromisoformat("2026-10-15T09:00:00+08:00")
    assert fresh_rt.tick(datetime.fromisoformat("2026-10-15T09:00:01+08:00")) == [lapsing]
    assert fresh_rt.diagram(lapsing)["passed"].get("closed") == 1

    supplied = fresh_rt.start_case("supplement_or_lapse", {}, actor="applicant")
    fresh_rt.send_message(supplied, "materials_supplied", {}, actor="applicant")
    assert fresh_rt.case(supplied)["status"] == "completed"
    assert fresh_rt.diagram(supplied)["passed"].get("done") == 1
    assert fresh_rt.verify(supplied).ok


def test_a_path_without_an_end_event_ends_the_case(fresh_rt: Runtime) -> None:
    only_start = sketch("only_start", '<bpmn:startEvent id="start"/>')
    check_and_stop = sketch("check_and_stop", START_TO + '<bpmn:manualTask id="check" name="核对原件">'
                            "<bpmn:incoming>f1</bpmn:incoming></bpmn:manualTask>" + _flow("f1", "start", "check"))
    fresh_rt.deploy([only_start, check_and_stop], author="tests")

    assert fresh_rt.case(fresh_rt.start_case("only_start", {}, actor="applicant"))["status"] == "completed"
    number = fresh_rt.start_case("check_and_stop", {}, actor="applicant")
    [task] = fresh_rt.tasks(case=number)
    fresh_rt.complete_task(task["id"], {}, actor="窗口")
    assert fresh_rt.case(number)["status"] == "completed"
    assert fresh_rt.stuck()["cases"] == []


def test_a_process_with_two_start_events_starts(fresh_rt: Runtime) -> None:
    fresh_rt.deploy([sketch("two_doors", '<bpmn:startEvent id="online"><bpmn:outgoing>f1</bpmn:outgoing>'
                            '</bpmn:startEvent><bpmn:startEvent id="counter"><bpmn:outgoing>f2</bpmn:outgoing>'
                            "</bpmn:startEvent>" + _end("done", "f1", "f2") + _flow("f1", "online", "done")
                            + _flow("f2", "counter", "done"))], author="tests")
    assert fresh_rt.case(fresh_rt.start_case("two_doors", {}, actor="applicant"))["status"] == "completed"


def test_a_message_catch_event_naming_no_message_is_refused_at_deploy(fresh_rt: Runtime) -> None:
    nameless = sketch("nameless", START_TO + _catch("wait", "", "<bpmn:messageEventDefinition/>", "f1", "f2")
                      .replace(' name=""', "") + _end("done", "f2") + _flow("f1", "start", "wait")
                      + _flow("f2", "wait", "done"))
    with pytest.raises(DeploymentError) as refused:
        fresh_rt.deploy([nameless], author="tests")
    [problem] = refused.value.problems
    assert (problem.file, problem.element) == ("nameless.bpmn", "wait")
    assert "没有指定是哪一条（messageRef），谁也发不出它" in problem.message
    assert fresh_rt.versions() == []


def test_bpmn20_files_are_deployed(fresh_rt: Runtime, tmp_path: Path) -> None:
    (tmp_path / "only_start.bpmn20.xml").write_bytes(sketch("only_start", '<bpmn:startEvent id="start"/>').content)
    result = CliRunner().invoke(main, ["deploy", str(tmp_path)], obj=fresh_rt)
    assert (result.exit_code, result.stdout) == (0, "only_start v1（新版本）\n")


DECISION = (b'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="fees" name="fees" '
            b'namespace="http://certflow/tests"><decision id="fee" name="fee"><decisionTable id="table">'
            b'<input id="in"><inputExpression id="in_expression"><text>x</text></inputExpression></input>'
            b'<output id="out" name="fee"/><rule id="rule"><inputEntry id="when"><text>1</text></inputEntry>'
            b'<outputEntry id="then"><text>10</text></outputEntry></rule></decisionTable></decision></definitions>')


@pytest.mark.parametrize(("files", "says"), [
    ({"fees.dmn": DECISION}, "只有决策表（DMN），没有流程：决策表要由流程里的业务规则任务调用才会用到"),
    ({"empty.bpmn": b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
                    b'targetNamespace="http://certflow/tests"/>'}, "empty.bpmn 里没有流程（process）"),
    ({}, "没有可部署的文件"),
], ids=["decisions only", "no process", "nothing"])
def test_a_deployment_without_a_process_is_refused_in_words(
    fresh_rt: Runtime, tmp_path: Path, files: dict[str, bytes], says: str,
) -> None:
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    with pytest.raises(DeploymentError, match=says):
        fresh_rt.deploy(read_paths([tmp_path]), author="tests")
    result = CliRunner().invoke(main, ["deploy", str(tmp_path)], obj=fresh_rt)
    assert result.exit_code == 1
    assert says in result.stderr
    assert fresh_rt.versions() == []


def test_a_failed_script_says_what_and_where_without_the_tasks_variables(fresh_rt: Runtime) -> None:
    fresh_rt.deploy([_script("subsidy", "base = 100\ntotal = base + months")], author="tests")
    with pytest.raises(StepFailed) as failed:
        fresh_rt.start_case("subsidy", {}, actor="applicant")
    assert str(failed.value) == ("没有开始办理，未建立案件：环节“计算补贴”的脚本第 2 行出错："
                                 "名称 months 未定义：任务数据里没有这个变量，请先在前面的环节给它赋值")
    assert "NameError" in (failed.value.detail or "")


@pytest.mark.parametrize(("script", "says"), [
    ("total = 1 + '2'", "不能对整数和文字做 + 运算"),
    ("total = '第' + 2", "文字只能与文字相连，不能与整数相连"),
    ("total = {}['months']", "没有键 'months'"),
    ("total = 1 / 0", "除数为零"),
    ("total = {}['月份']", "没有键 '月份'"),
    ("total = 月份", "名称 月份 未定义"),
    ("total = working_days_deadline('下周', 2)", "'下周' 不是“年-月-日”格式的日期"),
    ("total = int(None)", "空值（None）不能转成整数"),
    ("total = len(3)", "整数没有长度"),
    ("total = [1]['一']", "列表的下标应为整数，不能是文字"),
    ("total = max([])", "max() 的参数是空的"),
    ("total = sorted([1, '2'])", "文字和整数不能用 < 比较"),
    ("total = int('3', 99)", "取值错误：int() base must be >= 2 and <= 36, or 0"),
], ids=["operands", "concatenation", "key", "division", "chinese-key", "chinese-name", "date", "int-none", "len",
        "index", "empty", "compare", "other"])
def test_common_script_errors_are_said_in_chinese(fresh_rt: Runtime, script: str, says: str) -> None:
    fresh_rt.deploy([_script("subsidy", script)], author="tests")
    with pytest.raises(StepFailed, match=re.escape(f"环节“计算补贴”的脚本第 1 行出错：{says}")):
        fresh_rt.start_case("subsidy", {}, actor="applicant")


def test_a_multi_instance_without_its_input_collection_fails_in_words(fresh_rt: Runtime) -> None:
    fresh_rt.deploy([sketch("each_material", START_TO + '<bpmn:manualTask id="each" name="逐项核对">'
                            "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
                            '<bpmn:multiInstanceLoopCharacteristics isSequential="false">'
                            "<bpmn:loopDataInputRef>materials</bpmn:loopDataInputRef>"
                            '<bpmn:inputDataItem id="material" name="material"/>'
                            "</bpmn:multiInstanceLoopCharacteristics></bpmn:manualTask>" + _end("done", "f2")
                            + _flow("f1", "start", "each") + _flow("f2", "each", "done"))], author="tests")
    with pytest.raises(StepFailed, match="环节“逐项核对”的输入集合 materials 在案件数据里没有"):
        fresh_rt.start_case("each_material", {}, actor="applicant")
    number = fresh_rt.start_case("each_material", {"materials": ["照片", "病历"]}, actor="applicant")
    assert len(fresh_rt.tasks(case=number)) == 2


def test_a_script_may_delete_spiffarenas_modules_from_its_data(fresh_rt: Runtime) -> None:
    fresh_rt.deploy([_script("stamped", "stamp = time.time()\ndel time")], author="tests")
    number = fresh_rt.start_case("stamped", {}, actor="applicant")
    assert fresh_rt.case(number)["data"]["stamp"] == START.timestamp()


def test_a_correlation_the_case_data_lacks_fails_in_words(fresh_rt: Runtime) -> None:
    # SpiffArena's catch event reading its correlation from the case's data, which does not hold it.
    matching = ('<bpmn:messageEventDefinition messageRef="supplement_message"><bpmn:extensionElements>'
                "<spiffworkflow:processVariableCorrelation><spiffworkflow:propertyId>applicant_ref"
                "</spiffworkflow:propertyId><spiffworkflow:expression>applicant_ref</spiffworkflow:expression>"
                "</spiffworkflow:processVariableCorrelation></bpmn:extensionElements></bpmn:messageEventDefinition>")
    fresh_rt.deploy([sketch("matching", START_TO + _catch("wait", "等待补交", matching, "f1", "f2").replace(
        'name="等待补交"', 'name="等待补交" spiffworkflow:isMatchingCorrelation="true"') + _end("done", "f2")
                            + _flow("f1", "start", "wait") + _flow("f2", "wait", "done"),
                            around=CORRELATED.replace('"twice"', '"matching"'))], author="tests")
    with pytest.raises(StepFailed, match="没有开始办理，未建立案件：名称 applicant_ref 未定义"):
        fresh_rt.start_case("matching", {}, actor="applicant")
    assert fresh_rt.case_numbers() == []
    number = fresh_rt.start_case("matching", {"applicant_ref": "A-17"}, actor="applicant")
    fresh_rt.send_message(number, "supplement", {"applicant_ref": "A-17"}, actor="applicant")
    assert fresh_rt.case(number)["status"] == "completed"


@pytest.mark.parametrize("written", ["PT5M", '"PT5M"'])
def test_a_timer_written_as_iso_text_or_quoted_fires(fresh_rt: Runtime, written: str) -> None:
    """Camunda writes PT5M, SpiffArena "PT5M": both wait five minutes."""
    timer = f"<bpmn:timerEventDefinition><bpmn:timeDuration>{written}</bpmn:timeDuration></bpmn:timerEventDefinition>"
    body = (START_TO + _catch("wait", "等五分钟", timer, "f1", "f2") + _end("done", "f2")
            + _flow("f1", "start", "wait") + _flow("f2", "wait", "done"))
    fresh_rt.deploy([sketch("five_minutes", body)], author="tests")
    number = fresh_rt.start_case("five_minutes", {}, actor="applicant")
    due = datetime.fromisoformat(fresh_rt.case(number)["next_due_at"])
    assert fresh_rt.tick(due + timedelta(seconds=1)) == [number]
    assert fresh_rt.case(number)["status"] == "completed"
