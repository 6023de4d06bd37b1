"""Ten counties at once on one PostgreSQL database (issue 20): gunicorn with two web workers and two
``certflow worker`` processes; each county's roster imported and its cases driven by its own clerks over HTTP, with
a few online applications; then every county's counts exact, every case verifying, and no county's clerk reading
another county's case through the pages or the API (tests/many_counties.py says what is set up, how far cases go).

``CERTFLOW_TEST_PROVINCE_HOLDERS`` sets the holders per county (10 by default, a few hundred for a fuller run).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
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
        with serving(migrated_url, tmp_path, web=2, workers=2) as port:
            assert cross_county_reads(port, setups, services.sessions) == []
            with ThreadPoolExecutor(4) as pool:  # four counties' clerks at a time
                done = list(pool.map(lambda setup: drive_county(port, setup, APPLICATIONS), setups))
            assert wait_for_texts(services.sessions) == 0, "the workers left texts unsent"
        assert all(d["completions"] >= HOLDERS for d in done)
        for setup in setups:
            assert counts(services.sessions, setup.county.code) == setup.expected(), setup.county.name
        assert failing_cases(services) == []
