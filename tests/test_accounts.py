"""Signing in: a refusal takes as long for a name nobody has as for a real one, so that trying names
does not reveal who has an account."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from argon2 import Parameters, PasswordHasher, extract_parameters

from certflow.engine.runtime import Runtime
from certflow.people.accounts import TOKEN_CACHE_SECONDS, Accounts
from certflow.people.throttle import Throttle

PASSWORD = "correct-horse-1"


class CountingHasher(PasswordHasher):
    """argon2 at a test's cost, noting the parameters of every hash it verifies against."""

    def __init__(self, **cost: int) -> None:
        super().__init__(**cost)
        self.verified: list[Parameters] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002 (argon2's own name)
        self.verified.append(extract_parameters(hash if isinstance(hash, str) else hash.decode()))
        return super().verify(hash, password)


def people(runtime: Runtime, hasher: PasswordHasher) -> Accounts:
    # No sign-in limit here: these tests fail on purpose more often than it allows.
    unlimited = Throttle("login_failed", attempts=1000, window=timedelta(minutes=15), by="username")
    accounts = Accounts(runtime.sessions, runtime.clock, limit=unlimited, hasher=hasher)
    accounts.create("window", PASSWORD, display_name="窗口", roles=["window_clerk"], groups=["window"])
    stopped = accounts.create("stopped", PASSWORD, display_name="停用", roles=["window_clerk"], groups=["window"])
    accounts.update(stopped.id, display_name="停用", roles=["window_clerk"], groups=["window"], active=False)
    return accounts


def test_every_refusal_verifies_one_hash_of_the_same_cost(runtime: Runtime) -> None:
    hasher = CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    accounts = people(runtime, hasher)
    cost = extract_parameters(hasher.hash(PASSWORD))
    for username, password in [("window", "wrong-password"), ("nobody", "wrong-password"), ("stopped", PASSWORD),
                               ("nobody", PASSWORD)]:
        hasher.verified.clear()
        assert accounts.authenticate(username, password) is None
        assert hasher.verified == [cost], username
    assert accounts.authenticate("window", PASSWORD) is not None


def test_an_unknown_name_takes_as_long_as_a_wrong_password(runtime: Runtime) -> None:
    hasher = PasswordHasher(time_cost=2, memory_cost=32 * 1024, parallelism=1)  # tens of milliseconds a try
    accounts = people(runtime, hasher)

    def median_time(username: str) -> float:
        times = []
        for _ in range(5):
            started = time.perf_counter()
            assert accounts.authenticate(username, "wrong-password") is None
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    accounts.authenticate("someone", "warm-up")
    known, unknown = median_time("window"), median_time("nobody")
    assert unknown > known / 2, (known, unknown)


def test_another_process_keeps_a_revoked_token_no_longer_than_its_cache_window(runtime: Runtime) -> None:
    """Revoking drops the token from the cache of the process that revoked it; another process (another worker,
    the command line revoking) accepts it for at most ``TOKEN_CACHE_SECONDS`` more, as docs/web.md says."""
    accounts = people(runtime, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    seconds = [0.0]
    worker = Accounts(runtime.sessions, runtime.clock, token_timer=lambda: seconds[0])
    window = accounts.by_username("window")
    assert window is not None
    token = accounts.issue_token(window.id, "终端")
    assert worker.by_token(token) == accounts.by_token(token) == window

    accounts.revoke_token(window.id, accounts.tokens(window.id)[-1].id)
    assert accounts.by_token(token) is None
    assert worker.by_token(token) == window  # the window other processes have
    seconds[0] += TOKEN_CACHE_SECONDS
    assert worker.by_token(token) is None
    seconds[0] += 3600
    assert worker.by_token(token) is None  # and it does not come back


def test_a_stopped_person_s_token_stops_at_once_in_the_process_that_stopped_them(runtime: Runtime) -> None:
    accounts = people(runtime, PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    window = accounts.by_username("window")
    assert window is not None
    token = accounts.issue_token(window.id, "终端")
    assert accounts.by_token(token) == window
    accounts.update(window.id, display_name="窗口", roles=["window_clerk"], groups=["window"], active=False)
    assert accounts.by_token(token) is None
