"""Two counties in one database, each with rows in every table that holds a county's data: Lushan's cases (the
deployment's own county) and Shizong's exchange campaign, with files, drafts, queued messages, texts, an
incident, a re-assessment appointment, people and API tokens on both sides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from exchange import COUNTY, COUNTY_GROUP, roster_csv, roster_row, shizong_id
from sqlalchemy import select, update

from certflow.campaign.models import CampaignHolder as Holder
from certflow.campaign.models import ReassessmentAppointment as Appointment
from certflow.campaign.roster import import_roster
from certflow.engine.attachments import DiskStorage, FileStore, Upload
from certflow.engine.models import Case, Incident, VersionRelease
from certflow.engine.runtime import Runtime, Settings
from certflow.engine.scope import PROVINCE_WIDE, county_scope
from certflow.modeling.models import ProcessDraft
from certflow.people.accounts import Accounts
from certflow.people.models import Group

LUSHAN = Settings().county
SHIZONG = COUNTY.code
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
PASSWORD = "correct-horse-1"
# Each county's administrator (of that county, not the province's) and a Shizong clerk and auditor.
PEOPLE = {"ls-admin": (LUSHAN, ["admin"], ["county"]), "sz-county": (SHIZONG, ["county"], [COUNTY_GROUP]),
          "sz-auditor": (SHIZONG, ["auditor"], []), "sz-admin": (SHIZONG, ["admin"], []),
          "sheng-admin": (None, ["admin"], [])}  # the province's
SHIZONG_NAMES = ("王秀英", "李国强")  # the holders' names on the roster


@dataclass(frozen=True)
class County:
    code: str
    numbers: tuple[str, ...]
    task_ids: tuple[str, ...]
    attachment_id: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class TwoCounties:
    lushan: County
    shizong: County

    def secrets_of_shizong(self) -> list[str]:
        """What of Shizong's must never reach Lushan's staff: its holders' names, case numbers and task ids."""
        return [*self.shizong.names, *self.shizong.numbers, *self.shizong.task_ids]


def fill(runtime: Runtime, accounts: Accounts, start: Any, tmp_path: Path) -> TwoCounties:
    """Both counties' rows, written province-wide as the commands and the worker write them."""
    if runtime.files is None:
        runtime.files = FileStore(DiskStorage(tmp_path / "uploads"), runtime.settings.data_keys)
    with county_scope(PROVINCE_WIDE):
        lushan = [start(applicant_name=name) for name in ("张伟", "李明")]
        lushan[0].complete("pre_review", {"decision": "pass"}, user="window")
        rows = [roster_row(), roster_row(applicant_name="李国强", id_number=shizong_id("19700101", "033"),
                                         basis="目测")]
        shizong = import_roster(runtime.sessions, runtime, roster_csv(tmp_path / "roster.csv", rows), actor="sz",
                                county=COUNTY).started
        for username, (county, roles, groups) in PEOPLE.items():
            accounts.create(username, PASSWORD, display_name=f"{username} 测试", roles=roles, groups=groups,
                            county=county, province_wide=county is None)
        sides = []
        for code, numbers, names in ((LUSHAN, [c.number for c in lushan], ("张伟", "李明")),
                                     (SHIZONG, shizong, SHIZONG_NAMES)):
            runtime.attach(numbers[0], [Upload("photos", "照片.png", PNG)], actor="window")
            task_ids = tuple(t["id"] for number in numbers for t in runtime.tasks(case=number))
            runtime.save_draft(task_ids[0], {"remark": "草稿"}, actor="window")
            runtime.queue_message(numbers[0], "objection", {"reason": "不服"}, actor="window")
            runtime.text_applicant(numbers[0], "notice", "您的申请已受理")
            sides.append(County(code, tuple(numbers), task_ids, runtime.attachments(numbers[0])[0]["id"], names))
        _fill_the_rest(runtime, accounts, sides[0], sides[1])
    return TwoCounties(*sides)


def _fill_the_rest(runtime: Runtime, accounts: Accounts, lushan: County, shizong: County) -> None:
    """What no short path of the app makes in a test: an incident, an appointment, a group, a process draft and a
    release of each county."""
    for username in ("ls-admin", "sz-county"):
        person = accounts.by_username(username)
        assert person is not None
        accounts.issue_token(person.id, "test")
    now = runtime.clock.now()
    with runtime.sessions.begin() as session:
        session.execute(update(Group).where(Group.id == COUNTY_GROUP).values(county=SHIZONG))
        session.execute(update(Group).where(Group.id == "window").values(county=LUSHAN))
        for side in (lushan, shizong):
            case_id = session.scalar(select(Case.id).where(Case.number == side.numbers[0]))
            session.add(Incident(case_id=case_id, kind="timer", step="公示期满", message="失败", data={}, attempts=3,
                                 status="open", opened_at=now))
        for code in (LUSHAN, SHIZONG, None):  # each county's draft of a diagram, and the province's
            session.add(ProcessDraft(name="publicity.bpmn", county=code, content="<definitions/>", author="analyst",
                                     updated_at=now))
        for code in (LUSHAN, SHIZONG):  # each county once went back to the province's process
            session.add(VersionRelease(process_key="publicity", county=code, through_version=1, author="analyst",
                                       note="", created_at=now))
        holder = session.scalar(select(Holder.id).where(Holder.county == SHIZONG).limit(1))
        session.add(Appointment(campaign="shizong", holder_id=holder, home_visit=False, day=date(2022, 4, 1),
                                venue="县残联", team=1, scheduled_at=now, scheduled_by="sz"))
