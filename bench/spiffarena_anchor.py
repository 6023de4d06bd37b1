"""Anchors: one neutral diagram run to its end by SpiffWorkflow alone, by certflow and by SpiffArena's backend.

The diagram is ``bench/anchor/anchor_approval.bpmn`` (start, five user tasks with a little form data, an exclusive
gateway on that data, a script task, end; no handlers, no connectors) with its three forms. Each case takes the
same path in every backend:
1. SpiffWorkflow alone, in memory: the version certflow pins, its own parser and script engine; nothing is saved,
   no form is checked.
2. certflow, persisted on SQLite, through ``Runtime`` as ``cost_per_case.py`` runs its cases: the diagram deployed,
   a case started, each user task found among the case's open tasks and completed as a clerk's request would.
3. SpiffArena's backend, persisted on SQLite, in its own virtualenv (``_spiffarena_worker.py`` runs there, inside
   its Flask app context; the diagram is a process model of its own): the instance created and run as its API's
   create and run do, each human task completed as its task submit does. It runs when ``--spiffarena-python`` (or
   ``CERTFLOW_BENCH_SPIFFARENA_PYTHON``) names a Python that imports ``spiffworkflow_backend``; otherwise it is
   skipped with the commands that install it.

The cases run in rounds, each backend in turn, and each backend's figure is its best round (as in
``cost_per_case.py``); SpiffArena's rounds run in its own process, started once, between the others'.

    python bench/spiffarena_anchor.py [--cases 100] [--rounds 4] [--spiffarena-python /tmp/arena/venv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any

from _common import Summary, certflow_on, machine
from _writes import Writes
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from certflow.engine.models import Case
from certflow.engine.runtime import Runtime
from certflow.engine.scope import PROVINCE_WIDE, county_scope
from certflow.engine.specs import read_paths

BENCH = Path(__file__).resolve().parent
DIAGRAM = BENCH / "anchor"
PROCESS = "anchor_approval"
WORKER = BENCH / "_spiffarena_worker.py"
# The SpiffArena commit measured and how its backend was installed; the skip message repeats them.
ARENA_COMMIT = "d7678cf75bd1bc1b6dd0d05ba54c0f0dfa730952"
ARENA_INSTALL = f"""\
  git clone https://github.com/sartography/spiff-arena /tmp/arena/src
  git -C /tmp/arena/src checkout {ARENA_COMMIT[:10]}
  python3.11 -m venv /tmp/arena/venv
  # its locked versions, without the MySQL and PostgreSQL drivers (SQLite is enough) and the git sources:
  .venv/bin/uv export --project /tmp/arena/src/spiffworkflow-backend --frozen --no-dev --no-hashes \\
      --no-emit-project | grep -vE '^(psycopg2|mysqlclient|spiffworkflow|sqlalchemy-stubs)' > /tmp/arena/req.txt
  # its SpiffWorkflow is main at 85f7a43 (not on PyPI): the prerelease published that day instead
  /tmp/arena/venv/bin/pip install -r /tmp/arena/req.txt SpiffWorkflow==3.1.3a1785509093 \\
      git+https://github.com/sartography/spiffworkflow-connector-command@7e20603849
  /tmp/arena/venv/bin/pip install --no-deps -e /tmp/arena/src/spiffworkflow-backend
  CERTFLOW_BENCH_SPIFFARENA_PYTHON=/tmp/arena/venv/bin/python .venv/bin/python bench/spiffarena_anchor.py"""

# (user task, submitted data): the path every case takes, the same in every backend (the gateway: 同意).
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("fill_request", {"subject": "购置办公桌椅", "amount": 1200}),
    ("first_review", {"decision": "approve", "opinion": "同意购置"}),
    ("confirm", {"note": "已复核报价", "done_on": "2026-09-02"}),
    ("handle", {"note": "已采购", "done_on": "2026-09-03"}),
    ("archive", {"note": "已归档", "done_on": "2026-09-04"}),
]
TASKS_PER_CASE = len(STEPS)

_results: list[Summary] = []


# -- 1. SpiffWorkflow alone, in memory ----------------------------------------------------------

def in_memory() -> Callable[[], None]:
    """One case at a time on the diagram parsed once by SpiffWorkflow's own parser (with the spiff extensions)."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DIAGRAM / f"{PROCESS}.bpmn"))
    spec = parser.get_spec(PROCESS)
    return lambda: in_memory_case(spec)


def in_memory_case(spec: Any) -> None:
    workflow = BpmnWorkflow(spec)
    workflow.do_engine_steps()
    for name, data in STEPS:
        [task] = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.name == name]
        task.data.update(data)
        task.run()
        workflow.do_engine_steps()
    assert workflow.completed and workflow.data["level"] == "高额"


# -- 2. certflow, persisted ---------------------------------------------------------------------

def persisted_case(runtime: Runtime) -> None:
    """A case started and each task completed in the deployment's county, as a clerk's requests run."""
    with county_scope(runtime.settings.county):
        number = runtime.start_case(PROCESS, {}, actor="window")
        for name, data in STEPS:
            [task] = [t for t in runtime.tasks(case=number) if t["name"] == name]
            runtime.complete_task(task["id"], data, actor="window")


