"""A case's history as people read it: every event with who, when, in which role and step, and what it carried.

Flask-free: the case page, the history page, its CSV export and the replay page build on it. ID numbers are
masked throughout; the complete history is the hash-chained export (``Runtime.history_export``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from certflow.engine import replay
from certflow.engine.outcomes import OUTCOMES
from certflow.engine.privacy import mask_id_numbers, mask_personal
from certflow.engine.roles import ROLES
from certflow.engine.views import EventView, OutboxText, ReplayStep
from certflow.web.present import Glossary, china_time, describe, option_titles, with_forms

# Events whose data is a form as submitted: the application, and each task's form.
SUBMITTING = ("case_started", "task_completed")
# Events that ran inside the step before them: their step is that step's.
WITHIN_STEP = ("service_called", "case_ended")
# Actors that are not accounts.
OTHER_ACTORS = {"system": "系统", "applicant": ROLES["applicant"]}
NOTICE_STATUS = {"queued": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}
NOBODY = "待认领"
CSV_HEADER = ["序号", "时间", "操作人", "角色", "事件", "环节", "内容", "前一哈希", "哈希"]


@dataclass(frozen=True)
class Detail:
    label: str
    value: str
    before: str | None = None  # the field's earlier value, when this step changed it

    def __str__(self) -> str:
        value = f"{self.before} → {self.value}" if self.before is not None else self.value
        return f"{self.label}：{value}"


@dataclass(frozen=True)
class Row:
    seq: int
    at: str
    actor: str  # the username, for filters
    actor_name: str  # the person's name, for people
    roles: str
    kind: str
    label: str
    step: str
    details: tuple[Detail, ...]
    starts_step: bool  # replay can show the case as it was after this event's step
    prev_hash: str
    hash: str

    @property
    def text(self) -> str:
        return "；".join(str(d) for d in self.details)


@dataclass(frozen=True)
class Sources:
    """What a timeline reads besides the events: the forms that label the data, the texts, who the actors are."""

    forms: Mapping[str, dict[str, Any]]  # form file → JSON Schema, of the case's version
    start_form: str | None
    task_forms: Mapping[str, str | None]  # task id → its form file
    outbox: list[OutboxText]
    roles: Mapping[str, Collection[str] | None]  # actor → the account's roles; None: no such account
    rename: Callable[[str], str] = str  # ids to names, e.g. groups
    names: Mapping[str, str] = field(default_factory=dict)  # actor → the person's name
    glossary: Glossary = field(default_factory=dict)  # names of the data no form asks for (Registry.glossary)
    operators: Mapping[str, str] = field(default_factory=dict)  # handler → what it does
    messages: Mapping[str, str] = field(default_factory=dict)  # message → what it brings
    process_name: str = ""  # the case's process as people know it


def changed_fields(events: list[EventView]) -> dict[int, dict[str, Any]]:
    """For each application or form submitted (by seq), the fields it changed and the value each had before.

    "Before" is the value submitted for the field most recently before, by the application or an earlier
    form: a field submitted again with another value (a second pre-review's decision, the delivery chosen at
    issue) changed; one submitted for the first time or with the same value did not.
    """
    known: dict[str, Any] = {}
    changed: dict[int, dict[str, Any]] = {}
    for event in events:
        if event["kind"] not in SUBMITTING:
            continue
        submitted = event["data"].get("data") or {}
        changed[event["seq"]] = {k: known[k] for k, v in submitted.items() if k in known and known[k] != v}
        known.update(submitted)
    return changed


def actor_name(actor: str, names: Mapping[str, str]) -> str:
    """Who acted, by name: 系统, 申请人, or the person's name (the username of an account that is gone)."""
    return OTHER_ACTORS.get(actor) or names.get(actor) or actor


def people(events: list[EventView]) -> set[str]:
    """The accounts the events name: who acted, and to whom and from whom a task was reassigned."""
    named = {e["actor"] for e in events} | {e["data"].get(k) for e in events if e["kind"] == "task_reassigned"
                                            for k in ("from", "to")}
    return {n for n in named if n} - set(OTHER_ACTORS)


def actor_roles(actor: str, roles: Collection[str] | None) -> str:
    if actor in OTHER_ACTORS:
        return OTHER_ACTORS[actor]
    return "、".join(ROLES.get(r, r) for r in sorted(roles or ()))


def rows(events: list[EventView], sources: Sources) -> list[Row]:
    """Every event of the case, in order, in words."""
    changed = changed_fields(events)
    notices = _notices(sources.outbox)
    found: list[Row] = []
    for step in replay.steps(events):
        for event in step.events:
            kind, actor = event["kind"], event["actor"]
            found.append(Row(
                seq=event["seq"], at=event["at"], actor=actor, actor_name=actor_name(actor, sources.names),
                # 系统 and 申请人 are no accounts: their name says their role
                roles="" if actor in OTHER_ACTORS else actor_roles(actor, sources.roles.get(actor)),
                kind=kind, label=replay.EVENT_LABELS.get(kind, kind), step=_step_title(event, step.first),
                details=tuple(_details(event, changed.get(event["seq"], {}), sources, notices)),
                starts_step=event is step.first and kind in replay.STEP_KINDS,
                prev_hash=event["prev_hash"], hash=event["hash"],
            ))
    return found


