"""Files picked on the online form but never sent (upload drafts) are removed once they are older than
``upload_draft_hours``, by the worker in its rounds and by ``certflow retention drafts``; a file whose content
a case or another draft still holds stays for it."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from lushan import application

from certflow.cli import main
from certflow.engine.attachments import DiskStorage, FileStore, Upload
from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime
from certflow.worker import DRAFTS_EVERY, Worker

PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
SHARED = b"\x89PNG\r\n\x1a\n" + bytes(300)
KEPT = b"%PDF-1.4\n" + bytes(100)


@pytest.fixture
def files(runtime: Runtime, tmp_path: Path) -> FileStore:
    runtime.files = FileStore(DiskStorage(tmp_path / "uploads"), runtime.settings.data_keys)
    return runtime.files


def stored(files: FileStore, content: bytes) -> bool:
    return files.storage.exists(hashlib.sha256(content).hexdigest())


def pick(runtime: Runtime, content: bytes, name: str = "李明照片.png") -> str:
    return runtime.store_draft(Upload("photos", name, content))[0]


def test_old_drafts_go_recent_ones_and_shared_content_stay(runtime: Runtime, files: FileStore,
                                                           clock: FixedClock) -> None:
    old, shared_by_case, shared_by_draft = pick(runtime, PNG), pick(runtime, SHARED), pick(runtime, KEPT)
    number = runtime.start_case("application_online", application(), actor="applicant")
    runtime.attach(number, [Upload("photos", "照片.png", SHARED)], actor="applicant")
    clock.advance(hours=runtime.settings.upload_draft_hours - 1)
    recent = pick(runtime, KEPT, "病历.pdf")  # the same content as an old draft, picked an hour before the sweep
    clock.advance(hours=1, seconds=1)

    assert runtime.remove_old_drafts() == 3
    assert runtime.drafted([old, shared_by_case, shared_by_draft, recent]) == [
        (recent, "application/pdf", Upload("photos", "病历.pdf", KEPT))]
    assert not stored(files, PNG)
    [attached] = runtime.attachments(number)
    assert stored(files, SHARED) and runtime.attachment_content(number, attached["id"])[1] == SHARED
    assert stored(files, KEPT)
    assert runtime.remove_old_drafts() == 0

    clock.advance(hours=runtime.settings.upload_draft_hours)
    assert runtime.remove_old_drafts() == 1
    assert not stored(files, KEPT) and stored(files, SHARED)


def test_removal_goes_a_batch_at_a_time_oldest_first(runtime: Runtime, files: FileStore, clock: FixedClock) -> None:
    tokens = []
    for seq in range(3):
        tokens.append(pick(runtime, PNG + bytes([seq])))
        clock.advance(minutes=1)
    clock.advance(hours=runtime.settings.upload_draft_hours)
    assert runtime.remove_old_drafts(limit=2) == 2
    assert [token for token, _c, _u in runtime.drafted(tokens)] == tokens[2:]


def test_the_worker_removes_them_in_its_rounds_and_logs_only_how_many(
        runtime: Runtime, files: FileStore, clock: FixedClock, caplog: pytest.LogCaptureFixture) -> None:
    first = pick(runtime, PNG)
    clock.advance(hours=runtime.settings.upload_draft_hours + 1)
    worker = Worker(runtime, lambda note: None)
    with caplog.at_level(logging.INFO, logger="certflow.worker"):
        assert worker.run_once() == 1
    [record] = [r for r in caplog.records if r.getMessage() == "round"]
    assert record.fields["drafts_removed"] == 1  # type: ignore[attr-defined]
    assert "李明" not in repr(record.__dict__) and runtime.drafted([first]) == []

    swept = clock.now()
    clock.advance(hours=-(runtime.settings.upload_draft_hours + 1))
    second = pick(runtime, KEPT)  # as old as the first: the next look, ten minutes on, finds it
    clock.set(swept + DRAFTS_EVERY / 2)
    assert worker.run_once() == 0 and len(runtime.drafted([second])) == 1
    clock.set(swept + DRAFTS_EVERY)
    assert worker.run_once() == 1 and runtime.drafted([second]) == []


def test_the_command_removes_them_and_says_how_many(runtime: Runtime, files: FileStore, clock: FixedClock) -> None:
    tokens = [pick(runtime, PNG), pick(runtime, KEPT)]
    clock.advance(hours=25)
    result = CliRunner().invoke(main, ["retention", "drafts"], obj=runtime)
    assert result.exit_code == 0, result.output
    assert result.output == "删除了 2 个超过 24 小时未随申请提交的文件\n"
    assert runtime.drafted(tokens) == [] and not stored(files, PNG)


def test_a_failed_removal_leaves_the_rest_of_the_round_and_waits_its_turn(
        runtime: Runtime, files: FileStore, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    token = pick(runtime, PNG)
    clock.advance(hours=runtime.settings.upload_draft_hours + 1)
    worker = Worker(runtime, lambda note: None)

    def storage_away(*, limit: int | None = None) -> int:
        raise OSError("存储不可用")

    with monkeypatch.context() as patched:
        patched.setattr(runtime, "remove_old_drafts", storage_away)
        assert worker.run_once() == 0
    assert worker.run_once() == 0 and len(runtime.drafted([token])) == 1  # not again in every round
    clock.advance(seconds=DRAFTS_EVERY.total_seconds())
    assert worker.run_once() == 1 and runtime.drafted([token]) == []
