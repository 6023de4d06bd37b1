"""The benchmarks still run, at a tiny size, so that `make bench` keeps working; no time is asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow
# An empty PostgreSQL database of the test's own.
on_postgres = pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                      indirect=True)


def bench(script: str, *args: str) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("machine: "), result.stdout
    return result.stdout


def test_cost_per_case_runs_whole_cases_persisted_and_in_memory():
    out = bench("cost_per_case.py", "--cases", "2", "--rounds", "1", "--warmup", "0", "--database-url", "")
    assert "in memory" in out and "SQLite" in out and "PostgreSQL: skipped" in out


def test_cost_per_case_times_the_parts_of_a_step_and_what_a_step_moved():
    out = bench("cost_per_case.py", "--parts", "--cases", "2", "--warmup", "1", "--database-url", "")
    table = out.split("SQLite, 2 cases: 14 steps: ", 1)[1]
    shares = {line[:58].strip(): float(line.split()[-1].rstrip("%")) for line in table.splitlines()
              if line.endswith("%") and not line.startswith("part")}
    for part in ("SpiffWorkflow running the step (Steps.run)", "state dump (SpiffWorkflow's serializer)",
                 "state digest (canonical JSON, SHA-256)", "JSON of sealed columns: the state",
                 "sealing (SM4-GCM): the state", "task projection"):
        assert shares[part] > 0, part
    assert 99 < sum(shares.values()) < 101  # the parts and the rest make the whole step
    moved = re.search(r"a step after the start moved ([\d.]+) of ([\d.]+) tasks", table)
    assert moved and 0 < float(moved[1]) < float(moved[2])


def test_the_anchors_run_the_neutral_diagram_alone_and_in_certflow_and_say_how_to_add_spiffarena():
    out = bench("spiffarena_anchor.py", "--cases", "2", "--rounds", "1", "--warmup", "0",
                "--spiffarena-python", sys.executable)  # certflow's Python, which has no SpiffArena
    rows = {line.split()[0] for line in out.splitlines()[-3:]}
    assert rows == {"backend", "in", "certflow"}, out
    assert "certflow: a case: 6 commits" in out  # the start and the five tasks, one transaction each
    assert "SpiffArena: skipped" in out and "pip install --no-deps -e /tmp/arena/src/spiffworkflow-backend" in out


@on_postgres
def test_cost_per_case_runs_on_postgres_in_a_database_of_its_own(database_url):
    out = bench("cost_per_case.py", "--cases", "1", "--rounds", "1", "--warmup", "0",
                "--database-url", database_url)
    assert "\nPostgreSQL " in out


def test_inbox_scale_asks_for_the_inbox_page_and_the_api_over_http_and_the_test_client():
    out = bench("inbox_scale.py", "--tasks", "300", "--runs", "2")
    rows = {(line[:12].strip(), line.split()[-1]) for line in out.splitlines() if line.startswith(("HTTP", "test"))}
    for transport in ("HTTP", "test client"):
        assert (transport, "/inbox?queue=group&due=overdue&sort=received") in rows
        assert (transport, "/api/v1/tasks?queue=group&q=申请人12") in rows


def test_the_county_batch_imports_a_roster_and_drives_every_case_to_its_end():
    out = bench("shizong_import.py", "--holders", "120", "--database-url", "")
    assert "started 121 cases from 121 rows" in out and "imported again: 0 started" in out  # 1 new applicant
    outcomes = next(line for line in out.splitlines() if "cases by status and outcome" in line)
    assert "'running'" not in outcomes  # every case ended
    assert "replayed by verify" in out and " ok" in out


def test_many_clerks_is_skipped_without_postgres():
    out = bench("many_clerks.py", "--database-url", "")
    assert "skipped" in out


@on_postgres
def test_many_clerks_race_through_gunicorn_and_every_case_verifies(database_url):
    out = bench("many_clerks.py", "--holders", "600", "--workers", "2", "--clerks", "4", "--racing-pairs", "1",
                "--client-processes", "1", "--seconds", "2", "--warmup", "1", "--database-url", database_url)
    assert "completions/s" in out and "requests per completion" in out and "other errors: none" in out
    # 600 holders bring their share of the plan's new applicants: every case verifies, whatever their count.
    verified = re.search(r"0 tasks completed twice; (\d+) of (\d+) cases verify; gunicorn stopped with exit code 0",
                         out)
    assert verified and verified[1] == verified[2] and int(verified[2]) >= 600


def test_province_is_skipped_without_postgres():
    out = bench("province.py", "--database-url", "")
    assert "skipped" in out


@on_postgres
def test_province_runs_one_county_then_two_with_every_count_exact(database_url):
    out = bench("province.py", "--counties", "1,2", "--holders", "8", "--applications", "1", "--database-url",
                database_url)
    assert re.search(r"  1 counties: imported 8 cases .* drove 9 cases .* counts exact in 1 of 1, a case of each "
                     r"verifies in 1\n", out), out
    assert re.search(r"  2 counties: imported 16 cases .* drove 18 cases .* counts exact in 2 of 2, a case of each "
                     r"verifies in 2\n", out), out
