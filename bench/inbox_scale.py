"""Inbox at scale: open tasks across roles and groups, and how long a clerk's inbox page takes.

Rows go straight into the task projection (the inbox reads nothing else), so the script measures
the queries, not case creation. Prints p50/p95 per query, over HTTP through the Flask test client.

    python bench/inbox_scale.py [--tasks 100000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from sqlalchemy import insert, select

from certflow.accounts import Accounts
from certflow.config import Config
from certflow.engine.db import make_engine, make_sessions, upgrade
from certflow.engine.models import Case, ProcessVersion, Task
from certflow.engine.runtime import Runtime
from certflow.engine.specs import read_paths
from certflow.web import create_app
from handlers.registry import HANDLERS

ROOT = Path(__file__).resolve().parent.parent
GROUPS = [("window_clerk", "window"), ("hospital", "hospital-renmin"), ("hospital", "hospital-anding"),
          *[("village", f"village-3604831010{i:02d}") for i in range(1, 40)], ("expert_committee", "expert-committee")]
STEPS = {"window_clerk": ("pre_review", "预审"), "hospital": ("assess", "鉴定并审核"),
         "village": ("post_publicity", "张贴公示"), "expert_committee": ("reexamine", "复核")}


def fill(sessions, count: int) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    rng = random.Random(7)
    with sessions.begin() as session:
        version = session.scalars(select(ProcessVersion.id).where(ProcessVersion.process_key == "application_online")
                                  ).first()
        session.execute(insert(Case), [
            {"id": i, "number": f"LS-2026-{i:06d}", "process_version_id": version,
             "process_key": "application_online",
             "status": "running", "state": {}, "started_by": "bench", "started_at": now, "updated_at": now,
             "lock_version": 1, "event_count": 0, "last_hash": ""}
            for i in range(1, count + 1)
        ])
        rows = []
        for i in range(1, count + 1):
            role, group = rng.choice(GROUPS)
            name, title = STEPS[role]
            rows.append({
                "id": f"{i:036d}", "case_id": i, "case_number": f"LS-2026-{i:06d}", "applicant_name": f"申请人{i}",
                "id_masked": "360483********1233", "process_key": "application_online", "name": name, "title": title,
                "role": role, "candidate_group": group, "assignee": None, "form": None, "status": "open",
                "created_at": now - timedelta(minutes=i), "due_at": now + timedelta(days=rng.randint(-5, 20)),
            })
        session.execute(insert(Task), rows)


def timed(client, path: str, runs: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="certflow-bench-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessions(engine)
    runtime = Runtime(sessions, HANDLERS)
    runtime.deploy(read_paths([ROOT / "processes", ROOT / "forms"]), author="bench")
    started = time.perf_counter()
    fill(sessions, args.tasks)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, {engine.name}")
    print(f"filled {args.tasks} open tasks in {time.perf_counter() - started:.1f} s")
    accounts = Accounts(sessions, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    accounts.create("renmin", "bench-password", display_name="人民医院", roles=["hospital"], groups=["hospital-renmin"])
    app = create_app(Config.from_env({"DATABASE_URL": url}), runtime=runtime, accounts=accounts)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    client.post("/login", data={"username": "renmin", "password": "bench-password", "csrf_token": token})
    print(f"{'query':<55} {'p50 ms':>8} {'p95 ms':>8}")
    for path in ("/inbox?queue=group", "/inbox?queue=group&due=overdue&sort=received",
                 "/inbox?queue=group&step=assess&sort=-received&page=5", "/inbox?queue=group&q=申请人12"):
        p50, p95 = timed(client, path, args.runs)
        print(f"{path:<55} {p50:8.1f} {p95:8.1f}")


if __name__ == "__main__":
    main()
