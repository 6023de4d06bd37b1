"""Deploying processes: versions, and every refusal naming the file, line and element at fault."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from enginekit import BROKEN, CONTENT, open_task, start

from certflow.engine import specs
from certflow.engine.errors import DeploymentError, NotFound, Problem, ValidationFailed
from certflow.engine.runtime import DeployedVersion, Runtime
from certflow.engine.specs import SourceFile, read_paths

SMOKE = "content/smoke.bpmn"
APPROVE_FORM = "content/smoke_approve.json"


def smoke_files(**changed: bytes) -> list[SourceFile]:
    """The smoke deployment, with some files' content replaced (keyed by file name)."""
    files = read_paths([CONTENT])
    names = {Path(f.name).name for f in files}
    assert set(changed) <= names, f"no such files: {set(changed) - names}"
    return [SourceFile(f.name, changed.get(Path(f.name).name, f.content)) for f in files]


def smoke_text() -> str:
    return (CONTENT / "smoke.bpmn").read_text(encoding="utf-8")


def line_of(text: str, marker: str) -> int:
    assert text.count(marker) == 1, marker
    return text[: text.index(marker)].count("\n") + 1


def copy_content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(CONTENT, target)
    return target


def refused(runtime: Runtime, files: list[SourceFile]) -> list[Problem]:
    with pytest.raises(DeploymentError) as caught:
        runtime.deploy(files, author="analyst")
    assert caught.value.problems
    return caught.value.problems


def assert_nothing_deployed(runtime: Runtime) -> None:
    with pytest.raises(NotFound, match="没有部署流程 smoke"):
        start(runtime)
    assert runtime.versions() == []


# -- versions ------------------------------------------------------------------------------------


def test_first_deploy_makes_version_1(fresh_rt: Runtime) -> None:
    assert fresh_rt.deploy(read_paths([CONTENT]), author="analyst") == [DeployedVersion("smoke", 1, True)]
    number = start(fresh_rt)
    assert fresh_rt.case(number)["version"] == 1
    assert fresh_rt.case(number)["process"] == "smoke"


def test_redeploying_identical_content_makes_no_new_version(rt: Runtime) -> None:
    assert rt.deploy(read_paths([CONTENT]), author="analyst") == [DeployedVersion("smoke", 1, False)]
    assert rt.deploy(read_paths([CONTENT]), author="someone else", note="again") == [
        DeployedVersion("smoke", 1, False)
    ]
    assert rt.case(start(rt))["version"] == 1


def test_changed_bpmn_makes_v2_and_running_cases_stay_on_v1(rt: Runtime, tmp_path: Path) -> None:
    old_case = start(rt, "张三")
    changed = copy_content(tmp_path)
    bpmn = changed / "smoke.bpmn"
    bpmn.write_text(smoke_text().replace('name="审批"', 'name="复核"'), encoding="utf-8")

    assert rt.deploy(read_paths([changed]), author="analyst") == [DeployedVersion("smoke", 2, True)]
    new_case = start(rt, "李四")

    assert rt.case(old_case)["version"] == 1
    assert rt.case(new_case)["version"] == 2
    assert open_task(rt, old_case)["title"] == "审批"
    assert open_task(rt, new_case)["title"] == "复核"

    # The old case goes on with its own version.
    rt.complete_task(open_task(rt, old_case)["id"], {"approved": True}, actor="clerk")
    rt.send_message(old_case, "poke", {}, actor="clerk")
    view = rt.case(old_case)
    assert (view["status"], view["version"]) == ("completed", 1)
    # Deploying v2 again changes nothing.
    assert rt.deploy(read_paths([changed]), author="analyst") == [DeployedVersion("smoke", 2, False)]


def test_a_changed_form_makes_a_new_version_used_by_new_cases_only(rt: Runtime, tmp_path: Path) -> None:
    old_case = start(rt)
    changed = copy_content(tmp_path)
    form = changed / "smoke_approve.json"
    form.write_text(form.read_text(encoding="utf-8").replace('"maxLength": 20', '"maxLength": 5'), encoding="utf-8")

    assert rt.deploy(read_paths([changed]), author="analyst") == [DeployedVersion("smoke", 2, True)]
    new_case = start(rt)
    note = {"approved": True, "note": "材料齐全，同意"}  # 7 characters
    with pytest.raises(ValidationFailed) as caught:
        rt.complete_task(open_task(rt, new_case)["id"], note, actor="clerk")
    assert [(e.field, e.message) for e in caught.value.errors] == [("note", "最多5个字")]
    rt.complete_task(open_task(rt, old_case)["id"], note, actor="clerk")  # v1 still allows 20


