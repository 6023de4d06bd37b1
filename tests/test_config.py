"""The configuration is checked at start: an unsafe or unworkable set-up is refused with the reason."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from certflow.cli import main
from certflow.config import Config
from certflow.engine import history

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql+psycopg://certflow@db.example/certflow"


HISTORY_KEY = f"k1:{secrets.token_hex(32)}"
DATA_KEY = f"d1:{secrets.token_hex(32)}"


def test_production_with_the_demo_secret_key_is_refused() -> None:
    with pytest.raises(SystemExit, match="CERTFLOW_SECRET_KEY 是公开的演示密钥"):
        Config.from_env({"CERTFLOW_ENV": "production", "CERTFLOW_HISTORY_KEYS": HISTORY_KEY}).check()
    Config.from_env({"CERTFLOW_ENV": "production", "CERTFLOW_SECRET_KEY": secrets.token_hex(32),
                     "CERTFLOW_HISTORY_KEYS": HISTORY_KEY, "CERTFLOW_DATA_KEYS": DATA_KEY}).check()
    Config.from_env({"CERTFLOW_ENV": "production", "CERTFLOW_SECRET_KEY": secrets.token_urlsafe(32),
                     "CERTFLOW_HISTORY_KEYS": HISTORY_KEY, "CERTFLOW_DATA_KEYS": DATA_KEY}).check()
    Config.from_env({}).check()  # development may use it


@pytest.mark.parametrize(("key", "reason"), [
    (secrets.token_hex(8), "太短（16 个字符，至少 32 个）"),
    ("x" * 64, "太容易猜到"),
    ("abcdefghijklmnopqrstuvwxyz0123456789", "太容易猜到"),
    ("changeme" * 8, "太容易猜到"),
    ("certflow-production-secret-key-2026", "太容易猜到"),
], ids=["short", "one-character", "sequence", "repeated-word", "words-and-a-year"])
def test_production_refuses_a_weak_secret_key(key: str, reason: str) -> None:
    """Whoever guesses the key signs their own cookie and is signed in as anyone."""
    with pytest.raises(SystemExit, match=reason):
        Config.from_env({"CERTFLOW_ENV": "production", "CERTFLOW_SECRET_KEY": key}).check()
    Config.from_env({"CERTFLOW_SECRET_KEY": key}).check()  # a developer's machine may use it


@pytest.mark.parametrize("value", ["prod", "Production", "staging", "test"])
def test_an_unknown_environment_is_refused(value: str) -> None:
    """A misspelt production would otherwise start with development's settings: no secure cookies, no HSTS."""
    with pytest.raises(SystemExit, match=f"CERTFLOW_ENV 的值 '{value}' 无效，只能是 development"):
        Config.from_env({"CERTFLOW_ENV": value})
    assert Config.from_env({"CERTFLOW_ENV": "production"}).env == "production"


@pytest.mark.parametrize(("name", "value"), [("CERTFLOW_SESSION_HOURS", "8h"), ("CERTFLOW_SESSION_IDLE_MINUTES", "0"),
                                             ("CERTFLOW_SESSION_IDLE_MINUTES", "-5"), ("CERTFLOW_PROXIES", "one"),
                                             ("CERTFLOW_APPLY_PER_ADDRESS", "0"), ("CERTFLOW_APPLY_MB_TOTAL", "2G"),
                                             ("CERTFLOW_WORKFLOW_CACHE_SIZE", "-1")])
def test_a_count_that_is_not_one_is_refused_with_its_name(name: str, value: str) -> None:
    with pytest.raises(SystemExit, match=f"{name} 应为不小于 [01] 的整数，现为 '{value}'"):
        Config.from_env({name: value})


def test_production_without_a_history_key_of_its_own_is_refused() -> None:
    production = {"CERTFLOW_ENV": "production", "CERTFLOW_SECRET_KEY": secrets.token_hex(32)}
    with pytest.raises(SystemExit, match="不能使用公开的演示历史签名密钥"):
        Config.from_env(production).check()
    demo_kept = f"{HISTORY_KEY} demo:{history.DEMO_KEY.hex()}"  # even as an old key: anyone can sign with it
    with pytest.raises(SystemExit, match="不能使用公开的演示历史签名密钥"):
        Config.from_env({**production, "CERTFLOW_HISTORY_KEYS": demo_kept}).check()
    assert Config.from_env({}).settings.history_keys == history.DEMO_KEYS  # development signs with the demo key


