"""From deployed files to runnable process specs.

A deployment is checked as a whole: XML safety, SpiffWorkflow's schema validator, then our own
rules (no settings that only another engine runs — see ``foreign``; calls and decisions resolve,
every element has diagram layout, exclusive gateways cannot get stuck — see ``checks``; forms exist
and are valid JSON Schema, service operators are registered, lanes are roles, every script and
expression compiles in the restricted environment). Any problem refuses everything, and each
problem names the file, the line and the element.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sized
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.control import StartEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask, StandardLoopTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import SpiffMultiInstanceConverter
from SpiffWorkflow.spiff.specs.defaults import ParallelMultiInstanceTask as SpiffParallel
from SpiffWorkflow.spiff.specs.defaults import ScriptTask, ServiceTask, UserTask
from SpiffWorkflow.spiff.specs.defaults import SequentialMultiInstanceTask as SpiffSequential

from certflow.engine import budget, checks, foreign, formschema, liveness, parsermessages
from certflow.engine.budget import Limits
from certflow.engine.errors import DeploymentError, Problem, json_mistake
from certflow.engine.roles import Lanes
from certflow.engine.scripting import element_title, lint

MAX_FILE_BYTES = 2 * 1024 * 1024
KINDS = {".bpmn": "bpmn", ".dmn": "dmn", ".json": "form"}
BPMN_ENDINGS = (".bpmn", ".bpmn20.xml")  # the second is how Camunda 7 and Activiti name their BPMN files
FORM_PROPERTY = "formJsonSchemaFilename"
START_FORM_PROPERTY = "startFormJsonSchemaFilename"  # on a start event: the data a case starts with
CASE_PREFIX_PROPERTY = "caseNumberPrefix"  # on a start event: the prefix of its cases' numbers, e.g. SZ
CASE_PREFIX_PATTERN = re.compile(r"[A-Z]{1,6}", re.ASCII)

_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)



class _CappedCollection:
    """A multi-instance over a collection makes one task per item at once (parallel) or plans them all
    (sequential) before any budget sees it, so the count is checked when the collection is read."""

    data_input: Any  # the collection's data object, from the SpiffWorkflow task spec this is mixed into

    def _checked_input(self, my_task: Any) -> None:
        data = self.data_input.get(my_task) if self.data_input.exists(my_task) else None
        if not isinstance(data, Iterable) or isinstance(data, str):  # SpiffWorkflow would stop at a TypeError
            raise WorkflowTaskException(
                f"输入集合 {self.data_input.bpmn_id} 在案件数据里"
                f"{'没有' if data is None else '不是列表或字典'}：请在前面的环节给它赋一个列表", task=my_task)
        count = len(data) if isinstance(data, Sized) else None
        budget.check_cardinality(count, my_task.workflow.script_engine.environment.limits, element_title(my_task))


class ParallelMultiInstanceTask(_CappedCollection, SpiffParallel):
    def create_children(self, my_task: Any) -> None:
        if self.data_input is not None:
            self._checked_input(my_task)
        super().create_children(my_task)


class SequentialMultiInstanceTask(_CappedCollection, SpiffSequential):
    def init_remaining_items(self, my_task: Any) -> list[Any]:
        self._checked_input(my_task)
        return super().init_remaining_items(my_task)


# Same class names, so stored specs keep their typenames; registered after SpiffWorkflow's, so every
# spec read back (every case run and replayed) gets the capped classes.
REGISTRY = BpmnWorkflowSerializer.configure(
    {**SPIFF_CONFIG, ParallelMultiInstanceTask: SpiffMultiInstanceConverter,
     SequentialMultiInstanceTask: SpiffMultiInstanceConverter})


@dataclass
class SourceFile:
    name: str  # as shown to people: processes/publicity.bpmn
    content: bytes

    @property
    def kind(self) -> str | None:
        return _kind(self.name)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass
class ParsedProcess:
    key: str
    name: str
    spec: dict[str, Any]  # serialized spec + subprocess specs
    forms: dict[str, Any]
    files: list[str]
    content_hash: str


@dataclass
class ParsedDeployment:
    processes: list[ParsedProcess] = field(default_factory=list)
    content_hash: str = ""


def read_paths(paths: Iterable[str | Path]) -> list[SourceFile]:
    """Files to deploy from paths; a directory contributes its .bpmn (and .bpmn20.xml), .dmn and .json files."""
    files: list[SourceFile] = []
    for path in map(Path, paths):
        if path.is_dir():
            members = sorted(p for p in path.rglob("*") if _kind(p.name) and p.is_file())
        elif path.is_file():
            members = [path]
        else:
            raise DeploymentError([Problem(str(path), None, None, "没有这个文件或文件夹；请检查路径")])
        files.extend(SourceFile(_display_name(p), p.read_bytes()) for p in members)
    return files


def _display_name(path: Path) -> str:
    parts = path.parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else path.name


def parse_deployment(
    files: list[SourceFile], operators: Mapping[str, Iterable[str]], limits: Limits | None = None,
    lanes: Lanes | None = None,
) -> ParsedDeployment:
    """Check and parse a whole deployment. ``operators`` maps operator names to parameter names; ``limits``
    bounds the loop counts written in the diagrams; ``lanes``: the lane mappings besides the roles' names."""
    problems: list[Problem] = []
    xml: dict[str, etree._Element] = {}
    forms: dict[str, Any] = {}
    for source in files:
        problems.extend(_read_source(source, xml, forms))
    shown = {Path(source.name).name: source.name for source in files}
    problems += formschema.deploy_problems(forms, shown, xml.values())
    if problems:
        raise _refused(problems, xml)

    # The schema is checked here, not by the parser, so that every error of a file is listed in Chinese.
    parser = SpiffBpmnParser(validator=None)
    lines: dict[str, dict[str, int | None]] = {}  # file -> element id -> its line
    for name, root in xml.items():
        lines[name] = {element_id: el.sourceline for el in root.iter()
                       if isinstance(el.tag, str) and (element_id := el.get("id"))}
        if found := parsermessages.schema_problems(name, root, dmn=_kind(name) == "dmn"):
            problems += found
            continue
        try:
            if _kind(name) == "dmn":
                parser.add_dmn_xml(root, filename=name)
            else:
                foreign.literal_timers(root)
                parser.add_bpmn_xml(etree.ElementTree(root), filename=name)
        except ValidationException as error:
            problems.append(parsermessages.from_validation(error, name, xml, lines))
        except Exception as error:  # the parser raises plain errors for some malformed input
            problems.append(Problem(name, None, None, f"SpiffWorkflow 无法读取这个文件；请在建模器中打开并另存一次。"
                                                      f"原文：{error}"))
    if problems:
        raise _refused(problems, xml)

    bpmn = {name: root for name, root in xml.items() if _kind(name) == "bpmn"}
    # A process with another engine's settings is not built: its one cause is reported, where it is written.
    foreign_processes: set[str | None] = set()
    for name, root in bpmn.items():
        found, in_processes = foreign.engine_specific(name, root)
        problems += found
        foreign_processes |= in_processes
    found, unbuildable = checks.references(bpmn, {n: r for n, r in xml.items() if _kind(n) == "dmn"}, foreign_processes)
    problems += found
    for name, root in bpmn.items():
        problems += checks.executable(name, root) + checks.layout(name, root) + checks.gateways(name, root, forms)
        problems += checks.ignored_conditions(name, root)

    deployment = ParsedDeployment()
    for key in sorted(set(parser.get_process_ids()) - unbuildable):
        try:
            spec = parser.get_spec(key)
            subprocesses = parser.get_subprocess_specs(key)
        except ValidationException as error:
            problems.append(parsermessages.from_validation(error, None, xml, lines))
            continue
        all_specs = [spec, *subprocesses.values()]
        problems += liveness.check(all_specs, lines)  # before the specs are serialized: it joins implicit ends
        used_forms, found = _check_specs(all_specs, forms, operators, lines, limits or Limits(), lanes or Lanes())
        problems.extend(found)
        file_names = sorted({s.file for s in all_specs if s.file} | _dmn_files(parser, all_specs))
        hash_input = [(n, hashlib.sha256(etree.tostring(xml[n])).hexdigest()) for n in file_names]
        hash_input += [(f, hashlib.sha256(_canonical(forms[f]).encode()).hexdigest()) for f in sorted(used_forms)]
        deployment.processes.append(
            ParsedProcess(
                key=key,
                name=spec.description or key,
                spec={
                    "spec": REGISTRY.convert(spec),
                    "subprocess_specs": {k: REGISTRY.convert(v) for k, v in subprocesses.items()},
                },
                forms={f: forms[f] for f in sorted(used_forms)},
                files=file_names + sorted(f"forms/{f}" for f in used_forms),
                content_hash=hashlib.sha256(_canonical(hash_input).encode()).hexdigest(),
            )
        )
    if problems:
        raise _refused(problems, xml)
    deployment.content_hash = hashlib.sha256(
        _canonical(sorted((s.name, s.sha256) for s in files)).encode()
    ).hexdigest()
    return deployment


