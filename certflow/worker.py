"""The background worker (``certflow worker``): due timers, queued messages, the outbox, over and over.

Each piece of work is one transaction claimed with FOR UPDATE SKIP LOCKED, so any number of workers
share the work on PostgreSQL. SIGTERM or SIGINT asks the worker to stop: it finishes its round (or, killed
outright, its transaction is rolled back and another worker takes the piece) and exits.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Any

from certflow.engine.runtime import Runtime
from certflow.engine.views import OutboxText

log = logging.getLogger("certflow.worker")

BATCH = 10  # pieces of each kind per round; the stop flag is read between rounds


class Worker:
    def __init__(self, runtime: Runtime, send: Callable[[OutboxText], None], interval: float = 5.0) -> None:
        self.runtime = runtime
        self.send = send
        self.interval = interval
        self.stopping = threading.Event()

    def run_once(self) -> int:
        """One round: up to a batch of each kind of due work; how many pieces were done or tried."""
        fired = self.runtime.tick(limit=BATCH)
        delivered = self.runtime.run_jobs(limit=BATCH)
        sent, failed = self.runtime.send_notifications(self.send, limit=BATCH)
        if fired or delivered or sent or failed:
            log.info("round", extra={"fields": {"timers": fired, "messages": delivered, "sent": sent,
                                                "not_sent": failed}})
        return len(fired) + len(delivered) + sent + failed

    def run(self) -> None:
        """Rounds until asked to stop; waits ``interval`` seconds when a round found nothing to do."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        log.info("worker started", extra={"fields": {"interval": self.interval}})
        while not self.stopping.is_set():
            try:
                busy = self.run_once()
            except Exception:  # the database away, say: log it, wait, try again rather than die
                log.exception("round failed")
                busy = 0
            if not busy:
                self.stopping.wait(self.interval)
        log.info("worker stopped")

    def _stop(self, signum: int, _frame: Any) -> None:
        log.info("stopping", extra={"fields": {"signal": signal.Signals(signum).name}})
        self.stopping.set()
