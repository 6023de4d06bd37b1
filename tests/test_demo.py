"""The demo: people who sign in with "demo", and cases in every state, loaded once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from certflow.campaign import ledgers
from certflow.campaign.county import County
from certflow.campaign.reassessment import listings
from certflow.cli import main
from certflow.demo.lushan import DEMO_PASSWORD, DEMO_USERS, load_demo
from certflow.demo.shizong import CAMPAIGN_USERS, HOLDERS, TOWNSHIP, load_campaign_demo
from certflow.engine.clock import FixedClock
from certflow.engine.db import make_engine, make_sessions
from certflow.engine.runtime import Runtime, Settings
from certflow.people.accounts import Accounts
from handlers.registry import HANDLERS, REGISTRY

ROOT = Path(__file__).resolve().parent.parent
HOSPITAL_TASKS = {"register_appointment", "assess"}
TASKS_OF = {"window": {"pre_review", "window_review", "issue_certificate"}, "renmin": HOSPITAL_TASKS,
            "anding": HOSPITAL_TASKS, "expert": {"reexamine"}}


@pytest.fixture
def cases(runtime: Runtime, accounts: Accounts) -> list[str]:
    loaded = load_demo(runtime.sessions, runtime, accounts, REGISTRY.materials)
    assert loaded is not None
    return loaded


def views(runtime: Runtime, numbers: list[str]) -> list[dict]:
    return [runtime.case(n) for n in numbers]


def test_every_demo_person_signs_in_with_the_demo_password(cases, accounts):
    for person in DEMO_USERS:
        signed_in = accounts.authenticate(person.username, DEMO_PASSWORD)
        assert signed_in is not None, person.username
        assert signed_in.roles == {person.role}
        assert signed_in.groups == ({person.group} if person.group else set())


def test_each_working_group_has_open_tasks_and_some_are_already_claimed(cases, runtime):
    for person in DEMO_USERS:
        if person.group is None or person.role == "county":  # the county has no task in the Lushan processes
            continue
        open_tasks = runtime.tasks(role=person.role, group=person.group)
        assert open_tasks, person.username
        assert {t["name"] for t in open_tasks} <= TASKS_OF.get(person.username, {"post_publicity"})
        assert runtime.tasks(assignee=person.username), f"{person.username} has nothing in their own queue"
    window = {t["name"] for t in runtime.tasks(group="window")}
    assert window == TASKS_OF["window"]
    assert {t["name"] for t in runtime.tasks(group="hospital-renmin")} == HOSPITAL_TASKS


def test_cases_wait_in_every_state_and_finished_ones_have_each_outcome(cases, runtime):
    seen = views(runtime, cases)
    assert {v["outcome"] for v in seen if v["status"] == "completed"} == {"issued", "rejected", "not_met"}
    assert {v["process"] for v in seen} == {"application_online", "application_offline"}
    waiting = [w["name"] for v in seen for w in v["waiting"]]
    assert waiting.count("materials_supplied") == 2  # online and at the window
    assert "objection" in waiting  # in the publicity period: the timer and objections
    [multiple] = [v for v in seen if v["data"]["category"] == "多重"]
    assert sorted(t["group"] for t in multiple["open_tasks"]) == ["hospital-anding", "hospital-renmin"]
    identities = [v["data"]["identity"] for v in seen]
    assert all(i["valid"] for i in identities)
    # The clerk's hint: one number issued in another county (rejected on the 户口簿), one by the former 星子县.
    assert sum(i["in_jurisdiction"] is False for i in identities) == 1
    assert any(i["issued_at"] == "江西省星子县（代码使用至2016年）" and i["in_jurisdiction"] for i in identities)
    assert any(i["minor"] for i in identities)


def test_the_cases_happened_in_the_past_on_the_callers_runtime_clock(cases, runtime, clock):
    now = clock.now()
    assert runtime.clock is clock and runtime.clock.now() == now  # left alone
    seen = views(runtime, cases)
    assert all(datetime.fromisoformat(v["started_at"]) <= now for v in seen)
    assert now - min(datetime.fromisoformat(v["started_at"]) for v in seen) > timedelta(weeks=4)
    finished = [t for n in cases for t in runtime.tasks(case=n, status="completed")]
    assert all(datetime.fromisoformat(t["completed_at"]) <= now for t in finished)
    assert [t for t in runtime.tasks() if t["due_at"] and datetime.fromisoformat(t["due_at"]) < now]  # some overdue


def test_loading_twice_changes_nothing(cases, runtime, accounts):
    before = (len(accounts.all()), runtime.tasks(), runtime.outbox())
    assert load_demo(runtime.sessions, runtime, accounts, REGISTRY.materials) is None
    assert (len(accounts.all()), runtime.tasks(), runtime.outbox()) == before


def test_no_demo_where_anyone_has_an_account(runtime, accounts):
    accounts.create("zhou", "a-real-password", display_name="周敏", roles=["window_clerk"], groups=["window"])
    assert load_demo(runtime.sessions, runtime, accounts, REGISTRY.materials) is None
    assert [a.username for a in accounts.all()] == ["zhou"] and runtime.tasks() == []


def cli(runtime: Runtime, *args: str, given: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), obj=runtime, input=given)


def test_the_demo_command_loads_once_and_lists_the_people(runtime, accounts):
    first = cli(runtime, "demo")
    assert first.exit_code == 0, first.output
    assert "演示数据已装好：案件 21 件" in first.stdout
    assert "师宗县换证工作的持证人和新申请人 301 人" in first.stdout
    assert all(person.username in first.stdout for person in DEMO_USERS + CAMPAIGN_USERS)
    assert "  renmin   定点医院  庐山市人民医院" in first.stdout.splitlines()  # roles and groups by their names
    assert "演示数据不能用于正式环境" in first.stdout
    second = cli(runtime, "demo")
    assert (second.exit_code, second.stdout) == (0, "没有装演示数据：数据库里已经有账号\n")
    assert len(accounts.all()) == len(DEMO_USERS + CAMPAIGN_USERS)


def test_the_campaign_demo_gives_each_of_its_clerks_something_to_see(runtime, accounts, every_case_replays):
    county = County.load(ROOT / "shizong.json")
    holders = load_campaign_demo(runtime.sessions, runtime, accounts, county)
    assert len(holders) == HOLDERS + 1 and all(n.startswith("SZ-2022-") for n in holders)  # 1 new applicant
    for person in CAMPAIGN_USERS:
        assert accounts.authenticate(person.username, DEMO_PASSWORD).groups == {person.group}

    township = {t["name"] for t in runtime.tasks(group=TOWNSHIP)}
    # More to exchange, receipts still out, and a certificate to take back (康复脱残).
    assert township == {"exchange", "serve_notice", "withdraw_certificate"}
    register = ledgers.register(runtime.sessions, TOWNSHIP)
    assert len(register) >= 4 and {line["old_certificate"] for line in register} >= {"已收回", "遗失（已签情况说明）"}
    assert all(line["issued_on"] <= "2022-03-22" for line in register)
    assert [t["name"] for t in runtime.tasks(group="county-530323")] == ["verify_record"]  # the mismatch
    assert {t["name"] for t in runtime.tasks(group="hospital-sz-tcm")} <= {"reassess", "home_visit_assess"}
    assert "reassess" in {t["name"] for t in runtime.tasks(group="hospital-sz-tcm")}  # receipts returned
    assert ledgers.counts(runtime.sessions).status["康复脱残"] == 1
    overview = listings.overview(runtime.sessions, county.campaign, listings.Viewer())
    assert overview.venue_days and overview.venue_days[0]["day"] >= date(2022, 3, 28)


@pytest.fixture
def empty_runtime(migrated_url: str, clock: FixedClock) -> Iterator[Runtime]:
    """A migrated database with nothing deployed."""
    engine = make_engine(migrated_url)
    yield Runtime(make_sessions(engine), HANDLERS, Settings(), clock)
    engine.dispose()


def test_the_demo_command_deploys_the_processes_when_none_are(empty_runtime):
    result = cli(empty_runtime, "demo")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("已部署 processes/ 和 forms/ 中的流程和表单\n演示数据已装好")
    assert {p["key"] for p in empty_runtime.processes()} >= {"application_online", "application_offline"}


def test_user_add_asks_for_the_password_twice(runtime, accounts):
    result = cli(runtime, "user", "add", "zhou", "--name", "周敏", "--role", "window_clerk", "--group", "window",
                 given="a-real-password\na-real-password\n")
    assert result.exit_code == 0, result.output
    assert "a-real-password" not in result.output
    created = accounts.authenticate("zhou", "a-real-password")
    assert (created.display_name, created.roles, created.groups) == ("周敏", {"window_clerk"}, {"window"})


@pytest.mark.parametrize(("args", "says"), [
    (["--role", "applicant"], "错误：--role 的值不对：没有角色 applicant；可选：window_clerk（残联综合窗口）"),
    (["--role", "hospital", "--group", "hospital-nowhere"],
     "错误：--group 的值不对：没有在用的组织机构 hospital-nowhere"),
], ids=["applicant role", "unknown group"])
def test_user_add_refuses_before_asking_for_a_password(runtime, accounts, args, says):
    result = cli(runtime, "user", "add", "zhou", "--name", "周敏", *args)
    assert result.exit_code == 2 and says in result.stderr
    assert "密码" not in result.output and accounts.by_username("zhou") is None


@pytest.mark.parametrize(("given", "says"), [
    ("a-real-password\nanother-password\n", "错误：两次输入的密码不一致，账号没有建"),
    ("", "已取消"),
], ids=["passwords differ", "input ends"])
def test_user_add_without_a_confirmed_password_creates_nothing(runtime, accounts, given, says):
    result = cli(runtime, "user", "add", "zhou", "--name", "周敏", "--role", "window_clerk", given=given)
    assert (result.exit_code, result.stderr.splitlines()[-1]) == (1, says)
    assert accounts.by_username("zhou") is None


def test_user_add_reports_what_the_accounts_refuse(runtime, accounts):
    accounts.create("zhou", "a-real-password", display_name="周敏", roles=["window_clerk"])
    taken = cli(runtime, "user", "add", "zhou", "--name", "周敏", "--role", "admin", given="long-enough-1\n" * 2)
    assert (taken.exit_code, taken.stderr) == (1, "错误：用户名 zhou 已存在\n")
    short = cli(runtime, "user", "add", "li", "--name", "李", "--role", "admin", given="short\nshort\n")
    assert short.exit_code == 2 and "密码至少8位" in short.stderr and accounts.by_username("li") is None
