"""The province: 1, 5, 10, 20 counties on one PostgreSQL database, each importing its roster and driving its cases.

For each count of counties, a throw-away database gets the processes and that many real counties of the divisions
dataset (曲靖市's, which holds 师宗县, then 昆明市's), each with its county file, its synthetic roster of
``--holders`` holders and its clerks (tests/many_counties.py, which the ten-county test shares). The rosters are
imported one county after another, as ``certflow campaign import`` does (a case each): cases/s of the import.
Then gunicorn (``--web`` workers) and ``--workers`` ``certflow worker`` processes start as in production (as the
app's role, under row-level security), each county starts a few Lushan-style online applications, and its clerks
drive every case over the REST API as far as it goes today (the exchange, the card remade, the notice, the
re-assessment; then the 10 working days to object; the applications to the pre-review), ``--clients`` counties at a
time: cases/s and completions/s of the drive.
The workers send the texts every step queues. Afterwards every county's counts must be exact and a case of each
county verify.

Prints, per count of counties, the figures and how each rate grows against one county's; asserts nothing timed.

    python bench/province.py [--counties 1,5,10,20] [--holders 2000] [--applications 3] [--web 2] [--workers 2]
                             [--clients 4] [--database-url URL]

It needs PostgreSQL: ``--database-url`` or ``CERTFLOW_BENCH_POSTGRES_URL`` names the server; without one it is
skipped with the reason.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from _common import ROOT, Summary, add_postgres_option, machine, postgres_database
from sqlalchemy.exc import OperationalError

sys.path.append(str(ROOT / "tests"))  # the counties' set-up the ten-county test uses: one place for it
from databases import app_role  # noqa: E402
from many_counties import (  # noqa: E402
    counts,
    county_codes,
    county_file,
    deploy,
    drive_county,
    import_county,
    services_on,
    serving,
    wait_for_texts,
)

_results: list[Summary] = []


@dataclass(frozen=True)
class Run:
    counties: int
    cases: int  # imported, a case per holder and new applicant
    import_seconds: float
    driven: int  # cases the clerks drove, the applications included
    completions: int
    requests: int
    drive_seconds: float
    exact: int  # counties whose counts were exact
    verified: int  # counties whose first case verifies

    @property
    def import_rate(self) -> float:
        return self.cases / self.import_seconds

    @property
    def drive_rate(self) -> float:
        return self.driven / self.drive_seconds

    @property
    def completion_rate(self) -> float:
        return self.completions / self.drive_seconds


def province(url: str, args: argparse.Namespace, count: int, folder: Path) -> Run:
    with services_on(url) as services:
        deploy(services)
        started = time.perf_counter()
        setups = [import_county(services, county_file(code, folder), args.holders, folder)
                  for code in county_codes(count)]
        import_seconds = time.perf_counter() - started
        # The web processes and the workers as the app's role, held by row-level security as in production.
        with app_role(url) as app_url, serving(app_url, folder, web=args.web, workers=args.workers) as port:
            started = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                done = list(pool.map(lambda setup: drive_county(port, setup, args.applications), setups))
            drive_seconds = time.perf_counter() - started
            unsent = wait_for_texts(services.sessions)
        exact = sum(counts(services.sessions, s.county.code) == s.expected() for s in setups)
        verified = sum(services.runtime.verify(min(s.holders)).ok for s in setups)
    if unsent:
        print(f"  {unsent} texts were left unsent by the workers")
    return Run(count, sum(len(s.holders) for s in setups), import_seconds, sum(len(s.numbers) for s in setups),
               sum(d["completions"] for d in done), sum(d["requests"] for d in done), drive_seconds, exact, verified)


def report(run: Run, first: Run) -> None:
    print(f"{run.counties:3d} counties: imported {run.cases} cases in {run.import_seconds:.1f} s "
          f"({run.import_rate:.1f} cases/s, x{run.import_rate / first.import_rate:.2f} of {first.counties}); "
          f"drove {run.driven} cases in {run.drive_seconds:.1f} s ({run.drive_rate:.1f} cases/s, "
          f"{run.completion_rate:.1f} completions/s, x{run.completion_rate / first.completion_rate:.2f}; "
          f"{run.requests / max(run.completions, 1):.2f} requests a completion); "
          f"counts exact in {run.exact} of {run.counties}, a case of each verifies in {run.verified}", flush=True)
    _results.extend([
        (f"province, {run.counties} counties: import", f"{run.import_rate:.1f} cases/s", "", None),
        (f"province, {run.counties} counties: drive",
         f"{run.drive_rate:.1f} cases/s, {run.completion_rate:.1f} completions/s", "", None),
        (f"province, {run.counties} counties: counts exact, verified",
         f"{run.exact}, {run.verified} of {run.counties}", "all",
         run.exact == run.verified == run.counties),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", default="1,5,10,20", help="counts of counties to run, comma-separated (<= 23)")
    parser.add_argument("--holders", type=int, default=2000, help="holders in each county's roster (at least 7)")
    parser.add_argument("--applications", type=int, default=3, help="online applications each county starts")
    parser.add_argument("--web", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--workers", type=int, default=2, help="`certflow worker` processes")
    parser.add_argument("--clients", type=int, default=4, help="counties whose clerks work at the same time")
    add_postgres_option(parser)
    args = parser.parse_args()
    _results.clear()
    print(f"machine: {machine()}")
    if not args.database_url:
        print("province: skipped, it needs PostgreSQL (set CERTFLOW_BENCH_POSTGRES_URL or --database-url)")
        _results.append(("province", "skipped: no PostgreSQL", "", None))
        return
    first: Run | None = None
    for count in [int(n) for n in args.counties.split(",")]:
        with tempfile.TemporaryDirectory(prefix="certflow-bench-") as folder:
            try:
                with postgres_database(args.database_url) as url:
                    run = province(url, args, count, Path(folder))
            except OperationalError as error:
                print(f"province: skipped, the server cannot be reached ({str(error.orig).splitlines()[0]})")
                _results.append(("province", "skipped: PostgreSQL unreachable", "", None))
                return
        first = first or run
        report(run, first)
        print(f"  machine now: {machine()}")


def summary() -> list[Summary]:
    """The figures of the last ``main()``: import and drive rates by count of counties; no target is set."""
    return list(_results)


if __name__ == "__main__":
    main()