# -- refusals ------------------------------------------------------------------------------------

# (file changed, text replaced, replacement, element named, line of this text, words in the message)
REFUSALS = {
    "XML not well-formed": (
        "smoke.bpmn", "</bpmn:userTask>", "</bpmn:usertask>", None, "</bpmn:usertask>",
        ["XML 格式不正确", "请用建模器打开并另存一次"],
    ),
    "BPMN schema error": (
        "smoke.bpmn", '<bpmn:userTask id="approve" name="审批">',
        '<bpmn:userTask id="approve" name="审批" assignee="王">', "approve", '<bpmn:userTask id="approve"',
        ["bpmn:userTask 上不能有属性 assignee", "请在建模器中删除"],
    ),
    "user task names a missing form": (
        "smoke.bpmn", 'value="smoke_approve.json"', 'value="smoke_review.json"', "approve",
        '<bpmn:userTask id="approve"',
        ["表单 smoke_review.json 不在这次部署中", "请把 forms/smoke_review.json 一起部署"],
    ),
    "unknown service operator": (
        "smoke.bpmn", 'serviceTaskOperator id="echo"', 'serviceTaskOperator id="send_sms"', "remind",
        '<bpmn:serviceTask id="remind"', ["服务任务操作 send_sms 没有登记", "请改用已登记的操作：", "echo"],
    ),
    "operator parameters do not match": (
        "smoke.bpmn", 'parameter id="text"', 'parameter id="message"', "remind",
        '<bpmn:serviceTask id="remind"', ["操作 echo 的参数是 text，任务给的是 message", "补上缺的、删去多的"],
    ),
    "script imports os": (
        "smoke.bpmn", "<bpmn:script>greeting", "<bpmn:script>import os\ngreeting", "greet",
        '<bpmn:scriptTask id="greet"', ["脚本：第 1 行：脚本里不能用 import"],
    ),
    "script reaches __subclasses__": (
        "smoke.bpmn", "<bpmn:script>greeting", "<bpmn:script>classes = ().__class__.__subclasses__()\ngreeting",
        "greet", '<bpmn:scriptTask id="greet"', ["“__subclasses__”以下划线开头", "请改名"],
    ),
    "script calls hash()": (
        "smoke.bpmn", "<bpmn:script>greeting", "<bpmn:script>bucket = hash(greeting) % 7\ngreeting",
        "greet", '<bpmn:scriptTask id="greet"',
        ["脚本：第 1 行：脚本里不能用 hash()", "重放案件历史时无法得到同样的结果"],
    ),
    "post-script imports os": (
        "smoke.bpmn",
        '<spiffworkflow:property name="dueInWorkingDays" value="2"/>\n        </spiffworkflow:properties>',
        '<spiffworkflow:property name="dueInWorkingDays" value="2"/>\n        </spiffworkflow:properties>\n'
        '        <spiffworkflow:postScript>import os</spiffworkflow:postScript>',
        "approve", '<bpmn:userTask id="approve"', ["后置脚本（postScript）", "脚本里不能用 import"],
    ),
    "condition on a flow leaving a task": (
        "smoke.bpmn", '<bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="wait_poke"/>',
        '<bpmn:sequenceFlow id="f3" sourceRef="approve" targetRef="wait_poke">'
        '<bpmn:conditionExpression>approved</bpmn:conditionExpression></bpmn:sequenceFlow>',
        "f3", '<bpmn:sequenceFlow id="f3"', ["从“approve”流出的顺序流写了条件，但引擎不看它", "加一个排他网关"],
    ),
    "timer expression does not compile": (
        "smoke.bpmn", "<bpmn:timeDate>deadline</bpmn:timeDate>", "<bpmn:timeDate>deadline +</bpmn:timeDate>",
        "late", '<bpmn:boundaryEvent id="late"', ["定时器：第 1 行：Python 语法错误", "请检查括号、引号和冒号"],
    ),
    "service parameter does not compile": (
        "smoke.bpmn", 'type="str" value="greeting"', 'type="str" value="greeting["', "remind",
        '<bpmn:serviceTask id="remind"', ["参数 text：第 1 行：Python 语法错误"],
    ),
    "task without diagram layout": (
        "smoke.bpmn", 'bpmnElement="approve"', 'bpmnElement="approve_old"', "approve", '<bpmn:userTask id="approve"',
        ["userTask 在图中没有位置（BPMNDI 部分没有它的 BPMNShape）", "请在建模器中打开文件"],
    ),
    "sequence flow without diagram layout": (
        "smoke.bpmn", 'bpmnElement="f3"', 'bpmnElement="f3_old"', "f3", '<bpmn:sequenceFlow id="f3"',
        ["sequenceFlow 在图中没有位置（BPMNDI 部分没有它的 BPMNEdge）"],
    ),
    "lane without diagram layout": (
        "smoke.bpmn", 'bpmnElement="lane_window"', 'bpmnElement="lane_old"', "lane_window",
        '<bpmn:lane id="lane_window"', ["lane 在图中没有位置"],
    ),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=list(REFUSALS))
