"""SpiffArena's script environment, as certflow offers it: the names replay can repeat, and refusals for the rest.

SpiffArena hands its scripts the modules ``datetime``, ``time``, ``json``, ``decimal``, ``random``, ``re``,
``uuid``, ``calendar``, ``pytz``, ``dateparser``, the builtin ``format``, the helper ``sanitize_for_md`` and
one function per service script (``get_current_user()``, ``get_secret()``, …). A case's history is replayed
step by step (docs/engine.md), so a script may read the time only from the runtime clock, the instant its
step recorded, and nothing that differs from one run to the next or reaches files, the network or other
processes. ``OFFERED`` are the stand-ins scripts get; ``refusal`` says why a name SpiffArena offers is not.
"""

from __future__ import annotations

import decimal as _decimal
import json as _json
import re
from collections.abc import Callable
from datetime import UTC, timedelta, tzinfo
from datetime import date as _date
from datetime import datetime as _datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from certflow.engine import budget, clock
from certflow.engine.calendar import CHINA_TZ


def _china_now() -> _datetime:
    """The runtime clock in China time, naive as SpiffArena's ``datetime.now()`` is: the same on any machine."""
    return clock.now().astimezone(CHINA_TZ).replace(tzinfo=None)


def _now(tz: tzinfo | None = None) -> _datetime:
    return clock.now().astimezone(tz) if tz else _china_now()


def _fromtimestamp(timestamp: float, tz: tzinfo | None = None) -> _datetime:
    # Without a zone Python would use the machine's; China time keeps a replay elsewhere the same.
    if tz:
        return _datetime.fromtimestamp(timestamp, tz)
    return _datetime.fromtimestamp(timestamp, CHINA_TZ).replace(tzinfo=None)


class _ClockBound:
    """Stands in for a class whose constructors read the wall clock: those read the runtime clock instead.

    Calling it builds the real class, so the values scripts make are plain ``datetime``/``date`` objects.
    """

    def __init__(self, real: type, **reads: Callable[..., Any]) -> None:
        self._real = real
        self._reads = reads

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._real(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return self._reads[name] if name in self._reads else getattr(self._real, name)


def _dumps(value: Any, *, ensure_ascii: bool = False, sort_keys: bool = False, indent: int | None = None) -> str:
    """``json.dumps`` with the options a script needs; an indent is a few spaces, not a way to build a huge text."""
    if indent is not None and not 0 <= indent <= 8:
        raise ValueError("json.dumps 的 indent 只能是 0 到 8")
    return _json.dumps(value, ensure_ascii=ensure_ascii, sort_keys=sort_keys, indent=indent)


def _format(value: Any, spec: str = "") -> str:
    """``format`` with the width and precision bounded as in f-strings (``scripting._wide``)."""
    if any(int(digits) > budget.MAX_ITEMS for digits in re.findall(r"\d+", spec)):
        raise budget.BudgetExceeded(f"格式说明里的宽度或精度不能超过 {budget.MAX_ITEMS}")
    return format(value, spec)


_MARKDOWN = re.compile(r"([_*\[\]()~`#+\-=|{}!])")


def _sanitize_for_md(value: str) -> str:
    """The text with Markdown's special characters escaped and line breaks dropped, as SpiffArena's helper does."""
    return _MARKDOWN.sub(r"\\\1", value).replace("\n", "").replace("\r", "")


OFFERED: dict[str, Any] = {
    "datetime": _ClockBound(_datetime, now=_now, today=_china_now,
                            utcnow=lambda: clock.now().astimezone(UTC).replace(tzinfo=None),
                            fromtimestamp=_fromtimestamp),
    "date": _ClockBound(_date, today=lambda: _china_now().date(),
                        fromtimestamp=lambda timestamp: _fromtimestamp(timestamp).date()),
    "timedelta": timedelta,
    "time": SimpleNamespace(time=lambda: clock.now().timestamp()),
    "json": SimpleNamespace(dumps=_dumps, loads=_json.loads),
    "Decimal": Decimal,
    # Decimal and the rounding modes; not getcontext()/setcontext(): the context is shared by every later step.
    "decimal": SimpleNamespace(Decimal=Decimal, **{name: getattr(_decimal, name) for name in dir(_decimal)
                                                   if name.startswith("ROUND_")}),
    "format": _format,
    "sanitize_for_md": _sanitize_for_md,
}

# SpiffArena's service scripts, each offered to its scripts as a function of the same name in snake case.
SERVICE_FUNCTIONS = frozenset({
    "create_unique_kkv_top_level_key", "delete_process_instances_with_criteria", "extract_from_task_data",
    "fact_service", "generate_markdown_table", "get_all_permissions", "get_current_task_data",
    "get_current_task_info", "get_current_user", "get_data_sizes", "get_encoded_file_data", "get_env",
    "get_frontend_url", "get_group_members", "get_groups_for_user", "get_last_user_completing_task",
    "get_localtime", "get_process_initiator_user", "get_secret", "get_task_data_value",
    "get_task_potential_owners", "get_toplevel_process_info", "get_url_for_task",
    "get_url_for_task_with_bpmn_identifier", "get_user", "get_user_properties", "get_users_assigned_to_task",
    "markdown_file_download_link", "refresh_permissions", "set_feature_flags", "set_secret",
    "set_user_properties", "times_executed_by_user", "update_task_data_with_dictionary",
    "user_has_started_instance",
})

_SERVICE_HINTS = {
    "get_current_user": "办理人由泳道的角色决定，谁办的记在案件历史里；数据里需要经办人时，请在表单里加一个字段",
    "get_localtime": "请用 datetime.now()：它就是中国时间",
    "get_task_data_value": "请直接读任务数据里的变量，或用 dict 的 get()",
    "update_task_data_with_dictionary": "请直接给变量赋值",
}
_SERVICE_HINT = "请改用任务数据，或在 handlers 里登记一个服务任务操作（spiffworkflow:serviceTaskOperator）"

# The modules SpiffArena offers that certflow does not, and why.
_MODULES = {
    "random": "每次运行结果不同，重放案件历史时无法得到同样的结果",
    "uuid": "每次运行结果不同，重放案件历史时无法得到同样的结果",
    "re": "正则表达式可能长时间运行，运行限额无法打断它；请用字符串方法（in、startswith、split、replace）",
    "calendar": "请用 datetime、date 与 timedelta 计算日期",
    "pytz": "datetime.now() 已是中国时间；需要其他时区时请在 handlers 里提供",
    "dateparser": "请用 datetime.strptime 或 datetime.fromisoformat 按固定格式解析",
}


def missing(module: str, attribute: str) -> str | None:
    """Why ``module.attribute`` is not there, for the modules certflow offers only in part; None if it is there."""
    offered = OFFERED.get(module)
    if not isinstance(offered, SimpleNamespace) or hasattr(offered, attribute):
        return None
    return f"{module}.{attribute} 不提供：certflow 的 {module} 只有 {'、'.join(sorted(vars(offered)))}"


def refusal(name: str) -> str | None:
    """Why a script may not call ``name`` or use it as a module, in Chinese; None if certflow has nothing against it."""
    if name in SERVICE_FUNCTIONS:
        return (f"{name}() 是 SpiffArena 的服务函数，certflow 不提供；"
                f"{_SERVICE_HINTS.get(name, _SERVICE_HINT)}")
    if name in _MODULES:
        return f"{name} 是 SpiffArena 脚本环境里的模块，certflow 不提供：{_MODULES[name]}"
    return None
