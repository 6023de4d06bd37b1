"""Budgets for what a deployed diagram runs: CPU time, wall time, memory, sizes, multi-instance counts.

A diagram is content: an analyst can deploy ``while True: pass`` or a loop cardinality of a million.
Unbounded, such a step holds its transaction (on SQLite the write lock every clerk needs) and a web thread
or the worker for ever. So every step and every script runs under a watch:

- A watchdog thread looks at each watched thread every ``POLL_SECONDS`` (50 ms): past its wall deadline, its CPU
  deadline (the thread's own CPU clock) or its memory allowance, it raises ``Exhausted`` in that thread
  (``PyThreadState_SetAsyncExc``). The interpreter raises it between two bytecodes of whatever Python runs
  there (a script, a condition, SpiffWorkflow's own loops), so no line of the script is needed to stop it,
  and it is raised again on every poll while the watch is on. Scripts cannot catch it (an ``except`` in a
  script must name classes below Exception), and a step whose watch fired fails even if something swallowed it.
- One operation written in C is not interrupted half-way, so the operations that build a big value in one
  go (``"x" * 10**10``, ``2 ** 10**10``, ``s.ljust(10**10)``, ...) are checked before they run
  (``checked_binop``, ``checked_method``), and ``range`` is bounded.

What this does not stop: memory is the whole process's resident size, so another thread's allocation in
the same moment counts too; a C call that blocks (none is exposed to scripts) runs to its end before the
step stops; and the process as a whole still needs the operating system's limits (see docs/deploy.md).
"""

from __future__ import annotations

import ctypes
import operator
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from certflow.engine.errors import StepFailed

T = TypeVar("T")
POLL_SECONDS = 0.05
IDLE_SECONDS = 2.0  # the watchdog sleeps when nothing was watched for this long
MAX_ITEMS = 1_000_000  # characters or items a script may build in one operation
MAX_INT_BITS = 1 << 16  # an integer of ~20,000 digits: far beyond any count or amount a case holds


@dataclass(frozen=True)
class Limits:
    """What one script and one step may use; ``docs/deploy.md`` lists the settings that change them."""

    script_cpu_seconds: float = 2.0
    step_cpu_seconds: float = 5.0
    step_seconds: float = 10.0  # wall time: the longest a step holds its transaction
    memory_mb: int = 256
    max_cardinality: int = 1000


class Exhausted(BaseException):  # noqa: N818 - raised by the interpreter; not an Exception, so nothing wraps it
    """Raised asynchronously in a thread whose watch ran out."""


class BudgetExceeded(StepFailed):
    """A script or step used more than its budget; nothing of the step was saved."""

    code = "budget_exceeded"

    def __init__(self, reason: str, step: str | None = None, outcome: str = "") -> None:
        self.reason = reason
        self.outcome = outcome
        where = f"“{step}”" if step else "流程"
        lead = f"{outcome}：" if outcome else ""
        super().__init__(f"{lead}{where}超出运行限额：{reason}", step=step)

    def at(self, step: str) -> BudgetExceeded:
        """The same failure, naming the element it happened in."""
        return self if self.step else BudgetExceeded(self.reason, step, self.outcome)

    def saying(self, outcome: str) -> BudgetExceeded:
        """The same failure, said after what it left (a start that failed: no case was made)."""
        return BudgetExceeded(self.reason, self.step, outcome)


# -- sizes checked before an operation builds its value ------------------------------------------

def _too_big(size: int) -> None:
    if size > MAX_ITEMS:
        raise BudgetExceeded(f"一次生成的值有 {size} 项（字符），超过上限 {MAX_ITEMS}")


def _int_too_big(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise BudgetExceeded(f"整数超过 {MAX_INT_BITS} 位，超过上限")


def _sized(value: Any) -> bool:
    return isinstance(value, str | bytes | list | tuple)


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


_PERCENT_WIDTH = re.compile(r"%[-+ #0]*(\*|\d+)?(?:\.(\*|\d+))?")
_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift, "%": operator.mod,
}


