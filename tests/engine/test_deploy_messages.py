"""Deploy problems an analyst can act on: in Chinese, at the file, line and element (id and name), saying what is
wrong and how to fix it — for the cases files from other tools showed to be vague. Each diagram is written here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from certflow.engine import parsermessages
from certflow.engine.errors import DeploymentError, Problem
from certflow.engine.specs import SourceFile, parse_deployment, read_paths
from handlers.registry import HANDLERS

ROOT = Path(__file__).resolve().parents[2]
FILE = "processes/trial.bpmn"
HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
"""
SHAPES = ("startEvent", "endEvent", "task", "scriptTask", "businessRuleTask", "callActivity", "dataStoreReference",
          "dataObjectReference", "exclusiveGateway")


def diagram(body: str, before: str = "", process: str = 'id="trial" name="试办" isExecutable="true"') -> str:
    """A process of ``body`` (``before`` goes ahead of it in the definitions), every node and flow laid out."""
    ids = re.findall(r'<bpmn:(\w+) id="([^"]+)"', body)
    layout = "".join(
        f'<bpmndi:BPMNShape id="{i}_di" bpmnElement="{i}"><dc:Bounds x="0" y="0" width="10" height="10"/>'
        "</bpmndi:BPMNShape>" if tag in SHAPES else
        f'<bpmndi:BPMNEdge id="{i}_di" bpmnElement="{i}"><di:waypoint x="0" y="0"/><di:waypoint x="1" y="1"/>'
        "</bpmndi:BPMNEdge>"
        for tag, i in ids if tag in SHAPES or tag == "sequenceFlow")
    return (HEAD + before + f"<bpmn:process {process}>\n{body}\n</bpmn:process>\n"
            f'<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="trial">{layout}'
            "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>\n</bpmn:definitions>\n")


def straight(middle: str, flows: str = "") -> str:
    """start -> ``middle`` (an element with id "work") -> end."""
    return (f'<bpmn:startEvent id="start" name="开始"/>\n{middle}\n<bpmn:endEvent id="end" name="结束"/>\n'
            '<bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work"/>\n'
            '<bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end"/>\n' + flows)


def problems(xml: str) -> list[Problem]:
    with pytest.raises(DeploymentError) as caught:
        parse_deployment([SourceFile(FILE, xml.encode())], HANDLERS.signatures)
    return caught.value.problems


def line_of(text: str, marker: str) -> int:
    return text[:text.index(marker)].count("\n") + 1


def test_a_problem_reads_file_line_element_and_name() -> None:
    problem = Problem("申请.bpmn", 12, "Task_1", "……", "窗口受理")
    assert str(problem) == "申请.bpmn 第 12 行，元素 Task_1（窗口受理）：……"
    assert str(Problem(None, None, None, "……")) == "整个部署：……"
    error = DeploymentError([Problem("a.bpmn", 3, None, "甲"), Problem("a.bpmn", None, "x", "乙")])
    assert str(error) == "部署被拒绝，共 2 个问题：\na.bpmn 第 3 行：甲\na.bpmn，元素 x：乙"


def test_a_data_store_is_placed_at_its_element_with_its_whole_name() -> None:
    xml = diagram(straight('<bpmn:task id="work" name="登记"/>\n'
                           '<bpmn:dataStoreReference id="store_ref" dataStoreRef="store"/>'),
                  before='<bpmn:dataStore id="store" name="户籍\n名册"/>\n')
    [problem] = problems(xml)
    # The line of the tag as the XML parser reports it: the end of a tag written over two lines.
    assert line_of(xml, '<bpmn:dataStore id="store"') <= problem.line <= line_of(xml, '名册"/>')
    assert (problem.file, problem.element) == (FILE, "store")
    assert "数据存储（Data Store）“户籍 名册”certflow 无法运行" in problem.message
    assert "请删除这个数据存储及连到它的数据关联" in problem.message


def test_a_data_input_that_does_not_resolve_names_the_data_object_not_a_python_object() -> None:
    other = ('<bpmn:process id="other" isExecutable="false"><bpmn:dataObject id="roster_data"/>'
             '<bpmn:dataObjectReference id="roster" name="花名册" dataObjectRef="roster_data"/></bpmn:process>\n')
    work = ('<bpmn:task id="work" name="核对"><bpmn:property id="slot" name="__targetRef_placeholder"/>'
            '<bpmn:dataInputAssociation id="in1"><bpmn:sourceRef>roster</bpmn:sourceRef>'
            "<bpmn:targetRef>slot</bpmn:targetRef></bpmn:dataInputAssociation></bpmn:task>")
    xml = diagram(straight(work), before=other)
    [problem] = problems(xml)
    assert (problem.line, problem.element, problem.name) == (line_of(xml, '<bpmn:task id="work"'), "work", "核对")
    assert problem.message.startswith("任务读取的数据 “花名册”（roster） 无法解析：它属于另一个流程（泳池）")
    assert "0x" not in problem.message and "<Element" not in problem.message


