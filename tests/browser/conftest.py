"""Headless Chromium (Debian's) driven by Playwright; skipped with the reason where it is missing."""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from browserkit import POLICY_VIOLATIONS, LiveServer, Screens
from werkzeug.serving import make_server

from certflow.bootstrap import Services, build_services
from certflow.config import Config
from certflow.demo.lushan import load_demo
from certflow.engine.db import upgrade
from certflow.engine.specs import read_paths
from certflow.people.accounts import Accounts
from certflow.web import create_app

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
BPMN_JS = ROOT / "node_modules" / "bpmn-js" / "dist"
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--lang=zh-CN",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need the playwright package")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def pages_keep_their_policy() -> Iterator[None]:
    """Every journey fails if a signed-in page did something the Content-Security-Policy blocks."""
    POLICY_VIOLATIONS.clear()
    yield
    assert POLICY_VIOLATIONS == []


@pytest.fixture(scope="session")
def bpmn_js() -> Path:
    if not (BPMN_JS / "bpmn-navigated-viewer.production.min.js").exists():
        pytest.skip("bpmn-js is not installed: run `npm ci` (make install does)")
    return BPMN_JS


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def screens(artifacts: Path, request: pytest.FixtureRequest) -> Screens:
    return Screens(artifacts, request.node.name)


def has_cjk_font() -> bool:
    return shutil.which("fc-list") is not None


FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _services(folder: Path) -> tuple[Config, Services, Accounts]:
    """certflow's services on the database and uploads in ``folder``."""
    config = replace(Config.from_env({}), database_url=f"sqlite:///{folder / 'certflow.db'}",
                     upload_dir=folder / "uploads")
    services = build_services(config)
    return config, services, Accounts(services.runtime.sessions, services.runtime.clock, hasher=FAST_HASHER)


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory: pytest.TempPathFactory, bpmn_js: Path) -> Path:
    """The schema migrated, the processes deployed and the demo loaded, once per test process: that costs seconds,
    a module's copy of it milliseconds."""
    folder = tmp_path_factory.mktemp("demo")
    _, services, accounts = _services(folder)
    runtime = services.runtime
    upgrade(runtime.sessions.kw["bind"])
    runtime.deploy(read_paths([ROOT / "processes", ROOT / "forms"]), author="tests")
    load_demo(services.sessions, runtime, accounts, services.registry.materials)
    runtime.sessions.kw["bind"].dispose()
    return folder


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, demo_folder: Path) -> Iterator[LiveServer]:
    """The demo served by a server of the module's own, on a copy of ``demo_folder`` that its tests may change."""
    workdir = tmp_path_factory.mktemp("live")
    with closing(sqlite3.connect(demo_folder / "certflow.db")) as source, \
            closing(sqlite3.connect(workdir / "certflow.db")) as copy:
        source.backup(copy)
    if (demo_folder / "uploads").is_dir():
        shutil.copytree(demo_folder / "uploads", workdir / "uploads")
    config, services, accounts = _services(workdir)
    runtime = services.runtime
    server = make_server("127.0.0.1", 0, create_app(config, runtime=runtime, accounts=accounts), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.port}", runtime, accounts)
    server.shutdown()
    runtime.sessions.kw["bind"].dispose()
