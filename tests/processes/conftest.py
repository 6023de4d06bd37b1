"""After every path of every process: replaying each case's history reaches, step by step, the state recorded live."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _every_case_replays(every_case_replays: None) -> None:
    """See ``every_case_replays`` in tests/conftest.py."""