def test_a_business_rule_task_naming_no_decision_is_told_so() -> None:
    xml = diagram(straight('<bpmn:businessRuleTask id="work" name="定级"/>'))
    [problem] = problems(xml)
    assert (problem.element, problem.name) == ("work", "定级")
    assert problem.message.startswith("业务规则任务没有指定要调用的决策；请在建模器中选择决策")
    assert "“”" not in problem.message


def test_several_flows_out_of_a_task_name_its_kind_and_suggest_a_gateway() -> None:
    xml = diagram(straight('<bpmn:task id="work" name="受理"/>',
                           '<bpmn:sequenceFlow id="f3" sourceRef="work" targetRef="end"/>'))
    [problem] = problems(xml)
    assert (problem.line, problem.element) == (line_of(xml, '<bpmn:task id="work"'), "work")
    assert problem.message.startswith("任务有多条流出的顺序流")
    assert "排他网关" in problem.message and "并行网关" in problem.message


def test_a_setting_of_the_process_names_the_process() -> None:
    extension = '<bpmn:extensionElements><camunda:executionListener event="start"/></bpmn:extensionElements>'
    xml = diagram(extension + straight('<bpmn:task id="work" name="受理"/>'))
    [problem] = problems(xml)
    assert (problem.line, problem.element, problem.name) == (line_of(xml, "<camunda:executionListener"), "trial",
                                                             "试办")


def test_a_called_process_with_a_problem_is_listed_once_for_all_its_callers() -> None:
    called = straight('<bpmn:scriptTask id="work" name="算"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>')
    caller = ('<bpmn:startEvent id="s2"/><bpmn:callActivity id="call" calledElement="trial"/><bpmn:endEvent id="e2"/>'
              '<bpmn:sequenceFlow id="g1" sourceRef="s2" targetRef="call"/>'
              '<bpmn:sequenceFlow id="g2" sourceRef="call" targetRef="e2"/>')
    second = diagram(caller, process='id="caller" isExecutable="true"').replace('bpmnElement="trial"',
                                                                                 'bpmnElement="caller"')
    files = [SourceFile(FILE, diagram(called).encode()), SourceFile("processes/caller.bpmn", second.encode())]
    with pytest.raises(DeploymentError) as caught:
        parse_deployment(files, HANDLERS.signatures)
    assert [(p.file, p.element) for p in caught.value.problems] == [(FILE, "work")]


def test_a_script_of_a_multi_instance_task_is_reported_once() -> None:
    work = ('<bpmn:scriptTask id="work" name="算"><bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3'
            "</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics><bpmn:script>import os</bpmn:script>"
            "</bpmn:scriptTask>")
    [problem] = problems(diagram(straight(work)))
    assert (problem.element, problem.name) == ("work", "算")
    assert problem.message.startswith("脚本：第 1 行：脚本里不能用 import")


ZEEBE = {
    '<zeebe:taskDefinition type="check"/>': "spiffworkflow:serviceTaskOperator",
    '<zeebe:formDefinition formKey="f"/>': "formJsonSchemaFilename",
    "<zeebe:ioMapping/>": "preScript / postScript",
    '<zeebe:assignmentDefinition assignee="王"/>': "泳道（lane）对应的角色",
    '<zeebe:calledDecision decisionId="d" resultVariable="r"/>': "spiffworkflow:calledDecisionId",
    "<zeebe:taskHeaders/>": "服务任务操作的参数",
    '<zeebe:subscription correlationKey="=id"/>': "消息关联属性",
}


@pytest.mark.parametrize(("setting", "instead"), ZEEBE.items(), ids=[re.findall(r"zeebe:(\w+)", s)[0] for s in ZEEBE])
def test_each_kind_of_camunda_8_setting_says_its_own_equivalent(setting: str, instead: str) -> None:
    kind = re.findall(r"zeebe:(\w+)", setting)[0]
    xml = diagram(straight(f'<bpmn:task id="work" name="受理"><bpmn:extensionElements>{setting}'
                           "</bpmn:extensionElements></bpmn:task>"))
    [problem] = problems(xml)
    assert problem.element == "work"
    assert problem.message.startswith(f"zeebe:{kind} 是 Camunda 8 的设置，certflow 不运行；")
    assert instead in problem.message


@pytest.mark.parametrize("attribute", ['camunda:async="true"', 'camunda:asyncBefore="true"',
                                       'camunda:asyncAfter="true"', 'camunda:exclusive="false"',
                                       'camunda:diagramRelationId="abc-123"'])
def test_async_continuations_and_modeler_only_settings_are_accepted_alike(attribute: str) -> None:
    xml = diagram(straight(f'<bpmn:task id="work" name="受理" {attribute}/>'))
    [process] = parse_deployment([SourceFile(FILE, xml.encode())], HANDLERS.signatures).processes
    assert process.key == "trial"


MESSAGE = '<bpmn:message id="apply_msg" name="apply"/>\n'


