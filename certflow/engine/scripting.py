"""Scripts, conditions and timer expressions from diagrams, run under RestrictedPython.

SpiffWorkflow's default environment is plain ``eval``/``exec``: a diagram could import ``os``
or climb ``__subclasses__``. Here every expression is compiled with RestrictedPython, sees only
the guarded builtins, what certflow offers of SpiffArena's script environment (``spiffarena``) and the
helpers the runtime chooses, and cannot import anything. Each runs
under a budget (``budget``): its CPU time is watched, and the operations that could build a huge
value in one go are checked before they run.
"""

from __future__ import annotations

import ast
import importlib
import json
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask, MultiInstanceTask

from certflow.engine import budget, liveness, spiffarena
from certflow.engine.budget import BudgetExceeded, Limits
from certflow.engine.calendar import CHINA_TZ

ServiceCall = Callable[[dict, str, dict[str, Any]], Any]
"""(task data, operator name, parameter values) -> JSON-serialisable result."""

_EXTRA_BUILTINS = {
    f.__name__: f
    for f in (
        all, any, dict, enumerate, filter, frozenset, list, map, max, min,
        reversed, set, sorted, sum, tuple, zip,
    )
}

_INPLACE = {
    "+=": lambda a, b: budget.checked_binop("+", a, b),
    "-=": lambda a, b: a - b,
    "*=": lambda a, b: budget.checked_binop("*", a, b),
    "/=": lambda a, b: a / b,
    "//=": lambda a, b: a // b,
    "%=": lambda a, b: a % b,
    "|=": lambda a, b: a | b,
    "&=": lambda a, b: a & b,
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    try:
        return _INPLACE[op](x, y)
    except KeyError:
        raise SyntaxError(f"脚本里不能用运算符 {op}") from None


# id() and hash() differ from one process to the next, so a replay could not reproduce their result.
UNREPEATABLE = frozenset({"id", "hash"})

# The operators that can build a huge value in one C call: checked before they run (``budget.checked_binop``).
_CHECKED_OPERATORS = {ast.Add: "+", ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Mod: "%"}


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's rules, and ``a * b`` (and the other growing operators) as ``_binop_("*", a, b)``."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = self.node_contents_visit(node)
        symbol = _CHECKED_OPERATORS.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(func=ast.Name("_binop_", ast.Load()), args=[ast.Constant(symbol), node.left, node.right],
                        keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))


def _getattr(obj: Any, name: str, *default: Any) -> Any:
    found = safer_getattr(obj, name, *default)
    if name in budget.GROWING_METHODS and isinstance(obj, str | bytes):
        return budget.checked_method(obj, name, found)
    return found


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``f(*args, **kwargs)``: RestrictedPython routes such calls here; the callee is whatever the name is bound to."""
    return function(*args, **kwargs)


# The modules datetime's C code imports when a script calls strftime() or strptime(): C code imports through the
# builtins of the running script. Scripts themselves cannot name ``__import__``, and ``import`` is refused.
_C_IMPORTS = frozenset({"time", "_strptime"})


def _import(name: str, *args: Any, **kwargs: Any) -> Any:
    if name not in _C_IMPORTS:
        raise ImportError(f"脚本里不能导入模块（{name}）；可用的模块和函数已经直接提供")
    return importlib.import_module(name)


_BOUNDED = {"range": budget.checked_range, "pow": budget.checked_pow}

# SpiffArena's names are builtins, not globals, so task data with the same name hides them instead of clashing.
GUARDS: dict[str, Any] = {
    "__builtins__": {**{name: _BOUNDED.get(name, f) for name, f in {**safe_builtins, **_EXTRA_BUILTINS}.items()
                        if name not in UNREPEATABLE},
                     **spiffarena.OFFERED, "__import__": _import},
    "_apply_": _apply,
    "_getattr_": _getattr,
    "_binop_": budget.checked_binop,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
}


class ScriptError(SyntaxError):
    """An expression or script that RestrictedPython refuses."""


def _refuse(source: str, mode: str) -> None:
    """Refuse what RestrictedPython allows but the runtime cannot: imports, and calls replay could not repeat."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError:
        return  # RestrictedPython reports it in its own words
    bound = set().union(*(_binds(node) for node in ast.walk(tree)))
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)  # every kind of node refused below has one
        if (name := _called_or_module(node)) and name not in bound and (reason := spiffarena.refusal(name)):
            raise ScriptError(f"第 {line} 行：{reason}")
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id not in bound
                and (reason := spiffarena.missing(node.value.id, node.attr))):
            raise ScriptError(f"第 {line} 行：{reason}")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise ScriptError(f"第 {line} 行：脚本里不能用 import；datetime、json、Decimal 等已直接提供，"
                              "其他功能请在 handlers 里登记服务任务操作")
        if isinstance(node, ast.ExceptHandler) and not _names_catchable(node.type):
            raise ScriptError(f"第 {line} 行：except 必须直接写出要拦住的异常类（如 except KeyError:），"
                              "且不能是 BaseException：超出运行限额的脚本必须停下，不能被脚本自己拦住")
        if rebound := _binds(node) & EXCEPTIONS:
            raise ScriptError(f"第 {line} 行：不能把异常类的名字（{'、'.join(sorted(rebound))}）用作变量名")
        # A format spec is always a JoinedStr (the ast's type says only "expression").
        if (isinstance(node, ast.FormattedValue) and isinstance(node.format_spec, ast.JoinedStr)
                and _wide(node.format_spec)):
            raise ScriptError(f"第 {line} 行：格式说明里的宽度或精度必须是不超过 {budget.MAX_ITEMS} 的数字")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in UNREPEATABLE:
            raise ScriptError(f"第 {line} 行：脚本里不能用 {node.func.id}()：它每次运行的结果不同，"
                              "重放案件历史时无法得到同样的结果；请删去")


