"""A failed script, condition or timer in words a person can act on.

SpiffWorkflow reports them in Python's words ("NameError:name 'x' is not defined"), with a "Did you mean" list of
the task's variables that names internal ones (``case_no``). ``in_words`` says what went wrong, where, in
Chinese; the original text stays in the logs (``original``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException

from certflow.engine.errors import kind_of, written_for_people

_TYPES = {"int": "整数", "float": "小数", "str": "文字", "NoneType": "空值（None）", "dict": "字典", "list": "列表",
          "bool": "真假值", "tuple": "元组", "Decimal": "Decimal 数"}


def _type(name: str) -> str:
    return _TYPES.get(name, name)


# Python's messages for the errors scripts make most, each as a pattern and its Chinese.
_PYTHON: list[tuple[type[BaseException], re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (TypeError, re.compile(r"unsupported operand type\(s\) for (.+?): '(\w+)' and '(\w+)'"),
     lambda m: f"不能对{_type(m[2])}和{_type(m[3])}做 {m[1]} 运算"),
    (TypeError, re.compile(r'can only concatenate (\w+) \(not "(\w+)"\) to \w+'),
     lambda m: f"{_type(m[1])}只能与{_type(m[1])}相连，不能与{_type(m[2])}相连；请先转换，如用 str() 转成文字"),
    (TypeError, re.compile(r"'(\w+)' object is not iterable"), lambda m: f"{_type(m[1])}不能逐个取出"),
    (TypeError, re.compile(r"'(\w+)' object is not subscriptable"), lambda m: f"{_type(m[1])}不能用下标取值"),
    (TypeError, re.compile(r"'(\w+)' object is not callable"), lambda m: f"{_type(m[1])}不能当作函数调用"),
    (TypeError, re.compile(r"compile\(\) arg 1 must be"), lambda m: "脚本是空的：请写上脚本，或把这个环节改成普通任务"),
    (AttributeError, re.compile(r"'(\w+)' object has no attribute '(\w+)'"),
     lambda m: f"{_type(m[1])}没有属性 {m[2]}"),
    (ValueError, re.compile(r"invalid literal for int\(\) with base 10: (.+)"), lambda m: f"{m[1]} 不能转成整数"),
    (ValueError, re.compile(r"could not convert string to float: (.+)"), lambda m: f"{m[1]} 不能转成小数"),
    (ValueError, re.compile(r"Invalid isoformat string: (.+)"), lambda m: f"{m[1]} 不是“年-月-日”格式的日期"),
    (TypeError, re.compile(r"(int|float)\(\) argument must be .*, not '(\w+)'"),
     lambda m: f"{_type(m[2])}不能转成{_type(m[1])}"),
    (TypeError, re.compile(r"object of type '(\w+)' has no len\(\)"), lambda m: f"{_type(m[1])}没有长度"),
    (TypeError, re.compile(r"list indices must be integers or slices, not (\w+)"),
     lambda m: f"列表的下标应为整数，不能是{_type(m[1])}"),
    (TypeError, re.compile(r"'(.+?)' not supported between instances of '(\w+)' and '(\w+)'"),
     lambda m: f"{_type(m[2])}和{_type(m[3])}不能用 {m[1]} 比较"),
    (ValueError, re.compile(r"(\w+)\(\) arg is an empty sequence"), lambda m: f"{m[1]}() 的参数是空的"),
]

# SpiffWorkflow's own messages about a task's data, its gateways and timers.
_SPIFF: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"A data object could not be set; '(.+?)' not exist in the task"),
     lambda m: f"数据对象 {m[1]} 没有值：请在前面的环节给它赋值"),
    (re.compile(r"Expected an output item"),
     lambda m: "这一次实例没有给出输出项（输出元素）：请在任务里给它赋值"),
    (re.compile(r"The data object could not be read; '(.+?)' does not exist in the process"),
     lambda m: f"数据对象 {m[1]} 还没有值：请在前面的环节给它赋值"),
    (re.compile(r"Multiinstance (input|output) item (\S+) already exists"),
     lambda m: f"多实例的{'输入项' if m[1] == 'input' else '输出项'} {m[2]} 与任务数据里已有的变量同名：请换一个名字"),
    (re.compile(r"No conditions satisfied"),
     lambda m: "网关各条路径的条件都不成立，又没有默认路径：请改正条件，或给网关加一条默认路径"),
    (re.compile(r"Missing data (?:input|ouput)"),
     lambda m: "任务的数据输入或输出在任务数据里没有：请在前面的环节给它赋值"),
    (re.compile(r"Invalid duration"), lambda m: "定时器的时长写法不对：应为 ISO 8601 时长，如 PT5M、P3D"),
    (re.compile(r"Invalid recurring interval"), lambda m: "定时器的循环写法不对：应为 ISO 8601 循环，如 R3/PT1H"),
]


def in_words(error: BaseException) -> str:
    """What went wrong, and where in the script or which expression, in Chinese: it reads after "环节“X”的"."""
    cause = _python_cause(error)
    if cause is None:
        text = str(error.args[0]) if error.args else ""
        return _spiff(text) or (text if written_for_people(text) else f"运行出错：{text.rstrip('. ')}")
    return f"{_where(error)}出错：{_python(cause)}" if cause is not error else _python(cause)


def _spiff(text: str) -> str | None:
    return next((say(m) for pattern, say in _SPIFF if (m := pattern.search(text))), None)


def original(error: BaseException) -> str:
    """The error as SpiffWorkflow and Python gave it, for the logs."""
    return f"{type(error).__name__}: {error}"


def _python_cause(error: BaseException) -> BaseException | None:
    """The Python error behind SpiffWorkflow's wrapping, if a script or expression raised one."""
    found: BaseException | None = error
    while isinstance(found, SpiffWorkflowException):
        if getattr(found, "error_type", None) == "unknown":  # raised by SpiffWorkflow itself, wrapping nothing
            return found.__cause__
        # SpiffWorkflow wraps a script's error inside its except block, without ``from``.
        found = found.__cause__ or found.__context__
    return found


