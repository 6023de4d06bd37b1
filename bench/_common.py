"""What every bench script shares: certflow's services as the app builds them, the machine it ran on, percentiles,
peak memory, throw-away PostgreSQL databases.

A module whose name starts with ``_`` is not a benchmark: ``run_all.py`` skips it.
"""

from __future__ import annotations

import os
import platform
import resource
import uuid
from argparse import ArgumentParser
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from certflow.bootstrap import Services, build_services
from certflow.config import Config
from certflow.engine.clock import Clock
from certflow.engine.db import upgrade
from certflow.engine.specs import SourceFile, read_paths

ROOT = Path(__file__).resolve().parent.parent
HANDLERS_DIR = ROOT / "handlers"  # this checkout's handlers, wherever the benchmark is started from

Summary = tuple[str, str, str, bool | None]
"""(what, figure, target, met); met is None where the issue sets no target."""


def lushan_files() -> list[SourceFile]:
    """The Lushan processes and forms (the top level of processes/ and forms/), without other plans' subfolders."""
    patterns = ("processes/*.bpmn", "processes/*.dmn", "forms/*.json")
    return read_paths(sorted(path for pattern in patterns for path in ROOT.glob(pattern)))


@contextmanager
def certflow_on(url: str, clock: Clock | None = None, **settings: str) -> Iterator[Services]:
    """certflow's services on a migrated database at ``url``, built as the web app and the command line build
    them; ``settings`` are more configuration (``CERTFLOW_HISTORY_KEYS=...``). Its connections close at the end."""
    config = Config.from_env({"DATABASE_URL": url, "CERTFLOW_HANDLERS": str(HANDLERS_DIR), **settings})
    services = build_services(config, clock=clock)
    engine = services.database
    try:
        upgrade(engine)
        yield services
    finally:
        engine.dispose()


def machine() -> str:
    """The CPU, cores, OS, Python and the load, for the line every bench prints first."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    # The machine is shared: the load says whether others were busy too.
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f}")


def percentile(sorted_samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile of samples sorted ascending."""
    rank = max(1, round(fraction * len(sorted_samples)))
    return sorted_samples[min(rank, len(sorted_samples)) - 1]


def reset_peak_memory() -> None:
    """Count the process's peak RSS afresh from here (Linux), so that each backend of a run reports its own."""
    clear_refs = Path("/proc/self/clear_refs")
    if clear_refs.exists():
        clear_refs.write_text("5")


def peak_memory_mib() -> float:
    """The process's peak RSS in MiB since ``reset_peak_memory`` (Linux's VmHWM), elsewhere since it started."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


POSTGRES_SKIPPED = "PostgreSQL: skipped (set CERTFLOW_BENCH_POSTGRES_URL or --database-url to a server)"


def add_postgres_option(parser: ArgumentParser) -> None:
    """``--database-url``: the PostgreSQL server a benchmark makes its own database on."""
    parser.add_argument("--database-url", default=os.environ.get("CERTFLOW_BENCH_POSTGRES_URL"),
                        help="a PostgreSQL server (default: CERTFLOW_BENCH_POSTGRES_URL); a database is made on it")


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A new database on the server for one run, dropped afterwards; raises if the server cannot be reached."""
    name = f"certflow_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
