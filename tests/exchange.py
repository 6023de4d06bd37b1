"""Whole cases of the Shizong exchange for the third-generation card, driven as the people in them would."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from lushan import CaseDriver
from stdnum.cn import ric

from certflow.campaign.county import County
from certflow.campaign.roster import COLUMNS, validate_row
from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime

COUNTY = County.load(Path(__file__).resolve().parent.parent / "shizong.json")
CAMPAIGN = "shizong-2022-card-exchange"
TODAY = date(2022, 3, 16)

# Group ids of the county file, as a clerk's account would carry them.
TOWNSHIP = "township-530323102"  # 雄壁镇
VILLAGE = "village-530323102204"  # 雄壁镇天生桥村
COUNTY_GROUP = "county-530323"
EXPERTS = "expert-committee-530323"
RENMIN, TCM, KANGNING = "hospital-sz-renmin", "hospital-sz-tcm", "hospital-sz-kangning"


def shizong_id(birth: str, sequence: str = "021") -> str:
    """A valid resident ID first issued in 师宗县 (530323), born on ``birth`` (YYYYMMDD)."""
    body = f"530323{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")


HOLDER_ID = shizong_id("19620314")
# The guardian a minor or an 智力 or 精神 holder's row must carry (handlers.guardians).
GUARDIAN = {"guardian_name": "王建国", "guardian_relation": "父母", "guardian_id_number": shizong_id("19700101", "013"),
            "guardian_phone": "13900000002"}


def roster_row(**changes: Any) -> dict[str, Any]:
    """A roster row (fields, not headers): a physical (肢体) grade-3 holder assessed by a hospital (非目测)."""
    row: dict[str, Any] = {
        "applicant_name": "王秀英", "id_number": HOLDER_ID, "phone": "13800000021",
        "address": "师宗县雄壁镇天生桥村8号",
        "township": "雄壁镇", "village": "天生桥村", "category": "肢体", "grade": "三级", "basis": "非目测",
        "home_visit": "否",
    }
    row.update(changes)
    return row


def roster_csv(path: Path, rows: list[dict[str, Any]], encoding: str = "utf-8-sig") -> Path:
    """Rows of ``roster_row`` written as a roster file, with the column headers a county's clerk sees."""
    headers = {key: header for header, key in COLUMNS.items()}
    with path.open("w", encoding=encoding, newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows({headers[key]: value for key, value in row.items()} for row in rows)
    return path


def holder(**changes: Any) -> dict[str, Any]:
    """A case's start data made from a roster row the way the import makes it."""
    data, reasons = validate_row(roster_row(**changes), COUNTY, TODAY)
    assert data is not None, reasons
    return {**data, "campaign": CAMPAIGN}


class ExchangeDriver(CaseDriver):
    """One holder's case, with the steps the township, the hospital and the county take in it.

    Also drives the county batch benchmark (bench/shizong_import.py), whose holders live in every township.
    """

    def __init__(self, runtime: Runtime, clock: FixedClock, number: str, township: str = TOWNSHIP) -> None:
        super().__init__(runtime, clock, number)
        self.township = township  # the group of the holder's township federation

    @property
    def data(self) -> dict[str, Any]:
        return self.view["data"]

    def exchange(self, verification: str = "match", *, old: str = "collected", note: str = "") -> None:
        form: dict[str, Any] = {"verification": verification}
        if verification == "match":
            form.update({"old_certificate": old, "issued_on": "2022-03-25"})
            if old != "collected":
                form["statement_signed"] = True
        else:
            form["verification_note"] = note or "证载信息与本人不符"
        self.complete("exchange", form, user="township-clerk", group=self.township)

    def serve_notice(self, attendance: str = "local") -> None:
        self.complete("serve_notice", {"served_on": "2022-03-18", "receipt_returned": True, "attendance": attendance},
                      user="township-clerk", group=self.township)

    def reassess(self, category: str | None, grade: int | None = None, *, group: str, task: str = "reassess") -> None:
        """The institution's result; ``category`` None: no standard met (康复脱残, or a new applicant not met)."""
        form: dict[str, Any] = {"meets_standard": category is not None, "doctor": "评残医生甲",
                                "conclusion": f"{category}残疾{grade}级" if category else "未达到残疾标准",
                                "assessed_on": "2022-03-16"}
        if category is not None:
            form.update({"assessed_category": category, "assessed_grade": grade})
        self.complete(task, form, user="doctor", group=group)

    def post_township_publicity(self, posted_on: str = "2022-04-01") -> None:
        """The township posts the publicity of the result in its area (plan 五(四))."""
        self.on_day(posted_on)
        self.complete("post_publicity_township", {"posted_on": posted_on, "posting_place": "乡镇政府公示栏"},
                      user="township-clerk", group=self.township)

    def close_objection_window(self) -> None:
        """Let the 10 working days to object pass without an objection."""
        ends = datetime.fromisoformat(self.data["objection_ends"])
        assert self.tick((ends + timedelta(minutes=5)).isoformat()) == [self.number]

    def make_and_issue_new_card(self, old: str = "collected") -> None:
        self.complete("make_card", {"made_on": "2022-05-10"}, user="county-clerk", group=COUNTY_GROUP)
        form: dict[str, Any] = {"old_certificate": old, "issued_on": "2022-05-16"}
        if old != "collected":
            form["statement_signed"] = True
        self.complete("issue_new_card", form, user="township-clerk", group=self.township)