def _where(error: BaseException) -> str:
    notes = getattr(error, "notes", [])
    for said in [str(error.args[0]) if error.args else "", *notes]:  # in the message, or a note SpiffWorkflow adds
        if expression := re.fullmatch(r"Error evaluating expression '(.*)'", said, re.DOTALL):
            return f"表达式“{expression[1].strip()}”"
    if "Pre-Script" in str(notes) or "Post-Script" in str(notes):
        script = "前置脚本" if "Pre-Script" in str(notes) else "后置脚本"
    elif isinstance(error, WorkflowTaskException) and error.task and isinstance(error.task.task_spec, ServiceTask):
        return "服务"  # the handler the service task calls, not a script of the diagram
    else:
        script = "脚本"
    line = getattr(error, "line_number", None) if isinstance(error, WorkflowTaskException) else None
    return f"{script}第 {line} 行" if line else script


def _python(cause: BaseException) -> str:
    message = str(cause)  # Python's own words first: a Chinese name in them does not make them Chinese
    if isinstance(cause, NameError):
        return f"名称 {cause.name} 未定义：任务数据里没有这个变量，请先在前面的环节给它赋值"
    if isinstance(cause, KeyError):
        return f"没有键 {message}"
    if isinstance(cause, ZeroDivisionError):
        return "除数为零"
    if isinstance(cause, IndexError):
        return "列表下标超出范围"
    for kind, pattern, say in _PYTHON:
        if isinstance(cause, kind) and (m := pattern.search(message)):
            return say(m)
    if said := _spiff(message):  # raised inside SpiffWorkflow as a plain Exception (a timer's duration)
        return said
    if written_for_people(message):  # certflow's own errors and the handlers' refusals are in Chinese already
        return message
    return f"{kind_of(cause)}：{message}"
