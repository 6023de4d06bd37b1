"""Where a persisted step's time goes, without a profiler: the parts of a step timed by wrapping them.

``cost_per_case.py --parts`` runs whole cases with these wrappers on and prints each part's milliseconds a step, wall
and CPU (the thread's own: on a shared machine the steadier). A part's time leaves out the parts timed inside it (the
state column's JSON and sealing happen inside the case row's write), so the parts and "the rest" add up to the whole.
The wrappers cost a few microseconds a call, far less than a profiler, so the figures are close to an unprofiled run's.

It also measures what saving only what a step changed (issue 19, part 2) would need to know soundly: each task's
serialized form and its digest, for every task of the state (``per_task_digests``), and how many tasks a step moved.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from certflow.engine import history, models, projection, sealing, state, steps

STATE = b"cases.state"  # the sealed context of the state column
NOT_ON_PATH = "(not on the path) each task's JSON and digest"
REST = "the rest (SQL, commits, finding the task, the runtime)"


@dataclass
class Parts:
    """Exclusive seconds and calls per part, and what the steps' states moved."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # wall
    cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # the thread's CPU
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    state_bytes: list[int] = field(default_factory=list)
    moved: list[tuple[int, int, int, int]] = field(default_factory=list)  # tasks moved, tasks, their bytes, all bytes
    _inside: list[list[float]] = field(default_factory=list)  # wall and CPU of timed parts inside each open part
    _last: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)  # root → task → (digest, bytes)

    def timed(self, part: str | Callable[..., str], function: Callable[..., Any]) -> Callable[..., Any]:
        """``function`` adding its time, less that of the timed parts it calls, to ``part`` (or to the part named
        by ``part(*args, **kwargs)``)."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self._inside.append([0.0, 0.0])
            started, cpu_started = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
                name = part if isinstance(part, str) else part(*args, **kwargs)
                inside = self._inside.pop()
                self.seconds[name] += elapsed - inside[0]
                self.cpu[name] += cpu - inside[1]
                self.calls[name] += 1
                if self._inside:
                    self._inside[-1][0] += elapsed
                    self._inside[-1][1] += cpu

        return wrapper

    def dumped(self, dump: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        """``state.dump``, and then (timed apart, not part of the step) each task's serialized form and digest."""
        timed_dump = self.timed("state dump (SpiffWorkflow's serializer)", dump)

        def wrapper(workflow: Any) -> dict[str, Any]:
            reached = timed_dump(workflow)
            started, cpu_started = time.perf_counter(), time.thread_time()
            digests = per_task_digests(reached)
            self.seconds[NOT_ON_PATH] += time.perf_counter() - started
            self.cpu[NOT_ON_PATH] += time.thread_time() - cpu_started
            before = self._last.get(reached["root"])
            if before is not None:  # a step after the start: which tasks it moved
                moved = [task for task, found in digests.items() if before.get(task) != found]
                self.moved.append((len(moved), len(digests), sum(digests[task][1] for task in moved),
                                   sum(size for _, size in digests.values())))
            self._last[reached["root"]] = digests
            return reached

        return wrapper

    def reset(self) -> None:
        self.seconds.clear()
        self.cpu.clear()
        self.calls.clear()
        self.state_bytes.clear()
        self.moved.clear()

    def table(self, wall: float, cpu: float, step_count: int) -> str:
        """Each part's milliseconds a step, wall and CPU (this process's, so not PostgreSQL's), and its share of the
        step's CPU; the rest; what the states moved. On a busy machine the CPU column is the steadier."""
        ms = 1000 / step_count
        lines = [f"{step_count} steps: {wall * ms:.2f} ms a step, {cpu * ms:.2f} ms of this process's CPU",
                 f"{'part':<58} {'wall ms':>8} {'CPU ms':>8} {'CPU share':>9}"]
        on_path = [name for name in self.seconds if name != NOT_ON_PATH]
        rows = [(name, self.seconds[name], self.cpu[name]) for name in sorted(on_path, key=lambda n: -self.cpu[n])]
        rows.append((REST, wall - sum(self.seconds[n] for n in on_path), cpu - sum(self.cpu[n] for n in on_path)))
        for name, seconds, used in rows:
            lines.append(f"{name:<58} {seconds * ms:8.3f} {used * ms:8.3f} {used / cpu:9.1%}")
        if NOT_ON_PATH in self.seconds:
            lines.append(f"{NOT_ON_PATH:<58} {self.seconds[NOT_ON_PATH] * ms:8.3f} {self.cpu[NOT_ON_PATH] * ms:8.3f}")
        if self.state_bytes:
            lines.append(f"state column: {sum(self.state_bytes) / len(self.state_bytes) / 1024:.1f} KiB on average, "
                         f"{max(self.state_bytes) / 1024:.1f} KiB at most")
        if self.moved:
            moved, tasks, moved_bytes, all_bytes = (sum(column) / len(self.moved) for column in zip(*self.moved,
                                                                                                   strict=True))
            lines.append(f"a step after the start moved {moved:.1f} of {tasks:.1f} tasks, "
                         f"{moved_bytes / 1024:.1f} of {all_bytes / 1024:.1f} KiB of their JSON")
        return "\n".join(lines)