def test_production_refuses_a_history_key_typed_by_hand() -> None:
    production = {"CERTFLOW_ENV": "production", "CERTFLOW_SECRET_KEY": secrets.token_hex(32)}
    with pytest.raises(SystemExit, match="历史签名密钥 k0 太有规律"):
        Config.from_env({**production, "CERTFLOW_HISTORY_KEYS": f"{HISTORY_KEY} k0:{'ab' * 32}"}).check()
    Config.from_env({"CERTFLOW_HISTORY_KEYS": f"k0:{'ab' * 32}"}).check()  # a developer's machine may use it


def test_history_keys_come_from_a_file_or_the_environment_newest_first(tmp_path: Path) -> None:
    keys = tmp_path / "history-keys"
    keys.write_text(f"# rotated 2026-12\nk2:{'cd' * 32}\n{HISTORY_KEY}\n", encoding="utf-8")
    ring = Config.from_env({"CERTFLOW_HISTORY_KEY_FILE": str(keys)}).settings.history_keys
    assert (ring.current, list(ring.keys)) == ("k2", ["k2", "k1"]) and ring.keys["k1"].hex() == HISTORY_KEY[3:]
    ring = Config.from_env({"CERTFLOW_HISTORY_KEYS": f"{HISTORY_KEY},k2:{'cd' * 32}"}).settings.history_keys
    assert ring.current == "k1" and ring.keys["k2"] == bytes.fromhex("cd" * 32)


@pytest.mark.parametrize(("value", "reason"), [
    ("k1:" + "ab" * 16, "太短"),
    ("k1:not-hex", "格式不对"),
    (f"{HISTORY_KEY} {HISTORY_KEY}", "出现了两次"),
    (" , ", "没有配置任何"),
])
def test_a_wrong_history_key_list_is_refused_with_the_reason(value: str, reason: str) -> None:
    with pytest.raises(SystemExit, match=reason) as refused:
        Config.from_env({"CERTFLOW_HISTORY_KEYS": value})
    assert "ab" * 16 not in str(refused.value)  # no key material in the message
    with pytest.raises(SystemExit, match="无法读取历史签名密钥文件"):
        Config.from_env({"CERTFLOW_HISTORY_KEY_FILE": "/nonexistent/keys"})


def test_history_key_makes_and_rotates_keys(tmp_path: Path) -> None:
    keys = tmp_path / "history-keys"
    printed = CliRunner().invoke(main, ["history-key"])
    made = history.parse_keys(printed.output)
    assert printed.exit_code == 0 and made.current.startswith("k") and not made.made_by_hand
    keys.write_text(HISTORY_KEY + "\n", encoding="utf-8")
    rotated = CliRunner().invoke(main, ["history-key", "--file", str(keys)])
    assert rotated.exit_code == 0, rotated.output
    assert "共 2 个" in rotated.output
    ring = history.parse_keys(keys.read_text(encoding="utf-8"))
    assert ring.current != "k1" and list(ring.keys)[1] == "k1"  # the new one signs, the old one still checks
    assert keys.stat().st_mode & 0o077 == 0


def test_sqlite_with_more_than_one_web_worker_is_refused() -> None:
    with pytest.raises(SystemExit, match="SQLite 数据库上开了 2 个网页进程"):
        Config.from_env({}).check(web_workers=2)
    Config.from_env({}).check(web_workers=1)
    Config.from_env({"DATABASE_URL": POSTGRES}).check(web_workers=8)


def test_retries_are_configured_by_the_environment() -> None:
    retry = Config.from_env({"CERTFLOW_RETRY_ATTEMPTS": "5", "CERTFLOW_RETRY_SECONDS": "30"}).settings.retry
    assert (retry.attempts, retry.first_delay.total_seconds()) == (5, 30)


def test_the_workflows_kept_in_memory_are_configured_by_the_environment() -> None:
    assert Config.from_env({}).settings.workflow_cache_size == 16
    assert Config.from_env({"CERTFLOW_WORKFLOW_CACHE_SIZE": "0"}).settings.workflow_cache_size == 0


def test_budgets_are_configured_by_the_environment() -> None:
    limits = Config.from_env({"CERTFLOW_SCRIPT_CPU_SECONDS": "0.5", "CERTFLOW_STEP_SECONDS": "20",
                              "CERTFLOW_MAX_CARDINALITY": "200"}).settings.limits
    assert (limits.script_cpu_seconds, limits.step_seconds, limits.max_cardinality) == (0.5, 20, 200)
    assert (limits.step_cpu_seconds, limits.memory_mb) == (5, 256)  # the defaults, in the order of seconds


