"""Scripts, conditions and timer expressions from diagrams, run under RestrictedPython.

SpiffWorkflow's default environment is plain ``eval``/``exec``: a diagram could import ``os``
or climb ``__subclasses__``. Here every expression is compiled with RestrictedPython, sees only
the guarded builtins and the helpers the runtime chooses, and cannot import anything.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
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
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

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
    "+=": lambda a, b: a + b,
    "-=": lambda a, b: a - b,
    "*=": lambda a, b: a * b,
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
        raise SyntaxError(f"operator {op} is not allowed in scripts") from None


# id() and hash() differ from one process to the next, so a replay could not reproduce their result.
UNREPEATABLE = frozenset({"id", "hash"})

GUARDS: dict[str, Any] = {
    "__builtins__": {name: f for name, f in {**safe_builtins, **_EXTRA_BUILTINS}.items() if name not in UNREPEATABLE},
    "_getattr_": safer_getattr,
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
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise ScriptError(f"line {node.lineno}: import is not allowed in scripts")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in UNREPEATABLE:
            raise ScriptError(f"line {node.lineno}: {node.func.id}() is not allowed in scripts: its result differs "
                              "from one run to the next, so the history could not be replayed")


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    _refuse(source.strip(), "eval")
    result = compile_restricted_eval(source.strip(), "<string>")
    if result.errors:
        raise ScriptError("; ".join(result.errors))
    return result.code


@lru_cache(maxsize=4096)
def compile_script(source: str) -> CodeType:
    _refuse(source, "exec")
    result = compile_restricted_exec(source, "<string>")
    if result.errors:
        raise ScriptError("; ".join(result.errors))
    return result.code


def lint(source: str, *, script: bool) -> str | None:
    """The reason ``source`` would be refused at run time, or None. For deploy-time checks."""
    try:
        (compile_script if script else compile_expression)(source)
    except SyntaxError as error:
        return str(error)
    return None


class RestrictedEnvironment(TaskDataEnvironment):
    """Task data as the namespace; helpers and guards as read-only globals."""

    def __init__(self, helpers: Mapping[str, Callable[..., Any]], call: ServiceCall) -> None:
        super().__init__({**GUARDS, **helpers})
        self._call = call

    def evaluate(self, expression, context, external_context=None):
        namespace = {**self.globals, **(external_context or {}), **context}
        return eval(compile_expression(expression), namespace)

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        code = compile_script(script)
        context.update(self.globals)
        context.update(external_context or {})
        try:
            exec(code, context)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True

    def _remove_globals_and_functions_from_context(self, context, external_context=None):
        for key in list(context):
            if key in self.globals or callable(context[key]) or (external_context and key in external_context):
                context.pop(key)

    def call_service(self, context, operation_name, operation_params):
        values = {name: param["value"] for name, param in operation_params.items()}
        return json.dumps(self._call(context, operation_name, values), ensure_ascii=False)


class ScriptEngine(PythonScriptEngine):
    def call_service(self, task, **kwargs):
        # SpiffWorkflow 3.2.0 reports a failing service as "name 'script' is not defined"; keep the cause.
        try:
            return self.environment.call_service(task.data, **kwargs)
        except WorkflowTaskException:
            raise
        except Exception as error:
            name = kwargs.get("operation_name")
            raise WorkflowTaskException(f"{name}: {error}", task=task, exception=error) from error
