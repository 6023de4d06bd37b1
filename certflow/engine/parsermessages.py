"""SpiffWorkflow's parser and schema messages, as an analyst can act on them: in Chinese, at the element, with the fix.

SpiffWorkflow checks a file against the BPMN (or DMN) XML Schema, then raises a ``ValidationException`` for the
first thing its parser cannot build, in English and sometimes with a Python repr in it. ``schema_problems`` does
the schema check itself, so that every error of a file is listed, each translated and placed at its element;
``from_validation`` translates the parser's message by the table ``_PARSER`` (SpiffWorkflow 3.2.0's texts), and
only a message the table does not know keeps its original words, after a Chinese line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from copy import deepcopy
from functools import cache

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.parser.BpmnDmnParser import SCHEMAS as DMN_SCHEMAS
from SpiffWorkflow.spiff.parser.process import VALIDATOR

from certflow.engine.errors import Problem

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_PREFIXES = {
    BPMN: "bpmn", "http://www.omg.org/spec/BPMN/20100524/DI": "bpmndi", "http://www.omg.org/spec/DD/20100524/DC": "dc",
    "http://www.omg.org/spec/DD/20100524/DI": "di", "http://spiffworkflow.org/bpmn/schema/1.0/core": "spiffworkflow",
    **{namespace: "dmn" for namespace in DMN_SCHEMAS},
}

# What an element is, in the words of the modeler's palette.
KINDS = {
    "process": "流程", "startEvent": "开始事件", "endEvent": "结束事件", "intermediateCatchEvent": "中间捕获事件",
    "intermediateThrowEvent": "中间抛出事件", "boundaryEvent": "边界事件", "task": "任务", "userTask": "用户任务",
    "manualTask": "手工任务", "serviceTask": "服务任务", "scriptTask": "脚本任务", "sendTask": "发送任务",
    "receiveTask": "接收任务", "businessRuleTask": "业务规则任务", "callActivity": "调用活动", "subProcess": "子流程",
    "transaction": "事务子流程", "adHocSubProcess": "自由子流程", "exclusiveGateway": "排他网关",
    "parallelGateway": "并行网关", "inclusiveGateway": "包容网关", "eventBasedGateway": "事件网关",
    "complexGateway": "复杂网关", "sequenceFlow": "顺序流", "dataStore": "数据存储",
}


# -- the schema --------------------------------------------------------------------------------


# libxml2's words for a file that is not well-formed XML (a file edited by hand), without their position.
_NOT_WELL_FORMED: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"Opening and ending tag mismatch: (\S+) line (\d+) and (\S+)"),
     lambda m: f"第 {m[2]} 行的开始标签 <{m[1]}> 与结束标签 </{m[3]}> 不配对"),
    (re.compile(r"Premature end of data in tag (\S+) line (\d+)"),
     lambda m: f"第 {m[2]} 行的标签 <{m[1]}> 没有结束，文件就结束了"),
    (re.compile(r"Extra content at the end of the document"), lambda m: "根元素结束后还有多余的内容"),
    (re.compile(r"Document is empty"), lambda m: "文件是空的"),
    (re.compile(r"AttValue: \" or ' expected"), lambda m: "属性值应写在引号里"),
    (re.compile(r"EntityRef: expecting ';'"), lambda m: "文字里的 & 应写成 &amp;"),
    (re.compile(r"Unescaped '<' not allowed in attributes values"), lambda m: "属性值里的 < 应写成 &lt;"),
    (re.compile(r"Attribute (\S+) redefined"), lambda m: f"属性 {m[1]} 写了两次"),
    (re.compile(r"StartTag: invalid element name"), lambda m: "标签名的写法不对"),
]


def not_well_formed(message: str) -> str:
    """Why XML could not be read, in Chinese; a message the table does not know keeps its words after 原文."""
    said = re.sub(r", line \d+, column \d+$", "", message)
    return next((say(m) for pattern, say in _NOT_WELL_FORMED if (m := pattern.search(said))), f"原文：{said}")


def schema_problems(name: str, root: etree._Element, *, dmn: bool) -> list[Problem]:
    """Every error of the file against its XML Schema, in Chinese. As SpiffWorkflow does, a decision table in a DMN
    version it has no schema for is not checked here (its parser says what it cannot read)."""
    if dmn:
        path = DMN_SCHEMAS.get(etree.QName(root).namespace or "")
        dmn_schema = _dmn_schema(path) if path else None
        if dmn_schema is None:
            return []
        schema, checked = dmn_schema, root
    else:
        schema, checked = VALIDATOR.validator, _as_spiffworkflow_reads(root)
    if schema.validate(checked):
        return []
    return [_schema_problem(name, checked, entry) for entry in schema.error_log]


@cache
def _dmn_schema(path: str) -> etree.XMLSchema | None:
    # SpiffWorkflow 3.2.0's DMN 1.2 schema refers to a DMNDI declaration it does not ship, so lxml cannot load it.
    try:
        return BpmnValidator(path).validator
    except etree.XMLSchemaParseError:
        return None


def _as_spiffworkflow_reads(root: etree._Element) -> etree._Element:
    """A copy of the diagram as SpiffWorkflow validates it, less what SpiffArena writes beyond the schema where
    SpiffWorkflow runs the same thing from its standard place."""
    copy = deepcopy(root)  # keeps each element's line
    VALIDATOR.preprocess(copy)
    # SpiffArena's files name a message start event's message on the event as well; the event definition inside,
    # which the schema allows, is what SpiffWorkflow reads, so the repetition is dropped, and only there.
    for event in copy.iter(f"{{{BPMN}}}startEvent"):
        if "messageRef" in event.attrib and event.find(f"{{{BPMN}}}messageEventDefinition") is not None:
            del event.attrib["messageRef"]
    return copy


_TYPES = {
    "ID": "id（以字母或 _ 开头，只含字母、数字、_、-、.，且在文件中不重复）",
    "QName": "对另一个元素 id 的引用", "IDREF": "对另一个元素 id 的引用",
    "boolean": "真假值（true 或 false）", "integer": "整数", "int": "整数", "double": "数字", "anyURI": "网址",
}


def _not_allowed(m: re.Match[str]) -> str:
    return (f"{m['element']} 上不能有属性 {m['attribute']}（标准里没有它，certflow 也不读它）；"
            "请在建模器中删除这项设置，或用文本编辑器删去这个属性")


def _not_expected(m: re.Match[str]) -> str:
    expected = f"，此处可以是：{_shorten(m['expected'])}" if m["expected"] else ""
    return (f"这里不应出现 {m['element']}{expected}；请检查它的位置和拼写"
            "（如 extensionElements 须是元素的第一个子元素）")


def _wrong_value(m: re.Match[str]) -> str:
    kind = _TYPES.get(m["type"], m["type"])
    return f"{m['element']} 的属性 {m['attribute']} 值“{m['value']}”不是有效的{kind}；请在建模器中改正"


_SCHEMA: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"Element '(?P<element>[^']+)', attribute '(?P<attribute>[^']+)': The attribute '[^']+' is not "
                r"allowed\."), _not_allowed),
    (re.compile(r"Element '(?P<element>[^']+)': This element is not expected\.(?: Expected is (?:one of )?"
                r"\( (?P<expected>.*) \)\.)?", re.S), _not_expected),
    (re.compile(r"Element '(?P<element>[^']+)': Missing child element\(s\)\. Expected is (?:one of )?"
                r"\( (?P<expected>.*) \)\.", re.S),
     lambda m: f"{m['element']} 缺少子元素（应有：{_shorten(m['expected'])}）；请在建模器中补上"),
    (re.compile(r"Element '(?P<element>[^']+)': The attribute '(?P<attribute>[^']+)' is required but missing\."),
     lambda m: f"{m['element']} 缺少必填的属性 {m['attribute']}；请在建模器中补上"),
    (re.compile(r"Element '(?P<element>[^']+)', attribute '(?P<attribute>[^']+)': '(?P<value>.*)' is not a valid "
                r"value of the atomic type '(?:xs:)?(?P<type>\w+)'\.", re.S), _wrong_value),
    (re.compile(r"Element '(?P<element>[^']+)', attribute '(?P<attribute>[^']+)': \[facet 'enumeration'\] The value "
                r"'(?P<value>.*)' is not an element of the set \{(?P<allowed>.*)\}\.", re.S),
     lambda m: f"{m['element']} 的属性 {m['attribute']} 不能是“{m['value']}”，只能是 {m['allowed']} 之一"),
    (re.compile(r"Element '(?P<element>[^']+)', attribute '(?P<attribute>[^']+)': '(?P<value>.*)' is not a valid "
                r"value of the (?:local )?(?:atomic|union|list) type", re.S),
     lambda m: f"{m['element']} 的属性 {m['attribute']} 不能是“{m['value']}”；请在建模器中重新选择"),
    (re.compile(r"Element '(?P<element>[^']+)': No matching global declaration available for the validation root\."),
     lambda m: f"根元素 {m['element']} 不是 BPMN 文件的根；BPMN 文件应以 bpmn:definitions 开头，请用建模器另存一次"),
    (re.compile(r"Element '(?P<element>[^']+)'(?:, attribute '[^']+')?: Duplicate key-sequence \['(?P<value>[^']*)'\]"),
     lambda m: f"id“{m['value']}”在文件中重复；每个元素的 id 必须不同，请改掉其中一个"),
]


def _schema_problem(name: str, root: etree._Element, entry: etree._LogEntry) -> Problem:
    message = _namespaced(entry.message)
    for pattern, say in _SCHEMA:
        if m := pattern.match(message):
            text = say(m)
            break
    else:
        text = f"不符合文件格式标准（XML Schema）；请在建模器中打开并改正后保存。原文：{message}"
    element = _at_line(root, entry.line, entry.message)
    return Problem(name, entry.line or None, _id_of(element) if element is not None else None, text)


def _at_line(root: etree._Element, line: int, message: str) -> etree._Element | None:
    """The element the schema error is about: the one of its tag written at its line."""
    tag = re.match(r"Element '([^']+)'", message)
    found = [el for el in root.iter() if isinstance(el.tag, str) and el.sourceline == line
             and (tag is None or el.tag == tag[1])]
    return found[0] if found else None


def _id_of(el: etree._Element) -> str | None:
    """The id of the element or of the nearest one around it that has one."""
    for candidate in (el, *el.iterancestors()):
        if candidate.get("id"):
            return candidate.get("id")
    return None


def _namespaced(message: str) -> str:
    """``{http://www.omg.org/spec/BPMN/20100524/MODEL}startEvent`` as bpmn:startEvent."""
    return re.sub(r"\{([^}]*)\}(\w+)", lambda m: f"{_PREFIXES.get(m[1], m[1])}:{m[2]}", message)


def _shorten(listed: str) -> str:
    return "、".join(part.strip() for part in listed.split(","))


# -- the parser ----------------------------------------------------------------------------------

class _Context:
    """What a translation may look at: the exception, and the file's XML with its element by id."""

    def __init__(self, error: ValidationException, root: etree._Element | None) -> None:
        self.error = error
        self.root = root

    def by_id(self, element_id: str | None) -> etree._Element | None:
        if self.root is None or not element_id:
            return None
        return next((el for el in self.root.iter() if isinstance(el.tag, str) and el.get("id") == element_id), None)

    @property
    def node(self) -> etree._Element | None:
        return self.by_id(getattr(self.error, "id", None))

    @property
    def kind(self) -> str:
        tag = getattr(self.error, "tag", "") or ""
        local = tag.rsplit(":", 1)[-1].rsplit("}", 1)[-1]
        return KINDS.get(local, local or "元素")


Translate = Callable[[re.Match[str], _Context], str | tuple[str, etree._Element | None]]


def _data_store(m: re.Match[str], context: _Context) -> tuple[str, etree._Element | None]:
    store_name = m["name"]
    store = None
    if context.root is not None:
        store = next((el for el in context.root.iter(f"{{{BPMN}}}dataStore") if el.get("name") == store_name), None)
    shown = " ".join(store_name.split())  # a name typed with line breaks
    return (f"数据存储（Data Store）“{shown}”certflow 无法运行：SpiffWorkflow 没有名为它的数据存储实现。"
            "请删除这个数据存储及连到它的数据关联，数据请放在案件数据里（用数据对象、脚本或服务任务读写）", store)


def _data_association(m: re.Match[str], context: _Context) -> tuple[str, etree._Element | None]:
    """A task's data input or output that SpiffWorkflow cannot resolve, named by the data object, not a repr, and
    placed at the task (SpiffWorkflow names the association)."""
    reading = m["direction"] == "Input"
    node = context.node
    task = node.getparent() if node is not None and etree.QName(node).localname.endswith("Association") else node
    path = "dataInputAssociation/bpmn:sourceRef" if reading else "dataOutputAssociation/bpmn:targetRef"
    refs = [] if task is None else task.xpath(f"./bpmn:{path}", namespaces={"bpmn": BPMN})
    kind = KINDS.get(etree.QName(task).localname, "元素") if task is not None else "元素"
    verb = "读取" if reading else "写入"
    for ref in refs:
        target_id = (ref.text or "").strip()
        reason = _unresolved(context, target_id, task)
        if reason:
            target = context.by_id(target_id)
            label = f"“{target.get('name')}”（{target_id}）" if target is not None and target.get("name") \
                else f"“{target_id}”"
            return (f"{kind}{verb}的数据 {label} 无法解析：{reason}；请在建模器中把数据关联连到本流程里的"
                    "数据对象（Data Object），或删除这条连线", task)
    return (f"{kind}有一条{verb}数据的关联无法解析；请在建模器中把它连到本流程里的数据对象（Data Object），"
            "或删除这条连线", task)


def _unresolved(context: _Context, target_id: str, task: etree._Element | None) -> str | None:
    """Why a data association's end is not a data object of the task's process; None if it may well be one."""
    target = context.by_id(target_id)
    if target is None:
        return f"文件中没有 id 为 {target_id} 的元素"
    local = etree.QName(target).localname
    if local == "dataStoreReference":
        return "它是数据存储引用，certflow 不运行数据存储"
    if local == "dataObjectReference":
        data_object = context.by_id(target.get("dataObjectRef"))
        if data_object is None:
            return f"它引用的数据对象 {target.get('dataObjectRef') or '（未指定）'} 不存在"
        if _process_of(data_object) is not _process_of(task):
            return "它属于另一个流程（泳池）"
        return None
    return f"它是 {local}，不是数据对象"


def _process_of(el: etree._Element | None) -> etree._Element | None:
    return None if el is None else next(el.iterancestors(f"{{{BPMN}}}process"), None)


def _outgoing(m: re.Match[str], context: _Context) -> str:
    return (f"{context.kind}有多条流出的顺序流，SpiffWorkflow 不支持从这类元素直接分出多条路；"
            "请只留一条顺序流，在它后面加一个网关：按条件选一条用排他网关，几条同时走用并行网关")


def _missing_id(what: str) -> Translate:
    return lambda m, context: f"文件中有一个{what}没有 id；请在建模器中删除它后重新添加"


def _referenced(what: str) -> Translate:
    return lambda m, context: f"{context.kind}引用的{what}在文件中不存在；请在建模器中为它重新选择{what}"


_PARSER: list[tuple[re.Pattern[str], Translate]] = [(re.compile(pattern, re.S), say) for pattern, say in [
    (r"Data Store with name (?P<name>.*) has no implementation", _data_store),
    (r"Data Store identifier is missing from bpmn xml", _missing_id("数据存储（dataStore）")),
    (r"Data Store name is missing from bpmn xml",
     lambda m, c: "文件中有一个数据存储（Data Store）没有名称；certflow 不运行数据存储，请删除它及连到它的数据关联"),
    (r"Cannot resolve data(?P<direction>Input|Output)Association", _data_association),
    (r"Multiple outgoing flows are not supported for tasks of type", _outgoing),
    (r"Non-default exclusive outgoing sequence flow without condition",
     lambda m, c: "从排他网关流出的这条顺序流既没有条件，也不是默认流；"
                  "请给它写条件（Python 表达式），或把它设为网关的默认流"),
    (r"Exactly one start event is required in a SubWorkflow Task; found (?P<count>\d+)",
     lambda m, c: f"子流程必须正好有一个开始事件，现在有 {m['count']} 个；请只留一个"),
    (r"A SubWorkflow Must contain an End event", lambda m, c: "子流程里没有结束事件；请在子流程里加一个结束事件"),
    (r'No "calledElement" attribute for Call Activity',
     lambda m, c: "调用活动没有指定要调用的流程；请在建模器中选择被调用流程（calledElement 写流程的 id）"),
    (r"Invalid Script Task\.\s+No Script Provided",
     lambda m, c: "脚本任务里没有脚本；请写入 Python 脚本，或把它改为普通任务"),
    (r"A Service Task must have an operator",
     lambda m, c: "服务任务没有指定操作；请用 spiffworkflow:serviceTaskOperator 选择一个已登记的服务任务操作"),
    (r"There is no support implemented for this task type",
     lambda m, c: f"SpiffWorkflow 不能运行{c.kind}这种元素；请换成用户任务、脚本任务、服务任务等 certflow 支持的元素"),
    (r"Process (?P<id>.*) is not executable",
     lambda m, c: f"流程 {m['id']} 标为不可执行；请在建模器中勾选该流程的“可执行”（isExecutable=\"true\"）"),
    (r"No start event found", lambda m, c: "流程没有开始事件；请加一个开始事件"),
    (r"Sequential ordering for ad hoc subprocesses not supported",
     lambda m, c: "自由子流程（ad hoc）不支持按顺序执行；请把 ordering 改为 Parallel"),
    (r"Ad hoc subprocesses may not contain start or end events",
     lambda m, c: "自由子流程（ad hoc）里不能有开始或结束事件；请删除它们"),
    (r"Message identifier is missing from bpmn xml", _missing_id("消息（bpmn:message）")),
    (r"Signal identifier is missing from bpmn xml", _missing_id("信号（bpmn:signal）")),
    (r"Error identifier is missing from bpmn xml", _missing_id("错误（bpmn:error）")),
    (r"Escalation identifier is missing from bpmn xml", _missing_id("升级（bpmn:escalation）")),
    (r"Correlation identifier is missing from bpmn xml", _missing_id("消息关联属性（correlationProperty）")),
    (r"Correlation is missing correlation property retrieval expressions: (?P<id>.*)",
     lambda m, c: f"消息关联属性 {m['id']} 没有取值表达式；请在建模器的消息编辑器里为它写出从消息中取值的表达式"),
    (r"Message identifier is missing from correlation property: (?P<id>.*)",
     lambda m, c: f"消息关联属性 {m['id']} 的取值表达式没有指明消息；请在建模器的消息编辑器里为它选择消息"),
    (r"Duplicate process ID: (?P<id>.*)",
     lambda m, c: f"流程 id {m['id']} 在这次部署中出现了不止一次；每个流程的 id 必须不同，请改掉其中一个"),
    (r"The process '(?P<id>[^']*)' was not found",
     lambda m, c: f"这次部署中没有 id 为 {m['id']} 的流程；请把定义它的 .bpmn 文件一起部署，或改正引用它的 id"),
    (r"Conditional event definition with missing condition",
     lambda m, c: "条件事件没有写条件；请写一个 Python 表达式"),
    (r"Unknown Time Specification",
     lambda m, c: "定时器没有设定时间；请在建模器中选择类型（日期、时长或周期）并写 Python 表达式，如 \"P5D\""),
    (r"Time Specification Error\. (?P<reason>.*)",
     lambda m, c: f"定时器的时间写法有误（{m['reason'].strip()}）；请写 Python 表达式，如 \"P5D\""),
    (r"Expected an? Message node", _referenced("消息")),
    (r"Expected an? Signal node", _referenced("信号")),
    (r"Expected an? [Ee]rror node", _referenced("错误")),
    (r"Expected an? Escalation node", _referenced("升级")),
    (r"Could not find messageRef from message event definition",
     lambda m, c: "消息开始事件没有选择消息；请在建模器中为它选择（或新建）一个消息"),
    (r"A loopMaximum or loopCondition must be specified for Loop Tasks",
     lambda m, c: "循环任务必须写循环次数上限（loopMaximum）或循环条件（loopCondition）"),
    (r"A multiinstance task must specify a cardinality or a (?:loop input data reference|collection)",
     lambda m, c: "多实例任务必须写数量（loopCardinality）或要逐项处理的集合（loopDataInputRef），二者选一"),
    (r"A multiinstance task must specify exactly one of cardinality or loop input data reference",
     lambda m, c: "多实例任务的数量（loopCardinality）和集合（loopDataInputRef）只能写一个；请删掉其中一个"),
    (r"The loop (?P<which>input|output) data reference is missing from the IO specification",
     lambda m, c: f"多实例任务的{'输入' if m['which'] == 'input' else '输出'}集合不在任务的输入输出定义"
                  "（ioSpecification）中；请在输入输出定义里加上它，或改用任务数据里的变量名"),
    (r"Cancel Events may only be used with transactions",
     lambda m, c: "取消事件只能用在事务子流程（transaction）上；请删除它，或把子流程改为事务子流程"),
    (r"When looking for a task spec, we found two items.*\((?P<id>.*)\)",
     lambda m, c: f"顺序流指向的 {m['id']} 找不到，或它的 id 与别的元素重复；请在建模器中重新连线"),
    (r"No decisions found", lambda m, c: "DMN 文件里没有决策（decision）；请用决策表编辑器加一个决策"),
    (r"Multiple decision tables are not current supported",
     lambda m, c: "一个决策里只能有一张决策表；请把其余的表拆到各自的决策中"),
    (r"Unknown type in decision table: (?P<tag>.*)",
     lambda m, c: f"决策表里有不认识的元素 {_namespaced(m['tag'].strip(chr(39)))}；请用决策表编辑器另存一次"),
    (r"Malformed Output Expression '(?P<text>.*)'\. (?P<reason>.*)",
     lambda m, c: f"决策表的输出“{m['text']}”不是有效的 Python 表达式（{_syntax(m['reason'])}）；"
                  "文字请加引号，如 \"通过\""),
    (r'No DMN Diagram available with id "(?P<id>[^"]*)"',
     lambda m, c: f"业务规则任务调用的决策“{m['id']}”不在这次部署的任何 DMN 文件中；请把它的 .dmn 文件一起部署"),
]]


def _syntax(reason: str) -> str:
    """Python's syntax error without where the parser of one cell says it was: always line 1 of <unknown>."""
    return re.sub(r"\s*\(<unknown>, line \d+\)", "", reason).strip()


def from_validation(
    error: ValidationException, default_file: str | None, xml: dict[str, etree._Element],
    lines: dict[str, dict[str, int | None]],
) -> Problem:
    """The parser's refusal in Chinese, at the element it is about."""
    original = str(error.args[0]) if error.args else ""
    file = getattr(error, "file_name", None) or default_file
    element_id = getattr(error, "id", None) or None
    context = _Context(error, xml.get(file or ""))
    for pattern, say in _PARSER:
        if m := pattern.match(original):
            said = say(m, context)
            message, at = said if isinstance(said, tuple) else (said, None)
            if at is not None:
                return Problem(file, at.sourceline, at.get("id"), message)
            break
    else:
        message = f"SpiffWorkflow 无法读取这个{context.kind}；请在建模器中检查它的设置。原文：{original}"
    # Errors found while building a spec name the element but not its line.
    line = getattr(error, "line_number", None) or lines.get(file or "", {}).get(element_id or "")
    return Problem(file, line, element_id, message)
