"""Every sealed value and file brought under the current data key, in the background, while cases are worked.

After a new data key is put first (``certflow data-key --file``), new values are sealed with it, old ones stay under
the key that sealed them. ``reseal`` goes through each table with sealed columns a batch at a time, reading the
envelopes as stored, and seals again each value whose envelope names another key or algorithm. Each row is
written in a short transaction of its own, guarded as the steps are: the row is changed only if its envelopes are
still those read (and a case only at the ``lock_version`` read), so a step that wrote the row meanwhile wins (its
values are sealed under the current key already) and the row is looked at again in the next pass. The clear values
do not change, so the hash chain, the case seals and the workflows kept in memory stay valid.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Column, CursorResult, LargeBinary, MetaData, Table, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from certflow.engine import sealing
from certflow.engine.attachments import FileStore
from certflow.engine.models import Attachment, Base, SealedValue, UploadDraft

MAX_PASSES = 20  # a row a step keeps changing is left for the next run rather than chased forever


@dataclass
class Resealed:
    """What a run sealed again: values by ``table.column``, files, rows a step changed first (looked at again)."""

    values: dict[str, int] = field(default_factory=dict)
    files: int = 0
    raced: int = 0
    left: int = 0  # values still under another key after the last pass (0 when done)


def sealed_tables() -> list[tuple[Table, list[str]]]:
    """Each table with sealed columns, and the names of those columns."""
    found = []
    for table in Base.metadata.sorted_tables:
        columns = [c.name for c in table.columns if isinstance(c.type, SealedValue)]
        if columns:
            found.append((table, columns))
    return found


def reseal(sessions: sessionmaker[Session], keys: sealing.DataKeyRing, files: FileStore | None = None, *,
           batch: int = 100, pause: float = 0.0, progress: Callable[[str], None] | None = None) -> Resealed:
    """Seal again under ``keys``' current key every value and file that is not; ``pause`` seconds between
    batches leave the database to the clerks."""
    done = Resealed()
    for _ in range(MAX_PASSES):
        changed = raced = 0
        for table, columns in sealed_tables():
            stored = _stored(table)
            for key, read in _batches(sessions, stored, columns, batch, pause):
                new = {column: keys.encrypt(keys.decrypt(envelope, context=table.c[column].type.context),
                                            context=table.c[column].type.context)
                       for column, envelope in read.items() if envelope is not None and _stale(keys, envelope)}
                if not new:
                    continue
                if _write(sessions, stored, key, read, new):
                    name = f"{table.name}.{'/'.join(columns)}"
                    done.values[name] = done.values.get(name, 0) + len(new)
                    changed += 1
                else:
                    raced += 1
        done.raced += raced
        if progress and changed:
            progress(f"本轮重新加密了 {changed} 行" + (f"，{raced} 行正被办理，稍后再试" if raced else ""))
        if not raced:
            break
    if files is not None:
        done.files = _reseal_files(sessions, files)
    done.left = count_stale(sessions, keys)
    return done


def count_stale(sessions: sessionmaker[Session], keys: sealing.DataKeyRing) -> int:
    """How many sealed values are not under the current key (0: the old keys are needed by no row)."""
    stale = 0
    for table, columns in sealed_tables():
        stored = _stored(table)
        for _key, envelopes in _batches(sessions, stored, columns, 500, 0.0):
            stale += sum(1 for value in envelopes.values() if value is not None and _stale(keys, value))
    return stale


def _stale(keys: sealing.DataKeyRing, envelope: bytes) -> bool:
    return keys.needs_rotation(envelope)


def _reseal_files(sessions: sessionmaker[Session], files: FileStore) -> int:
    """Seal again every attached or drafted file not under the current key; how many were."""
    with sessions() as session:
        digests = set(session.scalars(select(Attachment.sha256))) | set(session.scalars(select(UploadDraft.sha256)))
    count = 0
    for digest in sorted(digests):
        try:
            count += files.reseal(digest)
        except FileNotFoundError:  # a draft's file removed with it meanwhile
            continue
    return count


def _stored(table: Table) -> Table:
    """``table`` with its sealed columns as the bytes stored: envelopes read and compared as they are."""
    return Table(table.name, MetaData(), *(
        Column(c.name, LargeBinary() if isinstance(c.type, SealedValue) else c.type, primary_key=c.primary_key)
        for c in table.columns))


def _batches(sessions: sessionmaker[Session], stored: Table, columns: list[str], size: int, pause: float) -> Any:
    """(key values, {column: envelope}) of every row of ``stored``, ``size`` rows per short read; the case's
    lock_version is part of the key, so that the write is guarded by it."""
    key_columns = list(stored.primary_key.columns)
    guard = [stored.c.lock_version] if "lock_version" in stored.c else []
    last: tuple[Any, ...] | None = None
    while True:
        query = select(*key_columns, *guard, *(stored.c[c] for c in columns)).order_by(*key_columns).limit(size)
        if last is not None:
            query = query.where(tuple_(*key_columns) > tuple_(*last))
        with sessions() as session:
            rows = session.execute(query).all()
        if not rows:
            return
        width = len(key_columns) + len(guard)
        for row in rows:
            key = dict(zip([c.name for c in key_columns + guard], row[:width], strict=True))
            yield key, {c: None if v is None else bytes(v) for c, v in zip(columns, row[width:], strict=True)}
        last = tuple(rows[-1][:len(key_columns)])
        if pause:
            time.sleep(pause)


def _write(sessions: sessionmaker[Session], stored: Table, key: dict[str, Any], read: dict[str, bytes | None],
           new: dict[str, bytes]) -> bool:
    """The row's envelopes ``new`` written if the row is still as ``read`` (and its case at the lock_version read):
    whether it was. A step that wrote it meanwhile wins."""
    still = [stored.c[c].is_(None) if value is None else stored.c[c] == value for c, value in read.items()]
    with sessions.begin() as session:
        result = cast(CursorResult[Any], session.execute(update(stored).where(
            *(stored.c[name] == value for name, value in key.items()), *still).values(new)))
    return bool(result.rowcount)