# The exception classes a script may name in ``except``: every builtin one but those above Exception, which would
# also catch the budget's interruption (``budget.Exhausted``, a BaseException).
EXCEPTIONS = frozenset(name for name, value in safe_builtins.items()
                       if isinstance(value, type) and issubclass(value, BaseException))
CATCHABLE = frozenset(name for name in EXCEPTIONS if issubclass(safe_builtins[name], Exception))


def _names_catchable(kind: ast.expr | None) -> bool:
    """``except KeyError`` or ``except (KeyError, ValueError)``: names only, none that catches the interruption."""
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind]
    return all(isinstance(name, ast.Name) and name.id in CATCHABLE for name in names)


def _called_or_module(node: ast.AST) -> str | None:
    """The name in ``name(...)`` or ``name.attribute``: a bare name may be task data, these are SpiffArena's."""
    inner = node.func if isinstance(node, ast.Call) else node.value if isinstance(node, ast.Attribute) else None
    return inner.id if isinstance(inner, ast.Name) else None


def _binds(node: ast.AST) -> set[str]:
    """The names ``node`` binds: an exception class's name bound to something else could be a BaseException."""
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
        return {node.id}
    if isinstance(node, ast.arg):
        return {node.arg}
    if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.ExceptHandler) and node.name:
        return {node.name}
    return set()


def _wide(spec: ast.JoinedStr) -> bool:
    """A format spec that is computed, or asks for a width or precision bigger than a script may build."""
    constants = [part.value for part in spec.values if isinstance(part, ast.Constant)]
    if len(constants) < len(spec.values):
        return True
    return any(int(digits) > budget.MAX_ITEMS for value in constants for digits in re.findall(r"\d+", str(value)))


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    _refuse(source.strip(), "eval")
    result = compile_restricted_eval(source.strip(), "<string>", policy=_Policy)
    if result.errors or result.code is None:  # no code comes without an error
        raise ScriptError("; ".join(result.errors))
    return result.code


@lru_cache(maxsize=4096)
def compile_script(source: str) -> CodeType:
    _refuse(source, "exec")
    result = compile_restricted_exec(source, "<string>", policy=_Policy)
    if result.errors or result.code is None:  # no code comes without an error
        raise ScriptError("; ".join(result.errors))
    return result.code


def lint(source: str, *, script: bool) -> str | None:
    """The reason ``source`` would be refused at run time, in Chinese, or None. For deploy-time checks."""
    try:
        (compile_script if script else compile_expression)(source)
    except ScriptError as error:
        return "；".join(_in_chinese(part) for part in str(error).split("; "))
    except SyntaxError as error:
        return str(error)
    return None


# RestrictedPython's refusals, each: pattern, and what the person reads.
_RESTRICTED = [
    (re.compile(r"Line (\d+): SyntaxError: (.*) at statement: '(.*)'", re.S),
     r"第 \1 行：Python 语法错误（\2），出错的语句是 \3；请检查括号、引号和冒号"),
    (re.compile(r'Line (\d+): "(.*)" is an invalid (?:variable|attribute) name because it starts with "_"\.?'),
     r"第 \1 行：“\2”以下划线开头，脚本里不能用这样的名字；请改名"),
    (re.compile(r"Line (\d+): (?:Exec|Eval) calls are not allowed\."),
     r"第 \1 行：脚本里不能用 exec() 或 eval()；请直接写出要算的式子"),
    (re.compile(r"Line (\d+): (\w+) statements are not allowed\."), r"第 \1 行：脚本里不能用 \2 语句；请改写"),
]


def _in_chinese(error: str) -> str:
    """One of RestrictedPython's refusals in Chinese; ours already are."""
    for pattern, chinese in _RESTRICTED:
        if pattern.fullmatch(error):
            return pattern.sub(chinese, error)
    return error if not error.startswith("Line ") else f"脚本不能运行：{error}"


