"""The benchmarks still run, at a tiny size, so that `make bench` keeps working; no time is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def bench(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("machine: "), result.stdout
    return result.stdout


def test_cost_per_case_runs_whole_cases_persisted_and_in_memory():
    out = bench("cost_per_case.py", "--cases", "2", "--rounds", "1", "--warmup", "0", "--database-url", "")
    assert "in memory" in out and "SQLite" in out and "PostgreSQL: skipped" in out


@pytest.mark.postgres
def test_cost_per_case_runs_on_postgres_in_a_database_of_its_own(postgres_server_url):
    out = bench("cost_per_case.py", "--cases", "1", "--rounds", "1", "--warmup", "0",
                "--database-url", postgres_server_url)
    assert "\nPostgreSQL " in out


def test_inbox_scale_asks_for_the_inbox_page_and_the_api_over_http_and_the_test_client():
    out = bench("inbox_scale.py", "--tasks", "300", "--runs", "2")
    rows = {(line[:12].strip(), line.split()[-1]) for line in out.splitlines() if line.startswith(("HTTP", "test"))}
    for transport in ("HTTP", "test client"):
        assert (transport, "/inbox?queue=group&due=overdue&sort=received") in rows
        assert (transport, "/api/v1/tasks?queue=group&q=申请人12") in rows
