"""Each case's workflow kept in memory between its steps, in this process, so that a step need not load it again.

A workflow kept differs from one loaded from its saved state in what the state does not hold (the order of keys in
task data, which nested values a task shares with its parent's data, the order of waiting events), so a step run on
it could reach another state than one run on the loaded workflow. Each step therefore records how it began: its
first event's data has ``"from": "kept"`` when it ran on the workflow the case's previous step left in memory here,
and nothing when it loaded the stored state. Replay does the same (``audit``): a kept step runs on the very workflow
the replay's previous step reached, any other on the state that step saved, as stored. So the replay repeats the
live sequence of loads and keeps, and reaches the states the steps recorded.

That rests on nothing outside a step changing a kept workflow: what a step does after it saved (the task projection,
the next timer, the data shown) only reads it, and the projection evaluates ``candidateGroup`` on a copy.

An entry is the workflow with the case row it belongs to (event count, last hash, process version). A step *takes*
it out (``resume``), and uses it only if the locked row is still that row; the workflow the step reached goes back
only once its transaction has committed. So a step that fails, stops at its budget, is rolled back or loses a race
leaves nothing behind, and a step of another process, which moves the row, makes this one load. Events that change
no workflow (claims, comments, files, incidents) move the row too: the entry is moved with them at their commit.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy.orm import Session

if TYPE_CHECKING:  # steps holds the cache
    from certflow.engine.steps import CaseRow

KEPT = "kept"  # a step's first event's "from": it ran on the workflow the case's previous step left in memory
_PENDING = "certflow.kept"  # the session's key for what its transaction keeps at commit

RowKey = tuple[int, str | None]  # a case row's event count and last hash


@dataclass
class _Entry:
    key: RowKey
    version_id: int
    workflow: BpmnWorkflow


@dataclass
class _Moved:
    """What a transaction did to one case: the workflow a step reached, or only events from the row ``since``."""

    key: RowKey | None  # the row after the transaction's events so far
    version_id: int = 0
    workflow: BpmnWorkflow | None = None
    since: RowKey | None = None  # the row before events that changed no workflow, when no step came first


class Transaction:
    """What one transaction did to the cases it touched, to apply to the cache once it has committed."""

    def __init__(self, cache: WorkflowCache, size: int) -> None:
        self.cache = cache
        self.size = size
        self.moved: dict[int, _Moved] = {}
        self.began_kept: dict[int, BpmnWorkflow] = {}

    def commit(self) -> None:
        for case_id, moved in self.moved.items():
            if moved.workflow is not None and moved.key is not None:
                self.cache.put(case_id, _Entry(moved.key, moved.version_id, moved.workflow), self.size)
            elif moved.since is not None and moved.key is not None:
                self.cache.rekey(case_id, moved.since, moved.key)


class WorkflowCache:
    """case id → the workflow its last step reached in this process; least recently used first out."""

    def __init__(self) -> None:
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._lock = threading.Lock()  # a process's threads share it; an entry taken out is one thread's alone

    def begin(self, session: Session, size: int) -> Transaction | None:
        """Watch the session's transaction, kept at most ``size`` cases once it commits (``Transaction.commit``);
        None with the cache off (size 0)."""
        if size <= 0:
            self.clear()
            return None
        transaction = session.info[_PENDING] = Transaction(self, size)
        return transaction

    def resume(self, session: Session, case: CaseRow) -> BpmnWorkflow | None:
        """The workflow kept for the locked ``case``, taken out, if it belongs to the row as it is; else None."""
        transaction: Transaction | None = session.info.get(_PENDING)
        if transaction is None:
            return None
        row = (case.event_count, case.last_hash)
        moved = transaction.moved.pop(case.id, None)
        if moved is not None and moved.workflow is not None:  # an earlier step of this transaction reached it
            kept: BpmnWorkflow | None = moved.workflow if moved.key == row else None
            version_id = moved.version_id
        else:
            entry = self.take(case.id)
            # Events of this transaction that changed no workflow may have moved the row on from the entry's.
            since = moved.since if moved is not None and moved.key == row else row
            kept = entry.workflow if entry is not None and entry.key == since else None
            version_id = entry.version_id if entry is not None else 0
        if kept is None or version_id != case.process_version_id:
            return None
        transaction.began_kept[case.id] = kept
        return kept

    def stepped(self, session: Session, case: CaseRow, workflow: BpmnWorkflow) -> bool:
        """A step reached ``workflow`` (its events not yet appended): to keep at commit; whether it began kept."""
        transaction: Transaction | None = session.info.get(_PENDING)
        if transaction is None:
            return False
        # A finished case takes no step again: its workflow is not kept.
        transaction.moved[case.id] = _Moved(key=None, version_id=case.process_version_id,
                                            workflow=None if workflow.completed else workflow)
        return transaction.began_kept.pop(case.id, None) is workflow

    def appended(self, session: Session, case: CaseRow, before: RowKey) -> None:
        """Events were appended to the case, whose row was ``before``: what is kept moves with the row."""
        transaction: Transaction | None = session.info.get(_PENDING)
        if transaction is None:
            return
        row = (case.event_count, case.last_hash)
        moved = transaction.moved.setdefault(case.id, _Moved(key=None, since=before))
        moved.key = row

    def take(self, case_id: int) -> _Entry | None:
        with self._lock:
            return self._entries.pop(case_id, None)

    def put(self, case_id: int, entry: _Entry, size: int) -> None:
        with self._lock:
            self._entries[case_id] = entry
            self._entries.move_to_end(case_id)
            while len(self._entries) > size:
                self._entries.popitem(last=False)

    def rekey(self, case_id: int, before: RowKey, after: RowKey) -> None:
        with self._lock:
            entry = self._entries.get(case_id)
            if entry is not None and entry.key == before:
                entry.key = after
            elif entry is not None:  # the row moved on from another than the kept one: that workflow is stale
                del self._entries[case_id]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

