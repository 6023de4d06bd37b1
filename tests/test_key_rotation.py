"""A new data key: ``rotation.reseal`` (``certflow rotate-data-key``) seals every value and file again under it, row by
row, while clerks complete tasks on the same cases; a step that writes a row meanwhile wins and nothing is lost."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lushan import application

from certflow.cli import main
from certflow.engine import rotation, sealing
from certflow.engine.attachments import DiskStorage, FileStore, Upload
from certflow.engine.runtime import Runtime

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PASS = {"decision": "pass"}


def cases_under_demo_key(runtime: Runtime, tmp_path: Path, count: int) -> list[str]:
    runtime.files = FileStore(DiskStorage(tmp_path / "uploads"), runtime.settings.data_keys)
    numbers = [runtime.start_case("application_online", application(), actor="applicant") for _ in range(count)]
    runtime.attach(numbers[0], [Upload("photos", "照片.png", PNG)], actor="applicant")
    [task] = runtime.tasks(case=numbers[0])
    runtime.save_draft(task["id"], {"note": "草稿"}, actor="window")
    return numbers


def rotate_keys(runtime: Runtime) -> sealing.DataKeyRing:
    """A new current key, the demo key kept to open what it sealed; the runtime and its files use them."""
    keys = sealing.parse_keys(f"k2027:{secrets.token_hex(32)}\n{sealing.DEMO_KEY_ID}:{sealing.DEMO_KEY.hex()}")
    runtime.settings = replace(runtime.settings, data_keys=keys)
    assert runtime.files is not None
    runtime.files = FileStore(runtime.files.storage, keys)
    return keys


def pre_review_done(runtime: Runtime, number: str) -> bool:
    return not [t for t in runtime.tasks(case=number) if t["name"] == "pre_review"]


def test_rotating_while_clerks_work_leaves_everything_under_the_new_key(runtime: Runtime, tmp_path: Path) -> None:
    numbers = cases_under_demo_key(runtime, tmp_path, 6)
    keys = rotate_keys(runtime)
    assert rotation.count_stale(runtime.sessions, keys) > 0
    errors: list[BaseException] = []

    def clerk() -> None:
        try:
            for number in numbers:
                [task] = runtime.tasks(case=number)
                runtime.complete_task(task["id"], PASS, actor="window")
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    working = threading.Thread(target=clerk)
    working.start()
    done = rotation.reseal(runtime.sessions, keys, runtime.files, batch=1, pause=0.001)
    working.join()

    assert not errors, errors
    assert done.left == 0 and rotation.count_stale(runtime.sessions, keys) == 0
    assert done.values["cases.applicant_name/state"] and done.values["events.data"] and done.files == 1
    for number in numbers:  # nothing the clerk did was lost, and every history still verifies
        assert pre_review_done(runtime, number)
        assert runtime.verify(number).ok, str(runtime.verify(number))
        assert runtime.case(number)["applicant_name"] == application()["applicant_name"]
    [attachment] = runtime.attachments(numbers[0])
    assert runtime.attachment_content(numbers[0], attachment["id"])[1] == PNG
    stored = runtime.files.storage.get(attachment["sha256"])  # type: ignore[union-attr]
    assert not keys.needs_rotation(stored)
    # The demo key is needed no more: without it everything still opens.
    alone = sealing.DataKeyRing(replace(keys.keys, keys={"k2027": keys.keys.keys["k2027"]}), keys.suite)
    runtime.settings = replace(runtime.settings, data_keys=alone)
    assert all(runtime.case(number)["number"] == number for number in numbers)


def test_a_step_that_writes_the_row_first_wins_and_the_row_is_done_later(runtime: Runtime, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    [number] = cases_under_demo_key(runtime, tmp_path, 1)
    keys = rotate_keys(runtime)
    batches = rotation._batches
    raced = []

    def step_between_read_and_write(*args: Any) -> Iterator[Any]:
        for key, read in batches(*args):
            if args[1].name == "cases" and not raced:  # the clerk's step commits after the case row was read
                [task] = runtime.tasks(case=number)
                runtime.complete_task(task["id"], PASS, actor="window")
                raced.append(key)
            yield key, read

    monkeypatch.setattr(rotation, "_batches", step_between_read_and_write)
    done = rotation.reseal(runtime.sessions, keys, runtime.files)

    assert raced and done.raced == 1 and done.left == 0
    assert pre_review_done(runtime, number) and runtime.verify(number).ok


def test_the_command_says_what_it_sealed_again(runtime: Runtime, tmp_path: Path) -> None:
    cases_under_demo_key(runtime, tmp_path, 2)
    keys = rotate_keys(runtime)

    result = CliRunner().invoke(main, ["rotate-data-key", "--batch", "1"], obj=runtime)

    assert result.exit_code == 0, result.output
    assert "已用当前数据加密密钥 k2027（SM4-GCM）重新加密" in result.output and "1 个上传文件" in result.output
    assert rotation.count_stale(runtime.sessions, keys) == 0


def test_the_command_names_an_old_key_left_out_of_the_key_file(runtime: Runtime, tmp_path: Path) -> None:
    cases_under_demo_key(runtime, tmp_path, 1)
    runtime.settings = replace(runtime.settings, data_keys=sealing.parse_keys(f"k2027:{secrets.token_hex(32)}"))

    result = CliRunner().invoke(main, ["rotate-data-key"], obj=runtime)

    assert result.exit_code == 1 and "数据加密密钥 demo 没有配置" in result.output
