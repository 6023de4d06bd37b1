"""Sending the outbox: the gateway chosen by the environment, each try recorded, retries, then an incident."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from certflow.engine.clock import FixedClock
from certflow.engine.models import Notification
from certflow.engine.runtime import Runtime
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

    assert tries(runtime) == [("failed", 3, "ConnectionError: gateway unreachable")] * 2
    incidents = runtime.incidents()
    assert [(i["case"], i["kind"], i["attempts"]) for i in incidents] == [(case.number, "notification", 3)] * 2
    assert runtime.case(case.number)["status"] == "running"  # the case goes on without its texts

    runtime.retry_incident(case.number, actor="admin")  # the texts are queued again, for the workers
    assert runtime.incidents() == []
    clock.advance(seconds=1)
    assert runtime.send_notifications(sender(LoggingGateway()), clock.now() + timedelta(seconds=1)) == (2, 0)
    assert [t["status"] for t in runtime.outbox(case.number)] == ["sent", "sent"]
    assert runtime.verify(case.number).ok