def per_task_digests(reached: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """Every task of a dumped state (its subprocesses' too) → the SHA-256 of its JSON as the column would hold it, and
    the JSON's length: what a save of only the tasks a step changed would compare, trusting no marker of
    SpiffWorkflow's."""
    tasks = [("", reached["tasks"])] + [(f"{key}/", sub["tasks"]) for key, sub in reached["subprocesses"].items()]
    found = {}
    for prefix, mapping in tasks:
        for task_id, task in mapping.items():
            text = json.dumps(task, ensure_ascii=False, separators=(",", ":")).encode()
            found[prefix + task_id] = (hashlib.sha256(text).hexdigest(), len(text))
    return found


@contextmanager
def timing() -> Iterator[Parts]:
    """The parts of every step run inside, timed."""
    parts = Parts()
    to_bytes = models.SealedJSON.to_bytes

    def column_json(column: models.SealedJSON, value: Any) -> bytes:
        encoded = to_bytes(column, value)
        if column.context == STATE:
            parts.state_bytes.append(len(encoded))
        return encoded

    def sealed(what: str) -> Callable[..., str]:
        return lambda *args, context, **_: f"{what}: the state" if context == STATE else f"{what}: other columns"

    def json_of(column: models.SealedJSON, value: Any) -> str:
        return "JSON of sealed columns: the state" if column.context == STATE else "JSON of sealed columns: others"

    with ExitStack() as patches:
        for target, name, wrapper in [
            (steps.Steps, "run", parts.timed("SpiffWorkflow running the step (Steps.run)", steps.Steps.run)),
            (state, "dump", parts.dumped(state.dump)),
            (state, "load", parts.timed("state load (SpiffWorkflow's deserializer)", state.load)),
            (history, "state_digest", parts.timed("state digest (canonical JSON, SHA-256)", history.state_digest)),
            (projection, "sync", parts.timed("task projection", projection.sync)),
            (steps.Steps, "append_events",
             parts.timed("events and case row: chain, signatures, statements", steps.Steps.append_events)),
            (models.SealedJSON, "to_bytes", parts.timed(json_of, column_json)),
            (sealing.DataKeyRing, "encrypt", parts.timed(sealed("sealing (SM4-GCM)"), sealing.DataKeyRing.encrypt)),
            (sealing.DataKeyRing, "decrypt", parts.timed(sealed("opening (SM4-GCM)"), sealing.DataKeyRing.decrypt)),
        ]:
            patches.enter_context(mock.patch.object(target, name, wrapper))
        yield parts
