"""Shizong's whole roster imported: 11,058 holders, a case each, into a fresh database; what it costs.

The roster is the synthetic one with the plan's figures (``certflow campaign roster``), written as CSV
or XLSX and imported as ``certflow campaign import`` does: every row checked, a case started per holder
(to its first task: the township's exchange, or the notice of re-assessment), the holders kept in
``campaign_holders``. Prints the wall time of the import, rows/s, the process's peak memory (max RSS;
with ``--tracemalloc`` also the Python heap's peak, which slows the run), the database's size, and the
counts a dashboard shows: holders by 非目测/目测 and home visits from ``campaign_holders``, open tasks by
kind from the task projection. They must equal the plan's figures; then the same import again must
start nothing.

    python bench/shizong_import.py [--holders 11058] [--format csv|xlsx] [--tracemalloc]
                                   [--database-url postgresql+psycopg://postgres@127.0.0.1/test]

PostgreSQL runs when ``--database-url`` or ``CERTFLOW_BENCH_POSTGRES_URL`` names a server (a throw-away
database is created on it and dropped); SQLite always runs, in a temporary directory.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import tracemalloc
from collections import Counter
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path

from _common import ROOT, Summary, machine, postgres_database
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError

from certflow.campaign import import_roster
from certflow.county import County
from certflow.engine.clock import FixedClock
from certflow.engine.db import make_engine, make_sessions, upgrade
from certflow.engine.models import CampaignHolder, Task
from certflow.engine.runtime import Runtime, Settings
from certflow.engine.specs import read_paths
from certflow.roster import PLAN_HOLDERS, PLAN_HOME_VISITS, PLAN_HOSPITAL_ASSESSED, generate_roster, write_roster
from handlers.registry import HANDLERS

STARTED = datetime.fromisoformat("2022-03-16T09:00:00+08:00")  # the day the township federations got the cards
_results: list[Summary] = []


def import_into(url: str, roster: Path, county: County, label: str, use_tracemalloc: bool) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        runtime = Runtime(make_sessions(engine), HANDLERS, Settings(), FixedClock(STARTED))
        runtime.deploy(read_paths([ROOT / "processes", ROOT / "forms"]), author="bench")
        if use_tracemalloc:
            tracemalloc.start()
        started = time.perf_counter()
        report = import_roster(runtime, roster, actor="bench", county=county)
        seconds = time.perf_counter() - started
        heap = tracemalloc.get_traced_memory()[1] if use_tracemalloc else None
        tracemalloc.stop()
        again = time.perf_counter()
        rerun = import_roster(runtime, roster, actor="bench", county=county)
        rerun_seconds = time.perf_counter() - again
        counts = dashboard(runtime, report.campaign)
        size = database_size(engine, url)
    finally:
        engine.dispose()
    rate = report.rows / seconds
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux; the process's peak so far
    print(f"{label}: {len(report.started)} cases from {report.rows} rows in {seconds:.1f} s ({rate:.0f} rows/s); "
          f"{len(report.rejected)} rejected")
    print(f"  peak memory: {peak_rss:.0f} MiB max RSS of the process"
          + (f", {heap / 2**20:.0f} MiB Python heap (tracemalloc)" if heap is not None else ""))
    print(f"  database: {size / 2**20:.1f} MiB ({size / max(report.rows, 1) / 1024:.1f} KiB per holder)")
    print(f"  imported again: {len(rerun.started)} started, {len(rerun.skipped)} already imported, "
          f"in {rerun_seconds:.1f} s")
    visual = PLAN_HOLDERS - PLAN_HOSPITAL_ASSESSED
    expected = {"holders": PLAN_HOLDERS, "非目测": PLAN_HOSPITAL_ASSESSED, "目测": visual, "上门服务": PLAN_HOME_VISITS,
                "换证任务（乡镇）": PLAN_HOSPITAL_ASSESSED, "重评告知任务（乡镇）": visual}
    if report.rows != PLAN_HOLDERS:
        expected = {}  # a smaller roster keeps the proportions, not the figures
    for name, value in counts.items():
        mark = "" if name not in expected else " ✓" if value == expected[name] else f" ✗ (plan: {expected[name]})"
        print(f"  {name}: {value}{mark}")
    figures_met = bool(expected) and all(counts[k] == v for k, v in expected.items())
    _results.append((f"Shizong import, {label}", f"{rate:.0f} rows/s, {seconds:.0f} s, {peak_rss:.0f} MiB RSS",
                     "-", None))
    shown = ("yes" if figures_met else "no") if expected else "not the plan's roster"
    _results.append((f"Shizong counts = plan, {label}", shown, "plan's figures", figures_met if expected else None))
    _results.append((f"Shizong import again, {label}", f"{len(rerun.started)} started", "0", not rerun.started))


def dashboard(runtime: Runtime, campaign: str) -> dict[str, int]:
    """What a campaign dashboard counts: the holders table, and the open tasks in the projection."""
    with runtime.sessions() as session:
        holders = session.execute(
            select(CampaignHolder.basis, CampaignHolder.home_visit, func.count())
            .where(CampaignHolder.campaign == campaign).group_by(CampaignHolder.basis, CampaignHolder.home_visit)
        ).all()
        tasks = dict(session.execute(select(Task.name, func.count()).where(
            Task.process_key == "card_exchange", Task.status == "open").group_by(Task.name)).all())
    by_basis: Counter[str] = Counter()
    visits = 0
    for basis, home_visit, count in holders:
        by_basis[basis] += count
        visits += count if home_visit else 0
    return {"holders": sum(by_basis.values()), "非目测": by_basis["hospital"], "目测": by_basis["visual"],
            "上门服务": visits, "换证任务（乡镇）": tasks.get("exchange", 0),
            "重评告知任务（乡镇）": tasks.get("serve_notice", 0)}


def database_size(engine: Engine, url: str) -> int:
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))  # with the -wal and -shm files
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holders", type=int, default=PLAN_HOLDERS)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--tracemalloc", action="store_true", help="also the Python heap's peak (slower)")
    parser.add_argument("--database-url", default=os.environ.get("CERTFLOW_BENCH_POSTGRES_URL"),
                        help="a PostgreSQL server (default: CERTFLOW_BENCH_POSTGRES_URL); a database is made on it")
    args = parser.parse_args()
    _results.clear()
    county = County.load(ROOT / "shizong.json")
    print(f"machine: {machine()}")
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="certflow-bench-")))
        roster = workdir / f"roster.{args.format}"
        started = time.perf_counter()
        rows = generate_roster(county, args.holders)
        write_roster(rows, roster)
        print(f"roster: {len(rows)} holders written as {roster.suffix[1:].upper()} "
              f"({roster.stat().st_size / 2**20:.1f} MiB) in {time.perf_counter() - started:.1f} s")
        import_into(f"sqlite:///{workdir / 'shizong.db'}", roster, county, "SQLite", args.tracemalloc)
        if not args.database_url:
            print("PostgreSQL: skipped (set CERTFLOW_BENCH_POSTGRES_URL or --database-url to a server)")
            return
        try:
            url = stack.enter_context(postgres_database(args.database_url))
        except OperationalError as error:
            print(f"PostgreSQL: skipped, the server cannot be reached ({str(error.orig).splitlines()[0]})")
            return
        import_into(url, roster, county, "PostgreSQL", args.tracemalloc)


def summary() -> list[Summary]:
    """The figures of the last ``main()``: speed and memory (no target set), the counts against the plan."""
    return list(_results)


if __name__ == "__main__":
    main()
