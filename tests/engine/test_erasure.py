"""Personal data erased once the retention period has passed (PIPL art. 47): nothing of the person is left, the
statistics stay, verification says the data was erased rather than tampered with, and a forger is still caught."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from click.testing import CliRunner
from lushan import ADULT_ID, GUARDIAN, MINOR_ID, lushan_id
from sqlalchemy import insert, select, update
from test_verify import check_export

from certflow.cli import main
from certflow.engine import erasure, history
from certflow.engine.attachments import DiskStorage, FileStore, Upload
from certflow.engine.errors import InvalidState
from certflow.engine.models import Attachment, Case, Event, Notification
from certflow.engine.privacy import mask_id
from certflow.engine.runtime import Runtime

PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
NAME, PHONE, ADDRESS = "李明", "13800000001", "庐山市白鹿镇玉京村12号"
PERSONAL = (NAME, ADULT_ID, PHONE, ADDRESS)
ELEVEN_YEARS_ON = "2037-10-20T10:00:00+08:00"


@pytest.fixture
def files(runtime: Runtime, tmp_path) -> FileStore:  # type: ignore[no-untyped-def]
    runtime.files = FileStore(DiskStorage(tmp_path / "uploads"), runtime.settings.data_keys)
    return runtime.files


@pytest.fixture
def rejected(start, files) -> Any:  # type: ignore[no-untyped-def]
    """李明's application, with a photo and a comment naming him, rejected at pre-review (texted to him)."""
    case = start()
    case.runtime.attach(case.number, [Upload("photos", "李明照片.png", PNG)], actor="applicant")
    case.runtime.add_comment(case.number, f"{NAME}来电，电话 {PHONE}，询问进度", actor="window")
    case.clock.advance(minutes=20)
    case.complete("pre_review", {"decision": "reject", "reason": f"{NAME}已持有有效残疾人证"}, user="window")
    assert case.view["outcome"] == "rejected"
    return case


def run(runtime: Runtime, *args: str) -> Any:
    result = CliRunner().invoke(main, list(args), obj=runtime)
    assert result.exit_code == 0, result.output
    return result


def held_of(runtime: Runtime, number: str) -> str:
    """Everything a reader of the case gets, as one text: its view, history, texts and files."""
    return json.dumps([runtime.case(number), runtime.history(number), runtime.outbox(number),
                       runtime.attachments(number)], ensure_ascii=False, default=str)


def statistics(runtime: Runtime) -> list[tuple[Any, ...]]:
    """Counts by county, outcome and month ended: what a statistics page reads of the case rows."""
    with runtime.sessions() as session:
        rows = session.execute(select(Case.county, Case.status, Case.outcome, Case.ended_at, Case.process_key)).all()
    counts: dict[tuple[Any, ...], int] = {}
    for county, status, outcome, ended_at, process in rows:
        key = (county, status, outcome, ended_at.strftime("%Y-%m") if ended_at else None, process)
        counts[key] = counts.get(key, 0) + 1
    return sorted((*key, count) for key, count in counts.items())


def test_retention_run_erases_the_person_and_verify_says_so(runtime, rejected, files):
    number = rejected.number
    held = held_of(runtime, number)
    assert all(value in held for value in PERSONAL)  # the test would pass vacuously otherwise
    counted = statistics(runtime)
    rejected.at(ELEVEN_YEARS_ON)

    printed = run(runtime, "retention", "run").output
    assert f"{number}（" in printed and "已删除个人信息" in printed and "共删除了 1 个案件的个人信息" in printed

    held = held_of(runtime, number)
    assert not [value for value in PERSONAL if value in held]
    with runtime.sessions() as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        assert (case.applicant_name, case.id_digest, case.id_masked) == (None, None, None)
        assert NAME not in json.dumps(case.state, ensure_ascii=False)
        texts = session.scalars(select(Notification).where(Notification.case_id == case.id)).all()
        assert texts and all(t.text == erasure.ERASED and t.recipient_phone is None for t in texts)
        digest = session.scalar(select(Attachment.sha256).where(Attachment.case_id == case.id))
    assert not files.storage.exists(digest)
    assert statistics(runtime) == counted
    view = runtime.case(number)
    assert (view["status"], view["outcome"]) == ("completed", "rejected")

    result = runtime.verify(number)
    assert result.ok, str(result)
    assert "条事件中的个人信息已于 2037-10-20 按保存期限删除" in str(result)
    assert "第 1" in str(result) and "不再重放" in str(result)
    assert run(runtime, "retention", "run").output.startswith("没有办结超过 10 年")  # nothing erased twice
    with pytest.raises(InvalidState, match="个人信息已按保存期限删除，无法重放"):
        runtime.replay_at(number, 1)