def restore_specs(stored: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    spec = REGISTRY.restore(stored["spec"])
    return spec, {k: REGISTRY.restore(v) for k, v in stored["subprocess_specs"].items()}


def start_form(spec: Any) -> str | None:
    """The form a case's start data must satisfy, named on the start event."""
    return start_property(spec, START_FORM_PROPERTY)


def start_property(spec: Any, name: str) -> str | None:
    """A property of the start event: the start form, the prefix of the cases' numbers (one per deployment)."""
    # Two or more start events are the outputs of SpiffWorkflow's StartEventSplit.
    starts = [s for out in spec.start.outputs for s in (out.outputs if isinstance(out, StartEventSplit) else [out])]
    return next((found for s in starts if (found := s.extensions.get("properties", {}).get(name))), None)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _kind(name: str) -> str | None:
    return "bpmn" if name.lower().endswith(BPMN_ENDINGS) else KINDS.get(Path(name).suffix.lower())


def _read_source(source: SourceFile, xml: dict[str, Any], forms: dict[str, Any]) -> list[Problem]:
    if source.kind is None:
        return [Problem(source.name, None, None, "不是 .bpmn、.dmn 或 .json 文件；请只部署流程图、决策表和表单")]
    if len(source.content) > MAX_FILE_BYTES:
        return [Problem(source.name, None, None, f"文件超过 {MAX_FILE_BYTES // 1024} KiB；请拆分或精简")]
    if source.kind == "form":
        name = Path(source.name).name
        if name in forms:
            # Tasks name forms by file name alone: a second one would silently replace the first.
            return [Problem(source.name, None, None,
                            f"部署中另有一个表单也叫 {name}（任务只按文件名找表单）；请改掉其中一个的文件名")]
        try:
            forms[name] = json.loads(source.content)  # checked once the diagrams say which files are uiSchemas
        except json.JSONDecodeError as error:
            return [Problem(source.name, error.lineno, None,
                            f"不是有效的 JSON（第 {error.colno} 列：{json_mistake(error)}）；请检查引号、逗号和括号")]
        return []
    try:
        root = etree.fromstring(source.content, _SAFE_XML)
    except etree.XMLSyntaxError as error:
        return [Problem(source.name, error.lineno, None,
                        f"XML 格式不正确（{parsermessages.not_well_formed(error.msg)}）；请用建模器打开并另存一次，"
                        "或检查这一行的标签是否配对")]
    doctype = root.getroottree().docinfo.doctype
    if doctype:
        return [Problem(source.name, 1, None,
                        "文件里有 DOCTYPE（DTD 或实体），出于安全不允许；请删除 <!DOCTYPE …> 这一段")]
    xml[source.name] = root
    return []


def _refused(problems: list[Problem], xml: dict[str, etree._Element]) -> DeploymentError:
    """The deployment's problems, each once (a process called by several is checked with each), each naming its
    element by the name the diagram shows as well as by its id."""
    names = {file: {el.get("id"): el.get("name") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
             for file, root in xml.items()}
    named = [replace(p, name=p.name or names.get(p.file or "", {}).get(p.element) or None) for p in problems]
    return DeploymentError(list(dict.fromkeys(named)))


def _dmn_files(parser: SpiffBpmnParser, specs: list[Any]) -> set[str]:
    decisions = {
        getattr(ts, "decision_ref", None) or getattr(getattr(ts, "dmnEngine", None), "decision_table", None)
        for s in specs for ts in s.task_specs.values()
    }
    return {p.filename for p in parser.dmn_parsers.values() if p.filename} if any(decisions) else set()


def _check_specs(
    specs: list[Any], forms: dict[str, Any], operators: Mapping[str, Iterable[str]],
    lines: dict[str, dict[str, int | None]], limits: Limits, lanes: Lanes,
) -> tuple[set[str], list[Problem]]:
    used_forms: set[str] = set()
    problems: list[Problem] = []
    for spec in specs:
        file_lines = lines.get(spec.file, {})
        for ts in spec.task_specs.values():
            form, messages = _check_task(ts, forms, operators, lanes)
            messages += _loop_counts(ts, limits)
            if form:
                used_forms.add(form)
                ui = ts.extensions.get("properties", {}).get(formschema.UI_PROPERTY)
                used_forms |= {ui} if ui in forms else set()
            problems.extend(Problem(spec.file, file_lines.get(ts.bpmn_id), ts.bpmn_id, m) for m in messages)
    return used_forms, problems


def _check_task(
    ts: Any, forms: dict[str, Any], operators: Mapping[str, Iterable[str]], lanes: Lanes,
) -> tuple[str | None, list[str]]:
    """The form a task uses (if it exists) and what is wrong with the task."""
    messages: list[str] = []
    if getattr(ts, "lane", None) and ts.bpmn_id and (unknown := lanes.problem(ts.lane)):
        messages.append(unknown)
    properties = getattr(ts, "extensions", {}).get("properties", {})
    form = properties.get(FORM_PROPERTY) or properties.get(START_FORM_PROPERTY)
    prefix = properties.get(CASE_PREFIX_PROPERTY)
    if prefix is not None and not CASE_PREFIX_PATTERN.fullmatch(prefix):
        messages.append(f"案件编号前缀 {CASE_PREFIX_PROPERTY}“{prefix}”须是 1 到 6 个大写英文字母（如 SZ）；请改正")
    if isinstance(ts, UserTask) and not form:
        messages.append(f"用户任务没有指定表单；请加 spiffworkflow:property {FORM_PROPERTY}，值为表单的文件名")
    elif form and form not in forms:
        messages.append(f"表单 {form} 不在这次部署中；请把 forms/{form} 一起部署，或改正表单文件名")
        form = None
    if (ui := properties.get(formschema.UI_PROPERTY)) and ui not in forms:
        messages.append(f"界面设置文件 {ui}（{formschema.UI_PROPERTY}）不在这次部署中；请把它一起部署，或改正文件名")
    if isinstance(ts, ServiceTask):
        if ts.operation_name not in operators:
            # SpiffArena names the connectors of its connector proxy like http/GetRequestV2.
            connector = "（这是 SpiffArena 连接器的名字，certflow 没有连接器代理）"
            messages.append(f"服务任务操作 {ts.operation_name} 没有登记"
                            + (connector if "/" in ts.operation_name else "")
                            + f"；请改用已登记的操作：{'、'.join(sorted(operators)) or '（没有）'}")
        elif (expected := set(operators[ts.operation_name])) != (given := set(ts.operation_params)):
            messages.append(
                f"操作 {ts.operation_name} 的参数是 {'、'.join(sorted(expected)) or '（无）'}，任务给的是 "
                f"{'、'.join(sorted(given)) or '（无）'}；请在服务任务的参数里补上缺的、删去多的"
            )
        for name, param in ts.operation_params.items():
            if reason := lint(param["value"], script=False):
                messages.append(f"参数 {name}：{reason}")
    # The element's name with the label: a script's line numbers count within the script, not the file.
    for label, source in _scripts(ts):
        if reason := lint(source, script=True):
            messages.append(f"{label}：{reason}")  # its line counts within the script, as the label says
    for label, source in _expressions(ts):
        if reason := lint(source, script=False):
            messages.append(f"{label}：{reason}")
    return form, messages


def _loop_counts(ts: Any, limits: Limits) -> list[str]:
    """A multi-instance count or a loop maximum written as a number above the cap (the runtime checks the rest)."""
    if isinstance(ts, MultiInstanceTask) and ts.cardinality:
        try:
            count = ast.literal_eval(ts.cardinality.strip())
        except (ValueError, SyntaxError):
            return []  # an expression: checked when it is evaluated
        written = "多实例数量（loopCardinality）"
    elif isinstance(ts, StandardLoopTask) and ts.maximum is not None:
        count, written = ts.maximum, "循环次数上限（loopMaximum）"
    else:
        return []
    if isinstance(count, int) and count > limits.max_cardinality:
        return [f"{written} {count} 超过上限 {limits.max_cardinality}；请改小，"
                "或请管理员调高上限（设置 CERTFLOW_MAX_CARDINALITY）"]
    return []


def _scripts(ts: Any) -> list[tuple[str, str]]:
    found = []
    if isinstance(ts, ScriptTask) and ts.script:
        found.append(("脚本", ts.script))
    for attribute, label in (("prescript", "前置脚本（preScript）"), ("postscript", "后置脚本（postScript）")):
        if getattr(ts, attribute, None):
            found.append((label, getattr(ts, attribute)))
    return found


def _expressions(ts: Any) -> list[tuple[str, str]]:
    # SpiffWorkflow wraps each condition's source in a _BpmnCondition whose first arg is the text.
    conditions = [getattr(cond, "args", [cond])[0] for cond, _ in getattr(ts, "cond_task_specs", []) if cond]
    found = [("条件", c) for c in conditions if isinstance(c, str)]
    definition = getattr(ts, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        found.append(("定时器", definition.expression))
    if isinstance(ts, MultiInstanceTask) and ts.cardinality:
        found.append(("多实例数量（loopCardinality）", ts.cardinality))
    candidate = getattr(ts, "extensions", {}).get("properties", {}).get("candidateGroup")
    if candidate:
        found.append(("候选组（candidateGroup）", candidate))
    return found
