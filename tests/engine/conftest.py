"""A runtime over the small smoke process in ``content/`` (SQLite, and PostgreSQL when given).

smoke: start (form smoke_start.json) -> script "问候" -> user task "审批" (lane 残联综合窗口, due in
2 working days, non-interrupting timer at the deadline calling the ``echo`` operator) -> wait for
message ``poke`` -> end.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from enginekit import START, build_runtime, deploy_smoke

from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime


@pytest.fixture
def clock() -> FixedClock:
    """Wednesday 2026-09-30 09:00 China time, the eve of the National Day holidays."""
    return FixedClock(START)


@pytest.fixture
def fresh_rt(migrated_url: str, clock: FixedClock) -> Iterator[Runtime]:
    """A runtime on an empty, migrated database: nothing deployed."""
    runtime = build_runtime(migrated_url, clock)
    yield runtime
    runtime.sessions.kw["bind"].dispose()


@pytest.fixture
def rt(fresh_rt: Runtime) -> Runtime:
    """The runtime with the smoke process deployed (version 1)."""
    deploy_smoke(fresh_rt)
    return fresh_rt
