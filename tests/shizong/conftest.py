"""Shizong's exchange for the third-generation card, on the deployed processes, at the time of the plan (March 2022).

After every test, every case it started is verified by replaying its history.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from exchange import ExchangeDriver, holder

from certflow.engine.clock import FixedClock
from certflow.engine.runtime import Runtime


@pytest.fixture
def clock() -> FixedClock:
    """Wednesday 16 March 2022, 09:00: the township federations collect the pre-made cards."""
    return FixedClock(datetime.fromisoformat("2022-03-16T09:00:00+08:00"))


@pytest.fixture(autouse=True)
def _every_case_replays(every_case_replays: None) -> None:
    """See ``every_case_replays`` in tests/conftest.py."""


@pytest.fixture
def start_holder(runtime: Runtime, clock: FixedClock) -> Callable[..., ExchangeDriver]:
    """``start_holder(**row changes)``: the case of one holder, started as the roster import starts it."""
    def start(**changes: Any) -> ExchangeDriver:
        number = runtime.start_case("card_exchange", holder(**changes), actor="campaign-import")
        return ExchangeDriver(runtime, clock, number)

    return start
