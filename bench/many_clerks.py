"""Many clerks at once: gunicorn with several workers on PostgreSQL, clerks claiming and completing tasks over the API.

A throw-away PostgreSQL database is migrated and given the processes; a Shizong roster is imported, so every
township federation (10 groups) has its holders' first tasks open (the exchange, the notice of re-assessment).
Each clerk is a township clerk with an API token (``certflow.people.accounts``); clerks go to the townships in
proportion to their open tasks. gunicorn starts as in production (``gunicorn server:app``, gunicorn.conf.py, the
settings in the environment, ``CERTFLOW_ENV=production``) and is ready when ``/readyz`` says so.

Then the clerks work, each a thread with its own connection, spread over a few client processes, without pause:
a clerk lists its group's queue (``GET /api/v1/tasks?queue=group``) and completes the tasks of its first page one
after another, in any order, without claiming them (``POST .../complete``: one request a completion), and lists
again once the page is done or another clerk was first (``--claim-first``: the earlier rounds' clerk, who lists,
takes one of the first page, claims it and completes it). Some clerks work in pairs that race on purpose: both go
for the same task at the same moment, by turns claiming it and completing it without a claim; one must win, the
other get 409. The first ``--warmup`` seconds are not measured (each worker restores the specs and prepares its
statements once), then ``--seconds`` are. Afterwards gunicorn stops (SIGTERM), every case of the database is
verified by replaying its history, and the events table must hold one completion per completed task, as many as
the clerks were told of.

Prints completions/s and the requests a completion took (the lists, claims and lost races included); p50/p95 of
each kind of request (with more clerks than workers, a request also waits for a free worker: that is in the
latency); errors by kind, the 409s of lost races apart; where the machine's cores went (clients, gunicorn,
PostgreSQL, the rest: the clients share the machine with the server, and so does anything else running on it); and
the checks. ``--profile`` samples gunicorn with py-spy and prints where its workers' time went.

    python bench/many_clerks.py [--holders 8000] [--workers 4] [--clerks 8] [--racing-pairs 2]
                                [--client-processes 2] [--claim-first] [--seconds 30] [--warmup 5] [--profile]
                                [--database-url URL]

It needs PostgreSQL (several gunicorn workers on SQLite are refused): ``--database-url`` or
``CERTFLOW_BENCH_POSTGRES_URL`` names the server; without one it is skipped with the reason.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import multiprocessing
import os
import random
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from _common import ROOT, Summary, add_postgres_option, certflow_on, machine, percentile, postgres_database
from argon2 import PasswordHasher
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from certflow.bootstrap import Services
from certflow.campaign.county import County
from certflow.campaign.roster import import_roster
from certflow.campaign.synthetic import generate_roster, write_roster
from certflow.engine.models import Event, Task
from certflow.engine.specs import read_paths
from certflow.people.accounts import Accounts

TARGET_RATE, TARGET_P95_MS = 300.0, 50.0
PROFILE_RATE = 200  # py-spy's samples per second
TODAY = date.today().isoformat()
HISTORY_KEYS = f"bench:{secrets.token_hex(32)}"  # production refuses the demo key; the check verifies with this one
DATA_KEYS = f"bench:{secrets.token_hex(32)}"  # production refuses the demo data key too; the seeding seals with it
# What a township clerk submits for each of its tasks: the holder exchanged; the notice served.
FORMS = {
    "exchange": {"verification": "match", "old_certificate": "collected", "issued_on": TODAY},
    "serve_notice": {"served_on": TODAY, "receipt_returned": True, "attendance": "local"},
}
QUEUE = "/api/v1/tasks?queue=group&process=card_exchange"

# (request: list, claim or complete, or "empty" when a clerk found nothing left to do; HTTP status, 0 if none
# came; milliseconds; when it was sent, time.monotonic)
Sample = tuple[str, int, float, float]
_results: list[Summary] = []


@dataclass(frozen=True)
class Clerk:
    token: str
    pair: int | None = None  # clerks of one racing pair share the number (and their group)


# -- the clients --------------------------------------------------------------------------------

class Client:
    """One clerk's connection to the server; every request is timed and kept as a sample."""

    def __init__(self, port: int, token: str, samples: list[Sample]) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.samples = samples

    def call(self, kind: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        sent, started = time.monotonic(), time.perf_counter()
        try:
            self.connection.request(method, path, body=json.dumps(body) if body is not None else None,
                                    headers=self.headers)
            response = self.connection.getresponse()
            status, answer = response.status, json.loads(response.read() or b"null")
        except (OSError, http.client.HTTPException, ValueError) as error:
            self.connection.close()  # opened again by the next request
            status, answer = 0, {"error": {"code": type(error).__name__}}
        self.samples.append((kind, status, (time.perf_counter() - started) * 1000, sent))
        return status, answer

    def queue(self) -> list[dict[str, Any]]:
        status, answer = self.call("list", "GET", QUEUE)
        if status == 200 and not answer["tasks"]:
            self.samples.append(("empty", status, 0.0, time.monotonic()))
        return answer["tasks"] if status == 200 else []

    def claim(self, task: dict[str, Any]) -> int:
        return self.call("claim", "POST", f"/api/v1/tasks/{task['id']}/claim")[0]

    def complete(self, task: dict[str, Any]) -> int:
        return self.call("complete", "POST", f"/api/v1/tasks/{task['id']}/complete", {"data": FORMS[task["name"]]})[0]


def work_alone(client: Client, deadline: float, rng: random.Random, claim_first: bool) -> None:
    """List the queue and work through its first page in any order, completing each task straight away (no claim:
    one request a completion); list again once the page is done or someone else was first.

    ``claim_first``: the clerk of the earlier rounds, for comparison: list the queue, take one of its first page,
    claim it, complete it."""
    while time.monotonic() < deadline:
        tasks = client.queue()
        if not tasks:
            return
        if claim_first:
            task = rng.choice(tasks)
            if client.claim(task) == 200:
                client.complete(task)
            continue
        rng.shuffle(tasks)
        for task in tasks:
            if time.monotonic() >= deadline or client.complete(task) != 200:
                break


def work_in_pair(client: Client, deadline: float, lead: bool, pair: threading.Barrier, slot: list[Any]) -> None:
    """Both clerks of a pair go for the task the leader found, at once: by turns claiming, then completing it."""
    rounds = 0
    while True:
        if lead:
            tasks = client.queue() if time.monotonic() < deadline else []
            slot[:] = [tasks[0] if tasks else None]
        pair.wait()  # the task is chosen
        task = slot[0]
        if task is None:
            return
        if rounds % 2 == 0:
            if client.claim(task) == 200:
                client.complete(task)
        else:
            client.complete(task)  # straight from the task's page, no claim
        rounds += 1
        pair.wait()  # both are done with it before the leader looks for the next


def run_clients(port: int, clerks: list[Clerk], go: Any, until: Any, results: Any, claim_first: bool) -> None:
    """A client process: a thread per clerk, from when ``go`` is set until the time in ``until``; sends back the
    samples and its CPU time."""
    samples: list[Sample] = []  # list.append is atomic: the threads share one list
    pairs: dict[int, tuple[threading.Barrier, list[Any]]] = {}
    threads = []
    go.wait()
    deadline = until.value
    for n, clerk in enumerate(clerks):
        client = Client(port, clerk.token, samples)
        if clerk.pair is None:
            threads.append(threading.Thread(target=work_alone, args=(client, deadline, random.Random(n), claim_first)))
        else:
            lead = clerk.pair not in pairs
            barrier, slot = pairs.setdefault(clerk.pair, (threading.Barrier(2), []))
            threads.append(threading.Thread(target=work_in_pair, args=(client, deadline, lead, barrier, slot)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put((samples, usage.ru_utime + usage.ru_stime))


# -- setting up --------------------------------------------------------------------------------

def seed(services: Services, holders: int, county: County, workdir: Path) -> None:
    """Deploy, and import a roster of ``holders``: their cases wait at the townships' first tasks."""
    services.runtime.deploy(read_paths([ROOT / "processes", ROOT / "forms"]), author="bench")
    roster = workdir / "roster.csv"
    write_roster(generate_roster(county, holders), roster)
    report = import_roster(services.sessions, services.runtime, roster, actor="bench", county=county)
    if report.rejected:
        raise RuntimeError(f"the roster was not imported whole: {report.rejected[:3]}")


def open_tasks(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        counted = session.execute(select(Task.candidate_group, func.count()).where(
            Task.status == "open", Task.role == "township").group_by(Task.candidate_group))
        return {group: count for group, count in counted if group is not None}  # a township's tasks have one


def staff(sessions: sessionmaker[Session], county: County, tasks: dict[str, int], clerks: int,
          pairs: int) -> list[Clerk]:
    """Township clerks with tokens: the racing pairs in the groups with the most open tasks, the other clerks
    where a clerk has the most tasks to do."""
    largest = sorted(tasks, key=lambda g: -tasks[g])
    share: Counter[str] = Counter()
    paired: Counter[str] = Counter()
    for n in range(pairs):
        paired[largest[n % len(largest)]] += 1
        share[largest[n % len(largest)]] += 2
    for _ in range(clerks - 2 * pairs):
        share[max(largest, key=lambda g: tasks[g] / (share[g] + 1))] += 1
    accounts = Accounts(sessions, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    staffed: list[Clerk] = []
    numbers = itertools.count()
    for group, count in share.items():
        racing = [next(numbers) for _ in range(paired[group])]
        for pair in [p for p in racing for _ in range(2)] + [None] * (count - 2 * len(racing)):
            person = accounts.create(f"clerk{len(staffed):02d}", "bench-password", display_name="乡镇残联",
                                     roles=["township"], groups=[group], county=county.code)
            staffed.append(Clerk(accounts.issue_token(person.id, "bench"), pair))
    return staffed


def transactions(sessions: sessionmaker[Session]) -> int:
    """Transactions PostgreSQL has counted in the database so far (committed or rolled back)."""
    with sessions() as session:
        return int(session.execute(text("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                                        "WHERE datname = current_database()")).scalar_one())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(url: str, workers: int, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    """``gunicorn server:app`` as in production (docs/deploy.md), ready once ``/readyz`` answers 200."""
    env = {**os.environ, "DATABASE_URL": url, "CERTFLOW_ENV": "production",
           "CERTFLOW_SECRET_KEY": secrets.token_hex(32), "CERTFLOW_HISTORY_KEYS": HISTORY_KEYS,
           "CERTFLOW_DATA_KEYS": DATA_KEYS,
           "CERTFLOW_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": str(workers), "CERTFLOW_UPLOAD_DIR": str(workdir / "uploads")}
    with (workdir / "gunicorn.log").open("wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "server:app"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"gunicorn did not get ready: {(workdir / 'gunicorn.log').read_text()[-2000:]}")


# -- CPU: where the two cores went ---------------------------------------------------------------

def processes() -> dict[int, tuple[str, int, float]]:
    """pid -> (name, parent pid, CPU seconds so far) of every process on the machine."""
    found = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            raw = stat.read_text()
        except OSError:
            continue  # gone in between
        name, fields = raw[raw.index("(") + 1:raw.rindex(")")], raw[raw.rindex(")") + 2:].split()
        found[int(stat.parent.name)] = (name, int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    return found


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def cpu_split(before: dict[int, tuple[str, int, float]], after: dict[int, tuple[str, int, float]],
              server: int, clients: float) -> dict[str, float]:
    """CPU seconds spent between two snapshots by gunicorn (master and workers) and by PostgreSQL."""
    def spent(match: Callable[[int, str, int], bool]) -> float:
        return sum(cpu - (before[pid][2] if pid in before else 0.0)
                   for pid, (name, parent, cpu) in after.items() if match(pid, name, parent))
    return {"clients (warm-up too)": clients, "gunicorn": spent(lambda pid, _, parent: server in (pid, parent)),
            "PostgreSQL": spent(lambda _, name, __: name == "postgres")}


# -- measuring ---------------------------------------------------------------------------------

def measure(url: str, args: argparse.Namespace, workdir: Path) -> None:
    county = County.load(ROOT / "shizong.json")
    with certflow_on(url, CERTFLOW_HISTORY_KEYS=HISTORY_KEYS, CERTFLOW_DATA_KEYS=DATA_KEYS) as services:
        seed(services, args.holders, county, workdir)
        clerks_at_work(services, county, url, args, workdir)


def clerks_at_work(services: Services, county: County, url: str, args: argparse.Namespace, workdir: Path) -> None:
    sessions = services.sessions
    tasks = open_tasks(sessions)
    clerks = staff(sessions, county, tasks, args.clerks, args.racing_pairs)
    print(f"seeded: {sum(tasks.values())} open tasks in {len(tasks)} township groups; {len(clerks)} clerks, "
          f"{args.racing_pairs} pairs of them racing; gunicorn with {args.workers} workers; "
          f"{args.client_processes} client processes")
    port = free_port()
    server = start_gunicorn(url, args.workers, port, workdir)
    context = multiprocessing.get_context("fork")  # the clients need nothing but this module's functions
    go, until, results = context.Event(), context.Value("d"), context.Queue()
    # A racing pair's clerks must be threads of one process: deal the clerks out pair by pair.
    clerks.sort(key=lambda c: (c.pair is None, c.pair if c.pair is not None else 0))
    groups: list[list[Clerk]] = [[] for _ in range(args.client_processes)]
    for n, clerk in enumerate(clerks):
        groups[(n // 2 if clerk.pair is not None else n) % args.client_processes].append(clerk)
    clients = [context.Process(target=run_clients, args=(port, g, go, until, results, args.claim_first))
               for g in groups if g]
    try:
        for client in clients:
            client.start()
        measured = time.monotonic() + args.warmup  # before, each worker loads what it keeps (specs, statements)
        until.value = measured + args.seconds
        go.set()
        time.sleep(args.warmup)
        profiler = profile_server(server.pid, args.seconds, workdir / "py-spy.txt") if args.profile else None
        before, busy, begun = processes(), machine_busy(), transactions(sessions)
        answers = [results.get() for _ in clients]
        after, busy = processes(), machine_busy() - busy
        for client in clients:
            client.join()
        if profiler is not None:
            profiler.wait()
    finally:
        server.terminate()  # gunicorn's graceful stop: the workers finish their requests
        stopped = server.wait(timeout=60)
    committed = transactions(sessions) - begun  # read once the workers' sessions have ended and reported theirs
    every = [sample for batch, _ in answers for sample in batch]
    samples = [sample for sample in every if sample[3] >= measured]
    if not samples:
        raise RuntimeError("no request after the warm-up: seed more holders (--holders) or warm up less")
    elapsed = max(sent + ms / 1000 for _, _, ms, sent in samples) - measured
    cpu = cpu_split(before, after, server.pid, sum(seconds for _, seconds in answers))
    checks = check(services, every)
    done = report(samples, elapsed, cpu, busy, stopped, checks)
    print(f"PostgreSQL transactions per completion: {committed / max(done, 1):.1f} (every request's; 409s and the "
          "end of the warm-up included)")
    if profiler is not None:
        from _profile import by_part_of_stacks, hot_spots, read_raw_stacks  # pyinstrument: a dev dependency

        stacks = read_raw_stacks((workdir / "py-spy.txt").read_text(), PROFILE_RATE)
        print(f"\nwhere gunicorn's workers spent their time (py-spy, {PROFILE_RATE} samples/s, waits on PostgreSQL "
              "included; the run was slowed):")
        print(by_part_of_stacks(stacks, done, "completion", "the rest (gunicorn's loop, Python)"))
        print()
        print(hot_spots(stacks, done, "completion"))


def profile_server(pid: int, seconds: float, output: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling gunicorn's master and workers for the clerks' run (py-spy is a dev dependency)."""
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        raise SystemExit("--profile needs py-spy: pip install -e '.[dev]'")
    return subprocess.Popen([str(spy), "record", "--pid", str(pid), "--subprocesses", "--format", "raw",
                             "--full-filenames", "--rate", str(PROFILE_RATE), "--duration", str(round(seconds)),
                             "--output", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def check(services: Services, samples: list[Sample]) -> dict[str, int]:
    """After the run: completions recorded against those the clerks were told of, and every case replayed."""
    runtime = services.runtime
    with services.sessions() as session:
        completed = session.execute(select(Event.task_id, func.count()).where(Event.kind == "task_completed")
                                    .group_by(Event.task_id)).all()
    started = time.perf_counter()
    numbers = runtime.case_numbers()
    failing = [number for number in numbers if not runtime.verify(number).ok]
    print(f"verified {len(numbers)} cases by replaying their history in {time.perf_counter() - started:.0f} s")
    return {"told": sum(1 for kind, status, _, _ in samples if kind == "complete" and status == 200),
            "recorded": sum(n for _, n in completed), "twice": sum(1 for _, n in completed if n > 1),
            "cases": len(numbers), "failing": len(failing)}


def report(samples: list[Sample], elapsed: float, cpu: dict[str, float], busy: float, stopped: int,
           checks: dict[str, int]) -> int:
    """Print the figures of the measured samples and the checks; returns the completions measured."""
    done = sum(1 for kind, status, _, _ in samples if kind == "complete" and status == 200)
    rate = done / elapsed
    sent = Counter(kind for kind, _, _, _ in samples if kind in ("list", "claim", "complete"))
    print(f"{done} completions in {elapsed:.1f} s: {rate:.1f} completions/s; "
          f"{sum(sent.values()) / max(done, 1):.2f} requests per completion "
          f"({', '.join(f'{kind} {count / max(done, 1):.2f}' for kind, count in sorted(sent.items()))}; "
          "lost races included)")
    print(f"{'request':<9} {'count':>6} {'p50 ms':>7} {'p95 ms':>7}   (requests answered 200)")
    p95: dict[str, float] = {}
    for kind in ("list", "claim", "complete"):
        times = sorted(ms for k, status, ms, _ in samples if k == kind and status == 200)
        if times:
            p95[kind] = percentile(times, 0.95)
            print(f"{kind:<9} {len(times):6d} {percentile(times, 0.5):7.1f} {p95[kind]:7.1f}")
    races = Counter(kind for kind, status, _, _ in samples if status == 409 and kind != "list")
    errors = Counter(f"{kind} {status or 'no answer'}" for kind, status, _, _ in samples
                     if status not in (200, 409) or (status == 409 and kind == "list"))
    print(f"409 of a lost race (expected): {dict(races) or 'none'}; other errors: {dict(errors) or 'none'}")
    if emptied := sum(1 for kind, _, _, _ in samples if kind == "empty"):
        print(f"{emptied} clerks (or pairs) ran out of tasks before the end: seed more (--holders)")
    cores = os.cpu_count() or 1
    rest = busy - sum(cpu.values())
    print(f"CPU seconds over the run, of {elapsed * cores:.0f} on {cores} cores: "
          + ", ".join(f"{name} {seconds:.1f}" for name, seconds in cpu.items())
          + f", the rest {max(rest, 0):.1f}, idle {max(elapsed * cores - busy, 0):.1f}")
    print(f"CPU per completion: gunicorn {cpu['gunicorn'] / max(done, 1) * 1000:.1f} ms, PostgreSQL "
          f"{cpu['PostgreSQL'] / max(done, 1) * 1000:.1f} ms; the clients share the machine with the server")
    print(f"afterwards: {checks['recorded']} completions recorded, {checks['told']} told to the clerks (warm-up "
          f"included); {checks['twice']} tasks completed twice; {checks['cases'] - checks['failing']} of "
          f"{checks['cases']} cases verify; gunicorn stopped with exit code {stopped}")
    worst = max(p95.get("claim", 0.0), p95.get("complete", 0.0))
    _results.extend([
        ("many clerks: completions/s", f"{rate:.1f}", f">= {TARGET_RATE:.0f}", rate >= TARGET_RATE),
        ("many clerks: requests per completion", f"{sum(sent.values()) / max(done, 1):.2f}", "", None),
        ("many clerks: p95 claim, complete", f"{p95.get('claim', 0):.0f} ms, {p95.get('complete', 0):.0f} ms",
         f"< {TARGET_P95_MS:.0f} ms", worst < TARGET_P95_MS),
        ("many clerks: errors but lost races", str(sum(errors.values())), "0", not errors),
        ("many clerks: completed twice, cases not verifying", f"{checks['twice']}, {checks['failing']}", "0, 0",
         not checks["twice"] and not checks["failing"] and checks["told"] == checks["recorded"]),
        ("many clerks: gunicorn stopped cleanly", f"exit code {stopped}", "0", stopped == 0),
    ])
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holders", type=int, default=8000, help="holders imported: their first tasks are seeded")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (docs/deploy.md: two per core)")
    parser.add_argument("--clerks", type=int, default=8, help="clerks working at once without pause, a thread each")
    parser.add_argument("--racing-pairs", type=int, default=2, help="pairs of those clerks who race for each task")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--claim-first", action="store_true",
                        help="clerks working alone claim each task before completing it and list the queue for each "
                             "(the earlier rounds' clerks); by default they complete the tasks of a page straight away")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the clerks' work is measured")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds they work first, not measured")
    add_postgres_option(parser)
    parser.add_argument("--profile", action="store_true",
                        help="also sample gunicorn with py-spy and print where its time went (slows the run)")
    args = parser.parse_args()
    if args.clerks < 2 * args.racing_pairs:
        parser.error(f"{args.racing_pairs} racing pairs need at least {2 * args.racing_pairs} clerks")
    _results.clear()
    print(f"machine: {machine()}")
    if not args.database_url:
        print("many clerks: skipped, it needs PostgreSQL (set CERTFLOW_BENCH_POSTGRES_URL or --database-url)")
        _results.append(("many clerks", "skipped: no PostgreSQL", "", None))
        return
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="certflow-bench-")))
        try:
            url = stack.enter_context(postgres_database(args.database_url))
        except OperationalError as error:
            print(f"many clerks: skipped, the server cannot be reached ({str(error.orig).splitlines()[0]})")
            _results.append(("many clerks", "skipped: PostgreSQL unreachable", "", None))
            return
        measure(url, args, workdir)


def summary() -> list[Summary]:
    """The figures of the last ``main()`` against the issue's targets."""
    return list(_results)


if __name__ == "__main__":
    main()