def test_broken_bpmn_is_refused_naming_file_line_and_element(fresh_rt: Runtime, case: tuple) -> None:
    name, old, new, element, marker, words = case
    text = smoke_text()
    assert text.count(old) == 1, old
    broken = text.replace(old, new)

    [problem] = refused(fresh_rt, smoke_files(**{name: broken.encode()}))

    assert problem.file == SMOKE
    assert problem.line == line_of(broken, marker)
    assert problem.element == element
    assert str(problem).startswith(f"{SMOKE} 第 {problem.line} 行" + (f"，元素 {element}" if element else ""))
    for word in words:
        assert word in problem.message
    assert_nothing_deployed(fresh_rt)


def test_unknown_lane_is_refused_for_every_element_in_it(fresh_rt: Runtime) -> None:
    broken = smoke_text().replace('name="残联综合窗口"', 'name="路人甲"')
    problems = refused(fresh_rt, smoke_files(**{"smoke.bpmn": broken.encode()}))

    in_lane = ["start", "greet", "approve", "wait_poke", "remind", "late", "late_end", "done"]
    assert sorted(p.element for p in problems) == sorted(in_lane)
    for problem in problems:
        assert problem.file == SMOKE
        assert problem.line == line_of(broken, f'id="{problem.element}"')
        assert "泳道“路人甲”不是已知的角色" in problem.message and "县残联" in problem.message
    assert_nothing_deployed(fresh_rt)


def test_invalid_json_schema_form_is_refused(fresh_rt: Runtime) -> None:
    form = b'{"type": "object", "properties": {"approved": {"type": "yes-or-no"}}}'
    [problem] = refused(fresh_rt, smoke_files(**{"smoke_approve.json": form}))
    assert problem.file == APPROVE_FORM
    assert "不是有效的 JSON Schema" in problem.message
    assert "properties/approved/type" in problem.message
    assert_nothing_deployed(fresh_rt)


def test_form_that_is_not_json_is_refused_with_its_line(fresh_rt: Runtime) -> None:
    form = b'{"type": "object",\n "required": ["approved"],\n}'
    [problem] = refused(fresh_rt, smoke_files(**{"smoke_approve.json": form}))
    assert (problem.file, problem.line) == (APPROVE_FORM, 3)
    assert problem.message == ("不是有效的 JSON（第 1 列：键名应写在双引号里（最后一项后面不能有逗号））；"
                               "请检查引号、逗号和括号")
    assert_nothing_deployed(fresh_rt)


def test_two_forms_of_one_file_name_are_refused(fresh_rt: Runtime) -> None:
    # Tasks name forms by file name alone, whichever folder they were deployed from.
    other = SourceFile("other/smoke_approve.json", b'{"type": "object"}')
    [problem] = refused(fresh_rt, [*smoke_files(), other])
    assert (problem.file, problem.message) == ("other/smoke_approve.json",
                                               "部署中另有一个表单也叫 smoke_approve.json（任务只按文件名找表单）；"
                                               "请改掉其中一个的文件名")
    assert_nothing_deployed(fresh_rt)


