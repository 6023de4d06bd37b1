"""Rules checked on the BPMN XML itself, after the schema and before SpiffWorkflow builds specs from it.

- Call activities and business rule tasks resolve to a process or decision of the deployment
  (SpiffWorkflow finds these only when building a spec, without file or line).
- Every flow node, lane and sequence flow has diagram layout (BPMNDI), so the diagram shows it.
- An exclusive gateway with several outgoing flows has a default flow, or conditions that cover
  every case: ``X`` and ``not X``, or ``name == value`` for every value the forms allow for ``name``.
- Only a flow leaving an exclusive or inclusive gateway has a condition: SpiffWorkflow ignores any other,
  so the diagram would promise a choice the engine never makes.
- A file has at least one executable process: SpiffWorkflow skips those marked ``isExecutable="false"``,
  so a file of only such processes would deploy nothing, silently.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree

from certflow.engine.errors import Problem

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
FORM_PROPERTIES = ("formJsonSchemaFilename", "startFormJsonSchemaFilename")

FLOW_NODES = {
    BPMN + tag for tag in (
        "startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
        "task", "userTask", "manualTask", "serviceTask", "scriptTask", "sendTask", "receiveTask",
        "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
        "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway",
    )
}

_UNLISTED = object()  # a property whose form does not limit it to a list of values


def references(
    bpmn: dict[str, etree._Element], dmn: dict[str, etree._Element], unbuildable: Iterable[str | None] = (),
) -> tuple[list[Problem], set[str | None]]:
    """Calls to processes or decisions that are not in the deployment, and the processes that cannot be built:
    those ``unbuildable`` for another reason, those with such calls, and those calling any of them.

    Processes go by their id as the XML has it: None for a process without one (checked all the same)."""
    processes = {p.get("id"): (name, p) for name, root in bpmn.items() for p in root.iter(BPMN + "process")}
    decisions = {el.get("id") for root in dmn.values() for el in root.iter() if _local(el) == "decision"}
    problems: list[Problem] = []
    broken: set[str | None] = set(unbuildable)
    calls: dict[str | None, set[str]] = {}
    for process_id, (name, process) in processes.items():
        calls[process_id] = set()
        for activity in process.iter(BPMN + "callActivity"):
            called = activity.get("calledElement") or ""
            calls[process_id].add(called)
            if called not in processes:
                problems.append(Problem(name, activity.sourceline, activity.get("id"), _missing_call(called)))
                broken.add(process_id)
        for task in process.iter(BPMN + "businessRuleTask"):
            decision = (task.findtext(f".//{SPIFF}calledDecisionId") or "").strip()
            if decision not in decisions:
                problems.append(Problem(name, task.sourceline, task.get("id"), _missing_decision(decision)))
                broken.add(process_id)
    # A process that calls an unbuildable one cannot be built either.
    while grown := {p for p, called in calls.items() if p not in broken and called & broken}:
        broken |= grown
    return problems, broken


def layout(name: str, root: etree._Element) -> list[Problem]:
    """Flow nodes, lanes and sequence flows that have no BPMNShape or BPMNEdge in the file's BPMNDI."""
    laid_out = {el.get("bpmnElement") for el in root.iter(BPMNDI + "BPMNShape", BPMNDI + "BPMNEdge")}
    problems = []
    for process in root.iter(BPMN + "process"):
        for el in process.iter():
            if el.tag in FLOW_NODES or el.tag == BPMN + "lane":
                kind = "BPMNShape"
            elif el.tag == BPMN + "sequenceFlow":
                kind = "BPMNEdge"
            else:
                continue
            if el.get("id") not in laid_out:
                problems.append(Problem(name, el.sourceline, el.get("id"),
                                        f"{_local(el)} 在图中没有位置（BPMNDI 部分没有它的 {kind}），图上看不到它；"
                                        "请在建模器中打开文件，把它画到图上（或删掉再重新添加）后保存"))
    return problems


def executable(name: str, root: etree._Element) -> list[Problem]:
    """Each process of a file none of whose processes is executable; nothing when one of them is."""
    processes = list(root.iter(BPMN + "process"))
    if any(p.get("isExecutable", "true") != "false" for p in processes):
        return []
    return [Problem(name, process.sourceline, process.get("id"),
                    f"流程“{process.get('id')}”（{process.get('name') or '未命名'}）标为不可执行"
                    "（isExecutable=\"false\"），本文件没有可执行的流程，部署不会得到任何流程；"
                    "请在建模器中勾选该流程的“可执行”（Executable），即 isExecutable=\"true\"")
            for process in processes]


def gateways(name: str, root: etree._Element, forms: dict[str, Any]) -> list[Problem]:
    """Exclusive gateways that may find no flow to take: several outgoing flows, no default, conditions not covering."""
    problems = []
    for process in root.iter(BPMN + "process"):
        own_forms = [forms[f] for f in _form_names(process) if f in forms]
        for gateway in process.iter(BPMN + "exclusiveGateway"):
            gateway_id, parent = gateway.get("id"), gateway.getparent()
            assert parent is not None  # found inside its process
            siblings = parent.iterchildren(BPMN + "sequenceFlow")
            flows = [f for f in siblings if f.get("sourceRef") == gateway_id]
            if len(flows) < 2 or gateway.get("default"):
                continue
            conditions = [(f.findtext(BPMN + "conditionExpression") or "").strip() for f in flows]
            if not all(conditions):
                continue  # SpiffWorkflow refuses a flow without a condition itself
            if reason := _uncovered(conditions, own_forms, list(forms.values())):
                problems.append(Problem(name, gateway.sourceline, gateway_id,
                                        f"排他网关没有默认流，而且{reason}，案件可能在这里找不到出路；"
                                        "请把其中一条流出的顺序流设为默认流（Default Flow）"))
    return problems


