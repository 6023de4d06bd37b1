"""Fixtures for driving Lushan cases through the engine."""

from __future__ import annotations

from typing import Any

import pytest
from lushan import CaseDriver, application

from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime


@pytest.fixture
def start(runtime: Runtime, clock: FixedClock):
    def start_case(process: str = "application_online", **changes: Any) -> CaseDriver:
        number = runtime.start_case(process, application(**changes), actor="applicant")
        return CaseDriver(runtime, clock, number)

    return start_case
