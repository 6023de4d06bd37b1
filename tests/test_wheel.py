"""The package installs: a wheel carries the pages, their scripts and styles, bpmn-js and the migrations, and serves
them from a virtualenv outside the checkout, started in a folder that is not the checkout either."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "certflow" / "web" / "templates"
VENDOR = ROOT / "certflow" / "web" / "vendor" / "bpmn-js"
NODE_BPMN_JS = ROOT / "node_modules" / "bpmn-js"


def bpmn_js_files_the_pages_load() -> set[str]:
    found: set[str] = set()
    for template in TEMPLATES.rglob("*.html"):
        found |= set(re.findall(r"url_for\('bpmn_js', name='([^']+)'\)", template.read_text(encoding="utf-8")))
    return found


def test_the_package_holds_the_bpmn_js_files_the_pages_load_and_no_others() -> None:
    loaded = bpmn_js_files_the_pages_load()
    assert "bpmn-modeler.production.min.js" in loaded  # the pattern still finds what the templates name
    shipped = {path.relative_to(VENDOR).as_posix() for path in VENDOR.rglob("*") if path.is_file()}
    assert shipped == loaded | {"LICENSE"}


def test_the_copy_of_bpmn_js_is_the_locked_release() -> None:
    if not NODE_BPMN_JS.is_dir():
        pytest.skip("bpmn-js is not installed: run `npm ci` (make install does)")
    for name in bpmn_js_files_the_pages_load():
        assert (VENDOR / name).read_bytes() == (NODE_BPMN_JS / "dist" / name).read_bytes(), (
            f"{name} differs from package-lock.json's bpmn-js: run `make vendor`")
    assert (VENDOR / "LICENSE").read_bytes() == (NODE_BPMN_JS / "LICENSE").read_bytes()