def checked_binop(op: str, left: Any, right: Any) -> Any:
    """``left op right``, refused when its result would be bigger than a script may build."""
    if op == "+" and _sized(left) and _sized(right):
        _too_big(len(left) + len(right))
    elif op == "*":
        if _sized(left) and _is_int(right):
            _too_big(len(left) * max(right, 0))
        elif _is_int(left) and _sized(right):
            _too_big(max(left, 0) * len(right))
        elif _is_int(left) and _is_int(right):
            _int_too_big(left.bit_length() + right.bit_length())
    elif op == "**" and _is_int(left) and _is_int(right) and abs(left) > 1 and right > 0:
        _int_too_big(left.bit_length() * right)
    elif op == "<<" and _is_int(left) and _is_int(right) and left:
        _int_too_big(left.bit_length() + right)
    elif op == "%" and isinstance(left, str | bytes):
        text = left.decode("latin-1") if isinstance(left, bytes) else left
        for width, precision in _PERCENT_WIDTH.findall(text):
            if "*" in (width, precision):
                raise BudgetExceeded("% 格式里不能用 * 给出宽度")
            _too_big(max(int(width or 0), int(precision or 0)))
    return _BINOPS[op](left, right)


def checked_pow(base: Any, exponent: Any, modulus: Any = None) -> Any:
    if modulus is not None:
        return pow(base, exponent, modulus)  # modular: the result is smaller than the modulus
    return checked_binop("**", base, exponent)


def checked_range(*args: int) -> range:
    bounded = range(*args)
    _too_big(len(bounded))
    return bounded


_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill"})
GROWING_METHODS = _WIDTH_METHODS | {"expandtabs", "replace", "join"}


