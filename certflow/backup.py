"""Backups: the whole database (every table of the schema) and the upload folder in one encrypted file, and their
restore into an empty database.

The file is a header (``MAGIC``, then an archive id of 16 random bytes) and frames, each a flag byte (1 on the last
frame), a length and an envelope of the data key ring's ``encrypt`` over at most ``CHUNK`` bytes of a gzip'd tar.
Each frame's associated data names the archive, the frame's place and whether it is the last, so a frame changed,
moved, dropped or taken from another backup, and a file cut short, are refused; restore reads and checks every
frame before it writes anything, and keeps no clear text on disk.

The tar holds ``backup.json`` (format, alembic revision, when, each table's columns), then each table's rows as JSON
lines in parts of about ``PART_BYTES`` (``tables/<table>/<n>.jsonl``), a table after those it refers to, then the
upload folder's files (``uploads/<ab>/<sha256>``).

An application-level dump rather than pg_dump or SQLite's backup: one format on both backends (a SQLite pilot moves
to PostgreSQL by a backup and a restore), nothing to install beside certflow, and the values as the application
reads them. See docs/deploy.md, *Backups*.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import secrets
import tarfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    Table,
    exists,
    inspect,
    select,
    text,
)

from certflow.engine.attachments import DiskStorage, FileStore
from certflow.engine.db import head_revision, upgrade
from certflow.engine.errors import CertflowError
from certflow.engine.history import KeyRing
from certflow.engine.models import SealedValue
from certflow.engine.sealing import DataKeyRing, SealError
from certflow.schema import metadata

MAGIC = b"CERTFLOW-BACKUP\x001\n"  # the file's kind and its format's version
ARCHIVE_ID_BYTES = 16
CHUNK = 4 * 1024 * 1024  # of the tar per frame: what one decryption holds in memory
PART_BYTES = 4 * 1024 * 1024  # of rows, read and inserted at once on restore (a case's state may be large)
FORMAT = 1
_UPLOAD = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}")
_TABLE_PART = re.compile(r"tables/\w+/\d{6}\.jsonl")
_FLAG_LAST = 1


class BackupRefused(CertflowError):
    """A backup file that cannot be restored, or a database it cannot be restored into; nothing was written."""

    code = "backup_refused"


@dataclass(frozen=True)
class Summary:
    """What a backup holds, or what a restore wrote: the schema's revision, rows per table, upload files."""

    revision: str
    rows: dict[str, int] = field(default_factory=dict)
    files: int = 0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# -- making a backup ----------------------------------------------------------------------------------------------


def make(engine: Engine, uploads: Path, out: Path, keys: DataKeyRing) -> Summary:
    """Write the backup of the database behind ``engine`` and of the folder ``uploads`` to ``out``.

    Written beside ``out`` and renamed over it once complete, readable by the owner only: a backup cut short by a
    full disk never stands under the name of a good one.
    """
    partial = out.with_name(f".{out.name}.part")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as error:
        raise BackupRefused(f"无法在 {out.parent} 写备份文件：文件夹不存在，或没有写权限") from error
    try:
        with os.fdopen(descriptor, "wb") as file:
            sealed = _SealedWriter(file, keys)
            with tarfile.open(fileobj=sealed, mode="w|gz") as tar:
                summary = _dump(engine, uploads, keys, tar)
            sealed.finish()
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return summary