def test_an_issued_minors_case_keeps_nothing_of_the_child_or_the_guardian(runtime, start):
    case = start(applicant_name="李小明", id_number=MINOR_ID)
    case.clock.advance(minutes=20)
    case.complete("pre_review", {"decision": "pass"}, user="window")
    case.clock.advance(hours=3)
    case.assess(conclusion="经评定，李小明符合肢体残疾三级标准")
    case.post_publicity("2026-09-30")
    case.tick("2026-10-14T09:00:00+08:00")
    case.issue()
    assert case.view["outcome"] == "issued"
    personal = ("李小明", MINOR_ID, PHONE, ADDRESS, *(GUARDIAN[f] for f in ("guardian_name", "guardian_id_number",
                "guardian_phone")), "庐山市人民医院门诊楼三楼", "村委会公示栏", "EMS1234567890", "符合肢体残疾三级标准",
                "2015-06-01", mask_id(MINOR_ID), mask_id(GUARDIAN["guardian_id_number"]))

    def held() -> str:
        with runtime.sessions() as session:
            state = session.scalar(select(Case.state).where(Case.number == case.number))
        return held_of(runtime, case.number) + json.dumps(state, ensure_ascii=False)

    assert all(value in held() for value in personal)
    assert runtime.case_numbers_for_guardian(GUARDIAN["guardian_id_number"]) == [case.number]
    before = case.view["data"]
    case.at("2037-10-20T10:00:00+08:00")
    run(runtime, "retention", "run")
    assert [value for value in personal if value in held()] == []
    with runtime.sessions() as session:  # nothing left that finds the case by the guardian's number
        assert session.scalar(select(Case.guardian_digest).where(Case.number == case.number)) is None
    assert runtime.case_numbers_for_guardian(GUARDIAN["guardian_id_number"]) == []
    after = case.view["data"]
    kept = {k for k in before if after.get(k) == before[k]}
    assert {"category", "village", "outcome", "materials"} <= kept
    assert not [k for k in kept & erasure.PERSONAL_FIELDS if before[k]], after
    assert runtime.verify(case.number).ok


def test_the_person_export_finds_nothing_after_erasure(runtime, rejected):
    rejected.at(ELEVEN_YEARS_ON)
    run(runtime, "retention", "run")
    exported = json.loads(run(runtime, "person", "export", ADULT_ID, "--user", "admin").output)
    assert exported["cases"] == [] and exported["views"] == []


def test_scrub_leaves_what_identifies_records_not_people():
    task_id = "0f8e2a1c-4b3d-4e5f-8a9b-a12345678901"  # ends in what looks like a mobile number
    digest = "1" * 18 + "a" * 46
    value = {"parent": task_id, "state": digest, "grade": 3, "category": "肢体",
             "params": {"sms": f"{NAME}您好，证号 {ADULT_ID}11，回电 {PHONE}"}, "guardian_name": "王芳", "note": ""}
    scrubbed = erasure.scrub(value, {NAME})
    assert scrubbed["parent"] == task_id and scrubbed["state"] == digest
    assert (scrubbed["grade"], scrubbed["category"], scrubbed["guardian_name"]) == (3, "肢体", erasure.ERASED)
    assert scrubbed["params"]["sms"] == "（已删除）您好，证号 （已删除）11，回电 （已删除）"


def test_a_dry_run_changes_nothing(runtime, rejected):
    before = held_of(runtime, rejected.number)
    rejected.at(ELEVEN_YEARS_ON)
    printed = run(runtime, "retention", "run", "--dry-run").output
    assert "将删除个人信息" in printed and "这是试运行，什么也没有改" in printed
    assert held_of(runtime, rejected.number) == before
    assert runtime.verify(rejected.number).steps >= 1  # still replayed: not erased


