"""Where a profiled run's time goes, by part of a step: pyinstrument's samples grouped by the code they are in.

A sample counts for the innermost part on its stack, except below a part in ``WHOLE``: SpiffWorkflow's
serializer under ``state.load`` is loading the state, not running the process. The profiler slows
call-heavy code (SpiffWorkflow, SQLAlchemy) more than the rest, so shares are approximate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from pyinstrument.frame import Frame

Rule = Callable[[str, str], bool]  # (function, file path) -> whether a frame belongs to the part

PARTS: list[tuple[str, Rule]] = [
    ("state load (SpiffWorkflow's deserializer)", lambda f, p: p.endswith("engine/state.py") and f == "load"),
    ("state dump (SpiffWorkflow's serializer)", lambda f, p: p.endswith("engine/state.py") and f == "dump"),
    ("deep copies", lambda f, p: p.endswith("/copy.py")),
    ("state digest and event hashes", lambda f, p: p.endswith("engine/history.py")),
    ("form validation", lambda f, p: p.endswith("engine/forms.py")),
    ("handlers", lambda f, p: "/handlers/" in p),
    ("JSON columns (encode, decode)", lambda f, p: "/json/" in p),
    ("SpiffWorkflow (the step, task queries)", lambda f, p: "/SpiffWorkflow/" in p),
    ("restricted scripts", lambda f, p: "/RestrictedPython/" in p or p.endswith("engine/scripting.py")),
    ("SQL (SQLAlchemy, driver, commit)", lambda f, p: "/sqlalchemy/" in p or "sqlite3" in p or "/psycopg" in p),
    ("the rest of the runtime", lambda f, p: "/certflow/" in p),
]
WHOLE = {name for name, _ in PARTS[:6]}
OUTSIDE = "outside the runtime (the bench's driver)"


def by_part(root: Frame, cases: int) -> str:
    """A table: each part's profiled milliseconds per case and share of the whole."""
    spent: dict[str, float] = defaultdict(float)

    def walk(frame: Frame, part: str) -> None:
        if part not in WHOLE:
            part = next((name for name, rule in PARTS if rule(frame.function or "", frame.file_path or "")), part)
        if not frame.children:
            spent[part] += frame.time
        for child in frame.children:
            walk(child, part)

    walk(root, OUTSIDE)
    whole = sum(spent.values())
    lines = [f"{'part':<45} {'ms/case':>8} {'share':>6}"]
    for name, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        lines.append(f"{name:<45} {seconds / cases * 1000:8.2f} {seconds / whole:6.1%}")
    return "\n".join(lines)
