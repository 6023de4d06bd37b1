"""A case as its applicant reads it: where it is in plain words, the appointment, the texts they were sent,
and the materials they may hand in online when the window found some missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from certflow.engine.calendar import CHINA_TZ, moment_text
from certflow.engine.outcomes import OUTCOMES
from certflow.engine.views import CaseView, OutboxText
from certflow.people import lookupcodes
from certflow.web.applying import UploadInput
from certflow.web.context import services

# Open tasks by their BPMN id, said from the applicant's side; another task shows its own title.
STEPS: dict[str, str] = {
    "pre_review": "残联综合窗口正在预审您的申请",
    "window_review": "残联综合窗口正在审核您的申请和材料",
    "register_appointment": "定点医院正在安排评定时间，预约后会短信通知您",
    "assess": "等待定点医院评定",
    "post_publicity": "评定已通过，等待在您所在的村(社区)张贴公示",
    "reexamine": "公示期间收到异议，评残专家委员会正在复核",
    "committee_review": "已收到您的复核申请，评残专家委员会正在复核",
    "issue_certificate": "公示期满，正在办理发证",
}
# What a case with no open task waits for, by message name.
WAITING: dict[str, str] = {
    "materials_supplied": "等待您补交材料（需补充的材料见短信）",
    "objection": "正在您所在的村(社区)公示",
    "review_request": "经评定未达到残疾标准；如有异议，可在期限内申请复核",
}
# The steps of an application as the status page draws them, and the step each open task or awaited message is
# part of (复核 of a conclusion belongs to the assessment, 复核 on an objection to the publicity).
STAGES = ("提交申请", "窗口预审", "医院评定", "村(社区)公示", "发证")
STAGE_OF: dict[str, int] = {
    "pre_review": 1, "window_review": 1, "materials_supplied": 1,
    "register_appointment": 2, "assess": 2, "review_request": 2, "committee_review": 2,
    "post_publicity": 3, "post_publicity_township": 3, "objection": 3, "reexamine": 3,
    "issue_certificate": 4,
}
STATUSES = {"running": "办理中", "completed": "已办结", "cancelled": "已取消", "error": "暂停办理，工作人员正在处理"}


@dataclass(frozen=True)
class Appointment:
    at: str  # ISO date-time
    place: str
    bring_items: list[str]


@dataclass(frozen=True)
class Stage:
    name: str
    state: str  # done, current or todo


@dataclass(frozen=True)
class Supplement:
    """What an online applicant is asked to hand in before the window reviews the case again."""

    inputs: list[UploadInput]  # one per missing material: each must get a file
    note: str  # what the window clerk wrote about it, if anything


@dataclass(frozen=True)
class Progress:
    number: str
    applicant_name: str
    status: str
    step: str
    outcome: str
    started_at: str
    appointment: Appointment | None
    texts: list[OutboxText]  # sent to the applicant
    supplement: Supplement | None  # set while the case waits for materials handed in online
    review_until: str  # the last day to ask for re-examination (复核), in words, while it may be asked; else ""
    stages: list[Stage]  # the progress line; empty for a case that ended without a certificate
    due: str  # the last day of the open step, in words, by the process's working days (dueInWorkingDays); else ""


def progress(case: CaseView, outbox: list[OutboxText]) -> Progress:
    """``case`` as ``Runtime.case`` returns it, ``outbox`` the case's messages."""
    data = case["data"]
    appointment = None
    if data.get("appointment_at"):
        appointment = Appointment(data["appointment_at"], data.get("appointment_place") or "",
                                  list(data.get("bring_items") or []))
    return Progress(
        number=case["number"],
        applicant_name=case["applicant_name"] or "",
        status=STATUSES.get(case["status"], case["status"]),
        step=_step(case),
        outcome=OUTCOMES.get(case["outcome"] or "", ""),
        started_at=case["started_at"],
        appointment=appointment,
        texts=[t for t in outbox if t["recipient_role"] == "applicant" and t["template"] != lookupcodes.TEMPLATE],
        supplement=supplement(case),
        review_until=review_until(case),
        stages=stages(case),
        due=_last_day(min((t["due_at"] for t in case["open_tasks"] if t["due_at"]), default="")),
    )


def _last_day(due_at: str) -> str:
    """A task's due moment is the midnight that ends its last working day (Calendar.deadline): that day, in words."""
    if not due_at:
        return ""
    return moment_text(datetime.fromisoformat(due_at).astimezone(CHINA_TZ).date() - timedelta(days=1))


def stages(case: CaseView) -> list[Stage]:
    """Where the case is on the line of ``STAGES``: every step done once issued; a running case is at its
    furthest open step (at pre-review while the system checks it). A case that ended otherwise has no line:
    its status says how it ended."""
    if case["status"] == "completed" and case["outcome"] == "issued":
        at = len(STAGES)
    elif case["status"] == "running":
        names = [t["name"] for t in case["open_tasks"]] + [w["name"] or "" for w in case["waiting"]]
        at = max((STAGE_OF[n] for n in names if n in STAGE_OF), default=1)
    else:
        return []
    return [Stage(name, "done" if i < at else "current" if i == at else "todo") for i, name in enumerate(STAGES)]


def supplement(case: CaseView) -> Supplement | None:
    """The materials to hand in, when the case is an online one waiting for them; else None.

    Paper applications are completed at the window, where the originals are seen.
    """
    data = case["data"]
    waiting = any(w["name"] == "materials_supplied" for w in case["waiting"])
    if case["status"] != "running" or not waiting or data.get("channel") != "online":
        return None
    # Not empty: the window can only choose 材料不全 with something missing. Process versions before the
    # clerk could mark materials have only what the check found.
    missing = (data.get("missing_notice") or data["materials_result"])["missing"]
    names = services().registry.materials.names
    inputs = [UploadInput(code, names[code], "必须提交") for code in missing]
    return Supplement(inputs, data.get("missing_note") or "")


def review_until(case: CaseView) -> str:
    """The last day to ask for re-examination of a 不符合标准 conclusion, while the case waits for it; else ""."""
    waiting = any(w["name"] == "review_request" for w in case["waiting"])
    last_day = case["data"].get("review_last_day")
    return moment_text(last_day) if case["status"] == "running" and waiting and last_day else ""


def _step(case: CaseView) -> str:
    if case["status"] != "running":
        return ""
    said = [STEPS.get(task["name"], task["title"]) for task in case["open_tasks"]]
    said += [WAITING[w["name"]] for w in case["waiting"] if w["name"] in WAITING]
    return "；".join(dict.fromkeys(said)) or case["current_step"] or "办理中"