def test_cases_within_the_period_and_running_cases_are_untouched(runtime, start, rejected):
    running = start(applicant_name="张小红", phone="13800000009")
    rejected.at("2036-09-29T10:00:00+08:00")  # ten years not yet passed
    before = {n: held_of(runtime, n) for n in (rejected.number, running.number)}
    assert run(runtime, "retention", "run").output.startswith("没有办结超过 10 年而未删除个人信息的案件")
    assert {n: held_of(runtime, n) for n in before} == before

    printed = run(runtime, "person", "erase", ADULT_ID, "--user", "admin").output
    assert f"{rejected.number}：未删除，办结未满 10 年，按保存期限保存到 2036-09-30" in printed
    assert held_of(runtime, rejected.number) == before[rejected.number]  # the refusal changed nothing
    for number, why in ((rejected.number, "办结未满 10 年"), (running.number, "尚未办结")):
        with pytest.raises(InvalidState, match=why):
            runtime.erase_personal_data(number, actor="admin", basis="保存期限已满")
    assert {n: held_of(runtime, n) for n in before} == before


def test_person_erase_erases_only_that_persons_ended_cases(runtime, start, rejected):
    other = start(applicant_name="张小红", id_number=lushan_id("19900202", "246"), phone="13800000009")
    mine_running = start()
    rejected.at(ELEVEN_YEARS_ON)
    printed = run(runtime, "person", "erase", ADULT_ID, "--user", "admin").output
    assert f"{rejected.number}（" in printed and "已删除个人信息" in printed
    assert f"{mine_running.number}：未删除，尚未办结，不能删除" in printed
    assert NAME not in held_of(runtime, rejected.number)
    assert NAME in held_of(runtime, mine_running.number) and "张小红" in held_of(runtime, other.number)
    assert runtime.history(rejected.number)[-1]["actor"] == "admin"


def test_the_commands_speak_chinese(runtime):
    for args in (["retention", "--help"], ["retention", "run", "--help"], ["person", "erase", "--help"]):
        assert "保存期限" in run(runtime, *args).output
    refused = CliRunner().invoke(main, ["person", "erase", ADULT_ID[:17], "--user", "admin"], obj=runtime)
    assert refused.exit_code != 0 and "身份证" in refused.output


# -- what a database writer does afterwards, or instead ----------------------------------------------------------


def erased(runtime: Runtime, case: Any) -> list[int]:
    """Erase the case (eleven years on); the seqs of the events whose data was erased."""
    case.at(ELEVEN_YEARS_ON)
    run(runtime, "retention", "run")
    record = runtime.history(case.number)[-1]
    assert record["kind"] == erasure.KIND
    return [e["seq"] for e in record["data"]["events"]]


def write(runtime: Runtime, number: str, seq: int, data: dict[str, Any]) -> None:
    with runtime.sessions.begin() as session:
        case_id = session.scalar(select(Case.id).where(Case.number == number))
        session.execute(update(Event).where(Event.case_id == case_id, Event.seq == seq).values(data=data))


def test_an_erased_event_edited_again_is_caught(runtime, rejected):
    seqs = erased(runtime, rejected)
    seq = seqs[-1]
    data = runtime.history(rejected.number)[seq - 1]["data"]
    write(runtime, rejected.number, seq, {**data, "forged": "改过"})
    finding = runtime.verify(rejected.number).finding
    assert finding is not None and (finding.seq, finding.kind) == (seq, "content")


def test_the_state_changed_after_erasure_is_caught(runtime, rejected):
    erased(runtime, rejected)
    with runtime.sessions.begin() as session:
        case = session.scalars(select(Case).where(Case.number == rejected.number)).one()
        case.state = {**case.state, "data": {**case.state.get("data", {}), "outcome": "issued"}}
    finding = runtime.verify(rejected.number).finding
    assert finding is not None and finding.kind == "stored" and "删除后被改动过" in finding.message


def test_the_outcome_changed_after_erasure_is_caught(runtime, rejected):
    erased(runtime, rejected)
    with runtime.sessions.begin() as session:
        session.execute(update(Case).where(Case.number == rejected.number).values(outcome="issued"))
    finding = runtime.verify(rejected.number).finding
    assert finding is not None and finding.kind == "status"