def select(found: list[Row], kinds: Collection[str] = (), person: str = "") -> list[Row]:
    """The rows of these kinds (all when none is given) and by this person (anyone when empty)."""
    return [r for r in found if (not kinds or r.kind in kinds) and (not person or r.actor == person)]


def csv_lines(found: list[Row]) -> Iterator[list[Any]]:
    for r in found:
        yield [r.seq, china_time(r.at, "%Y-%m-%d %H:%M:%S"), r.actor_name, r.roles, r.label, r.step, r.text,
               r.prev_hash, r.hash]


def _step_title(event: EventView, first: EventView) -> str:
    """The task an event concerns; a handler's call and the case's end belong to the step that ran them."""
    title = event["data"].get("title")
    if title or event["kind"] not in WITHIN_STEP:
        return title or ""
    return first["data"].get("title") or replay.EVENT_LABELS.get(first["kind"], first["kind"])


Notices = dict[tuple[str, str], list[OutboxText]]  # outbox rows by (time, text)


def _notices(outbox: list[OutboxText]) -> Notices:
    """Outbox rows by (time, text): a text is queued at the instant of the step whose handler wrote it."""
    by_moment: Notices = defaultdict(list)
    for notice in outbox:
        by_moment[(notice["created_at"], notice["text"])].append(notice)
    return by_moment


def _pairs(value: Any, sources: Sources, schema: dict[str, Any] | None = None) -> list[Detail]:
    """A form's data with its titles; data of no form (a message, a handler's call) with every form's and the
    glossary's."""
    data = mask_personal(value if isinstance(value, dict) else {"结果": value})
    glossary = with_forms(sources.glossary, sources.forms)
    return [Detail(label, shown) for label, shown in describe(schema, data, rename=sources.rename, glossary=glossary)]


def _details(event: EventView, changed: dict[str, Any], sources: Sources, notices: Notices) -> list[Detail]:
    kind, data = event["kind"], event["data"]
    if kind in SUBMITTING:
        form = sources.start_form if kind == "case_started" else sources.task_forms.get(event["task_id"] or "")
        schema = sources.forms.get(form or "")
        before = {d.label: d.value for d in _pairs(changed, sources, schema)}
        submitted = [Detail(d.label, d.value, before.get(d.label))
                     for d in _pairs(data.get("data") or {}, sources, schema)]
        if kind == "case_started":
            process = sources.process_name or data.get("process")
            return [Detail("流程", f"{process}（第 {data.get('version')} 版）"), *submitted]
        return submitted
    if kind == "service_called":
        return _service(event, sources, notices)
    if kind == "timer_fired":
        return [Detail("到期时间", "、".join(china_time(d) for d in data.get("due") or []) or "—"),
                Detail("检查时间", china_time(data.get("now")))]
    if kind == "message_received":
        name = str(data.get("name"))
        return [Detail("消息", sources.messages.get(name, name)), *_pairs(data.get("payload") or {}, sources)]
    if kind == "case_migrated":
        return [Detail("流程版本", f"第 {data.get('to_version')} 版", f"第 {data.get('from_version')} 版")]
    if kind == "task_reassigned":
        moved_from, moved_to = (actor_name(data[k], sources.names) if data.get(k) else NOBODY for k in ("from", "to"))
        return [Detail("改派", f"{moved_from} → {moved_to}")]
    if kind == "comment_added":
        return [Detail("备注", mask_id_numbers(str(data.get("text", ""))))]
    if kind == "files_attached":
        names = option_titles(sources.forms.get(sources.start_form or ""), "materials")
        return [Detail(names.get(f["material"], f["material"]), f"{f['filename']}（SHA-256 {f['sha256']}）")
                for f in data.get("files") or []]
    if kind == "personal_data_viewed":
        return [Detail("查看内容", str(data.get("what")))]
    if kind == "case_ended":
        return [Detail("办理结果", OUTCOMES.get(data.get("outcome") or "", data.get("outcome") or "—"))]
    return []  # claims: the task is the row's step


def _service(event: EventView, sources: Sources, notices: Notices) -> list[Detail]:
    """A handler's call: a text it wrote for the outbox, with how the sending went; else what it returned."""
    data = event["data"]
    result = data.get("result")
    text = result.get("text") if isinstance(result, dict) else None
    queued = notices.get((event["at"], text)) if isinstance(text, str) else None
    if queued:
        notice = queued.pop(0)
        recipient = [ROLES.get(notice["recipient_role"], notice["recipient_role"]),
                     sources.rename(notice["recipient_group"] or ""), notice["recipient_phone"] or ""]
        return [Detail("短信", " · ".join(p for p in recipient if p)), Detail("内容", mask_id_numbers(notice["text"])),
                Detail("发送状态", NOTICE_STATUS.get(notice["status"], notice["status"]))]
    operator = str(data.get("operator"))
    return [Detail("处理", sources.operators.get(operator, operator)), *_pairs({"参数": data.get("params")}, sources),
            *_pairs(result, sources)]


@dataclass(frozen=True)
class Place:
    """Where a step stands among a replay's steps, for stepping back and forth."""

    index: int  # from 0
    previous: int | None  # the seq of the step before, if any
    next: int | None


def place_of(steps: list[ReplayStep], seq: int) -> Place:
    index = next(i for i, s in enumerate(steps) if s["seq"] == seq)
    return Place(index, steps[index - 1]["seq"] if index else None,
                 steps[index + 1]["seq"] if index + 1 < len(steps) else None)
