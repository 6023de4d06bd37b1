"""What a file from another tool asks of another engine: refused, each setting naming its element and why.

Camunda Modeler writes Camunda 7 settings (``camunda:`` attributes and extension elements) and Camunda 8
ones (``zeebe:``), JUEL or FEEL conditions, Groovy or JavaScript scripts and timers as bare ISO 8601
text. SpiffWorkflow's schema lets all of them through, and certflow would run none of them as meant.
Settings that only tune Camunda's own engine or modeler (version tag, history cleanup, async
continuations, ``modeler:`` attributes) change nothing certflow does and are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml import etree

from certflow.engine.errors import Problem

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"

# Settings for Camunda's job executor, history, tasklist and element templates, and what only the modeler reads:
# nothing certflow does depends on them. The async continuations (``async`` is Camunda's older name of
# ``asyncBefore``) and ``exclusive`` are accepted alike: certflow commits every step of a case anyway.
HARMLESS = {
    "versionTag", "historyTimeToLive", "isStartableInTasklist", "async", "asyncBefore", "asyncAfter", "exclusive",
    "jobPriority", "failedJobRetryTimeCycle", "properties", "modelerTemplate", "modelerTemplateVersion",
    "modelerTemplateIcon", "diagramRelationId",
}

# Attributes that only complete another one: reported once, with it.
PART_OF = {
    "topic": ("type",), "taskPriority": ("type",), "formRefBinding": ("formRef",), "formRefVersion": ("formRef",),
    "resultVariable": ("expression", "decisionRef"), "decisionRefBinding": ("decisionRef",),
    "mapDecisionResult": ("decisionRef",),
}

_HANDLER = "请改用 spiffworkflow:serviceTaskOperator 指定一个已登记的服务任务操作"
_FORM = "请改用 spiffworkflow:properties 里的 formJsonSchemaFilename 指定一个 JSON Schema 表单"
_WHO = "谁来办由泳道（lane）对应的角色决定，也可用 spiffworkflow:property candidateGroup 指定"
_SCRIPTS = "请改用脚本任务，或 spiffworkflow:preScript / postScript（Python）"
_DUE = "期限请用 spiffworkflow:property dueInWorkingDays（工作日数）"

# {value} is the attribute's value.
CAMUNDA_SETTINGS = {
    "class": f"camunda:class（Java 类）certflow 不运行；{_HANDLER}",
    "expression": f"camunda:expression {{value}}（调用 Java 的 JUEL 表达式）certflow 不运行；{_HANDLER}",
    "delegateExpression": f"camunda:delegateExpression（Java 委托）certflow 不运行；{_HANDLER}",
    "type": f'camunda:type="{{value}}"（交给 Camunda 外部工作者的任务）certflow 不运行；{_HANDLER}',
    "connector": f"camunda:connector（Camunda Connect 调用）certflow 不运行；{_HANDLER}",
    "formKey": f"camunda:formKey certflow 不使用；{_FORM}",
    "formRef": f"camunda:formRef（Camunda 表单）certflow 不使用；{_FORM}",
    "formData": f"camunda:formData（Camunda 生成的表单）certflow 不使用；{_FORM}",
    "assignee": f"camunda:assignee certflow 不使用：{_WHO}",
    "candidateUsers": f"camunda:candidateUsers certflow 不使用：{_WHO}",
    "candidateGroups": f"camunda:candidateGroups certflow 不使用：{_WHO}",
    "dueDate": f"camunda:dueDate certflow 不使用；{_DUE}",
    "inputOutput": "camunda:inputOutput（输入输出映射）certflow 不运行；"
                   "请在 spiffworkflow:preScript / postScript 里用 Python 计算这些值",
    "executionListener": f"camunda:executionListener certflow 不运行；{_SCRIPTS}",
    "taskListener": f"camunda:taskListener certflow 不运行；{_SCRIPTS}",
    "resultVariable": "camunda:resultVariable certflow 不会赋值；请在 Python 脚本里直接给变量赋值",
    "decisionRef": "camunda:decisionRef certflow 不使用；请用 spiffworkflow:calledDecisionId 指定 DMN 决策",
}

# What to use instead of each kind of Camunda 8 setting.
ZEEBE_SETTINGS = {
    "taskDefinition": _HANDLER,
    "taskHeaders": "固定的参数请写成服务任务操作的参数（spiffworkflow:serviceTaskOperator 的 parameter）",
    "formDefinition": _FORM,
    "userTaskForm": _FORM,
    "userTask": _FORM,
    "ioMapping": "数据映射请在脚本任务，或 spiffworkflow:preScript / postScript 里用 Python 赋值",
    "assignmentDefinition": _WHO,
    "taskSchedule": _DUE,
    "calledDecision": "业务规则任务请用 spiffworkflow:calledDecisionId 指定 DMN 决策",
    "calledElement": "调用活动请在 calledElement 属性里直接写被调用流程的 id",
    "subscription": "消息的关联请在 bpmn:message 上用 SpiffWorkflow 的消息关联属性（correlation properties）",
    "script": "脚本请直接写在脚本任务里（Python，scriptFormat python）",
    "loopCharacteristics": "多实例请用 BPMN 标准的 loopCardinality 或 loopDataInputRef",
    "executionListeners": _SCRIPTS,
    "taskListeners": _SCRIPTS,
}

_EXPRESSIONS = {
    BPMN + "conditionExpression": "条件",
    BPMN + "timeDate": "定时器", BPMN + "timeDuration": "定时器", BPMN + "timeCycle": "定时器",
}
# What Camunda writes in a timer: P5D, PT10M, R3/PT1H, 2026-10-01T09:00:00+08:00.
_ISO_8601 = re.compile(r"(R\d*/)?PT?\d[\dYMWDHST.]*|\d{4}-\d{2}-\d{2}(T[\d:.]+)?(Z|[+-][\d:]+)?")
# Flow nodes, flows and lanes sit directly in these; a setting belongs to the one it is written in.
_CONTAINERS = {
    BPMN + tag for tag in (
        "definitions", "process", "subProcess", "transaction", "adHocSubProcess", "collaboration", "laneSet",
        "childLaneSet",
    )
}


def literal_timers(root: etree._Element) -> None:
    """Camunda and the BPMN standard write a timer as ISO 8601 text (P5D, R3/PT1H), SpiffWorkflow reads a Python
    expression ("P5D"): such a text is quoted in the parsed tree, so it is read as the literal it is. The stored file
    keeps its text; the stored spec has the quoted one, so replay reads the same timer."""
    for tag in ("timeDate", "timeDuration", "timeCycle"):
        for el in root.iter(BPMN + tag):
            text = (el.text or "").strip()
            if _ISO_8601.fullmatch(text):
                el.text = f'"{text}"'


def engine_specific(name: str, root: etree._Element) -> tuple[list[Problem], set[str | None]]:
    """One problem per setting that only another engine runs, and the ids of the processes that have any (None for
    a process without an id)."""
    problems: list[Problem] = []
    processes: set[str | None] = set()
    for el in root.iter():
        if not isinstance(tag := el.tag, str):  # a comment or processing instruction
            continue
        messages = [*_attributes(el), *_extension(el, tag), *_languages(el, tag)]
        if messages:
            problems += [Problem(name, el.sourceline, _owner(el).get("id"), m) for m in messages]
            process = el if el.tag == BPMN + "process" else next(el.iterancestors(BPMN + "process"), None)
            if process is not None:
                processes.add(process.get("id"))
    return problems, processes


def _attributes(el: etree._Element) -> Iterator[str]:
    beside = {etree.QName(a).localname for a in el.attrib if etree.QName(a).namespace == CAMUNDA}
    for attribute, value in el.attrib.items():
        name = etree.QName(attribute)
        if not beside & set(PART_OF.get(name.localname, ())) and (message := _setting(name, value)):
            yield message


def _extension(el: etree._Element, tag: str) -> Iterator[str]:
    parent = el.getparent()
    if parent is not None and parent.tag == BPMN + "extensionElements" and (message := _setting(etree.QName(tag), "")):
        yield message


def _languages(el: etree._Element, tag: str) -> Iterator[str]:
    """Scripts, conditions and timers written for another engine's languages."""
    if tag == BPMN + "scriptTask":
        script_format = el.get("scriptFormat")
        if script_format and script_format.lower() != "python":
            yield (f"脚本语言 {script_format}（scriptFormat）certflow 不运行；"
                   "请改写为 Python（scriptFormat 写 python 或不写）")
    label = _EXPRESSIONS.get(tag)
    if label is None:
        return
    text = (el.text or "").strip()
    language = el.get("language")
    if language and language.lower() != "python":
        yield f"{label}的语言 {language} certflow 不运行；请改写为 Python 表达式"
    elif text.startswith(("${", "#{")):
        yield (f"{label} {text} 是 JUEL 表达式；certflow 只计算 Python 表达式，请改写为 {text[2:].removesuffix('}')}"
               "（&& 写作 and，|| 写作 or，! 写作 not）")
    elif text.startswith("="):
        yield f"{label} {text} 是 FEEL 表达式；certflow 只计算 Python 表达式，请改写为 {text[1:].strip()}"


def _setting(qname: etree.QName, value: str) -> str | None:
    """Why an attribute or extension element of Camunda's is refused; None for other namespaces and harmless ones."""
    if qname.namespace not in (CAMUNDA, ZEEBE) or qname.localname in HARMLESS:
        return None
    if qname.namespace == ZEEBE:
        instead = ZEEBE_SETTINGS.get(qname.localname, "请删除它，需要时改用 spiffworkflow 扩展")
        return f"zeebe:{qname.localname} 是 Camunda 8 的设置，certflow 不运行；{instead}"
    generic = f"camunda:{qname.localname} 是 Camunda 的设置，certflow 不运行；请在建模器中删除它"
    return CAMUNDA_SETTINGS.get(qname.localname, generic).format(value=value)


def _owner(el: etree._Element) -> etree._Element:
    """The flow node, sequence flow, lane or process a setting is written in (a process's own extension elements
    belong to the process)."""
    while (parent := el.getparent()) is not None and parent.tag not in _CONTAINERS:
        el = parent
    return parent if parent is not None and el.tag == BPMN + "extensionElements" else el
