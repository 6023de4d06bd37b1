"""The background worker (``certflow worker``): due timers, queued messages, the outbox, over and over; and, every
few minutes, the files picked on the online form whose application was never sent, once they are too old.

Each piece of work is one transaction claimed with FOR UPDATE SKIP LOCKED, so any number of workers
share the work on PostgreSQL. SIGTERM or SIGINT asks the worker to stop: it finishes its round (or, killed
outright, its transaction is rolled back and another worker takes the piece) and exits.

On PostgreSQL the worker LISTENs (``Listener``) and starts a round as soon as a step that gives it work commits
(certflow.engine.wakeup); it still looks every ``interval`` seconds, and when the next timer comes due, so a
lost connection or a notification missed while reconnecting only delays work. On SQLite it polls.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from certflow.engine.runtime import Runtime
from certflow.engine.views import OutboxText
from certflow.engine.wakeup import CHANNEL

log = logging.getLogger("certflow.worker")

BATCH = 10  # pieces of each kind per round; the stop flag is read between rounds
LATE = 0.05  # seconds after a timer's moment to look: SpiffWorkflow fires a timer once its moment has passed
RECONNECT_SECONDS = 5.0
LISTEN_CHECK_SECONDS = 1.0  # how often the listener looks whether the worker is stopping
# Old upload drafts are looked for this often, not every round: a few seconds more of keeping them changes nothing.
DRAFTS_EVERY = timedelta(minutes=10)
DRAFTS_BATCH = 100


class Worker:
    def __init__(self, runtime: Runtime, send: Callable[[OutboxText], None], interval: float = 5.0,
                 listen_url: str | None = None) -> None:
        """``listen_url``: a PostgreSQL database to LISTEN on for work (the one ``runtime`` works on, reached
        without a transaction pooler); None to poll only."""
        self.runtime = runtime
        self.send = send
        self.interval = interval
        self.stopping = threading.Event()
        self.wake = threading.Event()  # set by a notification or by ``stop``: end the wait between rounds
        self.listener = Listener(listen_url, self.wake, self.stopping) if listen_url else None
        self.drafts_due: datetime | None = None  # when to look for old upload drafts again; None: in this round

    def run_once(self) -> int:
        """One round: up to a batch of each kind of due work; how many pieces were done or tried."""
        fired = self.runtime.tick(limit=BATCH)
        delivered = self.runtime.run_jobs(limit=BATCH)
        sent, failed = self.runtime.send_notifications(self.send, limit=BATCH)
        removed = self.remove_old_drafts()
        if fired or delivered or sent or failed or removed:
            # Counts only: the files' names may name the applicant.
            log.info("round", extra={"fields": {"timers": fired, "messages": delivered, "sent": sent,
                                                "not_sent": failed, "drafts_removed": removed}})
        return len(fired) + len(delivered) + sent + failed + removed

    def remove_old_drafts(self) -> int:
        """Files picked and never sent, past ``Settings.upload_draft_hours``: removed every ``DRAFTS_EVERY``, or
        again in the next round while a whole batch was found."""
        now = self.runtime.clock.now()
        if self.drafts_due is not None and now < self.drafts_due:
            return 0
        self.drafts_due = now + DRAFTS_EVERY
        try:
            removed = self.runtime.remove_old_drafts(limit=DRAFTS_BATCH)
        except Exception:  # the file storage away, say: the round's other work stands, this waits its next turn
            log.exception("removing old upload drafts failed")
            return 0
        if removed == DRAFTS_BATCH:
            self.drafts_due = None
        return removed

    def run(self) -> None:
        """``serve`` until SIGTERM or SIGINT."""
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        self.serve()

    def serve(self) -> None:
        """Rounds until ``stop``; after a round that found nothing to do, waits for a notification, the next due
        timer or ``interval`` seconds, whichever comes first."""
        log.info("worker started", extra={"fields": {"interval": self.interval, "listen": self.listener is not None}})
        if self.listener:
            self.listener.start()
        while not self.stopping.is_set():
            self.wake.clear()  # before the round: a notification during it brings the next round at once
            try:
                pause = 0.0 if self.run_once() else self.pause()
            except Exception:  # the database away, say: log it, wait, try again rather than die
                log.exception("round failed")
                pause = self.interval
            if pause:
                self.wake.wait(pause)
        if self.listener:
            self.listener.join()
        log.info("worker stopped")

    def pause(self) -> float:
        """Seconds to wait for the next round: ``interval``, or less when a timer or a retry comes due sooner."""
        due = self.runtime.next_work_at()
        if due is None:
            return self.interval
        until = (due - self.runtime.clock.now()).total_seconds()
        # Work already due that the round left (a case that cannot fire yet) waits the interval, not a busy loop.
        return min(self.interval, until + LATE) if until > 0 else self.interval

    def stop(self) -> None:
        """Finish the round under way and return from ``serve``."""
        self.stopping.set()
        self.wake.set()

    def _stop(self, signum: int, _frame: Any) -> None:
        log.info("stopping", extra={"fields": {"signal": signal.Signals(signum).name}})
        self.stop()


class Listener(threading.Thread):
    """LISTEN on a connection of its own and set ``wake`` at each notification, until ``stopping``.

    LISTEN belongs to a database session, so the connection must reach PostgreSQL itself: through PgBouncer's
    transaction pooling the session would be handed to others and the notifications lost. After a failure it
    connects again every ``RECONNECT_SECONDS``; meanwhile the worker polls.
    """

    def __init__(self, url: str, wake: threading.Event, stopping: threading.Event) -> None:
        super().__init__(name="certflow-listen", daemon=True)
        # SQLAlchemy's URL (postgresql+psycopg://) as libpq's: the driver's name out
        self.conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.wake = wake
        self.stopping = stopping
        self.listening = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._listen()
            except psycopg.Error as error:
                log.warning("listen lost", extra={"fields": {"error": f"{type(error).__name__}: {error}",
                                                             "retry_seconds": RECONNECT_SECONDS}})
            self.listening.clear()
            self.stopping.wait(RECONNECT_SECONDS)

    def _listen(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            self.listening.set()
            self.wake.set()  # what was queued while nobody listened
            while not self.stopping.is_set():
                for _ in connection.notifies(timeout=LISTEN_CHECK_SECONDS):
                    self.wake.set()