def test_a_message_start_event_as_spiffarena_writes_it_deploys() -> None:
    start = ('<bpmn:startEvent id="start" name="收到申请" messageRef="apply_msg">'
             '<bpmn:messageEventDefinition id="med" messageRef="apply_msg"/></bpmn:startEvent>')
    xml = diagram(straight('<bpmn:task id="work" name="受理"/>').replace('<bpmn:startEvent id="start" name="开始"/>',
                                                                       start), before=MESSAGE)
    [process] = parse_deployment([SourceFile(FILE, xml.encode())], HANDLERS.signatures).processes
    assert process.key == "trial"


def test_an_attribute_the_schema_refuses_is_said_in_chinese_at_its_element() -> None:
    # Without the event definition SpiffWorkflow would not read the message: the schema's refusal stands.
    start = '<bpmn:startEvent id="start" name="收到申请" messageRef="apply_msg"/>'
    xml = diagram(straight('<bpmn:task id="work" name="受理"/>').replace('<bpmn:startEvent id="start" name="开始"/>',
                                                                       start), before=MESSAGE)
    [problem] = problems(xml)
    assert (problem.line, problem.element, problem.name) == (line_of(xml, start), "start", "收到申请")
    assert problem.message.startswith("bpmn:startEvent 上不能有属性 messageRef（标准里没有它")
    assert "http://" not in problem.message


def test_every_schema_error_of_a_file_is_listed() -> None:
    xml = diagram(straight('<bpmn:task id="work" name="受理" color="red"/>').replace(
        '<bpmn:endEvent id="end" name="结束"/>', '<bpmn:endEvent id="end" name="结束" size="2"/>'))
    assert [(p.element, p.message.split("（")[0]) for p in problems(xml)] == [
        ("work", "bpmn:task 上不能有属性 color"), ("end", "bpmn:endEvent 上不能有属性 size"),
    ]


def test_a_loop_without_maximum_or_condition_is_told_what_to_write() -> None:
    loop = ('<bpmn:task id="work" name="受理"><bpmn:standardLoopCharacteristics/></bpmn:task>')
    [problem] = problems(diagram(straight(loop)))
    assert problem.message == "循环任务必须写循环次数上限（loopMaximum）或循环条件（loopCondition）"


def test_a_decision_table_output_that_is_not_python_is_placed_at_its_cell() -> None:
    files = read_paths([ROOT / "processes", ROOT / "forms"])
    cell = '<text>"庐山市人民医院"</text>'
    files = [SourceFile(f.name, f.content.replace(cell.encode(), "<text>庐山市 人民医院</text>".encode(), 1))
             if f.name.endswith(".dmn") else f for f in files]
    with pytest.raises(DeploymentError) as caught:
        parse_deployment(files, HANDLERS.signatures)
    [problem] = caught.value.problems
    assert (problem.file, problem.element) == ("processes/hospital_routing.dmn", "rule_limb_hospital")
    assert problem.message == ("决策表的输出“庐山市 人民医院”不是有效的 Python 表达式（invalid syntax）；"
                               '文字请加引号，如 "通过"')


def test_a_parser_message_the_table_does_not_know_keeps_its_words_after_a_chinese_line() -> None:
    xml = diagram(straight('<bpmn:task id="work" name="受理"/>'))
    root = etree.fromstring(xml.encode())
    [task] = root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}task")
    error = ValidationException("Something SpiffWorkflow says from now on", node=task, file_name=FILE)

    problem = parsermessages.from_validation(error, None, {FILE: root}, {FILE: {"work": task.sourceline}})

    assert (problem.file, problem.line, problem.element) == (FILE, line_of(xml, '<bpmn:task id="work"'), "work")
    assert problem.message == ("SpiffWorkflow 无法读取这个任务；请在建模器中检查它的设置。"
                               "原文：Something SpiffWorkflow says from now on")


def test_a_file_that_is_not_bpmn_says_what_its_root_should_be() -> None:
    [problem] = problems('<?xml version="1.0"?>\n<diagram id="x"/>\n')
    assert (problem.file, problem.line) == (FILE, 2)
    assert problem.message == ("根元素 diagram 不是 BPMN 文件的根；BPMN 文件应以 bpmn:definitions 开头，"
                               "请用建模器另存一次")


def test_a_dmn_1_2_file_is_read_though_its_schema_cannot_be_loaded() -> None:
    """SpiffWorkflow ships a DMN 1.2 schema that lxml cannot load; the file is then left to the DMN parser."""
    decision = (b'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" '
                b'namespace="n"><decision id="fee" name="\xe6\x94\xb6\xe8\xb4\xb9"/></definitions>')
    dmn_1_2 = decision.replace(b"https://www.omg.org/spec/DMN/20191111/MODEL/",
                               b"http://www.omg.org/spec/DMN/20180521/MODEL/")
    assert parsermessages.schema_problems("fee.dmn", etree.fromstring(dmn_1_2), dmn=True) == []