def _dump(engine: Engine, uploads: Path, keys: DataKeyRing, tar: tarfile.TarFile) -> Summary:
    # One transaction for every table, so that the rows agree with each other: on PostgreSQL a snapshot
    # (REPEATABLE READ), on SQLite the write lock the engine takes at BEGIN, which makes writers wait.
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect().execution_options(**options) as connection, connection.begin():
        revision = MigrationContext.configure(connection).get_current_revision()
        if revision is None:
            raise BackupRefused("数据库还没有建表（请先运行 certflow init-db），没有可备份的内容")
        if revision != head_revision(engine):  # its tables are not those this release reads
            raise BackupRefused(f"数据库的版本 {revision} 与本程序的 {head_revision(engine)} 不同："
                                "请用与数据库同版本的 certflow 备份，或先运行 certflow init-db 升级数据库")
        tables = metadata.sorted_tables
        _add(tar, "backup.json", json.dumps({
            "format": FORMAT, "revision": revision, "made_at": datetime.now(UTC).isoformat(),
            "tables": {t.name: [c.name for c in t.columns] for t in tables},
        }, ensure_ascii=False).encode())
        rows = {table.name: _dump_table(connection, table, tar) for table in tables}
    count, files = 0, FileStore(DiskStorage(uploads), keys)
    for path in sorted(uploads.rglob("*")) if uploads.is_dir() else ():
        name = path.relative_to(uploads).as_posix()
        if path.is_file() and _UPLOAD.fullmatch(name):  # a file still being written ends in .part
            # opened: the archive is sealed whole, and restore seals each file again under the keys it is given
            _add(tar, f"uploads/{name}", files.read(path.name))
            count += 1
    return Summary(revision, rows, count)


def _stored(table: Table) -> Table:
    """``table`` with its sealed columns as the bytes stored: a backup copies their envelopes as they are, never
    opening them, and restore writes them back unchanged (their context is their table and column, not the
    database)."""
    columns = [Column(c.name, LargeBinary() if isinstance(c.type, SealedValue) else c.type, primary_key=c.primary_key)
               for c in table.columns]
    return Table(table.name, MetaData(), *columns)


def _dump_table(connection: Connection, table: Table, tar: tarfile.TarFile) -> int:
    stored = _stored(table)
    query = select(stored).order_by(*stored.primary_key.columns)
    result = connection.execution_options(stream_results=True, yield_per=500).execute(query)
    lines: list[bytes] = []
    count = size = parts = 0
    for row in result:
        lines.append(json.dumps(list(row), ensure_ascii=False, default=_encoded).encode())
        count, size = count + 1, size + len(lines[-1]) + 1
        if size >= PART_BYTES:
            parts += 1
            _add(tar, f"tables/{table.name}/{parts:06d}.jsonl", b"\n".join(lines) + b"\n")
            lines, size = [], 0
    if lines:
        _add(tar, f"tables/{table.name}/{parts + 1:06d}.jsonl", b"\n".join(lines) + b"\n")
    return count