def ignored_conditions(name: str, root: etree._Element) -> list[Problem]:
    """Sequence flows with a condition that leave anything but an exclusive or inclusive gateway."""
    problems = []
    for process in root.iter(BPMN + "process"):
        choosing = {el.get("id") for el in process.iter(BPMN + "exclusiveGateway", BPMN + "inclusiveGateway")}
        for flow in process.iter(BPMN + "sequenceFlow"):
            if flow.find(BPMN + "conditionExpression") is not None and flow.get("sourceRef") not in choosing:
                problems.append(Problem(name, flow.sourceline, flow.get("id"),
                                        f"从“{flow.get('sourceRef')}”流出的顺序流写了条件，但引擎不看它："
                                        "只有从网关流出的顺序流才按条件选择；请在“"
                                        f"{flow.get('sourceRef')}”后面加一个排他网关，把条件写在网关流出的顺序流上"))
    return problems


def _missing_call(called: str) -> str:
    if not called:
        return "调用活动没有指定要调用的流程；请在建模器中选择被调用流程（calledElement 写流程的 id）"
    return (f"调用活动调用的流程“{called}”不在这次部署中；请把定义它的 .bpmn 文件一起部署，"
            "或改正 calledElement 里的流程 id")


def _missing_decision(decision: str) -> str:
    if not decision:
        return ("业务规则任务没有指定要调用的决策；请在建模器中选择决策"
                "（spiffworkflow:calledDecisionId 写 DMN 文件中决策的 id）")
    return (f"业务规则任务调用的决策“{decision}”不在这次部署的任何 DMN 文件中；请把定义它的 .dmn 文件一起部署，"
            "或改正 spiffworkflow:calledDecisionId 里的决策 id")


def _uncovered(conditions: list[str], own_forms: list[Any], all_forms: list[Any]) -> str | None:
    """Why the conditions may all be false, in words; None when they cover every case."""
    try:
        parsed = [ast.parse(c, mode="eval").body for c in conditions]
    except SyntaxError:
        return None  # the condition itself is reported as not compiling
    if _complementary(parsed):
        return None
    tests = [_equality(node) for node in parsed]
    names = {test[0] for test in tests if test}
    if not all(tests) or len(names) != 1:
        return '条件不都是对同一个变量的 变量 == "值" 形式，无法确认总有一条成立'
    [variable] = names
    allowed = _allowed(variable, own_forms) or _allowed(variable, all_forms)
    if not allowed:
        return f"部署中没有哪个表单列出“{variable}”可取的值，无法确认条件覆盖了所有情况"
    if _UNLISTED in allowed:
        return f"表单没有把“{variable}”限定为几个固定的值，无法确认条件覆盖了所有情况"
    missing = allowed - {test[1] for test in tests if test}
    if missing:
        shown = ", ".join(sorted(f"{variable} == {json.dumps(value, ensure_ascii=False)}" for _, value in missing))
        return f"没有条件覆盖 {shown}"
    return None


def _complementary(parsed: list[ast.expr]) -> bool:
    """``X`` and ``not X``: one of the two is always true."""
    if len(parsed) != 2:
        return False
    first, second = parsed
    return any(
        isinstance(negated, ast.UnaryOp) and isinstance(negated.op, ast.Not)
        and ast.dump(negated.operand) == ast.dump(plain)
        for negated, plain in ((first, second), (second, first))
    )


def _equality(node: ast.expr) -> tuple[str, tuple[str, Any]] | None:
    """(name, typed literal) for ``name == literal`` (either way round), else None."""
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], ast.Eq)):
        return None
    for name, literal in ((node.left, node.comparators[0]), (node.comparators[0], node.left)):
        if isinstance(name, ast.Name) and isinstance(literal, ast.Constant) and literal.value is not None:
            return name.id, _typed(literal.value)
    return None


def _typed(value: Any) -> tuple[str, Any]:
    # 1 == True in Python; a form's boolean is not its integer.
    return type(value).__name__, value


def _allowed(variable: str, forms: Iterable[Any]) -> set[Any]:
    """Every value the forms allow for a property named ``variable``; _UNLISTED if one does not list them."""
    allowed: set[Any] = set()
    for form in forms:
        for schema in _properties_named(variable, form):
            values = _listed_values(schema)
            if values is None or not all(isinstance(v, str | int | float | bool | None) for v in values):
                allowed.add(_UNLISTED)  # free input, or values no condition of the form name == literal can name
            else:
                allowed |= {_typed(v) for v in values}
    return allowed


def _properties_named(variable: str, schema: Any) -> Iterator[Any]:
    if isinstance(schema, dict):
        properties = schema.get("properties")
        if isinstance(properties, dict) and variable in properties:
            yield properties[variable]
        for key, value in schema.items():
            if key != "if":  # a condition on the data, not a definition of it
                yield from _properties_named(variable, value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _properties_named(variable, item)


def _listed_values(schema: Any) -> list[Any] | None:
    if not isinstance(schema, dict):
        return None
    if "const" in schema:
        return [schema["const"]]
    if isinstance(schema.get("enum"), list):
        return schema["enum"]
    for key in ("oneOf", "anyOf"):
        options = schema.get(key)
        if isinstance(options, list) and options and all(isinstance(o, dict) and "const" in o for o in options):
            return [o["const"] for o in options]
    if schema.get("type") == "boolean":
        return [True, False]
    return None


def _form_names(process: etree._Element) -> set[str]:
    return {value for p in process.iter(SPIFF + "property")
            if p.get("name") in FORM_PROPERTIES and (value := p.get("value"))}


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname
