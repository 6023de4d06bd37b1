"""The deployment's handlers: what its registry offers the runtime and the pages, and loading it from its folder.

A deployment's handlers are its own code, kept beside its processes and forms (``handlers/`` in the
checkout), not a package installed with certflow. ``CERTFLOW_HANDLERS`` names the folder; its
``registry`` module holds ``REGISTRY``. The folder is imported under a private name made from its path,
so that it never clashes with a top-level package called ``handlers``, and its modules import each other
relatively. Nothing else in certflow imports the handlers: the runtime and the pages reach them only
through the ``Registry``.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from certflow.engine.services import Handlers

ENTRY = "registry"  # the folder's module that holds REGISTRY
PRIVATE_PREFIX = "certflow_handlers_"


@dataclass(frozen=True)
class Materials:
    """The application materials a deployment asks for: the pages list them and mark the required ones."""

    names: dict[str, str]  # material code -> its name, in the order the pages list them
    required: Callable[[str, list[str], bool], list[str]]  # (channel, parts, minor) -> the codes the case needs


@dataclass(frozen=True)
class Glossary:
    """Names for people of what a case keeps beside the forms' fields: the processes' variables and the handlers'
    results (JSON Schema properties: titles, choices' labels, an object's keys), what each operator does, and what
    each message brings."""

    fields: dict[str, Any] = field(default_factory=dict)
    operators: dict[str, str] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Registry:
    """Everything a deployment's handlers offer: the operators and helpers the processes call, the
    materials the application pages ask for, and the names of the data they keep."""

    handlers: Handlers
    materials: Materials
    glossary: Glossary = field(default_factory=Glossary)


def load(folder: Path) -> Registry:
    """The registry of the handlers in ``folder``; a folder missing or broken stops the start, naming it."""
    folder = folder.resolve()
    if not (folder / "__init__.py").is_file() or not (folder / f"{ENTRY}.py").is_file():
        raise SystemExit(f"无法启动：处理程序文件夹 {folder} 不存在，或缺少 __init__.py、{ENTRY}.py；"
                         "请把 CERTFLOW_HANDLERS 设为部署的 handlers 文件夹")
    try:
        entry = _import(folder)
    except Exception as error:  # the deployment's own code: whatever it raises, the start stops with it
        raise SystemExit(f"无法启动：处理程序文件夹 {folder} 无法加载：{type(error).__name__}: {error}") from error
    registry = getattr(entry, "REGISTRY", None)
    if not isinstance(registry, Registry):
        raise SystemExit(f"无法启动：处理程序文件夹 {folder} 的 {ENTRY}.py 没有定义 REGISTRY"
                         "（certflow.registry.Registry）")
    return registry


def _import(folder: Path) -> ModuleType:
    """The folder's entry module, imported once per process under a name of the folder's own."""
    package = PRIVATE_PREFIX + hashlib.sha256(str(folder).encode()).hexdigest()[:12]
    if package not in sys.modules:
        spec = importlib.util.spec_from_file_location(package, folder / "__init__.py",
                                                      submodule_search_locations=[str(folder)])
        assert spec is not None and spec.loader is not None  # a file location always gives both
        module = importlib.util.module_from_spec(spec)
        sys.modules[package] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[package]
            raise
    return importlib.import_module(f"{package}.{ENTRY}")
