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
from certflow.engine.counties import Local
from certflow.engine.errors import CertflowError
from certflow.engine.roles import ROLES
from certflow.engine.views import EventView

STEP_KINDS = ("case_started", "task_completed", "message_received", "timer_fired", "case_migrated", "data_fixed")

# How each kind of event reads in a timeline and a report.
EVENT_LABELS = {
    "case_started": "受理", "task_completed": "办理", "task_claimed": "认领", "task_unclaimed": "取消认领",
    "task_reassigned": "改派", "message_received": "收到消息", "timer_fired": "定时到期", "comment_added": "备注",
    "files_attached": "上传材料", "case_ended": "办结", "service_called": "系统处理",
    "personal_data_viewed": "查看完整个人信息", "case_migrated": "迁移到新版本",
    "incident_opened": "暂停：自动处理失败", "data_fixed": "管理员更正数据", "case_cancelled": "撤销案件",
    "data_erased": "按保存期限删除个人信息",
}


class ReplayError(CertflowError):
    """Re-running a step did not follow its history."""

    code = "replay_diverged"


@dataclass
class ReplayScope:
    """What re-running a step needs of its case: the number, how many events came before it, and its county."""

    number: str
    event_count: int
    county: str
    local: Local | None = None  # its county's rules, read by the first step replayed


@dataclass
class Step:
    """One change of the workflow: the event that began it, and the events that belong to it."""

    events: list[EventView]
    state: dict[str, Any] = field(default_factory=dict)  # the state replay reached
    digest: str = ""
    error: str | None = None  # why re-running the step failed, if it did
    version_id: int | None = None  # the process version the case was on after the step

    @property
    def first(self) -> EventView:
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


def steps(events: Iterable[EventView]) -> list[Step]:
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


def describe_event(event: EventView) -> str:
    label = EVENT_LABELS.get(event["kind"], event["kind"])
    if event["kind"] == "case_migrated":
        return f"{label}：v{event['data']['from_version']} → v{event['data']['to_version']}"
    title = event["data"].get("title") or event.get("task_name")
    return f"{label}：{title}" if title and event["kind"].startswith("task_") else label


@dataclass(frozen=True)
class Finding:
    """The first thing that does not check out, at the event where it shows."""

    seq: int
    kind: str  # missing, link, content, unsigned, key, signature, count, seal, diverged, state, stored, status, tasks
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "message": self.message}


@dataclass(frozen=True)
class Verification:
    case: str
    events: int
    steps: int
    finding: Finding | None
    unsigned: int = 0  # events of history version 1 (written before the keys), covered by the case row's seal only
    erased: str = ""  # which events' personal data was erased and when (certflow.engine.erasure), in Chinese

    @property
    def ok(self) -> bool:
        return self.finding is None

    @property
    def unsigned_note(self) -> str:
        return f"前 {self.unsigned} 条事件是启用密钥签名之前的旧版历史，只受案件记录的封印保护" if self.unsigned else ""

    def as_dict(self) -> dict[str, Any]:
        return {"case": self.case, "ok": self.ok, "events": self.events, "steps": self.steps,
                "unsigned_events": self.unsigned, "erased": self.erased,
                "finding": self.finding.as_dict() if self.finding else None}

    def __str__(self) -> str:
        if self.finding is None:
            note = f"；{self.unsigned_note}" if self.unsigned else ""
            if self.erased:
                return (f"{self.case}: OK（{self.events} 条事件；{self.erased}，不再重放，"
                        f"已核对哈希链、签名和封印{note}）")
            return f"{self.case}: OK（{self.events} 条事件，{self.steps} 步重放一致{note}）"
        return f"{self.case}: 第 {self.finding.seq} 条事件：{self.finding.message}"


def chain_finding(chain_break: history.ChainBreak) -> Finding:
    messages = {
        "missing": f"缺少第 {chain_break.seq} 条事件：有事件被删除，或调换了顺序",
        "link": "与前一条事件的哈希链接不符：此前的事件被删除、插入、调换了顺序，或被改动后重算了哈希",
        "content": "内容与其哈希不符：此事件被改动过",
        "unsigned": "此事件没有密钥签名，而它之前的事件有：历史被改写成了不签名的旧版格式",
        "key": "此事件签名所用的密钥没有配置：无法核对，请配置当时的历史签名密钥",
        "signature": "密钥签名与此事件不符：此事件或它之前的事件被改动后重算了哈希",
    }
    return Finding(chain_break.seq, chain_break.kind, messages.get(chain_break.kind, chain_break.reason))


