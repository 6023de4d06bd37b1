"""Errors the runtime raises; each carries a message fit to show a person."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# How a refusal names a case or task that is no longer open: the words a clerk uses, not the stored status.
CASE_STATES = {"running": "正在办理", "completed": "已办结", "cancelled": "已取消", "error": "因故障暂停"}
TASK_STATES = {"open": "待办", "completed": "已办理", "cancelled": "已取消"}


class CertflowError(Exception):
    """Base class: the message is one clear line."""

    code = "error"


class NotFound(CertflowError):
    code = "not_found"


class Conflict(CertflowError):
    """Someone else changed the case or took the task first."""

    code = "conflict"


class InvalidState(CertflowError):
    """The case or task is not in a state that allows this."""

    code = "invalid_state"


class InvalidArgument(CertflowError):
    """A query argument the request should not have sent, e.g. a page number that cannot be."""

    code = "bad_request"


@dataclass(frozen=True)
class FieldError:
    field: str  # JSON pointer-like path, "" for the whole form
    message: str


class InputRefused(Exception):
    """Raised by a handler when the input of the step breaks a rule of the process (a date out of its period).

    The runtime answers it as a validation error of ``field`` (and of each further ``(field, message)``):
    nothing of the step is saved, the person corrects the values and submits again.
    """

    def __init__(self, field: str, message: str, *more: tuple[str, str]) -> None:
        super().__init__(message)
        self.errors = [(field, message), *more]  # every field refused, so that one answer shows them all


class ValidationFailed(CertflowError):
    code = "validation_failed"

    def __init__(self, errors: list[FieldError], message: str = "提交的数据有误") -> None:
        super().__init__(message + "：" + "；".join(f"{e.field or '整张表单'}：{e.message}" for e in errors))
        self.header = message
        self.errors = errors


@dataclass(frozen=True)
class Problem:
    """One reason a deployment is refused, where it is written; ``name`` is the element's name in the diagram."""

    file: str | None
    line: int | None
    element: str | None
    message: str
    name: str | None = None

    def __str__(self) -> str:
        """申请.bpmn 第 12 行，元素 Task_1（窗口受理）：……; 整个部署：…… when no file is to blame."""
        where = self.file or "整个部署"
        if self.line:
            where += f" 第 {self.line} 行"
        if self.element:
            where += f"，元素 {self.element}" + (f"（{self.name}）" if self.name else "")
        return f"{where}：{self.message}"


class DeploymentError(CertflowError):
    code = "deployment_refused"

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"部署被拒绝，共 {len(problems)} 个问题：\n" + "\n".join(map(str, problems)))
        self.problems = problems


class StepFailed(CertflowError):
    """A script or handler failed while the case moved; nothing of the step was saved."""

    code = "step_failed"

    def __init__(self, message: str, step: str | None = None, detail: str | None = None) -> None:
        super().__init__(message)
        self.step = step  # the element that failed, as the diagram names it
        self.detail = detail  # the error as SpiffWorkflow and Python gave it, for the logs


# Python's words for the JSON mistakes people make typing a form or data by hand, and what to look for.
JSON_MISTAKES = {
    "Expecting value": "这里缺少一个值（或多了一个逗号）",
    "Expecting ',' delimiter": "缺少逗号",
    "Expecting ':' delimiter": "键名后缺少冒号",
    "Expecting property name enclosed in double quotes": "键名应写在双引号里（最后一项后面不能有逗号）",
    "Unterminated string starting at": "文字缺少结尾的双引号",
    "Extra data": "JSON 结束后还有多余的内容",
    "Invalid control character at": "文字里有换行等控制字符，请写成 \\n",
    "Invalid \\escape": "反斜杠的转义写法不对",
}


def json_mistake(error: json.JSONDecodeError) -> str:
    """What is wrong where JSON could not be read, in Chinese."""
    return JSON_MISTAKES.get(error.msg, "写法不对，请检查引号、逗号和括号")


def unreadable(error: Exception) -> str:
    """Why a settings file (groups, county, calendar) could not be read, in Chinese: Python says it in English."""
    if isinstance(error, FileNotFoundError):
        return "找不到这个文件"
    if isinstance(error, OSError):
        return "无法读取这个文件"
    if isinstance(error, json.JSONDecodeError):
        return f"不是有效的 JSON：第 {error.lineno} 行第 {error.colno} 列有误"
    if isinstance(error, KeyError):
        return f"缺少 {error.args[0]}"
    return "内容的写法不对，请对照说明文档检查"


def quoted(value: Any) -> str:
    """A value a refusal names, as the person reading it can spot it: text in quotes, nothing as （空值）."""
    return "（空值）" if value is None else f"“{value}”"


def allowed(choices: Mapping[Any, str] | Iterable[str]) -> str:
    """The values a refusal allows: each by its label, with the value the diagram or data writes beside it.

    An analyst fixes a diagram, an administrator the case data: both need the value to write, not only its name.
    """
    if isinstance(choices, Mapping):
        return "、".join(label if label == str(key) else f"{label}（{key}）" for key, label in choices.items())
    return "、".join(choices)


# The kind of a Python error no wording of ours covers, for the administrator's first look: the text after it
# is Python's own, kept because it is what the developer who fixes the fault needs.
ERROR_KINDS = {
    "ValueError": "取值错误", "TypeError": "类型错误", "KeyError": "缺少键", "IndexError": "下标越界",
    "AttributeError": "属性错误", "LookupError": "查找失败", "RuntimeError": "运行错误",
    "ConnectionError": "连接失败", "TimeoutError": "超时", "OSError": "系统错误",
}


def kind_of(error: BaseException) -> str:
    """The Chinese name of an error's kind: its own class's, else that of the nearest class named here."""
    return next((ERROR_KINDS[c.__name__] for c in type(error).__mro__ if c.__name__ in ERROR_KINDS), "程序错误")


_CJK = re.compile(r"[\u4e00-\u9fff]")


def written_for_people(message: str) -> bool:
    """Whether a message is in Chinese already (certflow's and the handlers' refusals), not Python's English."""
    return bool(_CJK.search(message))


def describe(error: Exception) -> str:
    """An error in words: ours are written for people; anything else says its kind in Chinese, then its text."""
    message = str(error)
    if isinstance(error, CertflowError) or written_for_people(message):
        return message
    return f"{kind_of(error)}：{message}"
