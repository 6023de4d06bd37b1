"""A production set-up on one machine: gunicorn with two web workers and a `certflow worker`, on PostgreSQL,
configured by the environment only; a whole case through the API, the worker sending its texts."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from lushan import application

from certflow.engine import sealing
from certflow.engine.calendar import china_today
from certflow.engine.clock import SystemClock
from certflow.engine.history import parse_keys
from certflow.engine.runtime import Runtime
from certflow.people.accounts import Accounts

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.slow, pytest.mark.postgres,
              pytest.mark.parametrize("database_url", ["postgres"], indirect=True)]
PEOPLE = {"window": (["window_clerk"], ["window"]), "renmin": (["hospital"], ["hospital-renmin"]),
          "yujing": (["village"], ["village-360483101209"])}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(base: str, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body else None,
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_for(check: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if found := check():
                return found
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen in {timeout} s")


@pytest.fixture
def deployment(runtime: Runtime, accounts: Accounts, database_url: str, tmp_path: Path) -> Iterator[str]:
    """gunicorn and one worker on the fixture's database (migrated, processes deployed); the base URL."""
    base = f"http://127.0.0.1:{free_port()}"
    history_keys, data_keys = f"prod:{secrets.token_hex(32)}", f"prod:{secrets.token_hex(32)}"
    # To verify what they sign, and to read what they seal.
    runtime.settings = replace(runtime.settings, history_keys=parse_keys(history_keys),
                               data_keys=sealing.parse_keys(data_keys))
    env = {**os.environ, "DATABASE_URL": database_url, "CERTFLOW_ENV": "production",
           "CERTFLOW_SECRET_KEY": secrets.token_hex(32), "CERTFLOW_HISTORY_KEYS": history_keys,
           "CERTFLOW_DATA_KEYS": data_keys,
           "CERTFLOW_BIND": base.removeprefix("http://"),
           "WEB_CONCURRENCY": "2", "CERTFLOW_UPLOAD_DIR": str(tmp_path / "uploads")}
    logs = {name: (tmp_path / f"{name}.log").open("w") for name in ("web", "worker")}
    processes = [
        subprocess.Popen([sys.executable, "-m", "gunicorn", "server:app"], cwd=ROOT, env=env,
                         stdout=logs["web"], stderr=subprocess.STDOUT),
        subprocess.Popen([str(Path(sys.executable).parent / "certflow"), "worker", "--interval", "0.2"], cwd=ROOT,
                         env=env, stdout=logs["worker"], stderr=subprocess.STDOUT),
    ]
    try:
        wait_for(lambda: call(base, "GET", "/healthz")[0] == 200, "gunicorn's start")
        yield base
    finally:
        for process in processes:
            process.terminate()
        codes = [process.wait(timeout=30) for process in processes]
        for log in logs.values():
            log.close()
        assert codes == [0, 0], [(tmp_path / f"{n}.log").read_text() for n in logs]


def test_gunicorn_and_a_worker_run_a_case_to_its_publicity(
    deployment: str, runtime: Runtime, accounts: Accounts, tmp_path: Path,
) -> None:
    base = deployment
    tokens = {}
    for username, (roles, groups) in PEOPLE.items():
        person = accounts.create(username, "correct-horse-1", display_name=username, roles=roles, groups=groups)
        tokens[username] = accounts.issue_token(person.id, "test")

    def do(who: str, number: str, step: str, data: dict[str, Any]) -> None:
        found = wait_for(lambda: call(base, "GET", f"/api/v1/tasks?queue=group&q={number}&step={step}",
                                      tokens[who])[1]["tasks"], f"task {step}")
        status, answer = call(base, "POST", f"/api/v1/tasks/{found[0]['id']}/complete", tokens[who], {"data": data})
        assert status == 200, answer

    assert call(base, "GET", "/readyz") == (200, {"database": "ok", "migrations": "current"})
    status, started = call(base, "POST", "/api/v1/cases", tokens["window"],
                           {"process": "application_online", "data": application()})
    assert status == 201, started
    number = started["number"]
    today = china_today(SystemClock())  # the server's dates are China's, whatever the machine's zone
    do("window", number, "pre_review", {"decision": "pass"})
    do("renmin", number, "register_appointment", {"appointment_at": f"{today}T09:30:00+08:00",
                                                  "appointment_place": "庐山市人民医院门诊楼三楼",
                                                  "bring_items": ["居民身份证"]})
    do("renmin", number, "assess", {"meets_standard": True, "grade": 3, "conclusion": "符合肢体残疾三级标准"})
    # A posting date before the assessment cannot skip the publicity: refused, the task stays open.
    [posting] = call(base, "GET", f"/api/v1/tasks?queue=group&q={number}&step=post_publicity", tokens["yujing"])[1][
        "tasks"]
    status, refused = call(base, "POST", f"/api/v1/tasks/{posting['id']}/complete", tokens["yujing"],
                           {"data": {"posted_on": str(today - timedelta(days=30)), "posting_place": "村委会"}})
    assert status == 422 and refused["error"]["details"][0]["field"] == "posted_on", refused
    do("yujing", number, "post_publicity", {"posted_on": str(today), "posting_place": "村委会"})

    case = call(base, "GET", f"/api/v1/cases/{number}", tokens["window"])[1]
    assert case["status"] == "running"  # the five working days of publicity run from today
    wait_for(lambda: all(m["status"] == "sent" for m in call(
        base, "GET", f"/api/v1/cases/{number}/messages", tokens["window"])[1]["messages"]), "the worker's sending")
    assert runtime.verify(number).ok

    requests = [line for line in map(json.loads, (tmp_path / "web.log").read_text().splitlines())
                if line["message"] == "request"]
    assert {"request_id", "method", "path", "status", "ms"} <= set(requests[-1])
    texts = [json.loads(line) for line in (tmp_path / "worker.log").read_text().splitlines()]
    assert any(line["logger"] == "certflow.sms" for line in texts)
