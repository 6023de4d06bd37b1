"""The house's rules, read from the sources: which part of certflow may import which, who may use Flask,
that nothing imports the deployment's handlers, and that no module grows too long to live in.

docs/layout.md draws the same map in words; a change to one is a change to the other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "certflow"
LONGEST = 600  # lines: past it, a module holds more than one concern
WEB_FRAMEWORKS = ("flask", "flask_login", "flask_wtf", "werkzeug")

# What each part of certflow may import of certflow besides itself; the arrows run down only.
MAY_IMPORT: dict[str, set[str]] = {
    "engine": set(),
    "logs": set(),
    "divisions": set(),
    "notify": {"engine"},
    "people": {"engine", "divisions"},
    "registry": {"engine"},
    "worker": {"engine"},
    "config": {"engine", "people"},
    "casework": {"engine", "people"},
    "modeling": {"engine", "people"},
    "campaign": {"engine", "people", "casework"},
    "schema": {"engine", "people", "modeling", "campaign"},
    "bootstrap": {"engine", "people", "config", "registry"},
    "demo": {"engine", "people", "campaign", "registry"},
    "backup": {"engine", "schema"},
    "personal": {"engine", "people", "campaign", "bootstrap"},
    "web": {"engine", "people", "casework", "modeling", "campaign", "config", "registry", "bootstrap", "logs",
            "divisions", "personal"},
    "cli": {"engine", "people", "campaign", "config", "bootstrap", "demo", "worker", "logs", "notify", "backup",
            "personal"},
}


def imported_modules(path: Path) -> set[str]:
    """The absolute module names a source file imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "certflow")
    return found


def sources(folder: Path) -> list[Path]:
    found = sorted(path for path in folder.rglob("*.py") if "migrations" not in path.parts)
    assert found
    return found


def part_of(path: Path) -> str:
    """certflow/engine/steps.py -> engine; certflow/logs.py -> logs."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def test_every_part_of_certflow_is_on_the_map() -> None:
    parts = {part_of(path) for path in sources(PACKAGE)} - {"__init__"}
    assert parts == set(MAY_IMPORT)


def test_imports_run_down_the_map_only() -> None:
    wrong = {}
    for path in sources(PACKAGE):
        part = part_of(path)
        allowed = MAY_IMPORT.get(part, set()) | {part}
        reached = {name.split(".")[1] for name in imported_modules(path) if name.startswith("certflow.")}
        if reached - allowed:
            wrong[str(path.relative_to(ROOT))] = sorted(reached - allowed)
    assert wrong == {}


def test_only_the_web_app_knows_of_flask() -> None:
    knowing = {str(path.relative_to(ROOT)) for path in sources(PACKAGE) if part_of(path) != "web"
               and any(name.split(".")[0] in WEB_FRAMEWORKS for name in imported_modules(path))}
    assert knowing == set()


@pytest.mark.parametrize("folder", ["certflow", "bench"])
def test_nothing_in_the_runtime_or_the_benchmarks_imports_the_handlers(folder: str) -> None:
    offending = {str(path.relative_to(ROOT)): sorted(name for name in imported_modules(path)
                                                     if name == "handlers" or name.startswith("handlers."))
                 for path in sources(ROOT / folder)}
    assert {path: names for path, names in offending.items() if names} == {}


def test_no_module_is_longer_than_a_person_can_hold() -> None:
    long = {str(path.relative_to(ROOT)): n for path in sources(PACKAGE)
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST}
    assert long == {}


def test_the_runtime_is_a_facade() -> None:
    assert len((PACKAGE / "engine" / "runtime.py").read_text(encoding="utf-8").splitlines()) < 300
