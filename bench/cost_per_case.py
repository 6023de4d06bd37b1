"""Cost per case: whole online applications through the runtime, persisted, against SpiffWorkflow alone in memory.

Each case is the main online path (start, 预审, 登记预约, 鉴定, 张贴公示, the publicity timer fired by
``tick``, 发证): five user tasks and seven steps. Persisted, every step goes through ``Runtime`` as a
clerk's would (find the task in the case's open tasks, complete it): lock, load, run, save the state,
task projection, hash-chained events, outbox, commit. In memory, the same parsed BPMN runs on a plain
``BpmnWorkflow`` with the same restricted script engine and handlers, and nothing is saved.

The cases run in rounds, each backend in turn, and each backend's figure is its best round: other work
on the machine can slow a round down, never speed one up, and the ratio compares rounds run side by side.

    python bench/cost_per_case.py [--cases 200] [--rounds 4] [--database-url postgresql+psycopg://postgres@127.0.0.1/test]
    python bench/cost_per_case.py --parts --cases 60 [--database-url ...]   # each part of a step, ms a step

PostgreSQL runs when ``--database-url`` or ``CERTFLOW_BENCH_POSTGRES_URL`` names a server (a throw-away
database is created on it and dropped); otherwise, or if it cannot be reached, it is skipped with the reason.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from _common import (
    HANDLERS_DIR,
    POSTGRES_SKIPPED,
    Summary,
    add_postgres_option,
    certflow_on,
    lushan_files,
    machine,
    postgres_database,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from stdnum.cn import ric

from certflow.engine.calendar import CHINA_TZ
from certflow.engine.clock import FixedClock, use_clock
from certflow.engine.db import make_engine, make_sessions
from certflow.engine.models import Case
from certflow.engine.runtime import Runtime, Settings
from certflow.engine.scope import PROVINCE_WIDE, county_scope
from certflow.engine.scripting import RestrictedEnvironment, ScriptEngine
from certflow.engine.services import Handlers, ServiceContext
from certflow.engine.specs import parse_deployment, restore_specs
from certflow.registry import load

sys.path.append(str(Path(__file__).resolve().parent.parent / "tests"))  # the app's role, made as the tests make it
from databases import app_role  # noqa: E402

PROCESS = "application_online"
STARTED = datetime.fromisoformat("2026-09-01T09:00:00+08:00")
PUBLICITY_OVER = datetime.fromisoformat("2026-09-18T00:01:00+08:00")  # the 5 working days from 2026-09-01 are over
ID_BODY = "36048319800101123"
APPLICATION = {
    "applicant_name": "李明", "id_number": ID_BODY + ric.calc_check_digit(ID_BODY + "0"), "phone": "13800000001",
    "address": "庐山市白鹿镇玉京村12号", "village": "village-360483101209", "category": "肢体", "parts": [],
    "materials": ["photos"], "delivery": "post",
}
# (user task, submitted data, who): the main path before the publicity timer, then the issue after it.
Step = tuple[str, dict[str, Any], str]  # task, form data, who completes it
BEFORE_TIMER: list[Step] = [
    ("pre_review", {"decision": "pass"}, "window"),
    ("register_appointment", {"appointment_at": "2026-09-08T09:30:00+08:00", "appointment_place": "庐山市人民医院",
                              "bring_items": ["居民身份证"]}, "renmin"),
    ("assess", {"meets_standard": True, "grade": 3, "conclusion": "经评定，符合肢体残疾三级标准"}, "renmin"),
    ("post_publicity", {"posted_on": "2026-09-01", "posting_place": "村委会公示栏"}, "yujing"),
]
AFTER_TIMER: list[Step] = [
    ("issue_certificate", {"delivery": "post", "tracking_no": "EMS1234567890", "issued_on": "2026-09-20"}, "window"),
]
TASKS_PER_CASE = len(BEFORE_TIMER) + len(AFTER_TIMER)
STEPS_PER_CASE = TASKS_PER_CASE + 2  # and the start, and the timer

_results: list[Summary] = []


# -- persisted: through the runtime ------------------------------------------------------------

def persisted_case(runtime: Runtime, clock: FixedClock) -> None:
    """The clerks' steps in their county's scope, as their requests run; the timer province-wide, as the worker's."""
    clock.set(STARTED)
    with county_scope(runtime.settings.county):
        number = runtime.start_case(PROCESS, APPLICATION, actor="applicant")

    def complete(name: str, data: dict[str, Any], user: str) -> None:
        with county_scope(runtime.settings.county):
            [task] = [t for t in runtime.tasks(case=number) if t["name"] == name]
            runtime.complete_task(task["id"], data, actor=user)

    for step in BEFORE_TIMER:
        complete(*step)
    clock.set(PUBLICITY_OVER)
    with county_scope(PROVINCE_WIDE):
        assert runtime.tick() == [number]
    for step in AFTER_TIMER:
        complete(*step)


