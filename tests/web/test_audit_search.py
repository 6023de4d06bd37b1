"""The auditors' case search, its CSV export and API, the separation-of-duties reports, and who may use them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from lushan import ADULT_ID, CaseDriver
from webkit import conforms, post

from certflow.casework.reports import same_person, unusual_durations
from certflow.casework.search import CaseQuery, search
from certflow.engine.calendar import CHINA_TZ
from certflow.engine.privacy import mask_id
from certflow.engine.runtime import Runtime, Settings
from certflow.engine.specs import SourceFile, read_paths
from certflow.people.accounts import Account

ROOT = Path(__file__).resolve().parents[2]
# An auditor of the county the tests' cases are started in.
AUDITOR = Account(0, "auditor", "审计", frozenset({"auditor"}), frozenset(), Settings().county)
PASS = {"decision": "pass"}
REJECT = {"decision": "reject", "reason": "申请人已持有有效残疾人证"}
OFFLINE_MATERIALS = ["id_card", "household_register", "photos", "application_form"]
HEADER = ["案件编号", "申请人", "身份证号码（已脱敏）", "流程", "版本", "状态", "办理结果", "当前环节",
          "受理时间", "办结时间", "经办人"]


def found(client, **args: Any) -> list[str]:  # type: ignore[no-untyped-def]
    """The case numbers the search page lists for these filters."""
    response = client.get("/audit/cases", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    page = lxml.html.fromstring(response.get_data(as_text=True))
    return sorted(tr.get("data-case") for tr in page.cssselect("#cases tbody tr"))


def exported(client, path: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with the byte-order mark
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def through_publicity(case: CaseDriver, *, reviewer: str) -> None:
    case.complete("pre_review", PASS, user=reviewer)
    case.assess()
    case.post_publicity(case.clock.now().astimezone(CHINA_TZ).date().isoformat())  # posted the day it is assessed
    case.tick((case.clock.now() + timedelta(days=14)).isoformat())


def issue(case: CaseDriver, *, user: str) -> None:
    case.complete("issue_certificate", {"delivery": "in_person", "issued_on": "2026-09-20"}, user=user)


def deploy_version_2(runtime: Runtime) -> None:
    """A changed online process: new cases run on its version 2."""
    files = [SourceFile(f.name, f.content.replace('name="预审"'.encode(), 'name="初审"'.encode()))
             for f in read_paths([ROOT / "processes", ROOT / "forms"])]
    [online] = [v for v in runtime.deploy(files, author="tests") if v.created]
    assert (online.process_key, online.version) == ("application_online", 2)


@dataclass(frozen=True)
class Cases:
    rejected: str
    not_met: str
    issued: str
    offline: str  # running, started just after midnight of 09-02 in China (still 09-01 in UTC)
    version_2: str  # running

    @property
    def all(self) -> list[str]:
        return sorted([self.rejected, self.not_met, self.issued, self.offline, self.version_2])


@pytest.fixture
def cases(start, runtime: Runtime, clock) -> Cases:  # type: ignore[no-untyped-def]
    rejected = start(applicant_name="王芳")
    rejected.complete("pre_review", REJECT, user="window")
    not_met = start(applicant_name="李明")
    not_met.complete("pre_review", PASS, user="window")
    not_met.assess(meets=False, conclusion="未达到残疾标准")
    issued = start(applicant_name="张伟")
    clock.set(datetime.fromisoformat("2026-09-02T00:10:00+08:00"))
    offline = start("application_offline", applicant_name="赵敏", materials=OFFLINE_MATERIALS)
    deploy_version_2(runtime)
    version_2 = start(applicant_name="孙丽")
    through_publicity(issued, reviewer="window")
    issue(issued, user="issuer")
    return Cases(rejected.number, not_met.number, issued.number, offline.number, version_2.number)


# -- the search --------------------------------------------------------------------------------

def test_each_filter_finds_exactly_its_cases(cases: Cases, as_user) -> None:  # type: ignore[no-untyped-def]
    auditor = as_user("auditor")
    assert found(auditor) == cases.all
    assert found(auditor, applicant="王芳") == [cases.rejected]
    assert found(auditor, applicant="王") == []  # names are kept encrypted: found whole, by their digest
    assert found(auditor, applicant="李明") == [cases.not_met]
    assert found(auditor, number=cases.issued) == [cases.issued]
    assert found(auditor, number=cases.issued.lower()) == [cases.issued]
    assert found(auditor, status="running") == sorted([cases.offline, cases.version_2])
    assert found(auditor, status="completed") == sorted([cases.rejected, cases.not_met, cases.issued])
    assert found(auditor, process="application_offline") == [cases.offline]
    assert found(auditor, version=2) == [cases.version_2]
    assert found(auditor, version=1) == sorted([cases.rejected, cases.not_met, cases.issued, cases.offline])
    assert found(auditor, process="application_online", version=1) == sorted(
        [cases.rejected, cases.not_met, cases.issued])
    assert found(auditor, outcome="issued") == [cases.issued]
    assert found(auditor, outcome="rejected") == [cases.rejected]
    assert found(auditor, outcome="not_met") == [cases.not_met]


def test_dates_are_days_in_china(cases: Cases, as_user) -> None:  # type: ignore[no-untyped-def]
    auditor = as_user("auditor")
    first_day = sorted([cases.rejected, cases.not_met, cases.issued])
    assert found(auditor, started_to="2026-09-01") == first_day
    assert found(auditor, started_from="2026-09-02") == sorted([cases.offline, cases.version_2])
    assert found(auditor, started_from="2026-09-01", started_to="2026-09-01") == first_day
    assert found(auditor, started_from="2026-09-03") == []
    assert found(auditor, started_from="not a date") == cases.all  # a filter that cannot be read is left out
    assert found(auditor, started_from="0001-01-01", started_to="9999-12-31") == cases.all


def test_handled_by_means_completed_a_step(cases: Cases, as_user) -> None:  # type: ignore[no-untyped-def]
    auditor = as_user("auditor")
    assert found(auditor, handled_by="window") == sorted([cases.rejected, cases.not_met, cases.issued])
    assert found(auditor, handled_by="doctor@hospital-renmin") == sorted([cases.not_met, cases.issued])
    assert found(auditor, handled_by="issuer") == [cases.issued]
    assert found(auditor, handled_by="applicant") == []  # started the cases, completed no step


def test_a_row_shows_the_case_and_who_handled_which_step(cases: Cases, as_user) -> None:  # type: ignore[no-untyped-def]
    response = as_user("auditor").get("/audit/cases", query_string={"number": cases.issued})
    page = lxml.html.fromstring(response.get_data(as_text=True))
    [row] = page.cssselect("#cases tbody tr")
    text = row.text_content()
    assert "张伟" in text and mask_id(ADULT_ID) in text and ADULT_ID not in text
    assert "已办结" in text and "已发证" in text
    handled = row.cssselect(".handled")[0].text_content()
    assert "预审：window" in handled and "发证：issuer" in handled
    assert row.cssselect("a")[0].get("href") == f"/cases/{cases.issued}"


def test_pages_keep_the_filters(cases: Cases, runtime: Runtime) -> None:
    query = CaseQuery(version=1, sort="number", page=2, page_size=3)
    page = search(runtime.sessions, query, AUDITOR)
    assert (page.total, page.pages) == (4, 2)
    assert [r["number"] for r in page.rows] == [cases.offline]
    assert query.args(page=1) == {"version": 1, "sort": "number"}
    assert CaseQuery.from_args(query.args()) == CaseQuery(version=1, sort="number", page=2)


# -- the export --------------------------------------------------------------------------------

def test_the_export_is_the_filtered_list_in_chinese_with_masked_ids(cases: Cases, as_user) -> None:  # type: ignore[no-untyped-def]
    auditor = as_user("auditor")
    page = lxml.html.fromstring(auditor.get("/audit/cases?status=completed&sort=number").get_data(as_text=True))
    link = page.cssselect("#export")[0].get("href")
    assert link.startswith("/audit/cases.csv?")
    lines = exported(auditor, link)
    assert lines[0] == HEADER
    assert [line[0] for line in lines[1:]] == sorted([cases.rejected, cases.not_met, cases.issued])
    issued = lines[1:][[line[0] for line in lines[1:]].index(cases.issued)]
    assert issued[1:8] == ["张伟", mask_id(ADULT_ID), "网上申请办理残疾人证", "1", "已办结", "已发证", ""]
    assert issued[8] == "2026-09-01 09:00"
    assert "预审：window" in issued[10]
    assert ADULT_ID not in "".join(map("".join, lines))

    assert len(exported(auditor, "/audit/cases.csv")) == 1 + len(cases.all)


def test_the_export_keeps_a_formula_as_text(start, as_user) -> None:  # type: ignore[no-untyped-def]
    start(applicant_name="=HYPERLINK(\"http://x\")")
    [_, row] = exported(as_user("auditor"), "/audit/cases.csv")
    assert row[1] == "'=HYPERLINK(\"http://x\")"


# -- the reports -------------------------------------------------------------------------------

def test_same_person_finds_who_reviewed_and_issued(start, as_user, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    alone, shared = start(applicant_name="王芳"), start(applicant_name="李明")
    through_publicity(alone, reviewer="same")
    issue(alone, user="same")
    through_publicity(shared, reviewer="one")
    issue(shared, user="two")

    assert same_person(runtime.sessions, AUDITOR) == [{"number": alone.number, "applicant_name": "王芳", "user": "same",
                                              "first": "预审", "second": "发证"}]
    assert same_person(runtime.sessions, AUDITOR, (("register_appointment", "assess"),)) == [
        {"number": number, "applicant_name": name, "user": "doctor@hospital-renmin",
         "first": "登记并预约鉴定", "second": "鉴定并审核（肢体）"}
        for number, name in sorted([(alone.number, "王芳"), (shared.number, "李明")])
    ]
    auditor = as_user("auditor")
    page = lxml.html.fromstring(auditor.get("/audit/reports").get_data(as_text=True))
    assert [tr.get("data-case") for tr in page.cssselect("#same-person tbody tr")] == [alone.number]
    assert exported(auditor, "/audit/reports/same-person.csv") == [
        ["案件编号", "申请人", "办理人", "环节一", "环节二"], [alone.number, "王芳", "same", "预审", "发证"]]


def test_unusual_durations_flag_a_case_decided_much_faster_or_slower(start, clock, as_user, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    usual = [start() for _ in range(5)]
    clock.advance(days=2)
    for case in usual:
        case.complete("pre_review", REJECT, user="window")
    fast = start(applicant_name="王芳")
    clock.advance(minutes=3)
    fast.complete("pre_review", REJECT, user="window")
    slow = start(applicant_name="张伟")
    clock.advance(days=30)
    slow.complete("pre_review", REJECT, user="window")

    flagged = {(r["number"], r["level"]): r for r in unusual_durations(runtime.sessions, AUDITOR)}
    assert set(flagged) == {(fast.number, "case"), (fast.number, "task"), (slow.number, "case"),
                            (slow.number, "task")}
    assert flagged[fast.number, "case"]["reason"] == "用时 3 分钟，同类中位数 2 天"
    assert flagged[fast.number, "task"]["direction"] == "fast"
    assert flagged[fast.number, "task"]["by"] == "window"
    assert (flagged[slow.number, "case"]["direction"], flagged[slow.number, "case"]["reason"]) == (
        "slow", "用时 30 天，同类中位数 2 天")

    page = lxml.html.fromstring(as_user("county").get("/audit/reports").get_data(as_text=True))
    rows = page.cssselect("#durations tbody tr")
    assert sorted({tr.get("data-case") for tr in rows}) == sorted([fast.number, slow.number])
    assert "用时 3 分钟，同类中位数 2 天" in rows[0].text_content()
    assert len(exported(as_user("admin"), "/audit/reports/durations.csv")) == 1 + 4


def test_an_assessment_right_after_its_registration_is_flagged(start, clock, runtime: Runtime) -> None:  # type: ignore[no-untyped-def]
    careful, hasty = start(), start()
    for case in (careful, hasty):  # the assessment opens when the appointment is registered
        case.complete("pre_review", PASS, user="window")
        clock.advance(days=1)
        case.complete("register_appointment", {"appointment_at": "2026-09-08T09:30:00+08:00",
                                               "appointment_place": "门诊楼", "bring_items": ["居民身份证"]},
                      user="doctor", group="hospital-renmin")
    clock.advance(minutes=4)
    hasty.complete("assess", {"meets_standard": False, "conclusion": "未达标准"}, user="doctor")
    careful.complete("assess", {"meets_standard": False, "conclusion": "未达标准"}, user="doctor")

    [row] = unusual_durations(runtime.sessions, AUDITOR)
    assert (row["number"], row["step"], row["direction"]) == (hasty.number, "assess", "fast")
    assert row["reason"] == "用时 4 分钟，少于该环节最短合理用时 10 分钟"


# -- the API -----------------------------------------------------------------------------------

def test_the_api_searches_alike(cases: Cases, app, accounts) -> None:  # type: ignore[no-untyped-def]
    token = accounts.issue_token(accounts.by_username("county").id, "报表")
    response = app.test_client().get("/api/v1/cases", query_string={"handled_by": "issuer"},
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.get_json()
    conforms(body, "CasePage")
    assert (body["total"], body["page"], body["pages"]) == (1, 1, 1)
    [row] = body["cases"]
    assert (row["number"], row["outcome"], row["version"]) == (cases.issued, "issued", 1)
    assert [h["step"] for h in row["handled"]] == ["pre_review", "register_appointment", "assess",
                                                   "post_publicity", "issue_certificate"]


# -- who may ---------------------------------------------------------------------------------

AUDIT_PAGES = ["/audit/cases", "/audit/cases.csv", "/audit/reports", "/audit/reports/same-person.csv",
               "/audit/reports/durations.csv"]


@pytest.mark.parametrize("username", ["auditor", "county", "admin"])
def test_auditors_the_county_and_administrators_open_the_pages(as_user, username: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user(username)
    for path in AUDIT_PAGES:
        assert client.get(path).status_code == 200, path
    assert 'href="/audit/cases"' in client.get("/inbox").get_data(as_text=True)


@pytest.mark.parametrize("username", ["window", "renmin"])
def test_others_are_refused_and_recorded(as_user, app, accounts, username: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user(username)
    for path in AUDIT_PAGES:
        assert client.get(path).status_code == 403, path
    assert 'href="/audit/cases"' not in client.get("/inbox").get_data(as_text=True)
    token = accounts.issue_token(accounts.by_username(username).id, "t")
    response = app.test_client().get("/api/v1/cases", headers={"Authorization": f"Bearer {token}"})
    assert (response.status_code, response.get_json()["error"]["code"]) == (403, "forbidden")

    denied = [e.target for e in accounts.security_events("access_denied") if e.username == username]
    assert sorted(denied) == sorted([f"审计（打开 {path}）" for path in AUDIT_PAGES] +
                                    ["案件查询（打开 /api/v1/cases）"])


def test_signing_in_comes_first(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/audit/cases?status=running")
    assert response.status_code == 302 and "/login" in response.location


def test_an_auditor_reads_but_acts_on_nothing(start, as_user) -> None:  # type: ignore[no-untyped-def]
    case = start()
    task_id = case.task("pre_review")["id"]
    auditor = as_user("auditor")
    assert auditor.get(f"/cases/{case.number}").status_code == 200
    assert post(auditor, f"/tasks/{task_id}", {"action": "complete", "decision": "pass"}).status_code == 403
    assert post(auditor, f"/tasks/{task_id}/claim").status_code == 403
    assert case.task("pre_review")["status"] == "open"
