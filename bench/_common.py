"""What every bench script shares: the machine it ran on, percentiles, throw-away PostgreSQL databases.

A module whose name starts with ``_`` is not a benchmark: ``run_all.py`` skips it.
"""

from __future__ import annotations

import os
import platform
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from certflow.engine.specs import SourceFile, read_paths

ROOT = Path(__file__).resolve().parent.parent

Summary = tuple[str, str, str, bool | None]
"""(what, figure, target, met); met is None where the issue sets no target."""


def lushan_files() -> list[SourceFile]:
    """The Lushan processes and forms (the top level of processes/ and forms/), without other plans' subfolders."""
    patterns = ("processes/*.bpmn", "processes/*.dmn", "forms/*.json")
    return read_paths(sorted(path for pattern in patterns for path in ROOT.glob(pattern)))


def machine() -> str:
    """The CPU, cores, OS and Python, for the line every bench prints first."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = [line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def percentile(sorted_samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile of samples sorted ascending."""
    rank = max(1, round(fraction * len(sorted_samples)))
    return sorted_samples[min(rank, len(sorted_samples)) - 1]


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