def _encoded(value: Any) -> Any:
    """A value JSON has no form for: times in ISO 8601 (with their offset), bytes in base64."""
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def _add(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(content), 0o600
    tar.addfile(info, io.BytesIO(content))


class _SealedWriter(io.RawIOBase):
    """The tar's bytes, encrypted frame by frame as they come (no clear text on disk)."""

    def __init__(self, out: IO[bytes], keys: DataKeyRing) -> None:
        super().__init__()
        self.out, self.keys = out, keys
        self.archive = secrets.token_bytes(ARCHIVE_ID_BYTES)
        self.buffer = bytearray()
        self.index = 0
        out.write(MAGIC + self.archive)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.buffer += data
        while len(self.buffer) > CHUNK:  # strictly more: the last frame, written by ``finish``, is never empty
            self._frame(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def finish(self) -> None:
        self._frame(bytes(self.buffer), last=True)
        self.buffer.clear()

    def _frame(self, chunk: bytes, *, last: bool) -> None:
        envelope = self.keys.encrypt(chunk, context=_context(self.archive, self.index, last))
        self.out.write(bytes([_FLAG_LAST if last else 0]) + len(envelope).to_bytes(4, "big") + envelope)
        self.index += 1


def _context(archive: bytes, index: int, last: bool) -> bytes:
    return b"certflow-backup\x00" + archive + index.to_bytes(8, "big") + (b"\x01" if last else b"\x00")


# -- reading one back ---------------------------------------------------------------------------------------------

TAMPERED = "备份文件已损坏或被改动过，也可能不是用本系统当前的数据密钥做的；没有恢复任何内容"


def check(path: Path, keys: DataKeyRing) -> dict[str, Any]:
    """Read the whole backup at ``path``: its manifest (``backup.json``), or BackupRefused unless every frame is
    whole, in place and unchanged and every member is one ``restore`` knows."""
    manifest: dict[str, Any] | None = None
    for name, content in _members(path, keys):
        if name == "backup.json":
            manifest = json.loads(content)
        elif name.startswith("uploads/") and _UPLOAD.fullmatch(name.removeprefix("uploads/")):
            if hashlib.sha256(content).hexdigest() != name.rsplit("/", 1)[1]:
                raise BackupRefused(f"备份中的文件 {name} 与它的校验和不符：{TAMPERED}")
        elif manifest is None or not _TABLE_PART.fullmatch(name) or name.split("/")[1] not in manifest["tables"]:
            raise BackupRefused(f"备份中有不认识的内容 {name}：{TAMPERED}")
    if manifest is None:
        raise BackupRefused(f"备份中缺少目录 backup.json：{TAMPERED}")
    return manifest


def _members(path: Path, keys: DataKeyRing) -> Iterator[tuple[str, bytes]]:
    """Name and content of each member of the backup's tar, in order."""
    frames = _frames(path, keys)
    try:
        with tarfile.open(fileobj=_FrameReader(frames), mode="r|gz") as tar:
            for member in tar:
                extracted = tar.extractfile(member) if member.isfile() else None
                if extracted is None:
                    raise BackupRefused(f"备份中的 {member.name} 不是文件：{TAMPERED}")
                yield member.name, extracted.read()
    except (tarfile.TarError, zlib.error, EOFError) as error:  # sealed by the key, yet not made by ``make``
        raise BackupRefused(f"备份的内容读不出来：{TAMPERED}") from error
    for _ in frames:  # the tar may end before the last frames: each is checked all the same, and the file's end
        pass


def _frames(path: Path, keys: DataKeyRing) -> Iterator[bytes]:
    """The tar's bytes, frame by frame, each decrypted and checked; BackupRefused at the first that is not right."""
    with path.open("rb") as file:
        if file.read(len(MAGIC)) != MAGIC:
            raise BackupRefused(f"{path.name} 不是 certflow 的备份文件")
        archive = file.read(ARCHIVE_ID_BYTES)
        index, last = 0, False
        while not last:
            head = file.read(5)
            if len(head) < 5 or head[0] not in (0, _FLAG_LAST):
                raise BackupRefused(f"备份文件不完整（在第 {index + 1} 段处中断）：{TAMPERED}")
            last = head[0] == _FLAG_LAST
            envelope = file.read(int.from_bytes(head[1:], "big"))
            try:
                yield keys.decrypt(envelope, context=_context(archive, index, last))
            except SealError as error:  # the ring says which: changed, or made under a key it does not hold
                raise BackupRefused(f"{TAMPERED}（{error}）") from error
            index += 1
        if file.read(1):
            raise BackupRefused(f"备份文件在结尾之后还有多余的内容：{TAMPERED}")


class _FrameReader(io.RawIOBase):
    """The decrypted frames as one stream, for tarfile."""

    def __init__(self, frames: Iterator[bytes]) -> None:
        super().__init__()
        self.frames, self.pending = frames, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            chunk = next(self.frames, None)
            if chunk is None:
                return 0
            self.pending = chunk
        size = min(len(buffer), len(self.pending))
        buffer[:size] = self.pending[:size]
        self.pending = self.pending[size:]
        return size


# -- restoring ----------------------------------------------------------------------------------------------------


def restore(path: Path, engine: Engine, uploads: Path, keys: DataKeyRing, history_keys: KeyRing) -> Summary:
    """Put the backup at ``path`` into the empty database behind ``engine`` and its files into ``uploads``.

    The whole backup is read and checked first; one of another schema revision and a database holding any row are
    refused; then the schema is made and the rows go in in one transaction.
    """
    tables = {table.name: table for table in metadata.sorted_tables}
    head = head_revision(engine)
    columns = _columns(check(path, keys), head, tables)
    _refuse_unless_empty(engine)
    upgrade(engine, history_keys, keys)
    store, rows, files = FileStore(DiskStorage(uploads), keys), dict.fromkeys(columns, 0), 0
    with engine.begin() as connection:
        for name, content in _members(path, keys):
            if name.startswith("tables/"):
                table = name.split("/")[1]
                rows[table] += _load(connection, tables[table], columns[table], content)
            elif name.startswith("uploads/"):
                store.put(content)
                files += 1
        if connection.dialect.name == "postgresql":
            _advance_sequences(connection, tables.values())
    return Summary(str(head), rows, files)


def _refuse_unless_empty(engine: Engine) -> None:
    present = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        held = [t.name for t in metadata.sorted_tables
                if t.name in present and connection.scalar(select(exists().select_from(t)))]
    if held:
        raise BackupRefused(f"目标数据库不是空的（表 {'、'.join(held[:5])} 中已有数据）。"
                            "备份只能恢复到新建的空数据库，请另建一个空数据库，用 DATABASE_URL 指向它后再恢复")


def _columns(manifest: dict[str, Any], head: str | None, tables: dict[str, Table]) -> dict[str, list[str]]:
    """Each table's columns in the backup, once it is known to fit this release's schema."""
    if manifest.get("format") != FORMAT:
        raise BackupRefused(f"备份文件的格式（第 {manifest.get('format')} 版）本程序不认识，请用做备份的版本恢复")
    if manifest["revision"] != head:
        raise BackupRefused(f"备份的数据库版本是 {manifest['revision']}，本程序的是 {head}："
                            "请用做备份时的 certflow 版本恢复，再升级 certflow")
    columns: dict[str, list[str]] = manifest["tables"]
    unknown = sorted(f"{table}.{column}" if table in tables else table for table, names in columns.items()
                     for column in names if table not in tables or column not in tables[table].columns)
    if unknown:
        raise BackupRefused(f"备份中有本程序不认识的表或列 {'、'.join(sorted(set(unknown)))}")
    return columns


def _load(connection: Connection, table: Table, names: list[str], content: bytes) -> int:
    table = _stored(table)
    decoders = [_decoder(table.columns[name]) for name in names]
    rows = [{name: decode(value) if value is not None else None
             for name, decode, value in zip(names, decoders, json.loads(line), strict=True)}
            for line in content.splitlines() if line]
    if rows:
        connection.execute(table.insert(), rows)
    return len(rows)


def _decoder(column: Column[Any]) -> Callable[[Any], Any]:
    """The inverse of ``_encoded`` for the values of ``column``, by the type the column stores."""
    kind = getattr(column.type, "impl_instance", column.type)
    if isinstance(kind, DateTime):
        return datetime.fromisoformat
    if isinstance(kind, Date):
        return date.fromisoformat
    if isinstance(kind, LargeBinary):
        return base64.b64decode
    return _same


def _same(value: Any) -> Any:
    return value


def _advance_sequences(connection: Connection, tables: Iterable[Table]) -> None:
    """Rows came in with their ids: each id sequence moves past the largest, so that new rows do not collide."""
    for table in tables:
        key = list(table.primary_key.columns)
        if len(key) == 1 and key[0].type.python_type is int:  # a serial id; text keys (groups) have no sequence
            connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence(:table, :column), COALESCE(MAX({key[0].name}), 0) + 1, false)"
                f" FROM {table.name}"), {"table": table.name, "column": key[0].name})
