"""The configuration is checked at start: an unsafe or unworkable set-up is refused with the reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from certflow.cli import main
from certflow.config import Config

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql+psycopg://certflow@db.example/certflow"


def test_production_with_the_demo_secret_key_is_refused() -> None:
    with pytest.raises(SystemExit, match="CERTFLOW_ENV=production with the public demo secret key"):
        Config.from_env({"CERTFLOW_ENV": "production"}).check()
    Config.from_env({"CERTFLOW_ENV": "production", "CERTFLOW_SECRET_KEY": "x" * 64}).check()
    Config.from_env({}).check()  # development may use it


def test_sqlite_with_more_than_one_web_worker_is_refused() -> None:
    with pytest.raises(SystemExit, match="2 web workers on SQLite"):
        Config.from_env({}).check(web_workers=2)
    Config.from_env({}).check(web_workers=1)
    Config.from_env({"DATABASE_URL": POSTGRES}).check(web_workers=8)


def test_retries_are_configured_by_the_environment() -> None:
    retry = Config.from_env({"CERTFLOW_RETRY_ATTEMPTS": "5", "CERTFLOW_RETRY_SECONDS": "30"}).settings.retry
    assert (retry.attempts, retry.first_delay.total_seconds()) == (5, 30)


def test_the_worker_command_checks_the_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTFLOW_ENV", "production")
    monkeypatch.delenv("CERTFLOW_SECRET_KEY", raising=False)
    result = CliRunner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 1
    assert "refusing to start" in result.output


@pytest.mark.slow
def test_gunicorn_with_two_workers_on_sqlite_refuses_to_start(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'certflow.db'}", "CERTFLOW_BIND": "127.0.0.1:0"}
    done = subprocess.run([sys.executable, "-m", "gunicorn", "server:app", "--workers", "2"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "refusing to start: 2 web workers on SQLite" in done.stderr
