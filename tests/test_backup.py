"""Backups: a database with cases, files, accounts and lookups comes back whole in an empty database of either
backend, every case verifying; an archive holds no clear personal data; one made or changed by anyone without the
key, or cut short, is refused before anything is written."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from databases import PostgresCopies
from lushan import ADULT_ID, MINOR_ID, application
from sqlalchemy import Engine, inspect, select, text

from certflow import backup
from certflow.cli import main
from certflow.engine.attachments import DiskStorage, FileStore, Upload
from certflow.engine.clock import FixedClock
from certflow.engine.db import make_engine, make_sessions, use_data_keys
from certflow.engine.history import DEMO_KEYS, KeyRing
from certflow.engine.runtime import Runtime, Settings
from certflow.engine.sealing import DEMO_KEY as DEMO_DATA_KEY
from certflow.engine.sealing import DEMO_KEYS as DEMO_DATA_KEYS
from certflow.engine.sealing import DataKeyRing
from certflow.people import lookupcodes
from certflow.people.accounts import Accounts
from certflow.schema import metadata
from handlers.registry import HANDLERS

# The source is SQLite: the targets are either backend.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
PDF = b"%PDF-1.4\n" + os.urandom(5000)


def ring() -> DataKeyRing:
    """A data key ring of a key of its own, drawn at random, current; the demo key, which sealed the source's
    files, kept to open them."""
    return DataKeyRing(KeyRing({"k1": os.urandom(32), DEMO_DATA_KEYS.current: DEMO_DATA_KEY}, "k1"))


@pytest.fixture
def data_keys() -> DataKeyRing:
    return ring()


@pytest.fixture
def source(runtime: Runtime, accounts: Accounts, tmp_path: Path) -> Runtime:
    """A SQLite database with two applicants' cases (one with files), an account and a lookup code."""
    runtime.files = FileStore(DiskStorage(tmp_path / "uploads"), runtime.settings.data_keys)
    adult = runtime.start_case("application_online", application(), actor="applicant")
    runtime.attach(adult, [Upload("photos", "照片.png", PNG), Upload("medical_records", "病历.pdf", PDF)],
                   actor="applicant")
    runtime.record_view(adult, "身份证号码", actor="window")
    runtime.start_case("application_online", application(applicant_name="张小红", id_number=MINOR_ID,
                                                         phone="13800000009"), actor="applicant")
    accounts.create("window", "correct-horse-1", display_name="周敏", roles=["window_clerk"], groups=["window"])
    lookupcodes.issue(runtime.sessions, ADULT_ID, runtime.clock.now())
    return runtime


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database beside the source, of either backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.db'}"
    copies: PostgresCopies = request.getfixturevalue("postgres_copies")
    return copies.empty(tmp_path)


@pytest.fixture
def target(target_url: str) -> Iterator[Engine]:
    engine = make_engine(target_url)
    yield engine
    engine.dispose()


def engine_of(runtime: Runtime) -> Engine:
    engine: Engine = runtime.sessions.kw["bind"]
    return engine