def start_property(prefix: str) -> bytes:
    marker = '<spiffworkflow:property name="startFormJsonSchemaFilename" value="smoke_start.json"/>'
    return smoke_text().replace(marker, marker + f'<spiffworkflow:property name="caseNumberPrefix" value="{prefix}"/>'
                                ).encode()


def test_a_start_event_may_number_its_cases_with_their_own_prefix(rt: Runtime) -> None:
    assert start(rt) == "LS-2026-000001"  # the runtime's prefix (CERTFLOW_CASE_PREFIX)
    rt.deploy(smoke_files(**{"smoke.bpmn": start_property("SZ")}), author="analyst")
    assert start(rt) == "SZ-2026-000002"  # one sequence for all prefixes


def test_a_case_number_prefix_must_be_capital_letters(fresh_rt: Runtime) -> None:
    [problem] = refused(fresh_rt, smoke_files(**{"smoke.bpmn": start_property("sz-1")}))
    assert problem.message == "案件编号前缀 caseNumberPrefix“sz-1”须是 1 到 6 个大写英文字母（如 SZ）；请改正"


def test_condition_that_does_not_compile_refuses_the_whole_deployment(fresh_rt: Runtime) -> None:
    source = BROKEN / "bad_condition.bpmn"
    [problem] = refused(fresh_rt, read_paths([CONTENT, source]))
    gateway_line = line_of(source.read_text(encoding="utf-8"), '<bpmn:exclusiveGateway id="decide"')
    assert (problem.file, problem.line, problem.element) == ("broken/bad_condition.bpmn", gateway_line, "decide")
    assert problem.message.startswith("条件：第 1 行：Python 语法错误")
    # smoke.bpmn was fine, yet nothing of the deployment was kept.
    assert_nothing_deployed(fresh_rt)

    # The same gateway with a condition that compiles is accepted.
    fixed = SourceFile("broken/bad_condition.bpmn", source.read_bytes().replace(b"approved ==", b"approved"))
    assert fresh_rt.deploy([fixed], author="analyst") == [DeployedVersion("bad_condition", 1, True)]


def test_not_well_formed_file_on_disk_gives_its_line(fresh_rt: Runtime) -> None:
    [problem] = refused(fresh_rt, read_paths([BROKEN / "not_well_formed.bpmn"]))
    assert (problem.file, problem.line, problem.element) == ("broken/not_well_formed.bpmn", 10, None)
    assert problem.message == ("XML 格式不正确（第 8 行的开始标签 <endEvent> 与结束标签 </endevent> 不配对）；"
                               "请用建模器打开并另存一次，或检查这一行的标签是否配对")


def test_refused_redeploy_keeps_the_deployed_version(rt: Runtime) -> None:
    broken = smoke_text().replace('serviceTaskOperator id="echo"', 'serviceTaskOperator id="send_sms"')
    refused(rt, smoke_files(**{"smoke.bpmn": broken.encode()}))
    assert rt.case(start(rt))["version"] == 1
    assert rt.deploy(read_paths([CONTENT]), author="analyst") == [DeployedVersion("smoke", 1, False)]


XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


@pytest.mark.parametrize(("doctype", "entity"), [
    ('<!DOCTYPE definitions [<!ENTITY secret SYSTEM "{uri}">]>', "secret"),
    ('<!DOCTYPE definitions [<!ENTITY % remote SYSTEM "{uri}"> %remote;]>', "leaked"),
    ('<!DOCTYPE definitions SYSTEM "{uri}">', "leaked"),
], ids=["external entity", "external parameter entity", "external DTD"])
def test_doctype_with_external_entity_is_refused(
    fresh_rt: Runtime, tmp_path: Path, doctype: str, entity: str,
) -> None:
    secret = tmp_path / "secret.txt"  # read as text it is the secret; read as a DTD it declares one
    secret.write_text('<!ENTITY leaked "TOP-SECRET-42">', encoding="utf-8")
    text = smoke_text()
    assert text.startswith(XML_DECLARATION)
    body = text[len(XML_DECLARATION):].replace('greeting = "你好，"', f'greeting = "&{entity};"')
    evil = XML_DECLARATION + doctype.format(uri=secret.as_uri()) + "\n" + body

    problems = refused(fresh_rt, smoke_files(**{"smoke.bpmn": evil.encode()}))

    assert [p.file for p in problems] == [SMOKE]
    assert "DOCTYPE" in problems[0].message
    assert "TOP-SECRET-42" not in "\n".join(map(str, problems))
    assert_nothing_deployed(fresh_rt)


