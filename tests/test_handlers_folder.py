"""The deployment's handlers are a folder certflow loads from CERTFLOW_HANDLERS, never a package it imports."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from lushan import application

from certflow.bootstrap import build_services
from certflow.cli import main
from certflow.config import Config
from certflow.engine.db import upgrade
from certflow.engine.specs import read_paths
from certflow.registry import PRIVATE_PREFIX
from certflow.web import create_app

ROOT = Path(__file__).resolve().parent.parent
RECORDS = "就诊病历材料"
RENAMED = "门诊或住院病历"


def a_copy_elsewhere(tmp_path: Path) -> Path:
    """The checkout's handlers copied to another folder, with one material renamed so that the copy shows."""
    copy = tmp_path / "deployment" / "handlers"
    shutil.copytree(ROOT / "handlers", copy, ignore=shutil.ignore_patterns("__pycache__"))
    materials = copy / "materials.py"
    source = materials.read_text(encoding="utf-8")
    assert source.count(f'"{RECORDS}"') == 1
    materials.write_text(source.replace(f'"{RECORDS}"', f'"{RENAMED}"'), encoding="utf-8")
    return copy


def test_the_app_runs_the_handlers_of_the_folder_it_is_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = a_copy_elsewhere(tmp_path)
    monkeypatch.chdir(tmp_path)  # no handlers/ in the working directory: only the setting finds them
    env = {"CERTFLOW_HANDLERS": str(copy), "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    config = replace(Config.from_env(env), upload_dir=tmp_path / "uploads")
    services = build_services(config)
    upgrade(services.runtime.sessions.kw["bind"])
    services.runtime.deploy(read_paths([ROOT / "processes", ROOT / "forms"]), author="tests")

    page = create_app(config).test_client().get("/apply")
    assert page.status_code == 200
    assert RENAMED in page.get_data(as_text=True) and RECORDS not in page.get_data(as_text=True)

    number = services.runtime.start_case("application_online", application(category="精神"), actor="applicant")
    assert RENAMED in services.runtime.case(number)["data"]["materials_result"]["missing_text"]
    # Loaded under a name of its own, so that no top-level ``handlers`` package is needed or shadowed.
    assert services.registry.materials.required.__module__.startswith(PRIVATE_PREFIX)


def test_a_missing_handlers_folder_stops_the_start_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    env = {"CERTFLOW_HANDLERS": str(missing), "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}"}
    result = CliRunner().invoke(main, ["init-db"], env=env)
    assert result.exit_code == 1
    assert f"无法启动：处理程序文件夹 {missing} 不存在" in result.output
    with pytest.raises(SystemExit, match=re.escape(f"处理程序文件夹 {missing} 不存在")):
        create_app(Config.from_env(env))


def test_a_broken_handlers_folder_stops_the_start_with_the_error(tmp_path: Path) -> None:
    copy = a_copy_elsewhere(tmp_path)
    (copy / "fees.py").write_text("def charges(:\n", encoding="utf-8")
    with pytest.raises(SystemExit, match=re.escape(f"处理程序文件夹 {copy} 无法加载：SyntaxError")):
        build_services(Config.from_env({"CERTFLOW_HANDLERS": str(copy)}))