def checked_method(text: str | bytes, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    """A str/bytes method that may build a long value, with its result's size checked before it runs."""

    def call(*args: Any, **kwargs: Any) -> Any:
        if name in _WIDTH_METHODS and args and _is_int(args[0]):
            _too_big(args[0])
        elif name == "expandtabs":
            size = kwargs.get("tabsize", args[0] if args else 8)
            tabs = text.count("\t") if isinstance(text, str) else text.count(b"\t")
            _too_big(len(text) + tabs * max(int(size), 0))
        elif name == "replace" and len(args) >= 2:
            old, new = args[0], args[1]
            times = text.count(old) if old else len(text) + 1
            if len(args) > 2 and _is_int(args[2]) and args[2] >= 0:
                times = min(times, args[2])
            _too_big(len(text) + times * max(len(new) - len(old), 0))
        elif name == "join" and args:
            items = list(args[0])
            _too_big(sum(len(i) for i in items if _sized(i)) + len(text) * max(len(items) - 1, 0))
            args = (items, *args[1:])
        return method(*args, **kwargs)

    return call


# -- the watchdog ---------------------------------------------------------------------------------

@dataclass(eq=False)
class Watch:
    """One watched stretch of one thread: a step, or a script inside it."""

    thread: int
    wall_deadline: float
    wall_reason: str
    cpu_clock: int | None
    cpu_deadline: float
    cpu_reason: str
    memory_limit: int | None = None  # the process's resident bytes beyond which the watch fires
    memory_reason: str = ""
    armed: bool = True
    reason: str | None = None  # why it fired


_wake = threading.Condition()
_watches: list[Watch] = []
_local = threading.local()
_watchdog: threading.Thread | None = None
_sleeping = False
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _open_statm() -> int | None:
    try:
        return os.open("/proc/self/statm", os.O_RDONLY)
    except OSError:
        return None


# Kept open: each step reads it, and a read at offset 0 gives the figures of that moment.
_STATM = _open_statm()


def _after_fork() -> None:
    """A forked process (a gunicorn worker) has no watchdog thread, and /proc/self was its parent's."""
    global _STATM, _wake, _watchdog, _sleeping
    if _STATM is not None:
        os.close(_STATM)
    _STATM = _open_statm()
    _wake, _watchdog, _sleeping = threading.Condition(), None, False  # the parent's watchdog may have held the lock
    _watches.clear()


os.register_at_fork(after_in_child=_after_fork)


def resident_bytes() -> int | None:
    """The process's resident memory now; None where /proc does not say (not Linux)."""
    if _STATM is None:
        return None
    try:
        return int(os.pread(_STATM, 128, 0).split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return None


def _cpu_clock() -> int | None:
    getter = getattr(time, "pthread_getcpuclockid", None)  # a thread's own CPU clock, where the OS has one
    return getter(threading.get_ident()) if getter else None


def _raise_in(thread: int, exception: type[BaseException] | None) -> None:
    """Have ``thread`` raise ``exception`` at its next bytecode; None takes back one not yet raised."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), ctypes.py_object(exception)
                                               if exception else ctypes.c_void_p(0))


def _expired(watch: Watch, now: float) -> str | None:
    if now > watch.wall_deadline:
        return watch.wall_reason
    if watch.cpu_clock is not None and time.clock_gettime(watch.cpu_clock) > watch.cpu_deadline:
        return watch.cpu_reason
    if watch.memory_limit is not None and (resident_bytes() or 0) > watch.memory_limit:
        return watch.memory_reason
    return None


def _watching() -> None:
    global _sleeping
    idle = 0.0
    with _wake:
        while True:
            _watches[:] = [w for w in _watches if w.armed]
            idle = 0.0 if _watches else idle + POLL_SECONDS
            if idle > IDLE_SECONDS:
                _sleeping = True  # until a watch begins; woken for it, not for every script
                _wake.wait()
                _sleeping, idle = False, 0.0
                continue
            now = time.monotonic()
            for watch in _watches:
                if watch.reason is None:
                    watch.reason = _expired(watch, now)
                # Raised again on every poll: whatever swallowed it is interrupted again.
                if watch.armed and watch.reason is not None:
                    _raise_in(watch.thread, Exhausted)
            _wake.wait(POLL_SECONDS)


def _arm(watch: Watch) -> None:
    global _watchdog
    with _wake:
        if _watchdog is None or not _watchdog.is_alive():
            _watchdog = threading.Thread(target=_watching, name="certflow-budget", daemon=True)
            _watchdog.start()
        if _sleeping:
            _wake.notify()
        _watches.append(watch)


def _disarm(watch: Watch) -> None:
    watch.armed = False
    with _wake:  # from here the watchdog sees the watch ended; take back an interruption it raised just before
        if watch.reason is not None:
            _raise_in(watch.thread, None)


def _watched(watch: Watch, work: Callable[[], T]) -> T:
    """``work()`` under ``watch``; BudgetExceeded when it ran out, even if something caught the interruption.

    One frame, no context manager: an interruption can arrive at any bytecode, and the watch must end
    whatever happens (``armed`` is set false before anything else can run).
    """
    try:
        try:
            _arm(watch)
            result = work()
        finally:
            watch.armed = False
            _disarm(watch)
    except Exhausted:
        _disarm(watch)
        if watch.reason is None:  # an enclosing watch ran out: its own frame says why
            raise
    if watch.reason is not None:
        # A step names the element it was at; a script is named by whoever ran it.
        step = watch is getattr(_local, "step", None)
        raise BudgetExceeded(watch.reason, getattr(_local, "element", None) if step else None)
    return result


def run_step(limits: Limits, work: Callable[[], T]) -> T:
    """A whole step (load, run, everything SpiffWorkflow does in it) under the step's budget."""
    clock = _cpu_clock()
    resident = resident_bytes()
    _local.element = None
    watch = Watch(
        thread=threading.get_ident(),
        wall_deadline=time.monotonic() + limits.step_seconds, wall_reason=f"本步用时超过 {limits.step_seconds:g} 秒",
        cpu_clock=clock, cpu_deadline=(time.clock_gettime(clock) if clock is not None else 0) + limits.step_cpu_seconds,
        cpu_reason=f"本步占用 CPU 超过 {limits.step_cpu_seconds:g} 秒",
        memory_limit=resident + limits.memory_mb * 2 ** 20 if resident is not None else None,
        memory_reason=f"内存增长超过 {limits.memory_mb} MB",
    )
    _local.step = watch
    try:
        return _watched(watch, work)
    finally:
        _local.step = None


def run_script(limits: Limits, work: Callable[[], T]) -> T:
    """One script or expression under the script's budget, inside its step's wall time if in a step."""
    clock = _cpu_clock()
    step = getattr(_local, "step", None)
    watch = Watch(
        thread=threading.get_ident(),
        wall_deadline=step.wall_deadline if step else time.monotonic() + limits.step_seconds,
        wall_reason=step.wall_reason if step else f"用时超过 {limits.step_seconds:g} 秒",
        cpu_clock=clock,
        cpu_deadline=(time.clock_gettime(clock) if clock is not None else 0) + limits.script_cpu_seconds,
        cpu_reason=f"脚本占用 CPU 超过 {limits.script_cpu_seconds:g} 秒",
    )
    return _watched(watch, work)


def note(element: str) -> None:
    """The element the step is at: a step that runs out names it."""
    _local.element = element


def check_cardinality(count: Any, limits: Limits, element: str | None = None) -> None:
    if isinstance(count, int) and count > limits.max_cardinality:
        raise BudgetExceeded(f"多实例数量 {count} 超过上限 {limits.max_cardinality}", element)


def cause(error: BaseException) -> BudgetExceeded | None:
    """The budget failure behind an error SpiffWorkflow wrapped (it raises its own from inside ``except``)."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, BudgetExceeded):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
