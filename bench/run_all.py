"""Every benchmark in bench/, one after the other, then one table of their figures against the targets.

    make bench                                   # or: .venv/bin/python bench/run_all.py [NAME ...]
    CERTFLOW_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test make bench

NAME picks scripts by file name without ``.py`` (e.g. ``cost_per_case``); none runs them all.

How a bench script is found and read (the convention):
- it is ``bench/NAME.py``, and NAME does not start with ``_`` (helpers such as ``_common.py`` do);
- ``main()`` runs it with its default options (it reads ``sys.argv`` like any script; here it gets none)
  and prints its own figures, the machine's line first;
- ``summary()`` returns that run's figures as rows ``(what, figure, target, met)``: three strings and
  ``met``, which is True, False, or None where no target is set (``_common.Summary``).
A script that fails or does not follow the convention gets a row saying so; the others still run, and
the exit status is 1.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import traceback
from pathlib import Path

from _common import Summary, machine

BENCH = Path(__file__).resolve().parent


def scripts(names: list[str]) -> list[Path]:
    found = sorted(p for p in BENCH.glob("*.py") if not p.name.startswith("_") and p.name != Path(__file__).name)
    unknown = set(names) - {p.stem for p in found}
    if unknown:
        raise SystemExit(f"no bench script named {', '.join(sorted(unknown))}")
    return [p for p in found if not names or p.stem in names]


def run(path: Path) -> list[Summary]:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module  # as an import would: dataclasses look their module up there
    spec.loader.exec_module(module)
    if not (callable(getattr(module, "main", None)) and callable(getattr(module, "summary", None))):
        raise TypeError("no main() and summary(): see the convention in bench/run_all.py")
    given, sys.argv = sys.argv, [str(path)]  # the script's own defaults
    try:
        module.main()
    finally:
        sys.argv = given
    return module.summary()


def main() -> None:
    rows: list[Summary] = []
    broken = False
    for path in scripts(sys.argv[1:]):
        print(f"\n== {path.name}", flush=True)
        started = time.perf_counter()
        try:
            rows.extend(run(path))
        except Exception as error:  # one broken script must not hide the others' figures
            traceback.print_exc()
            broken = True
            rows.append((path.stem, f"failed: {type(error).__name__}: {error}", "", False))
        print(f"({path.name}: {time.perf_counter() - started:.0f} s)", flush=True)
    width = max([len(row[0]) for row in rows] + [10])
    print(f"\nmachine: {machine()}")
    print(f"{'benchmark':<{width}}  {'figure':<34}  {'target':<15}  met")
    for what, figure, target, met in rows:
        print(f"{what:<{width}}  {figure:<34}  {target or '-':<15}  {'-' if met is None else 'yes' if met else 'NO'}")
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