def contents(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order, the sealed columns opened with the demo data keys."""
    use_data_keys(make_sessions(engine), DEMO_DATA_KEYS)
    with engine.connect() as connection:
        return {table.name: [tuple(row) for row in connection.execute(
                    select(table).order_by(*table.primary_key.columns))]
                for table in metadata.sorted_tables}


def sealed_names(engine: Engine) -> list[bytes]:
    with engine.connect() as connection:
        return [bytes(v) for v in connection.scalars(text("SELECT applicant_name FROM cases ORDER BY id"))]


def files(folder: Path, keys: DataKeyRing = DEMO_DATA_KEYS) -> dict[str, bytes]:
    """The files under ``folder`` by name, opened (each is sealed anew, with a nonce of its own, where it is put)."""
    store = FileStore(DiskStorage(folder), keys)
    return {p.relative_to(folder).as_posix(): store.read(p.name) for p in folder.rglob("*") if p.is_file()}


def test_a_restored_database_is_the_one_backed_up(source: Runtime, target: Engine, data_keys: DataKeyRing,
                                                  tmp_path: Path, clock: FixedClock,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup, "PART_BYTES", 2000)  # the events and the cases in several parts each
    archive = tmp_path / "certflow.backup"
    made = backup.make(engine_of(source), tmp_path / "uploads", archive, data_keys)
    # Every table the migrations made, the alembic revision aside, is in the backup.
    assert set(made.rows) == set(inspect(engine_of(source)).get_table_names()) - {"alembic_version"}
    assert made.rows["cases"] == 2 and made.files == 2

    restored = backup.restore(archive, target, tmp_path / "restored-uploads", data_keys, DEMO_KEYS)

    assert restored.rows == made.rows
    assert contents(target) == contents(engine_of(source))
    assert sealed_names(target) == sealed_names(engine_of(source))  # copied as stored, never opened
    assert files(tmp_path / "restored-uploads", data_keys) == files(tmp_path / "uploads")
    again = Runtime(make_sessions(target), HANDLERS, Settings(), clock,
                    FileStore(DiskStorage(tmp_path / "restored-uploads"), data_keys))
    for number in again.case_numbers():
        assert again.verify(number).ok, str(again.verify(number))
    number = again.case_numbers_for_applicant(ADULT_ID)[0]
    assert [again.attachment_content(number, a["id"])[1] for a in again.attachments(number)] == [PNG, PDF]
    # New rows take new ids: on PostgreSQL the sequences moved past the restored ones.
    before = again.case_numbers()
    clock.advance(minutes=1)
    assert again.start_case("application_online", application(), actor="applicant") not in before
    assert len(again.case_numbers()) == 3


def test_an_archive_holds_no_clear_personal_data(source: Runtime, data_keys: DataKeyRing, tmp_path: Path) -> None:
    archive = tmp_path / "certflow.backup"
    backup.make(engine_of(source), tmp_path / "uploads", archive, data_keys)
    content = archive.read_bytes()
    for clear in (ADULT_ID, MINOR_ID, "13800000001", "李明", "张小红"):
        assert clear.encode() not in content
    assert PNG[:64] not in content and b"%PDF" not in content
    assert oct(archive.stat().st_mode & 0o777) == "0o600"


def refused_and_nothing_written(archive: Path, target: Engine, data_keys: DataKeyRing, uploads: Path) -> str:
    with pytest.raises(backup.BackupRefused) as refused:
        backup.restore(archive, target, uploads, data_keys, DEMO_KEYS)
    assert inspect(target).get_table_names() == []
    assert not uploads.exists()
    return str(refused.value)


def test_an_archive_under_another_key_is_refused(source: Runtime, target: Engine, data_keys: DataKeyRing,
                                                tmp_path: Path) -> None:
    archive = tmp_path / "certflow.backup"
    backup.make(engine_of(source), tmp_path / "uploads", archive, data_keys)
    said = refused_and_nothing_written(archive, target, ring(), tmp_path / "restored-uploads")
    assert said == f"{backup.TAMPERED}（加密数据已被改动，或不属于这里，无法解密）"
    elsewhere = DataKeyRing(KeyRing({"k2": os.urandom(32)}, "k2"))
    said = refused_and_nothing_written(archive, target, elsewhere, tmp_path / "restored-uploads")
    assert said.endswith("（数据加密密钥 k1 没有配置，无法解密；请把它加回数据密钥文件）")


def test_an_archive_under_a_rotated_key_is_restored(source: Runtime, target: Engine, data_keys: DataKeyRing,
                                                    tmp_path: Path) -> None:
    archive = tmp_path / "certflow.backup"
    backup.make(engine_of(source), tmp_path / "uploads", archive, data_keys)
    rotated = DataKeyRing(KeyRing({"k2": os.urandom(32), **data_keys.keys.keys}, "k2"))
    assert backup.restore(archive, target, tmp_path / "restored", rotated, DEMO_KEYS).rows["cases"] == 2


@pytest.mark.parametrize("where", [len(backup.MAGIC) + 3, len(backup.MAGIC) + backup.ARCHIVE_ID_BYTES,
                                   len(backup.MAGIC) + backup.ARCHIVE_ID_BYTES + 30, -1],
                         ids=["archive id", "flag", "ciphertext", "tag"])
def test_a_flipped_byte_is_refused(source: Runtime, target: Engine, data_keys: DataKeyRing, tmp_path: Path,
                                   where: int) -> None:
    archive = tmp_path / "certflow.backup"
    backup.make(engine_of(source), tmp_path / "uploads", archive, data_keys)
    content = bytearray(archive.read_bytes())
    content[where] ^= 0x01
    archive.write_bytes(bytes(content))
    assert "没有恢复任何内容" in refused_and_nothing_written(archive, target, data_keys, tmp_path / "restored")


def test_frames_cut_dropped_or_swapped_are_refused(source: Runtime, target: Engine, data_keys: DataKeyRing,
                                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup, "CHUNK", 4096)  # many frames
    archive = tmp_path / "certflow.backup"
    backup.make(engine_of(source), tmp_path / "uploads", archive, data_keys)
    content = archive.read_bytes()
    start = len(backup.MAGIC) + backup.ARCHIVE_ID_BYTES
    frames, at = [], start
    while at < len(content):
        size = 5 + int.from_bytes(content[at + 1:at + 5], "big")
        frames.append(content[at:at + size])
        at += size
    assert len(frames) > 3
    head = content[:start]
    for changed in (head + b"".join(frames[:-1]),  # the last frame dropped: cut at a frame's end
                    content[:-100],  # cut inside the last frame
                    head + frames[0] + b"".join(frames[2:]),  # a frame dropped
                    head + frames[1] + frames[0] + b"".join(frames[2:]),  # two swapped
                    content + frames[-1]):  # something after the end
        archive.write_bytes(changed)
        refused_and_nothing_written(archive, target, data_keys, tmp_path / "restored")


def test_a_backup_of_another_schema_revision_is_refused(source: Runtime, target: Engine, data_keys: DataKeyRing,
                                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = tmp_path / "certflow.backup"
    made = backup.make(engine_of(source), tmp_path / "uploads", archive, data_keys)
    monkeypatch.setattr(backup, "head_revision", lambda engine: "0099_later")
    said = refused_and_nothing_written(archive, target, data_keys, tmp_path / "restored")
    assert said == (f"备份的数据库版本是 {made.revision}，本程序的是 0099_later："
                    "请用做备份时的 certflow 版本恢复，再升级 certflow")


def test_a_database_of_another_revision_is_not_backed_up(source: Runtime, data_keys: DataKeyRing, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup, "head_revision", lambda engine: "0099_later")
    with pytest.raises(backup.BackupRefused, match=r"数据库的版本 \w+ 与本程序的 0099_later 不同"):
        backup.make(engine_of(source), tmp_path / "uploads", tmp_path / "certflow.backup", data_keys)
    assert list(tmp_path.glob("*certflow.backup*")) == []


def test_only_an_empty_database_is_restored_into(source: Runtime, data_keys: DataKeyRing, tmp_path: Path) -> None:
    archive = tmp_path / "certflow.backup"
    backup.make(engine_of(source), tmp_path / "uploads", archive, data_keys)
    before = contents(engine_of(source))
    with pytest.raises(backup.BackupRefused, match="目标数据库不是空的（表 deployments、.* 中已有数据）"):
        backup.restore(archive, engine_of(source), tmp_path / "uploads", data_keys, DEMO_KEYS)
    assert contents(engine_of(source)) == before


def test_the_commands_back_up_restore_and_verify(source: Runtime, target: Engine, tmp_path: Path,
                                                 clock: FixedClock) -> None:
    archive = tmp_path / "certflow.backup"
    made = CliRunner().invoke(main, ["backup", str(archive)], obj=source)
    assert made.exit_code == 0, made.output
    assert re.fullmatch(rf"已备份到 {archive}（0\.\d MB）：\d+ 张表共 \d+ 行，2 个上传文件；"
                        r"用数据加密密钥 demo（SM4-GCM）加密\n", made.output)
    restored_files = FileStore(DiskStorage(tmp_path / "restored-uploads"), DEMO_DATA_KEYS)
    again = Runtime(make_sessions(target), HANDLERS, Settings(), clock, restored_files)

    restored = CliRunner().invoke(main, ["restore", str(archive)], obj=again)

    assert restored.exit_code == 0, restored.output
    assert restored.stdout.splitlines()[-1] == "核对了 2 个案件：2 个未被改动，0 个对不上"
    assert files(tmp_path / "restored-uploads") == files(tmp_path / "uploads")
    refused = CliRunner().invoke(main, ["restore", str(archive)], obj=again)  # now it is no longer empty
    assert refused.exit_code == 1
    assert refused.stderr.startswith("错误：目标数据库不是空的")
    nowhere = tmp_path / "missing" / "certflow.backup"
    refused = CliRunner().invoke(main, ["backup", str(nowhere)], obj=source)
    assert refused.stderr == f"错误：无法在 {nowhere.parent} 写备份文件：文件夹不存在，或没有写权限\n"


def test_the_restore_command_refuses_a_changed_archive(source: Runtime, target: Engine, tmp_path: Path,
                                                       clock: FixedClock) -> None:
    archive = tmp_path / "certflow.backup"
    CliRunner().invoke(main, ["backup", str(archive)], obj=source)
    content = bytearray(archive.read_bytes())
    content[len(content) // 2] ^= 0x80
    archive.write_bytes(bytes(content))
    again = Runtime(make_sessions(target), HANDLERS, Settings(), clock,
                    FileStore(DiskStorage(tmp_path / "restored"), DEMO_DATA_KEYS))
    refused = CliRunner().invoke(main, ["restore", str(archive)], obj=again)
    assert refused.exit_code == 1
    assert refused.stderr == f"错误：{backup.TAMPERED}（加密数据已被改动，或不属于这里，无法解密）\n"
    assert inspect(target).get_table_names() == []