def forged_erasure(runtime: Runtime, number: str, seq: int, data: dict[str, Any], keys: history.KeyRing) -> None:
    """Without the history key: edit event ``seq`` to ``data`` and append a data_erased event that lists it, chained
    and signed with ``keys``, as an erasure would."""
    with runtime.sessions.begin() as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        rows = list(session.scalars(select(Event).where(Event.case_id == case.id).order_by(Event.seq)))
        edited = rows[seq - 1]
        body = history.event_body(case_number=number, seq=seq, kind=edited.kind, at=edited.at, actor=edited.actor,
                                  task_id=edited.task_id, task_name=edited.task_name, data=data)
        edited.data = data
        record = {"basis": "保存期限已满", "events": [{"seq": seq, "hash": edited.hash,
                                                     "erased": history.chain_hash(edited.prev_hash, body)}],
                  "state": {"before": "", "after": history.state_digest(case.state)}, "files": 0, "texts": 0}
        at = datetime.fromisoformat(ELEVEN_YEARS_ON)
        new_seq = len(rows) + 1
        new = history.event_body(case_number=number, seq=new_seq, kind=erasure.KIND, at=at, actor="system",
                                 task_id=None, task_name=None, data=record)
        digest = history.chain_hash(rows[-1].hash, new)
        key_id, mac = keys.sign(history.event_message(digest))
        session.execute(insert(Event).values(case_id=case.id, seq=new_seq, kind=erasure.KIND, at=at, actor="system",
                                             task_id=None, task_name=None, data=record, prev_hash=rows[-1].hash,
                                             hash=digest, key_id=key_id, mac=mac))
        case.event_count, case.last_hash = new_seq, digest
        case.seal_key, case.seal = keys.sign(history.seal_message(number, new_seq, digest))


@pytest.mark.parametrize("key", ["forger's own", "configured id, wrong key"])
def test_a_forged_erasure_does_not_cover_an_edit(runtime, rejected, key):
    seq = next(e["seq"] for e in runtime.history(rejected.number) if e["kind"] == "comment_added")
    data = {"text": "已电话告知，申请人同意撤回"}
    key_id = "forger" if key == "forger's own" else runtime.settings.history_keys.current
    forged_erasure(runtime, rejected.number, seq, data, history.KeyRing({key_id: b"k" * 32}, key_id))
    result = runtime.verify(rejected.number)
    assert result.finding is not None and (result.finding.seq, result.finding.kind) == (seq, "content")
    assert not result.erased


def test_an_edit_slipped_into_a_real_erasure_is_caught(runtime, rejected):
    seqs = erased(runtime, rejected)
    target = next(e["seq"] for e in runtime.history(rejected.number) if e["seq"] not in seqs)
    history_ = runtime.history(rejected.number)
    write(runtime, rejected.number, target, {**history_[target - 1]["data"], "forged": True})
    record = history_[-1]["data"]
    listed = {**record, "events": [*record["events"], {"seq": target, "hash": history_[target - 1]["hash"],
                                                       "erased": "0" * 64}]}
    write(runtime, rejected.number, history_[-1]["seq"], listed)
    result = runtime.verify(rejected.number)
    # The altered record vouches for nothing: the first event it listed shows as changed, not erased.
    assert result.finding is not None and (result.finding.seq, result.finding.kind) == (seqs[0], "content")
    assert not result.erased


def test_an_export_of_an_erased_case_checks_outside_certflow(runtime, rejected, tmp_path):
    keys = f"{history.DEMO_KEY_ID}:{history.DEMO_KEY.hex()}"
    seqs = erased(runtime, rejected)
    export = runtime.history_export(rejected.number)
    signed = check_export(export, tmp_path, keys)
    assert signed.returncode == 0, signed.stdout
    assert f"第 {'、'.join(map(str, seqs))} 条事件中的个人信息已按保存期限删除" in signed.stdout

    seq = seqs[-1]
    export["events"][seq - 1]["body"]["data"]["forged"] = True  # an erased event changed after erasure
    caught = check_export(export, tmp_path, keys)
    assert caught.returncode == 1 and f"at seq {seq}: 事件内容与删除个人信息时记录的不符" in caught.stdout
    export["events"][seq - 1]["body"]["data"].pop("forged")
    export["events"][-1]["mac"] = "0" * 64  # the erasure's signature forged: it vouches for nothing
    assert f"at seq {seqs[0]}: 事件内容与其哈希不符" in check_export(export, tmp_path, keys).stdout
