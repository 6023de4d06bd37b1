"""Inbox at scale: open tasks across roles and groups, and how long a hospital clerk's inbox takes.

Rows go straight into the task projection (the inbox reads nothing else), so the script measures
the queries, not case creation. A hospital clerk (人民医院) asks for its group's queue, filtered and
sorted, as the inbox page (signed-in session) and as the API task list (bearer token), each over
real HTTP and through Flask's test client (the same requests without the network and the HTTP server).
The HTTP server is werkzeug's, threaded, on 127.0.0.1; like gunicorn's sync workers it closes the
connection after each response, so every request opens one, as nginx does to gunicorn. Prints p50/p95
per query.

    python bench/inbox_scale.py [--tasks 100000] [--runs 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import http.client
import logging
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from _common import Summary, certflow_on, lushan_files, machine, percentile
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from certflow.engine.models import Case, ProcessVersion, Task
from certflow.engine.sealing import DataKeyRing
from certflow.people.accounts import Accounts
from certflow.web import create_app

GROUPS = [("window_clerk", "window"), ("hospital", "hospital-renmin"), ("hospital", "hospital-anding"),
          *[("village", f"village-3604831010{i:02d}") for i in range(1, 40)], ("expert_committee", "expert-committee")]
STEPS = {"window_clerk": ("pre_review", "预审"), "hospital": ("assess", "鉴定并审核"),
         "village": ("post_publicity", "张贴公示"), "expert_committee": ("reexamine", "复核")}
FILTERS = ["queue=group", "queue=group&due=overdue&sort=received", "queue=group&step=assess&sort=-received&page=5",
           "queue=group&q=申请人12"]
TARGET_MS = 20.0

Get = Callable[[str], int]  # path -> HTTP status
_results: list[Summary] = []


def fill(sessions: sessionmaker[Session], count: int, county: str, keys: DataKeyRing) -> None:
    now = datetime.now(UTC)
    rng = random.Random(7)
    with sessions.begin() as session:
        version = session.scalars(select(ProcessVersion.id).where(ProcessVersion.process_key == "application_online")
                                  ).first()
        session.execute(insert(Case), [
            {"id": i, "number": f"LS-2026-{i:06d}", "process_version_id": version,
             "process_key": "application_online", "county": county,
             "status": "running", "state": {}, "started_by": "bench", "started_at": now, "updated_at": now,
             "lock_version": 1, "event_count": 0, "last_hash": ""}
            for i in range(1, count + 1)
        ])
        rows = []
        for i in range(1, count + 1):
            role, group = rng.choice(GROUPS)
            name, title = STEPS[role]
            rows.append({
                "id": f"{i:036d}", "case_id": i, "case_number": f"LS-2026-{i:06d}", "county": county,
                "applicant_name": f"申请人{i}", "applicant_digest": keys.lookup_digest(f"申请人{i}"),
                "id_masked": "360483********1233", "process_key": "application_online", "name": name, "title": title,
                "role": role, "candidate_group": group, "assignee": None, "form": None, "status": "open",
                "created_at": now - timedelta(minutes=i), "due_at": now + timedelta(days=rng.randint(-5, 20)),
            })
        session.execute(insert(Task), rows)


def timed(get: Get, path: str, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        status = get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert status == 200, (path, status)
    samples.sort()
    return percentile(samples, 0.5), percentile(samples, 0.95)


@contextmanager
def http_server(app: Flask) -> Iterator[int]:
    """The app on a free port of 127.0.0.1, one thread per connection, for the duration; yields the port."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join()


def http_get(connection: http.client.HTTPConnection, headers: dict[str, str]) -> Get:
    """GET over the connection, which opens again by itself whenever the server has closed it."""
    def get(path: str) -> int:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()  # the whole page, as a browser would wait for it
        return response.status
    return get


def sign_in(client: FlaskClient) -> str:
    """Sign the hospital clerk in through the login form; returns the session cookie."""
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    client.post("/login", data={"username": "renmin", "password": "bench-password", "csrf_token": token})
    cookie = client.get_cookie("session")
    assert cookie is not None, "the clerk could not sign in"
    return cookie.value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200, help="requests per query and transport")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args()
    _results.clear()
    with tempfile.TemporaryDirectory(prefix="certflow-bench-") as workdir:
        measure(args.database_url or f"sqlite:///{Path(workdir) / 'bench.db'}", args.tasks, args.runs)


def measure(url: str, tasks: int, runs: int) -> None:
    with certflow_on(url) as services:
        runtime, sessions = services.runtime, services.sessions
        runtime.deploy(lushan_files(), author="bench")
        started = time.perf_counter()
        fill(sessions, tasks, runtime.settings.county, runtime.settings.data_keys)
        print(f"machine: {machine()}, {services.database.name}")
        print(f"inbox at scale: {tasks} open tasks, filled in {time.perf_counter() - started:.1f} s; "
              f"{runs} requests per query")
        accounts = Accounts(sessions, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        clerk = accounts.create("renmin", "bench-password", display_name="人民医院", roles=["hospital"],
                                groups=["hospital-renmin"])
        bearer = {"Authorization": f"Bearer {accounts.issue_token(clerk.id, 'bench')}"}
        app = create_app(services.config, runtime=runtime, accounts=accounts)
        client = app.test_client()
        cookie = {"Cookie": f"session={sign_in(client)}"}
        print(f"{'transport':<12} {'p50 ms':>7} {'p95 ms':>7}  request")
        with http_server(app) as port:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            gets: dict[tuple[str, str], tuple[str, Get]] = {
                ("inbox page", "HTTP"): ("/inbox", http_get(connection, cookie)),
                ("inbox page", "test client"): ("/inbox", lambda path: client.get(path).status_code),
                ("API", "HTTP"): ("/api/v1/tasks", http_get(connection, bearer)),
                ("API", "test client"): ("/api/v1/tasks", lambda path: client.get(path, headers=bearer).status_code),
            }
            for (kind, transport), (base, get) in gets.items():
                worst = 0.0
                for query in FILTERS:
                    p50, p95 = timed(get, quote(f"{base}?{query}", safe="/?=&"), runs)
                    print(f"{transport:<12} {p50:7.1f} {p95:7.1f}  {base}?{query}")
                    worst = max(worst, p95)
                _results.append((f"inbox at scale: {kind} over {transport}, worst p95 of {len(FILTERS)}",
                                 f"{worst:.1f} ms", f"< {TARGET_MS:.0f} ms", worst < TARGET_MS))
            connection.close()


def summary() -> list[Summary]:
    """The figures of the last ``main()`` against the issue's targets."""
    return list(_results)


if __name__ == "__main__":
    main()