@contextmanager
def persisted(url: str) -> Iterator[Callable[[], None]]:
    """One case at a time on a migrated database with the Lushan processes deployed; all checked at the end.

    On PostgreSQL the cases run as a role that row-level security holds, as production's app connects (the
    superuser that made the database would pass the policies by)."""
    clock = FixedClock(STARTED)
    with certflow_on(url, clock) as services, county_scope(PROVINCE_WIDE), ExitStack() as stack:
        runtime = services.runtime
        runtime.deploy(lushan_files(), author="bench")
        if make_url(url).get_backend_name() == "postgresql":
            engine = make_engine(stack.enter_context(app_role(url)))
            stack.callback(engine.dispose)
            runtime = Runtime(make_sessions(engine), runtime.handlers, runtime.settings, clock, runtime.files)
        yield lambda: persisted_case(runtime, clock)
        with services.sessions() as session:
            outcomes = set(session.scalars(select(Case.outcome).distinct()))
        assert outcomes == {"issued"}, outcomes


# -- in memory: SpiffWorkflow alone ------------------------------------------------------------

def in_memory() -> Callable[[], None]:
    """One case at a time on the online process and the processes it calls, parsed by the project's parser."""
    handlers = load(HANDLERS_DIR).handlers
    parsed = parse_deployment(lushan_files(), handlers.signatures)
    [process] = [p for p in parsed.processes if p.key == PROCESS]
    spec, subprocesses = restore_specs(process.spec)
    numbers = itertools.count(1)
    return lambda: in_memory_case(handlers, spec, subprocesses, next(numbers))


def in_memory_case(handlers: Handlers, spec: Any, subprocesses: dict[str, Any], number: int) -> None:
    clock = FixedClock(STARTED)
    context = ServiceContext(today=STARTED.astimezone(CHINA_TZ).date(), jurisdiction=("360483",),
                             signature="庐山市残联", calendar=Settings().calendar)

    def call(data: dict[str, Any], name: str, params: dict[str, Any]) -> Any:
        return handlers.operators[name].call(params, data, context)

    with use_clock(clock):  # the publicity timer reads the clock, as in the runtime
        workflow = BpmnWorkflow(spec, subprocesses)
        workflow.script_engine = ScriptEngine(environment=RestrictedEnvironment(handlers.helpers(context), call))
        start = workflow.get_next_task(state=TaskState.READY)
        start.data.update(APPLICATION, case_no=f"MEM-{number:06d}")
        workflow.do_engine_steps()

        def complete(name: str, data: dict[str, Any], _user: str) -> None:
            [task] = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True, spec_class=UserTask)
                      if t.task_spec.name == name]
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()

        for step in BEFORE_TIMER:
            complete(*step)
        clock.set(PUBLICITY_OVER)
        workflow.refresh_timers()
        workflow.do_engine_steps()
        for step in AFTER_TIMER:
            complete(*step)
    assert workflow.completed and workflow.data["outcome"] == "issued"


# -- measuring ---------------------------------------------------------------------------------

def seconds_per_case(one_case: Callable[[], None], cases: int) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds a case. On a shared machine the CPU time is the steadier of the
    two; it leaves out what PostgreSQL's server spends, so compare it between backends with care."""
    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(cases):
        one_case()
    return (time.perf_counter() - started) / cases, (time.process_time() - cpu_started) / cases


def profile(cases: int, warmup: int) -> None:
    """Where a persisted case's time goes: pyinstrument's call tree of the SQLite cases, then a table by part."""
    from _profile import by_part  # pyinstrument is a dev dependency, needed only here
    from pyinstrument import Profiler

    with tempfile.TemporaryDirectory(prefix="certflow-bench-") as workdir, \
            persisted(f"sqlite:///{Path(workdir) / 'b.db'}") as one_case:
        for _ in range(warmup):
            one_case()
        with Profiler(interval=0.0005) as profiler:
            for _ in range(cases):
                one_case()
    print(profiler.output_text(color=False))
    assert profiler.last_session is not None  # kept when the profiled block ended
    print(by_part(profiler.last_session.root_frame(), cases))


