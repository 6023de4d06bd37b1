"""Ten counties at once on one PostgreSQL database (issue 20): gunicorn with two web workers and two
``certflow worker`` processes; each county's roster imported and its cases driven by its own clerks over HTTP, with
a few online applications; then every county's counts exact, every case verifying, and no county's clerk reading
another county's case through the pages or the API, nor by SQL as the app's role (tests/many_counties.py says what
is set up, how far cases go). The web processes and the workers connect as the app's role, which PostgreSQL's
row-level security holds, as in production.

``CERTFLOW_TEST_PROVINCE_HOLDERS`` sets the holders per county (10 by default, a few hundred for a fuller run).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from databases import app_role
from many_counties import (
    counts,
    county_codes,
    county_file,
    cross_county_reads,
    deploy,
    drive_county,
    failing_cases,
    import_county,
    services_on,
    serving,
    wait_for_texts,
)
from sqlalchemy import create_engine, text

from certflow.engine.scope import SETTING

pytestmark = [pytest.mark.slow, pytest.mark.postgres,
              pytest.mark.parametrize("database_url", ["postgres"], indirect=True)]
COUNTIES = 10
HOLDERS = int(os.environ.get("CERTFLOW_TEST_PROVINCE_HOLDERS", "10"))
APPLICATIONS = 3  # per county: the first rejected at the pre-review, the others passed on to the assessment


def test_ten_counties_work_at_once_each_exact_verified_and_apart(migrated_url: str, tmp_path: Path) -> None:
    with services_on(migrated_url) as services:
        deploy(services)
        setups = [import_county(services, county_file(code, tmp_path), HOLDERS, tmp_path)
                  for code in county_codes(COUNTIES)]
        assert len({s.county.name for s in setups}) == COUNTIES and "师宗县" in {s.county.name for s in setups}
        with app_role(migrated_url) as app_url, serving(app_url, tmp_path, web=2, workers=2) as port:
            assert cross_county_reads(port, setups, services.sessions) == []
            with ThreadPoolExecutor(4) as pool:  # four counties' clerks at a time
                done = list(pool.map(lambda setup: drive_county(port, setup, APPLICATIONS), setups))
            assert wait_for_texts(services.sessions) == 0, "the workers left texts unsent"
            assert seen_by_sql(app_url, [setup.county.code for setup in setups]) == {
                setup.county.code: (len(setup.numbers), 0) for setup in setups}
        assert all(d["completions"] >= HOLDERS for d in done)
        for setup in setups:
            assert counts(services.sessions, setup.county.code) == setup.expected(), setup.county.name
        assert failing_cases(services) == []


def seen_by_sql(url: str, codes: list[str]) -> dict[str, tuple[int, int]]:
    """For each county, by plain SQL as the app's role in that county's scope: its own cases and tasks, and how many
    rows of any other county the protected tables give."""
    engine = create_engine(url)
    seen = {}
    with engine.connect() as connection:
        for code in codes:
            with connection.begin():
                connection.execute(text("SELECT set_config(:setting, :code, true)"), {"setting": SETTING, "code": code})
                own = connection.scalar(text("SELECT count(*) FROM cases"))
                others = sum(connection.scalar(text(f"SELECT count(*) FROM {table} WHERE county <> :code"),
                                               {"code": code})
                             for table in ("cases", "tasks", "campaign_holders", "users", "groups"))
                others += connection.scalar(text(
                    "SELECT count(*) FROM events WHERE case_id NOT IN (SELECT id FROM cases WHERE county = :code)"),
                    {"code": code})
                seen[code] = (own, others)
    engine.dispose()
    return seen