@pytest.mark.parametrize(("name", "value", "reason"), [
    ("CERTFLOW_MAX_CARDINALITY", "1.5", "CERTFLOW_MAX_CARDINALITY 应为不小于 1 的整数，现为 '1.5'"),
    ("CERTFLOW_STEP_MEMORY_MB", "0", "CERTFLOW_STEP_MEMORY_MB 应为不小于 1 的整数，现为 '0'"),
    ("CERTFLOW_SCRIPT_CPU_SECONDS", "abc", "CERTFLOW_SCRIPT_CPU_SECONDS 应为大于 0 的秒数，现为 'abc'"),
    ("CERTFLOW_STEP_SECONDS", "-1", "CERTFLOW_STEP_SECONDS 应为大于 0 的秒数，现为 '-1'"),
    ("CERTFLOW_STEP_CPU_SECONDS", "nan", "CERTFLOW_STEP_CPU_SECONDS 应为大于 0 的秒数，现为 'nan'"),
    ("CERTFLOW_STEP_SECONDS", "inf", "CERTFLOW_STEP_SECONDS 应为大于 0 的秒数，现为 'inf'"),
])
def test_a_budget_that_is_not_a_positive_number_is_refused(name: str, value: str, reason: str) -> None:
    with pytest.raises(SystemExit, match=f"^无法启动：{reason}$"):
        Config.from_env({name: value})


def test_the_worker_command_checks_the_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CERTFLOW_ENV", "production")
    monkeypatch.delenv("CERTFLOW_SECRET_KEY", raising=False)
    result = CliRunner().invoke(main, ["worker", "--once"])
    assert result.exit_code == 1
    assert "无法启动" in result.output


@pytest.mark.slow
def test_gunicorn_with_two_workers_on_sqlite_refuses_to_start(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'certflow.db'}", "CERTFLOW_BIND": "127.0.0.1:0"}
    done = subprocess.run([sys.executable, "-m", "gunicorn", "server:app", "--workers", "2"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "无法启动：SQLite 数据库上开了 2 个网页进程" in done.stderr


def test_the_jurisdiction_is_a_list_of_address_codes() -> None:
    assert Config.from_env({}).settings.jurisdiction == ("360483", "360427")  # 庐山市 and the former 星子县
    both = Config.from_env({"CERTFLOW_JURISDICTION": "360483, 360427"}).settings.jurisdiction
    assert both == ("360483", "360427")
    assert Config.from_env({"CERTFLOW_JURISDICTION": "530323"}).settings.jurisdiction == ("530323",)
    for wrong in ("3604", "360483;360427", "庐山市", ","):
        with pytest.raises(SystemExit, match="无法启动：CERTFLOW_JURISDICTION 应为6位行政区划代码"):
            Config.from_env({"CERTFLOW_JURISDICTION": wrong})


def test_the_online_application_limits_come_from_the_environment() -> None:
    limits = Config.from_env({"CERTFLOW_APPLY_PER_ADDRESS": "3", "CERTFLOW_APPLY_MB_PER_ADDRESS": "50",
                              "CERTFLOW_APPLY_MB_TOTAL": "500", "CERTFLOW_APPLY_WINDOW_MINUTES": "30"}).applications
    assert (limits.attempts, limits.bytes_per_key, limits.bytes_total, limits.minutes) == (
        3, 50 * 1024 * 1024, 500 * 1024 * 1024, 30)


@pytest.mark.parametrize(("content", "says"), [
    (None, "找不到这个文件"),
    ('{"holidays": ["2026-10-01",]}', "不是有效的 JSON：第 1 行第 28 列有误"),
    ('{"holidays": ["十月一日"]}', "内容的写法不对"),
], ids=["missing", "not JSON", "not a date"])
def test_a_calendar_file_that_cannot_be_read_is_refused_in_chinese(tmp_path: Path, content: str | None,
                                                                   says: str) -> None:
    path = tmp_path / "calendar.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SystemExit, match=f"^CERTFLOW_CALENDAR 所指的日历文件 {path} 有误：{says}"):
        Config.from_env({"CERTFLOW_CALENDAR": str(path)})