def parts(cases: int, warmup: int, database_url: str | None) -> None:
    """Where a persisted step's time goes, unprofiled: each part's milliseconds a step (``_parts``), SQLite and, when
    a server is named, PostgreSQL."""
    from _parts import timing

    print(f"machine: {machine()}")
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="certflow-bench-")))
        urls = {"SQLite": f"sqlite:///{workdir / 'b.db'}"}
        if not database_url:
            print(POSTGRES_SKIPPED)
        else:
            try:
                urls["PostgreSQL"] = stack.enter_context(postgres_database(database_url))
            except OperationalError as error:
                print(f"PostgreSQL: skipped, the server cannot be reached ({str(error.orig).splitlines()[0]})")
        for name, url in urls.items():
            with persisted(url) as one_case, timing() as timed:
                for _ in range(warmup):
                    one_case()
                timed.reset()
                wall, cpu = seconds_per_case(one_case, cases)
            print(f"{name}, {cases} cases: {timed.table(wall * cases, cpu * cases, cases * STEPS_PER_CASE)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200, help="cases per backend, over all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=5, help="cases first run untimed (caches, statements)")
    add_postgres_option(parser)
    parser.add_argument("--profile", action="store_true",
                        help="instead: the SQLite cases under pyinstrument, and its call tree")
    parser.add_argument("--parts", action="store_true",
                        help="instead: each part of a persisted step timed, without a profiler (SQLite, PostgreSQL)")
    args = parser.parse_args()
    _results.clear()
    if args.profile:
        profile(args.cases, args.warmup)
        return
    if args.parts:
        parts(args.cases, args.warmup, args.database_url)
        return
    per_round = max(1, args.cases // args.rounds)
    print(f"machine: {machine()}")
    print(f"cost per case: {per_round * args.rounds} online cases per backend ({args.rounds} rounds of {per_round}), "
          f"{TASKS_PER_CASE} user tasks and {STEPS_PER_CASE} steps each; best round")
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="certflow-bench-")))
        backends = {"in memory": in_memory(), "SQLite": stack.enter_context(persisted(f"sqlite:///{workdir / 'b.db'}"))}
        if not args.database_url:
            print(POSTGRES_SKIPPED)
        else:
            try:
                url = stack.enter_context(postgres_database(args.database_url))
            except OperationalError as error:
                print(f"PostgreSQL: skipped, the server cannot be reached ({str(error.orig).splitlines()[0]})")
            else:
                backends["PostgreSQL"] = stack.enter_context(persisted(url))
        for one_case in backends.values():
            for _ in range(args.warmup):
                one_case()
        best = dict.fromkeys(backends, float("inf"))
        best_cpu = dict.fromkeys(backends, float("inf"))
        for _ in range(args.rounds):
            for name, one_case in backends.items():
                wall, cpu = seconds_per_case(one_case, per_round)
                best[name], best_cpu[name] = min(best[name], wall), min(best_cpu[name], cpu)
    print(f"{'backend':<12} {'ms/case':>8} {'cases/s':>8} {'tasks/s':>8} {'persisted/in-memory':>20} "
          f"{'CPU ms/case':>12} {'CPU ratio':>10}")
    for name, seconds in best.items():
        rate, ratio = 1 / seconds, seconds / best["in memory"]
        print(f"{name:<12} {seconds * 1000:8.2f} {rate:8.1f} {rate * TASKS_PER_CASE:8.1f} {ratio:20.2f} "
              f"{best_cpu[name] * 1000:12.2f} {best_cpu[name] / best_cpu['in memory']:10.2f}")
        if name == "in memory":
            continue
        target = ">= 100 cases/s" if name == "SQLite" else "-"
        _results.append((f"cost per case, {name}", f"{rate:.1f} cases/s, {rate * TASKS_PER_CASE:.0f} tasks/s",
                         target, rate >= 100 if name == "SQLite" else None))
        _results.append((f"persisted/in-memory, {name}", f"{ratio:.2f}", "<= 2", ratio <= 2))


def summary() -> list[Summary]:
    """The figures of the last ``main()`` against the issue's targets."""
    return list(_results)


if __name__ == "__main__":
    main()