@contextmanager
def persisted(url: str) -> Iterator[Callable[[], None]]:
    """The diagram deployed on a migrated database; every case checked at the end to have run to its end."""
    with certflow_on(url) as services, county_scope(PROVINCE_WIDE):
        runtime = services.runtime
        runtime.deploy(read_paths([DIAGRAM]), author="bench")
        with Writes(services.database) as writes:  # what one case writes, counted on a case of its own, untimed
            persisted_case(runtime)
        print(f"certflow: a case: {writes.per_case(1)}")
        yield lambda: persisted_case(runtime)
        with services.sessions() as session:
            statuses = set(session.scalars(select(Case.status).distinct()))
        assert statuses == {"completed"}, statuses


# -- 3. SpiffArena's backend, persisted, in its own process -------------------------------------

def spiffarena_python(given: str | None) -> tuple[str | None, str]:
    """The Python that runs SpiffArena's backend (the one given, else this one), or None and why not."""
    python = given or sys.executable
    try:
        found = subprocess.run([python, "-c", "import spiffworkflow_backend"], capture_output=True, timeout=120)
    except OSError as error:
        return None, f"{python}: {error.strerror}"
    return (python, "") if found.returncode == 0 else (None, f"{python} cannot import spiffworkflow_backend")


@contextmanager
def spiffarena(python: str, workdir: Path) -> Iterator[Callable[[int], tuple[float, float]]]:
    """The worker started once (app, database, process model); each call runs that many cases and answers with
    its wall-clock and CPU seconds a case. What it set up and what a case writes are printed as it starts."""
    worker = subprocess.Popen([python, str(WORKER), str(DIAGRAM), PROCESS, json.dumps(STEPS), str(workdir)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert worker.stdin is not None and worker.stdout is not None
    stdin, stdout = worker.stdin, worker.stdout

    def answer() -> dict[str, Any]:
        line = stdout.readline()
        if not line:
            raise RuntimeError(f"SpiffArena's worker stopped (exit code {worker.wait()})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def run(cases: int) -> tuple[float, float]:
        stdin.write(f"{cases}\n")
        stdin.flush()
        reply = answer()
        return reply["wall"], reply["cpu"]

    try:
        print(f"SpiffArena: {answer()['ready']}\nSpiffArena: {answer()['writes']}", flush=True)
        yield run
    finally:
        stdin.close()
        worker.wait(timeout=60)


# -- measuring ----------------------------------------------------------------------------------

def seconds_per_case(one_case: Callable[[], None], cases: int) -> tuple[float, float]:
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(cases):
        one_case()
    return (time.perf_counter() - started) / cases, (time.process_time() - cpu_started) / cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100, help="cases per backend, over all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=5, help="cases first run untimed (caches, statements)")
    parser.add_argument("--spiffarena-python", default=os.environ.get("CERTFLOW_BENCH_SPIFFARENA_PYTHON"),
                        help="a Python that imports SpiffArena's backend (default: CERTFLOW_BENCH_SPIFFARENA_PYTHON, "
                             "else this one)")
    args = parser.parse_args()
    _results.clear()
    per_round = max(1, args.cases // args.rounds)
    print(f"machine: {machine()}")
    print(f"anchors: {per_round * args.rounds} cases of {PROCESS} per backend ({args.rounds} rounds of {per_round}), "
          f"{TASKS_PER_CASE} user tasks each; best round; SQLite")
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="certflow-bench-")))
        cases = {"in memory": in_memory(), "certflow": stack.enter_context(persisted(f"sqlite:///{workdir / 'c.db'}"))}
        backends: dict[str, Callable[[int], tuple[float, float]]] = {
            name: partial(seconds_per_case, one_case) for name, one_case in cases.items()}
        python, why = spiffarena_python(args.spiffarena_python)
        if python is None:
            print(f"SpiffArena: skipped ({why}); to measure it, install its backend at commit {ARENA_COMMIT} "
                  f"in a virtualenv of its own:\n{ARENA_INSTALL}")
        else:
            (arena_dir := workdir / "arena").mkdir()
            backends["SpiffArena"] = stack.enter_context(spiffarena(python, arena_dir))
        for run in backends.values():
            if args.warmup:
                run(args.warmup)
        best = dict.fromkeys(backends, float("inf"))
        best_cpu = dict.fromkeys(backends, float("inf"))
        for _ in range(args.rounds):
            for name, run in backends.items():
                wall, cpu = run(per_round)
                best[name], best_cpu[name] = min(best[name], wall), min(best_cpu[name], cpu)
    print(f"{'backend':<12} {'ms/case':>8} {'cases/s':>8} {'/in memory':>11} {'CPU ms/case':>12} "
          f"{'CPU /in memory':>15}")
    for name, seconds in best.items():
        print(f"{name:<12} {seconds * 1000:8.2f} {1 / seconds:8.1f} {seconds / best['in memory']:11.2f} "
              f"{best_cpu[name] * 1000:12.2f} {best_cpu[name] / best_cpu['in memory']:15.2f}")
        if name != "in memory":
            _results.append((f"anchor, {name}", f"{seconds * 1000:.1f} ms/case, {best_cpu[name] * 1000:.1f} CPU ms",
                             "-", None))
    if "SpiffArena" in best:
        _results.append(("anchor, certflow/SpiffArena", f"{best['certflow'] / best['SpiffArena']:.2f}", "-", None))


def summary() -> list[Summary]:
    """The figures of the last ``main()``; the issue sets no target for the anchors."""
    return list(_results)


if __name__ == "__main__":
    main()
