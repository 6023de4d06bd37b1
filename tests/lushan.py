"""Whole cases of the Lushan processes, driven as the people in them would."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from stdnum.cn import ric

from certflow.engine.calendar import CHINA_TZ
from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime


def lushan_id(birth: str, sequence: str = "123", area: str = "360483") -> str:
    """A valid resident ID first issued in 庐山市 (360483, or ``area``), born on ``birth`` (YYYYMMDD)."""
    body = f"{area}{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")  # it expects the check-digit slot


ADULT_ID = lushan_id("19800101")
MINOR_ID = lushan_id("20150601", "246")
GUARDIAN_ID = lushan_id("19750310", "222")
GUARDIAN = {"guardian_name": "王芳", "guardian_relation": "父母", "guardian_id_number": GUARDIAN_ID,
            "guardian_phone": "13900000002"}
# What the portal posts besides the case data: the county and township above the village (白鹿镇, 庐山市) and the
# consent to sensitive personal information.
PORTAL_CHOICES = {"place_county": "360483", "place_township": "360483101", "sensitive_consent": "yes"}


def application(**changes: Any) -> dict[str, Any]:
    """An online application for a physical (肢体) disability with every material it needs."""
    data: dict[str, Any] = {
        "applicant_name": "李明",
        "id_number": ADULT_ID,
        "phone": "13800000001",
        "address": "庐山市白鹿镇玉京村12号",
        "village": "village-360483101209",
        "category": "肢体",
        "parts": [],
        "materials": ["photos"],
        "delivery": "post",
    }
    data.update(changes)
    if _needs_guardian(data) and not any(field in changes for field in GUARDIAN):
        data.update(GUARDIAN)  # as the portal asks for it: a minor, 智力 or 精神 applies with a guardian
    return data


def _needs_guardian(data: dict[str, Any]) -> bool:
    parts = data["parts"] if data["category"] == "多重" else [data["category"]]
    return data["id_number"] == MINOR_ID or bool({"智力", "精神"} & set(parts))


class CaseDriver:
    """One case, with the steps people take in it."""

    def __init__(self, runtime: Runtime, clock: FixedClock, number: str) -> None:
        self.runtime = runtime
        self.clock = clock
        self.number = number

    def open_tasks(self) -> list[dict[str, Any]]:
        return self.runtime.tasks(case=self.number)

    def task(self, name: str, group: str | None = None) -> dict[str, Any]:
        found = [t for t in self.open_tasks() if t["name"] == name and (group is None or t["group"] == group)]
        assert len(found) == 1, f"expected one open {name} task, found {[t['name'] for t in self.open_tasks()]}"
        return found[0]

    def complete(self, name: str, data: dict[str, Any], *, user: str = "clerk", group: str | None = None) -> None:
        self.runtime.complete_task(self.task(name, group)["id"], data, actor=user)

    def message(self, name: str, payload: dict[str, Any]) -> None:
        self.runtime.send_message(self.number, name, payload, actor="applicant")

    def at(self, moment: str) -> None:
        self.clock.set(datetime.fromisoformat(moment))

    def tick(self, moment: str) -> list[str]:
        self.at(moment)
        return self.runtime.tick()

    @property
    def view(self) -> dict[str, Any]:
        return self.runtime.case(self.number)

    @property
    def texts(self) -> list[dict[str, Any]]:
        return self.runtime.outbox(self.number)

    def text(self, template: str) -> dict[str, Any]:
        found = [t for t in self.texts if t["template"] == template]
        assert found, f"no {template} text; sent: {[t['template'] for t in self.texts]}"
        return found[-1]

    # -- common stretches of the path ---------------------------------------------------------

    def assess(self, *, group: str = "hospital-renmin", meets: bool = True, grade: int = 3,
               conclusion: str = "经评定，符合肢体残疾三级标准") -> None:
        self.complete("register_appointment", {
            "appointment_at": "2026-09-08T09:30:00+08:00",
            "appointment_place": "庐山市人民医院门诊楼三楼",
            "bring_items": ["居民身份证", "两寸照片"],
        }, user=f"doctor@{group}", group=group)
        result: dict[str, Any] = {"meets_standard": meets, "conclusion": conclusion}
        if meets:
            result["grade"] = grade
        self.complete("assess", result, user=f"doctor@{group}", group=group)

    def on_day(self, day: str) -> None:
        """The clock moves on to ``day`` (10:00) if it is earlier: a date entered is never in the future."""
        if self.clock.now().astimezone(CHINA_TZ).date().isoformat() < day:
            self.at(f"{day}T10:00:00+08:00")

    def post_publicity(self, posted_on: str = "2026-09-10") -> None:
        """The village posts the publicity and records it that day (a later day keeps the clock)."""
        self.on_day(posted_on)
        self.complete("post_publicity", {"posted_on": posted_on, "posting_place": "村委会公示栏"}, user="village")

    def issue(self, delivery: str = "post", issued_on: str = "2026-09-20") -> None:
        data = {"delivery": delivery, "issued_on": issued_on}
        if delivery == "post":
            data["tracking_no"] = "EMS1234567890"
        self.complete("issue_certificate", data)
