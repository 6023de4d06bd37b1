"""Replaying a case from its history, and verifying that nothing in it was altered.

A case's history is a list of events. Six kinds begin a step that changes the workflow (a case
started, a task completed, a message received, timers fired, the case migrated to a newer version,
its data fixed by an administrator after an incident);
the events after one, up to the next, belong to its step (the handlers' results, the case's end) or
change nothing in the workflow (claims, comments, files, views). Replay runs each step again on the
process version the case was on at that step (the one it started on, then each it was migrated to),
at the recorded instant, giving each handler call the result the history recorded, and must reach
the state whose digest the step recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from certflow.engine import history
from certflow.engine.errors import CertflowError

STEP_KINDS = ("case_started", "task_completed", "message_received", "timer_fired", "case_migrated", "data_fixed")

# How each kind of event reads in a timeline and a report.
EVENT_LABELS = {
    "case_started": "受理", "task_completed": "办理", "task_claimed": "认领", "task_unclaimed": "退回",
    "task_reassigned": "改派", "message_received": "收到消息", "timer_fired": "定时到期", "comment_added": "备注",
    "files_attached": "上传材料", "case_ended": "办结", "service_called": "系统处理",
    "personal_data_viewed": "查看完整个人信息", "case_migrated": "迁移到新版本",
    "incident_opened": "暂停：自动处理失败", "data_fixed": "管理员更正数据", "case_cancelled": "撤销案件",
}


class ReplayError(CertflowError):
    """Re-running a step did not follow its history."""

    code = "replay_diverged"


@dataclass(frozen=True)
class ReplayScope:
    """What re-running a step needs of its case: the number, and how many events came before it."""

    number: str
    event_count: int


@dataclass
class Step:
    """One change of the workflow: the event that began it, and the events that belong to it."""

    events: list[dict[str, Any]]
    state: dict[str, Any] = field(default_factory=dict)  # the state replay reached
    digest: str = ""
    error: str | None = None  # why re-running the step failed, if it did
    version_id: int | None = None  # the process version the case was on after the step

    @property
    def first(self) -> dict[str, Any]:
        return self.events[0]

    @property
    def seq(self) -> int:
        return self.first["seq"]

    @property
    def last_seq(self) -> int:
        return self.events[-1]["seq"]

    @property
    def recorded(self) -> str | None:
        return self.first["data"].get("state")

    def service_results(self) -> Iterator[dict[str, Any]]:
        return (e["data"] for e in self.events if e["kind"] == "service_called")


def steps(events: Iterable[dict[str, Any]]) -> list[Step]:
    """Events grouped into steps; events before the first step (there should be none) start one of their own."""
    grouped: list[Step] = []
    for event in events:
        if event["kind"] in STEP_KINDS or not grouped:
            grouped.append(Step([event]))
        else:
            grouped[-1].events.append(event)
    return grouped


def as_stored(state: dict[str, Any]) -> dict[str, Any]:
    """The state as the database gives it back (JSON): a replayed step starts from what a live one loads.

    Key order is kept, as the database keeps it: SpiffWorkflow restores a task tree in the order given.
    """
    return json.loads(json.dumps(state, ensure_ascii=False))


def describe_event(event: dict[str, Any]) -> str:
    label = EVENT_LABELS.get(event["kind"], event["kind"])
    if event["kind"] == "case_migrated":
        return f"{label}：v{event['data']['from_version']} → v{event['data']['to_version']}"
    title = event["data"].get("title") or event.get("task_name")
    return f"{label}：{title}" if title and event["kind"].startswith("task_") else label


@dataclass(frozen=True)
class Finding:
    """The first thing that does not check out, at the event where it shows."""

    seq: int
    kind: str  # missing, link, content, count, diverged, state, stored
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class Verification:
    case: str
    events: int
    steps: int
    finding: Finding | None

    @property
    def ok(self) -> bool:
        return self.finding is None

    def as_dict(self) -> dict[str, Any]:
        return {"case": self.case, "ok": self.ok, "events": self.events, "steps": self.steps,
                "finding": self.finding.as_dict() if self.finding else None}

    def __str__(self) -> str:
        if self.finding is None:
            return f"{self.case}: OK（{self.events} 条事件，{self.steps} 步重放一致）"
        return f"{self.case}: 第 {self.finding.seq} 条事件：{self.finding.message}"


def chain_finding(chain_break: history.ChainBreak) -> Finding:
    messages = {
        "missing": f"缺少第 {chain_break.seq} 条事件：有事件被删除，或调换了顺序",
        "link": "与前一条事件的哈希链接不符：此前的事件被删除、插入、调换了顺序，或被改动后重算了哈希",
        "content": "内容与其哈希不符：此事件被改动过",
    }
    return Finding(chain_break.seq, chain_break.kind, messages.get(chain_break.kind, chain_break.reason))


def count_finding(case_events: int, case_hash: str, events: list[dict[str, Any]]) -> Finding | None:
    """The case row remembers how many events it has and the last hash: a cut-off tail shows here."""
    last = events[-1] if events else None
    if last is None or case_events != last["seq"]:
        found = last["seq"] if last else 0
        message = f"案件记录共有 {case_events} 条事件，历史中只到第 {found} 条：最后的事件被删除"
        return Finding(found + 1, "count", message)
    if case_hash != last["hash"]:
        return Finding(last["seq"], "count", "案件记录的最后哈希与历史不符：历史的结尾被改动")
    return None


def state_difference(stored: dict[str, Any], replayed: dict[str, Any]) -> str:
    """How a stored state differs from the replayed one, in the terms of the case's data where possible."""
    stored_data, replayed_data = _data_of(stored), _data_of(replayed)
    changed = sorted(k for k in stored_data.keys() | replayed_data.keys() if stored_data.get(k) != replayed_data.get(k))
    if changed:
        return "；".join(
            f"{k}：保存的是 {_short(stored_data.get(k))}，重放得到 {_short(replayed_data.get(k))}" for k in changed[:5]
        )
    return "流程的任务状态不同"


def _data_of(state: dict[str, Any]) -> dict[str, Any]:
    """Every task's data merged, latest last: where a case's values live in a serialized workflow."""
    merged: dict[str, Any] = dict(state.get("data") or {})
    tasks = [t for t in (state.get("tasks") or {}).values() if isinstance(t, dict)]
    for task in sorted(tasks, key=lambda t: t.get("last_state_change") or 0):
        merged.update(task.get("data") or {})
    return merged


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "…"