class RestrictedEnvironment(TaskDataEnvironment):
    """Task data as the namespace; helpers and guards as read-only globals; each run within ``limits``."""

    def __init__(
        self, helpers: Mapping[str, Callable[..., Any]], call: ServiceCall, limits: Limits | None = None,
    ) -> None:
        super().__init__({**GUARDS, **helpers})
        self._call = call
        self.limits = limits or Limits()

    def evaluate(self, expression: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> Any:
        namespace = {**self.globals, **(external_context or {}), **context}
        code = compile_expression(expression)
        return self._budgeted(lambda: eval(code, namespace))

    def execute(self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None) -> bool:
        self.check_for_overwrite(context, external_context or {})
        code = compile_script(script)
        before = dict(context)
        # SpiffArena's names as its scripts see them, globals of the run: they may ``del time`` before the task data
        # is saved, as SpiffArena needs. Task data of the same name hides them, as the builtins they also are.
        offered = {name: value for name, value in spiffarena.OFFERED.items() if name not in context}
        context.update(offered)
        context.update(self.globals)
        context.update(external_context or {})
        try:
            self._budgeted(lambda: exec(code, context))
        finally:
            for name, value in offered.items():
                if context.get(name) is value:
                    del context[name]
            self._remove_globals_and_functions_from_context(context, external_context)
        _check_storable({key: value for key, value in context.items() if before.get(key, _UNSET) is not value})
        return True

    def _budgeted(self, work: Callable[[], Any]) -> Any:
        try:
            return budget.run_script(self.limits, work)
        except RecursionError:
            raise BudgetExceeded("递归层数太深") from None
        except MemoryError:
            raise BudgetExceeded("内存不够") from None

    def _remove_globals_and_functions_from_context(
        self, context: dict[str, Any], external_context: dict[str, Any] | None = None,
    ) -> None:
        for key in list(context):
            if key in self.globals or callable(context[key]) or (external_context and key in external_context):
                context.pop(key)

    def call_service(self, context: dict[str, Any], operation_name: str, operation_params: dict[str, Any]) -> str:
        values = {name: param["value"] for name, param in operation_params.items()}
        return json.dumps(self._call(context, operation_name, values), ensure_ascii=False)


_UNSET = object()


def _check_storable(changed: dict[str, Any]) -> None:
    """Refuse, naming the variable, a value a script left in the task data that the case's JSON state cannot hold.

    ``datetime.now()`` and ``Decimal`` are offered, so their values are the likely ones; without this check
    the step would fail only when its state is saved, with no word of the script or the variable.
    """
    for key, value in changed.items():
        try:
            json.dumps(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"脚本给变量 {key} 留下了 {type(value).__name__} 类型的值，"
                "案件数据只能存文字、数字、真假、空值、列表和字典："
                "日期时间请用 .isoformat() 或 .strftime() 转成文字，Decimal 请用 str() 或 float()"
            ) from None


class ScriptEngine(PythonScriptEngine):
    environment: RestrictedEnvironment

    def evaluate(self, task: Any, expression: str, external_context: dict[str, Any] | None = None) -> Any:
        budget.note(element_title(task))
        value = super().evaluate(task, expression, external_context)
        spec = task.task_spec
        if expression in _timer_expressions(spec):
            return _timer_value(task, expression, value)
        # The count of a multi-instance: SpiffWorkflow makes that many tasks at once, before any budget can see.
        if isinstance(spec, MultiInstanceTask) and expression == spec.cardinality:
            budget.check_cardinality(value, self.environment.limits, element_title(task))
        return value

    def execute(self, task: Any, script: str, external_context: dict[str, Any] | None = None) -> Any:
        budget.note(element_title(task))
        return super().execute(task, script, external_context)

    def call_service(self, task: Any, **kwargs: Any) -> str:
        # SpiffWorkflow 3.2.0 reports a failing service as "name 'script' is not defined"; keep the cause.
        try:
            return self.environment.call_service(task.data, **kwargs)
        except WorkflowTaskException:
            raise
        except Exception as error:
            name = kwargs.get("operation_name")
            raise WorkflowTaskException(f"{name}: {error}", task=task, exception=error) from error


def _timer_expressions(spec: Any) -> set[str]:
    return {d.expression for d in liveness.parts(getattr(spec, "event_definition", None))
            if isinstance(d, TimerEventDefinition)}


def _timer_value(task: Any, expression: str, value: Any) -> str:
    """A timer's value as SpiffWorkflow reads it, ISO 8601 text: SpiffArena's timers may give a ``timedelta`` (a
    duration) or a ``datetime`` (a moment; without a zone it is China time, as ``datetime.now()`` gives it)."""
    if isinstance(value, timedelta):
        seconds = max(value.total_seconds(), 0)
        return f"PT{int(seconds)}S" if seconds == int(seconds) else f"PT{seconds}S"
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=CHINA_TZ)).isoformat()
    if isinstance(value, str):
        return value
    raise WorkflowTaskException(
        f"定时器的表达式 {expression} 得到了 {value!r}，"
        "应为 ISO 8601 文字（如 \"PT5M\"、\"2026-10-01T09:00:00+08:00\"）、timedelta 或 datetime", task=task)


def element_title(task: Any) -> str:
    """A task's element as the diagram labels it (a multi-instance or loop: the label of the task it repeats)."""
    spec = task.task_spec
    if isinstance(spec, LoopTask) and not spec.bpmn_name:
        spec = task.workflow.spec.task_specs.get(spec.task_spec, spec)
    return spec.bpmn_name or task.task_spec.name
