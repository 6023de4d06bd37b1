"""What a benchmark's cases write to the database: commits, statements by kind, rows written. Shared by certflow's
side and SpiffArena's (``_spiffarena_worker.py``, in SpiffArena's virtualenv), so it needs SQLAlchemy alone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine


class Writes:
    """What the cases write while it listens on the engine: commits, and statements and rows by kind."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self.commits = engine, 0
        self.statements: dict[str, int] = {}
        self.rows: dict[str, int] = {}

    def __enter__(self) -> Writes:
        event.listen(self.engine, "commit", self.commit)
        event.listen(self.engine, "after_cursor_execute", self.executed)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self.engine, "commit", self.commit)
        event.remove(self.engine, "after_cursor_execute", self.executed)

    def commit(self, _connection: Any) -> None:
        self.commits += 1

    def executed(self, _connection: Any, cursor: Any, statement: str, *_: Any) -> None:
        kind = statement.lstrip().split(None, 1)[0].upper()
        self.statements[kind] = self.statements.get(kind, 0) + 1
        if kind in ("INSERT", "UPDATE", "DELETE"):
            # As the driver reports them: SQLite's counts none for a statement with RETURNING (its rows not read yet).
            self.rows[kind] = self.rows.get(kind, 0) + max(cursor.rowcount, 0)

    def per_case(self, cases: int) -> str:
        def each(counts: dict[str, int]) -> str:
            return ", ".join(f"{kind} {count / cases:g}" for kind, count in sorted(counts.items()))

        return f"{self.commits / cases:g} commits, statements: {each(self.statements)}; rows written: {each(self.rows)}"