def count_finding(case_events: int, case_hash: str, events: list[EventView]) -> Finding | None:
    """The case row remembers how many events it has and the last hash: a cut-off tail shows here."""
    last = events[-1] if events else None
    if last is None or case_events != last["seq"]:
        found = last["seq"] if last else 0
        message = f"案件记录共有 {case_events} 条事件，历史中只到第 {found} 条：最后的事件被删除"
        return Finding(found + 1, "count", message)
    if case_hash != last["hash"]:
        return Finding(last["seq"], "count", "案件记录的最后哈希与历史不符：历史的结尾被改动")
    return None


def seal_finding(
    keys: history.KeyRing, number: str, event_count: int, last_hash: str, seal_key: str | None, seal: str | None,
) -> Finding | None:
    """The case row's seal covers its event count and last hash: only a key holder can fit it to a changed history."""
    if seal_key is None:
        return Finding(event_count, "seal", "案件记录没有密钥封印：它不是由本系统写入的，或被改写过")
    verdict = keys.check(seal_key, history.seal_message(number, event_count, last_hash), seal or "")
    if verdict is None:
        return Finding(event_count, "seal", "案件记录封印所用的密钥没有配置：无法核对，请配置当时的历史签名密钥")
    if not verdict:
        return Finding(event_count, "seal", "案件记录的密钥封印与其事件数、最后哈希不符：历史的结尾被删去或改写，"
                                            "案件记录随之被改过")
    return None


# What the task list shows of an open task that its spec decides; the assignee comes from claims and reassignments.
TASK_FIELDS = ("name", "title", "role", "candidate_group", "form")
_FIELD_LABELS = {"name": "环节", "title": "名称", "role": "角色", "candidate_group": "办理组", "form": "表单",
                 "assignee": "经办人"}
_STATUS_LABELS = {"running": "办理中", "error": "暂停", "completed": "已办结", "cancelled": "已撤销"}


def row_findings(
    events: list[EventView], *, status: str, outcome: str | None, replayed_outcome: str | None,
    completed: bool, cancelled: bool, open_tasks: dict[str, dict[str, Any]], projected: dict[str, dict[str, Any]],
) -> list[Finding]:
    """The case row (status, outcome) and its open tasks as stored, against what the replay and the history say.

    ``open_tasks``: the replay's open user tasks (id → TASK_FIELDS); ``projected``: the stored open rows, with
    their assignee.
    """
    seq = events[-1]["seq"]
    expected = "cancelled" if cancelled else "completed" if completed else None
    if (status != expected) if expected else status not in ("running", "error"):
        replayed = _STATUS_LABELS[expected] if expected else "办理中"
        stored = _STATUS_LABELS.get(status, status)
        return [Finding(seq, "status", f"案件记录的状态是“{stored}”，按历史应为“{replayed}”")]
    if outcome != replayed_outcome:
        return [Finding(seq, "status", f"案件记录的办理结果是 {_short(outcome)}，重放得到 {_short(replayed_outcome)}")]
    if missing := sorted(open_tasks.keys() - projected.keys()):
        return [Finding(seq, "tasks", f"重放中待办的“{open_tasks[missing[0]]['title']}”不在待办列表中")]
    if extra := sorted(projected.keys() - open_tasks.keys()):
        return [Finding(seq, "tasks", f"待办列表中的“{projected[extra[0]]['title']}”按重放并不待办")]
    assignees = _assignees(events)
    for task_id, fields in open_tasks.items():
        wanted = {**fields, "assignee": assignees.get(task_id)}
        if differs := [name for name, value in wanted.items() if projected[task_id][name] != value]:
            name = differs[0]
            stored, replayed = _label(name, projected[task_id][name]), _label(name, wanted[name])
            return [Finding(seq, "tasks",
                            f"待办“{fields['title']}”的{_FIELD_LABELS[name]}是 {stored}，按历史应为 {replayed}")]
    return []


def _assignees(events: list[EventView]) -> dict[str, str | None]:
    """Who holds each task after the history's claims, give-backs and reassignments."""
    held: dict[str, str | None] = {}
    for event in events:
        if (task_id := event["task_id"]) is None:  # not about a task
            continue
        if event["kind"] == "task_claimed":
            held[task_id] = event["actor"]
        elif event["kind"] == "task_unclaimed":
            held[task_id] = None
        elif event["kind"] == "task_reassigned":
            held[task_id] = event["data"].get("to")
    return held


def _label(field_name: str, value: Any) -> str:
    return _short(ROLES.get(value, value) if field_name == "role" else value)


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