def test_entity_expansion_bomb_is_refused_quickly(fresh_rt: Runtime) -> None:
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{("&a" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    text = smoke_text()
    body = text[len(XML_DECLARATION):].replace('greeting = "你好，"', 'greeting = "&a9;"')
    bomb = XML_DECLARATION + f"<!DOCTYPE definitions [{entities}]>\n" + body

    began = time.monotonic()
    [problem] = refused(fresh_rt, smoke_files(**{"smoke.bpmn": bomb.encode()}))
    assert time.monotonic() - began < 2
    assert problem.file == SMOKE
    assert "DOCTYPE" in problem.message or "entity" in problem.message
    assert_nothing_deployed(fresh_rt)


def test_file_over_the_size_limit_is_refused(fresh_rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    size = len((CONTENT / "smoke.bpmn").read_bytes())
    assert size > 2048
    monkeypatch.setattr(specs, "MAX_FILE_BYTES", 2048)

    [problem] = refused(fresh_rt, read_paths([CONTENT]))  # the two forms are under 2 KiB

    assert (problem.file, problem.element) == (SMOKE, None)
    assert "文件超过 2 KiB" in problem.message
    assert_nothing_deployed(fresh_rt)

    monkeypatch.setattr(specs, "MAX_FILE_BYTES", size)  # exactly at the limit is allowed
    assert fresh_rt.deploy(read_paths([CONTENT]), author="analyst") == [DeployedVersion("smoke", 1, True)]


def test_a_file_whose_processes_are_all_not_executable_is_refused(fresh_rt: Runtime) -> None:
    """SpiffWorkflow skips a process marked not executable: a file of only such processes would deploy nothing."""
    marker = '<bpmn:process id="smoke" name="冒烟测试" isExecutable="true">'
    broken = smoke_text().replace(marker, marker.replace('"true"', '"false"'))

    [problem] = refused(fresh_rt, smoke_files(**{"smoke.bpmn": broken.encode()}))

    assert (problem.file, problem.element) == (SMOKE, "smoke")
    assert problem.line == line_of(broken, '<bpmn:process id="smoke"')
    for words in ("“smoke”（冒烟测试）", "不可执行", "请在建模器中勾选", 'isExecutable="true"'):
        assert words in problem.message
    assert_nothing_deployed(fresh_rt)


def test_file_of_unknown_kind_is_refused(fresh_rt: Runtime) -> None:
    [problem] = refused(fresh_rt, [*read_paths([CONTENT]), SourceFile("content/notes.txt", b"hello")])
    assert problem.file == "content/notes.txt"
    assert_nothing_deployed(fresh_rt)


def test_call_activity_and_decision_that_do_not_resolve_are_refused(fresh_rt: Runtime) -> None:
    source = BROKEN / "unresolved_calls.bpmn"
    text = source.read_text(encoding="utf-8")
    problems = refused(fresh_rt, read_paths([CONTENT, source]))
    assert [(p.file, p.line, p.element, p.message) for p in problems] == [
        ("broken/unresolved_calls.bpmn", line_of(text, '<bpmn:callActivity id="call_missing"'), "call_missing",
         "调用活动调用的流程“no_such_process”不在这次部署中；请把定义它的 .bpmn 文件一起部署，"
         "或改正 calledElement 里的流程 id"),
        ("broken/unresolved_calls.bpmn", line_of(text, '<bpmn:businessRuleTask id="decide_missing"'), "decide_missing",
         "业务规则任务调用的决策“no_such_decision”不在这次部署的任何 DMN 文件中；请把定义它的 .dmn 文件一起部署，"
         "或改正 spiffworkflow:calledDecisionId 里的决策 id"),
    ]
    assert_nothing_deployed(fresh_rt)


GATEWAY = "broken/uncovered_gateway.bpmn"
GATEWAY_FORM = "broken/uncovered_gateway.json"
MISSING = ', {"const": "missing", "title": "材料不全"}'
DECISIONS = f'{{"const": "pass", "title": "通过"}}{MISSING}, {{"const": "reject", "title": "驳回"}}'
PASS = 'decision == "pass"'
REJECT = 'decision == "reject"'

# (replacements in the BPMN, replacements in the form, words of the refusal or None when accepted)
GATEWAYS = {
    "a value no condition covers": ({}, {}, '没有条件覆盖 decision == "missing"'),
    "every value the form allows is covered": ({}, {MISSING: ""}, None),
    "a default flow": ({'<bpmn:exclusiveGateway id="decide" name="结论">':
                        '<bpmn:exclusiveGateway id="decide" name="结论" default="f_reject">'}, {}, None),
    "X and not X": ({PASS: 'decision in ("pass", "missing")', REJECT: 'not decision in ("pass", "missing")'}, {}, None),
    "a yes/no field": ({PASS: "decision == True", REJECT: "decision == False"},
                       {f'"oneOf": [\n   {DECISIONS}]': '"type": "boolean"'}, None),
    "conditions over two fields": ({REJECT: "grade == 1"}, {}, '条件不都是对同一个变量的 变量 == "值" 形式'),
    "a field the forms do not list": ({PASS: 'outcome == "pass"', REJECT: 'outcome == "reject"'}, {},
                                      "部署中没有哪个表单列出“outcome”可取的值"),
}


@pytest.mark.parametrize("case", GATEWAYS.values(), ids=list(GATEWAYS))
def test_exclusive_gateway_needs_a_default_or_conditions_covering_every_case(fresh_rt: Runtime, case: tuple) -> None:
    bpmn_changes, form_changes, words = case
    bpmn, form = ((BROKEN / Path(name).name).read_text(encoding="utf-8") for name in (GATEWAY, GATEWAY_FORM))
    for old, new in bpmn_changes.items():
        assert bpmn.count(old) == 1, old
        bpmn = bpmn.replace(old, new)
    for old, new in form_changes.items():
        assert form.count(old) == 1, old
        form = form.replace(old, new)
    files = [SourceFile(GATEWAY, bpmn.encode()), SourceFile(GATEWAY_FORM, form.encode())]
    if words is None:
        assert fresh_rt.deploy(files, author="analyst") == [DeployedVersion("uncovered_gateway", 1, True)]
        return
    [problem] = refused(fresh_rt, files)
    assert (problem.file, problem.line, problem.element) == (GATEWAY, line_of(bpmn, '<bpmn:exclusiveGateway'), "decide")
    assert problem.message.startswith("排他网关没有默认流，而且")
    assert problem.message.endswith("请把其中一条流出的顺序流设为默认流（Default Flow）")
    assert words in problem.message
    assert fresh_rt.versions() == []


def test_every_problem_of_a_deployment_is_listed_together(fresh_rt: Runtime) -> None:
    broken = ("unresolved_calls.bpmn", "uncovered_gateway.bpmn", "uncovered_gateway.json", "bad_condition.bpmn")
    problems = refused(fresh_rt, read_paths([CONTENT, *(BROKEN / name for name in broken)]))
    assert sorted({(p.file, p.element) for p in problems}) == [
        ("broken/bad_condition.bpmn", "decide"), ("broken/uncovered_gateway.bpmn", "decide"),
        ("broken/unresolved_calls.bpmn", "call_missing"), ("broken/unresolved_calls.bpmn", "decide_missing"),
    ]
    assert_nothing_deployed(fresh_rt)


def test_a_flow_without_condition_is_refused_at_its_line(fresh_rt: Runtime) -> None:
    condition = f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{REJECT}</bpmn:conditionExpression>'
    bpmn = (BROKEN / "uncovered_gateway.bpmn").read_text(encoding="utf-8").replace(condition, "")
    files = [SourceFile(GATEWAY, bpmn.encode()), *read_paths([BROKEN / "uncovered_gateway.json"])]
    [problem] = refused(fresh_rt, files)
    flow_line = line_of(bpmn, 'sequenceFlow id="f_reject"')
    assert (problem.file, problem.line, problem.element) == (GATEWAY, flow_line, "f_reject")
    assert "既没有条件，也不是默认流" in problem.message and "请给它写条件" in problem.message
    assert_nothing_deployed(fresh_rt)
