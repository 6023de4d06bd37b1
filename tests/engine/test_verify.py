"""Verify finds each kind of tampering at the step where it happened; replay rebuilds any step of a case."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from click.testing import CliRunner
from forgery import changing, dropping_the_last, forge
from sqlalchemy import delete, select, update

from certflow.cli import main
from certflow.engine import history
from certflow.engine.db import _alembic_config, upgrade
from certflow.engine.models import Case, Event, Task
from certflow.engine.runtime import Runtime, Settings
from handlers.registry import HANDLERS

PASS = {"decision": "pass"}


@pytest.fixture
def issued(start) -> Any:  # type: ignore[no-untyped-def]
    """An online case issued after the whole main path, publicity included."""
    case = start()
    case.clock.advance(minutes=20)
    case.complete("pre_review", PASS, user="window")
    case.clock.advance(hours=3)
    case.assess()
    case.post_publicity("2026-09-30")  # the day it is assessed, on the eve of National Day
    case.tick("2026-10-14T09:00:00+08:00")
    case.issue()
    assert case.view["outcome"] == "issued"
    return case


def tamper(runtime: Runtime, number: str, *statements: Any) -> None:
    with runtime.sessions.begin() as session:
        case_id = session.scalar(select(Case.id).where(Case.number == number))
        for statement in statements:
            column = Event.case_id if statement.table.name == Event.__tablename__ else Case.id
            session.execute(statement.where(column == case_id))


def seq_of(runtime: Runtime, number: str, kind: str, task_name: str | None = None) -> int:
    return next(e["seq"] for e in runtime.history(number)
                if e["kind"] == kind and (task_name is None or e["task_name"] == task_name))


def finding(runtime: Runtime, number: str) -> tuple[int, str]:
    result = runtime.verify(number)
    assert result.finding is not None, "the tampering went unnoticed"
    return result.finding.seq, result.finding.kind


def test_an_untouched_case_verifies(runtime, issued):
    result = runtime.verify(issued.number)
    assert result.ok, str(result)
    assert result.steps == 7 and result.events == len(runtime.history(issued.number))
    assert "OK" in str(result)


def test_an_edited_event_is_found_at_that_event(runtime, issued):
    seq = seq_of(runtime, issued.number, "task_completed", "assess")
    events = runtime.history(issued.number)
    edited = {**events[seq - 1]["data"], "data": {**events[seq - 1]["data"]["data"], "grade": 1}}
    tamper(runtime, issued.number, update(Event).where(Event.seq == seq).values(data=edited))
    assert finding(runtime, issued.number) == (seq, "content")


def test_a_deleted_event_is_found_where_it_was(runtime, issued):
    seq = seq_of(runtime, issued.number, "service_called")
    tamper(runtime, issued.number, delete(Event).where(Event.seq == seq))
    assert finding(runtime, issued.number) == (seq, "missing")


def test_a_deleted_last_event_is_found_by_the_case_row(runtime, issued):
    last = len(runtime.history(issued.number))
    tamper(runtime, issued.number, delete(Event).where(Event.seq == last))
    assert finding(runtime, issued.number) == (last, "count")


def test_reordered_events_are_found_at_the_first_moved(runtime, issued):
    a = seq_of(runtime, issued.number, "task_completed", "register_appointment")
    b = seq_of(runtime, issued.number, "task_completed", "assess")
    tamper(
        runtime, issued.number,
        update(Event).where(Event.seq == a).values(seq=-1),
        update(Event).where(Event.seq == b).values(seq=a),
        update(Event).where(Event.seq == -1).values(seq=b),
    )
    assert finding(runtime, issued.number) == (a, "link")


def test_an_edited_stored_state_is_found_and_explained(runtime, issued):
    with runtime.sessions() as session:
        stored = session.scalar(select(Case.state).where(Case.number == issued.number))
    for task in stored["tasks"].values():
        if task["data"].get("delivery") == "post":
            task["data"]["delivery"] = "in_person"
    tamper(runtime, issued.number, update(Case).values(state=stored))
    result = runtime.verify(issued.number)
    last_step = seq_of(runtime, issued.number, "task_completed", "issue_certificate")
    assert (result.finding.seq, result.finding.kind) == (last_step, "stored")
    assert 'delivery：保存的是 "in_person"，重放得到 "post"' in result.finding.message


def test_the_issuer_changed_with_the_chain_recomputed_is_caught_by_its_signature(runtime, issued):
    seq = seq_of(runtime, issued.number, "task_completed", "issue_certificate")
    forge(runtime, issued.number, changing(seq, actor="someone-else"))
    assert runtime.history(issued.number)[seq - 1]["actor"] == "someone-else"
    assert finding(runtime, issued.number) == (seq, "signature")
    assert "密钥签名与此事件不符" in str(runtime.verify(issued.number))


def test_an_edited_comment_with_the_chain_recomputed_is_caught_by_its_signature(runtime, issued):
    runtime.add_comment(issued.number, "证件已寄出", actor="window")
    runtime.record_view(issued.number, "身份证号", actor="window")
    seq = seq_of(runtime, issued.number, "comment_added")
    forge(runtime, issued.number, changing(seq, data={"text": "申请人未到场"}))
    assert finding(runtime, issued.number) == (seq, "signature")


def test_a_deleted_last_event_with_the_case_row_fixed_is_caught_by_the_seal(runtime, issued):
    last = len(runtime.history(issued.number))
    forge(runtime, issued.number, dropping_the_last)
    assert len(runtime.history(issued.number)) == last - 1
    assert finding(runtime, issued.number) == (last - 1, "seal")
    assert "封印" in runtime.verify(issued.number).finding.message


def test_a_history_turned_back_into_the_unsigned_version_is_caught(runtime, issued):
    seq = seq_of(runtime, issued.number, "task_completed", "issue_certificate")
    forge(runtime, issued.number, changing(seq, actor="someone-else"), unsigned=True)
    assert finding(runtime, issued.number) == (len(runtime.history(issued.number)), "seal")


def test_unsigned_events_after_signed_ones_are_caught(runtime, issued):
    last = len(runtime.history(issued.number))
    tamper(runtime, issued.number, update(Event).where(Event.seq == last).values(key_id=None, mac=None))
    assert finding(runtime, issued.number) == (last, "unsigned")


def test_a_forger_holding_the_key_is_still_caught_by_replay(runtime, issued):
    """The key stops a database writer; someone who also holds it must still get past the replay."""
    seq = seq_of(runtime, issued.number, "task_completed", "pre_review")
    data = {**runtime.history(issued.number)[seq - 1]["data"], "data": {"decision": "reject", "reason": "不符合条件"}}
    forge(runtime, issued.number, changing(seq, data=data), keys=runtime.settings.history_keys)
    result = runtime.verify(issued.number)
    assert result.finding is not None
    assert (result.finding.seq, result.finding.kind) in {(seq, "diverged"), (seq, "state")}


def test_an_issued_case_shown_with_another_outcome_is_caught(runtime, issued):
    tamper(runtime, issued.number, update(Case).values(outcome="rejected"))
    assert finding(runtime, issued.number) == (len(runtime.history(issued.number)), "status")
    assert '办理结果是 "rejected"，重放得到 "issued"' in runtime.verify(issued.number).finding.message


def test_a_finished_case_shown_as_running_is_caught(runtime, issued):
    tamper(runtime, issued.number, update(Case).values(status="running"))
    assert finding(runtime, issued.number) == (len(runtime.history(issued.number)), "status")


@pytest.mark.parametrize(("column", "value", "shown"), [
    ("role", "county", "角色是 \"县残联\"，按历史应为 \"残联综合窗口\""),
    ("candidate_group", "county", "办理组是 \"county\"，按历史应为 \"window\""),
    ("assignee", "mallory", "经办人是 \"mallory\"，按历史应为 \"window\""),
])
def test_an_open_task_moved_to_someone_else_in_the_task_list_is_caught(runtime, start, column, value, shown):
    case = start()
    task = case.task("pre_review")
    runtime.claim(task["id"], actor="window")
    with runtime.sessions.begin() as session:
        session.execute(update(Task).where(Task.id == task["id"]).values({column: value}))
    result = runtime.verify(case.number)
    assert (result.finding.seq, result.finding.kind) == (len(runtime.history(case.number)), "tasks")
    assert shown in result.finding.message


def test_a_task_list_row_removed_or_left_open_is_caught(runtime, start):
    case = start()
    task = case.task("pre_review")
    with runtime.sessions.begin() as session:
        session.execute(update(Task).where(Task.id == task["id"]).values(status="completed"))
    assert finding(runtime, case.number) == (len(runtime.history(case.number)), "tasks")
    assert "不在待办列表中" in runtime.verify(case.number).finding.message
    case = start(applicant_name="王芳")
    case.complete("pre_review", PASS, user="window")
    done = [t for t in runtime.tasks(case=case.number, status="completed")][0]
    with runtime.sessions.begin() as session:
        session.execute(update(Task).where(Task.id == done["id"]).values(status="open"))
    assert finding(runtime, case.number)[1] == "tasks"
    assert "按重放并不待办" in runtime.verify(case.number).finding.message


def test_replay_rebuilds_each_step(runtime, issued):
    events = runtime.history(issued.number)
    after_review = runtime.replay_at(issued.number, seq_of(runtime, issued.number, "task_completed", "pre_review"))
    assert [t["name"] for t in after_review["open_tasks"]] == ["register_appointment"]
    assert after_review["passed"]["pre_review"] == 1
    assert "call_assessment" in after_review["current"]
    at_start = runtime.replay_at(issued.number, 1)
    assert [t["name"] for t in at_start["open_tasks"]] == ["pre_review"]
    assert at_start["data"]["id_number"].count("*") == 8  # masked
    at_end = runtime.replay_at(issued.number, len(events))
    assert at_end["open_tasks"] == [] and at_end["data"]["outcome"] == "issued"
    assert [s["seq"] for s in at_end["steps"]] == [e["seq"] for e in events if e["kind"] in
                                                    ("case_started", "task_completed", "message_received",
                                                     "timer_fired")]


def test_an_element_passed_twice_is_counted_twice(runtime, start):
    case = start(category="智力", materials=["photos"])
    case.complete("pre_review", {"decision": "missing"})
    case.message("materials_supplied", {"materials": ["guardian_proof", "medical_records"]})
    case.complete("pre_review", PASS)
    view = runtime.replay_at(case.number, len(runtime.history(case.number)))
    assert view["passed"]["pre_review"] == 2


def test_verify_on_the_command_line(runtime, issued, start):
    other = start(applicant_name="王芳")
    cli = CliRunner()
    ok = cli.invoke(main, ["verify", issued.number], obj=runtime)
    assert ok.exit_code == 0 and "OK" in ok.output
    seq = seq_of(runtime, other.number, "case_started")
    tamper(runtime, other.number, update(Event).where(Event.seq == seq).values(actor="someone-else"))
    every = cli.invoke(main, ["verify", "--all"], obj=runtime)
    assert every.exit_code == 1
    assert f"{other.number}: 第 {seq} 条事件" in every.output
    assert "核对了 2 个案件：1 个未被改动，1 个被改动" in every.output
    assert cli.invoke(main, ["verify"], obj=runtime).exit_code == 2  # neither a case nor --all


def test_a_history_from_before_the_keys_verifies_as_version_1_and_is_sealed_by_the_upgrade(runtime, issued, start):
    running = start(applicant_name="王芳")
    keep = lambda session, rows: rows  # noqa: E731 - the events as they are
    for number in (issued.number, running.number):
        forge(runtime, number, keep, unsigned=True)  # what certflow wrote before history keys
    engine = runtime.sessions.kw["bind"]
    command.downgrade(_alembic_config(engine), "0011")
    upgrade(engine, runtime.settings.history_keys)

    assert runtime.verify(issued.number).ok and runtime.verify(running.number).ok
    assert runtime.verify(issued.number).unsigned == len(runtime.history(issued.number))
    assert "前 6 条事件是启用密钥签名之前的旧版历史" in str(runtime.verify(running.number))  # start, 5 services
    running.complete("pre_review", PASS, user="window")  # it goes on, signed from here
    signed = [e["key_id"] for e in runtime.history_export(running.number)["events"]]
    assert signed[0] is None and signed[-1] == history.DEMO_KEY_ID
    assert runtime.verify(running.number).ok
    # Sealed at the upgrade: a rewrite of the old chain no longer fits the case row.
    seq = seq_of(runtime, issued.number, "task_completed", "issue_certificate")
    forge(runtime, issued.number, changing(seq, actor="someone-else"))
    assert finding(runtime, issued.number) == (len(runtime.history(issued.number)), "seal")


def test_a_new_key_signs_new_events_and_the_old_one_still_checks_old_ones(runtime, issued):
    new_key = "k2:" + "ab" * 32
    rotated = Runtime(runtime.sessions, HANDLERS, Settings(history_keys=history.parse_keys(
        f"{new_key}\n{history.DEMO_KEY_ID}:{history.DEMO_KEY.hex()}")), runtime.clock)
    assert rotated.verify(issued.number).ok
    rotated.add_comment(issued.number, "证件已寄出", actor="window")
    last = len(runtime.history(issued.number))
    assert rotated.history_export(issued.number)["events"][-1]["key_id"] == "k2"
    assert rotated.verify(issued.number).ok
    # Without the new key (or, below, the old one) nothing is taken on trust.
    assert finding(runtime, issued.number) == (last, "key")
    forgetful = Runtime(runtime.sessions, HANDLERS, Settings(history_keys=history.parse_keys(new_key)), runtime.clock)
    assert finding(forgetful, issued.number) == (1, "key")
    assert "密钥没有配置" in str(forgetful.verify(issued.number))


CHECKER = Path(__file__).resolve().parents[2] / "scripts" / "check_history_export.py"


def check_export(export: dict[str, Any], folder: Path, keys: str | None = None) -> subprocess.CompletedProcess[str]:
    exported = folder / "history.json"
    exported.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    key_file = folder / "history-keys"
    key_file.write_text(keys or "", encoding="utf-8")
    given = ["--key-file", str(key_file)] if keys is not None else []
    return subprocess.run([sys.executable, str(CHECKER), *given, str(exported)], capture_output=True, text=True)


def test_an_export_holder_checks_the_chain_and_with_the_key_also_who_wrote_it(runtime, issued, tmp_path):
    keys = f"{history.DEMO_KEY_ID}:{history.DEMO_KEY.hex()}"
    seq = seq_of(runtime, issued.number, "task_completed", "issue_certificate")
    before = runtime.history_export(issued.number)
    assert check_export(before, tmp_path).returncode == 0
    signed = check_export(before, tmp_path, keys)
    assert signed.returncode == 0 and "已核对哈希链与密钥签名" in signed.stdout

    forge(runtime, issued.number, changing(seq, actor="someone-else"))  # hashes recomputed, signatures left
    forged = runtime.history_export(issued.number)
    assert check_export(forged, tmp_path).returncode == 0  # the chain alone cannot tell
    caught = check_export(forged, tmp_path, keys)
    assert caught.returncode == 1 and f"at seq {seq}: 密钥签名与此事件不符" in caught.stdout

    cut = {**before, "events": before["events"][:-1], "event_count": before["event_count"] - 1,
           "last_hash": before["events"][-2]["hash"]}  # the last event dropped and the count fixed
    assert check_export(cut, tmp_path).returncode == 0
    assert "密钥封印不符" in check_export(cut, tmp_path, keys).stdout
    assert "不在密钥文件中" in check_export(before, tmp_path, "k9:" + "ab" * 32).stdout
    before["events"][seq - 1]["mac"] = "0" * 64
    assert f"at seq {seq}: 密钥签名与此事件不符" in check_export(before, tmp_path, keys).stdout


def test_a_cancelled_case_verifies_and_may_not_be_shown_as_running(runtime, start):
    case = start()
    runtime.cancel_case(case.number, "申请人撤回申请", actor="admin")
    assert runtime.verify(case.number).ok
    tamper(runtime, case.number, update(Case).values(status="running"))
    assert finding(runtime, case.number) == (len(runtime.history(case.number)), "status")
    assert "按历史应为“已撤销”" in runtime.verify(case.number).finding.message


def test_events_are_signed_with_hmac_sm3_and_those_signed_with_hmac_sha256_before_still_verify(runtime, issued,
                                                                                                tmp_path):
    import hashlib
    import hmac

    export = runtime.history_export(issued.number)
    last = export["events"][-1]
    message = f"certflow-event:{last['hash']}".encode()
    assert last["mac"] == hmac.new(history.DEMO_KEY, message, "sm3").hexdigest()
    # The history as the earlier release signed it: every event's HMAC and the seal under SHA-256.
    with runtime.sessions.begin() as session:
        for event in session.scalars(select(Event).join(Case).where(Case.number == issued.number)):
            signed = history.event_message(event.hash).encode()
            event.mac = hmac.new(history.DEMO_KEY, signed, hashlib.sha256).hexdigest()
        case = session.scalars(select(Case).where(Case.number == issued.number)).one()
        seal = history.seal_message(case.number, case.event_count, case.last_hash)
        case.seal = hmac.new(history.DEMO_KEY, seal.encode(), hashlib.sha256).hexdigest()
    assert runtime.verify(issued.number).ok
    keys = f"{history.DEMO_KEY_ID}:{history.DEMO_KEY.hex()}"
    assert check_export(runtime.history_export(issued.number), tmp_path, keys).returncode == 0
    # An event changed and its hash recomputed is still caught by the signature it was left with.
    forge(runtime, issued.number, changing(seq_of(runtime, issued.number, "case_started"), actor="someone-else"))
    assert finding(runtime, issued.number)[1] == "signature"
