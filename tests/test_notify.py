"""Sending the outbox: the gateway chosen by the environment, each try recorded, retries, then an incident."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from certflow.engine.background import SENDING_LEASE
from certflow.engine.clock import FixedClock
from certflow.engine.models import Notification
from certflow.engine.runtime import Runtime
from certflow.engine.views import OutboxText
from certflow.notify import LoggingGateway, load_gateway, sender


def tries(runtime: Runtime) -> list[tuple[str, int, str | None]]:
    """(status, attempts, last error) of each text in the outbox."""
    with runtime.sessions() as session:
        rows = session.scalars(select(Notification).order_by(Notification.id))
        return [(n.status, n.attempts, n.last_error) for n in rows]


class Refusing:
    """A gateway whose service is down."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> None:
        self.calls.append((to, text))
        raise ConnectionError("gateway unreachable")


def test_the_gateway_is_chosen_by_name() -> None:
    assert isinstance(load_gateway(None), LoggingGateway)
    assert isinstance(load_gateway("log"), LoggingGateway)
    assert isinstance(load_gateway("test_notify:Refusing"), Refusing)
    with pytest.raises(SystemExit, match="CERTFLOW_SMS_GATEWAY 的值 nowhere:Gateway 不是可以导入的类"):
        load_gateway("nowhere:Gateway")


def test_the_logging_gateway_sends_each_text_to_the_log(runtime: Runtime, start, caplog) -> None:  # type: ignore[no-untyped-def]
    case = start()
    with caplog.at_level(logging.INFO, logger="certflow.sms"):
        assert runtime.send_notifications(sender(LoggingGateway())) == (2, 0)
    # The applicant is texted the case's number, the window told of the case.
    assert [r.fields["to"] for r in caplog.records] == ["13800000001", "window"]
    assert all(case.number in r.fields["text"] for r in caplog.records)
    assert tries(runtime) == [("sent", 1, None)] * 2
    assert runtime.send_notifications(sender(LoggingGateway())) == (0, 0)


def test_a_text_that_cannot_be_sent_is_retried_then_becomes_an_incident(
    runtime: Runtime, start, clock: FixedClock,  # type: ignore[no-untyped-def]
) -> None:
    case = start()
    gateway = Refusing()
    tried: list[Any] = []
    for delay in (0, 60, 120):
        clock.advance(seconds=delay)
        tried.append(runtime.send_notifications(sender(gateway)))
        assert runtime.send_notifications(sender(gateway)) == (0, 0)  # not again before its time
    texts = runtime.outbox(case.number)
    assert tried == [(0, 2)] * 3
    assert gateway.calls == [("13800000001", texts[0]["text"]), ("window", texts[1]["text"])] * 3

    assert tries(runtime) == [("failed", 3, "连接失败：gateway unreachable")] * 2
    incidents = runtime.incidents()
    assert [(i["case"], i["kind"], i["attempts"]) for i in incidents] == [(case.number, "notification", 3)] * 2
    assert sorted(i["step"] for i in incidents) == ["发给残联综合窗口的短信", "发给申请人的短信"]
    assert runtime.case(case.number)["status"] == "running"  # the case goes on without its texts

    runtime.retry_incident(case.number, actor="admin")  # the texts are queued again, for the workers
    assert runtime.incidents() == []
    clock.advance(seconds=1)
    assert runtime.send_notifications(sender(LoggingGateway()), clock.now() + timedelta(seconds=1)) == (2, 0)
    assert [t["status"] for t in runtime.outbox(case.number)] == ["sent", "sent"]
    assert runtime.verify(case.number).ok


def test_no_lock_is_held_while_the_gateway_sends(runtime: Runtime, start) -> None:  # type: ignore[no-untyped-def]
    case = start()
    seen: list[str] = []

    def slow_gateway(note: OutboxText) -> None:
        # While the gateway is at it, a clerk comments on the same case and another worker looks at the text:
        # neither waits (on SQLite a write would wait for the database, on PostgreSQL NOWAIT would raise).
        runtime.add_comment(case.number, "网关还在发短信", actor="王")
        with runtime.sessions.begin() as session:
            query = select(Notification).where(Notification.id == note["id"]).with_for_update(nowait=True)
            seen.append(session.scalars(query).one().status)

    assert runtime.send_notifications(slow_gateway) == (2, 0)
    assert seen == ["sending", "sending"]  # claimed, and committed as such, before the gateway is called
    assert tries(runtime) == [("sent", 1, None)] * 2
    assert [e["kind"] for e in runtime.history(case.number)].count("comment_added") == 2


class Crash(BaseException):
    """The worker's process killed while the gateway has the text."""


def test_a_text_whose_worker_died_while_sending_is_sent_again_once_its_claim_runs_out(
    runtime: Runtime, start, clock: FixedClock,  # type: ignore[no-untyped-def]
) -> None:
    start()

    def dying(note: OutboxText) -> None:
        raise Crash

    with pytest.raises(Crash):
        runtime.send_notifications(dying, limit=1)
    assert tries(runtime) == [("sending", 1, None), ("queued", 0, None)]

    sent: list[int] = []
    gateway = lambda note: sent.append(note["id"])  # noqa: E731
    [claimed, other] = [t["id"] for t in runtime.outbox()]
    # Not again while another worker may still be sending it: only the other text goes.
    assert runtime.send_notifications(gateway, clock.now() + SENDING_LEASE - timedelta(seconds=1)) == (1, 0)
    assert sent == [other]
    assert runtime.send_notifications(gateway, clock.now() + SENDING_LEASE + timedelta(seconds=1)) == (1, 0)
    assert sent == [other, claimed]
    assert tries(runtime) == [("sent", 2, None), ("sent", 1, None)]  # the lost try counts as one


def test_a_late_answer_for_a_claim_that_ran_out_records_nothing(
    runtime: Runtime, start, clock: FixedClock,  # type: ignore[no-untyped-def]
) -> None:
    start()
    late = clock.now() + SENDING_LEASE + timedelta(seconds=1)
    answers: list[tuple[int, int]] = []

    def stalled_gateway(note: OutboxText) -> None:
        if not answers:  # the first text's gateway stalls past its claim, and another worker takes the text
            answers.append(runtime.send_notifications(lambda again: None, late))
        raise ConnectionError("gateway timed out")

    assert runtime.send_notifications(stalled_gateway, limit=1) == (0, 1)
    assert answers == [(2, 0)]
    # The other worker's try stands, not the stalled one's failure
    assert tries(runtime) == [("sent", 2, None), ("sent", 1, None)]
