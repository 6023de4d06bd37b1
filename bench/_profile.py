"""Where a profiled run's time goes, by part of a step: the samples grouped by the code they are in.

From pyinstrument's call tree (``by_part``) or from py-spy's raw stacks of other processes, e.g. gunicorn's
workers (``by_part_of_stacks``). A sample counts for the innermost part on its stack, except below a part in
``WHOLE``: SpiffWorkflow's serializer under ``state.load`` is loading the state, not running the process. The
profiler slows call-heavy code (SpiffWorkflow, SQLAlchemy) more than the rest, so shares are approximate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from pyinstrument.frame import Frame

Rule = Callable[[str, str], bool]  # (function, file path) -> whether a frame belongs to the part

PARTS: list[tuple[str, Rule]] = [
    ("state load (SpiffWorkflow's deserializer)", lambda f, p: p.endswith("engine/state.py") and f == "load"),
    ("state dump (SpiffWorkflow's serializer)", lambda f, p: p.endswith("engine/state.py") and f == "dump"),
    ("deep copies", lambda f, p: p.endswith("/copy.py")),
    ("state digest and event hashes", lambda f, p: p.endswith("engine/history.py")),
    ("form validation", lambda f, p: p.endswith("engine/forms.py")),
    ("handlers", lambda f, p: "/handlers/" in p),
    ("JSON (columns, API bodies: encode, decode)", lambda f, p: "/json/" in p),
    ("SpiffWorkflow (the step, task queries)", lambda f, p: "/SpiffWorkflow/" in p),
    ("restricted scripts", lambda f, p: "/RestrictedPython/" in p or p.endswith("engine/scripting.py")),
    # psycopg waits for the server's answer in Python (select on the socket): PostgreSQL's time, not ours
    ("waiting for PostgreSQL's answer", lambda f, p: f.split(".")[-1].startswith("wait") and "/psycopg/" in p),
    ("SQL (SQLAlchemy, driver, commit)", lambda f, p: "/sqlalchemy/" in p or "sqlite3" in p or "/psycopg" in p),
    ("the web layer (certflow.web, accounts, inbox)",
     lambda f, p: "/certflow/web/" in p or p.endswith(("certflow/accounts.py", "certflow/inbox.py"))),
    ("the rest of the runtime", lambda f, p: "/certflow/" in p),
    ("HTTP (gunicorn, Flask, werkzeug)", lambda f, p: any(f"/{n}/" in p for n in ("gunicorn", "flask", "werkzeug"))),
    ("logging (the JSON log lines)", lambda f, p: "/logging/" in p),
]
WHOLE = {name for name, _ in PARTS[:6]}
OUTSIDE = "outside the runtime (the bench's driver)"

Stack = list[tuple[str, str]]  # (function, file path) from the outermost frame in


def _part(part: str, function: str, path: str) -> str:
    """The part a frame called from ``part`` belongs to."""
    if part in WHOLE:
        return part
    return next((name for name, rule in PARTS if rule(function, path)), part)


def by_part(root: Frame | None, cases: int) -> str:
    """A table: each part's profiled milliseconds per case and share of the whole."""
    return by_part_of_stacks(stacks_of(root), cases, "case", OUTSIDE)


def stacks_of(root: Frame | None) -> list[tuple[Stack, float]]:
    """pyinstrument's call tree as the stacks of its leaves, each with its seconds; none without a tree (a run
    too short for a sample)."""
    stacks: list[tuple[Stack, float]] = []

    def walk(frame: Frame, stack: Stack) -> None:
        if not frame.is_synthetic:  # "[self]": the time its parent spent in itself
            stack = [*stack, (frame.function or "", frame.file_path or "")]
        if not frame.children:
            stacks.append((stack, frame.time))
        for child in frame.children:
            walk(child, stack)

    if root is not None:
        walk(root, [])
    return stacks


def read_raw_stacks(text: str, rate: float) -> list[tuple[Stack, float]]:
    """py-spy's ``--format raw --full-filenames`` output: each stack with its seconds at ``rate`` samples/s."""
    stacks = []
    for line in text.splitlines():
        frames, _, count = line.rpartition(" ")
        stack = []
        for frame in frames.split(";"):
            function, _, where = frame.rpartition(" (")
            if function and not frame.startswith("process "):
                stack.append((function, where.rpartition(":")[0]))
        stacks.append((stack, int(count) / rate))
    return stacks


def by_part_of_stacks(stacks: list[tuple[Stack, float]], count: int, unit: str, outside: str) -> str:
    """A table as ``by_part``'s, per ``unit`` (``count`` of them), from sampled stacks; ``outside`` names the rest."""
    spent: dict[str, float] = defaultdict(float)
    for stack, seconds in stacks:
        part = outside
        for function, path in stack:
            part = _part(part, function, path)
        spent[part] += seconds
    return _table(spent, count, unit)


def hot_spots(stacks: list[tuple[Stack, float]], count: int, unit: str, top: int = 20) -> str:
    """The functions the samples were in (own time, not their callees'), most first, each with the innermost
    function of ours that led there: what to look at."""
    own: dict[tuple[str, str, str], float] = defaultdict(float)
    for stack, seconds in stacks:
        if stack:
            ours = next((f for f, p in reversed(stack) if "/certflow/" in p or "/handlers/" in p), "-")
            own[(*stack[-1], ours)] += seconds
    whole = sum(own.values())
    lines = [f"{'ms/' + unit:>14} {'share':>6}  function (file) <- ours"]
    for (function, path, ours), seconds in sorted(own.items(), key=lambda item: -item[1])[:top]:
        where = "/".join(Path(path).parts[-2:])
        lines.append(f"{seconds / count * 1000:14.2f} {seconds / whole:6.1%}  {function} ({where}) <- {ours}")
    return "\n".join(lines)


def _table(spent: dict[str, float], count: int, unit: str) -> str:
    whole = sum(spent.values())
    lines = [f"{'part':<45} {'ms/' + unit:>8} {'share':>6}"]
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        lines.append(f"{name:<45} {seconds / count * 1000:8.2f} {seconds / whole:6.1%}")
    return "\n".join(lines)
