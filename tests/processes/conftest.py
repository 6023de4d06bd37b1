"""After every path of every process: replaying each case's history reaches, step by step, the state recorded live."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from certflow.engine.runtime import Runtime


@pytest.fixture(autouse=True)
def every_case_replays(runtime: Runtime) -> Iterator[None]:
    yield
    numbers = runtime.case_numbers()
    assert numbers, "the test started no case"
    for number in numbers:
        verification = runtime.verify(number)
        assert verification.ok, str(verification)
        assert verification.steps >= 1
