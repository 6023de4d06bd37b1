"""Sending the outbox's texts: the SMS gateway is an adapter behind one small interface.

``CERTFLOW_SMS_GATEWAY`` names it: ``log`` (the default) writes each text to the log and sends nothing;
``package.module:Class`` is any class whose instances have ``send``; the class is made with no
arguments and reads its own settings from the environment. The workers call ``Runtime.send_notifications``
with the gateway; retries, attempts and incidents are the runtime's.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Protocol

from certflow.engine.views import OutboxText

log = logging.getLogger("certflow.sms")


class SmsGateway(Protocol):
    def send(self, to: str, text: str) -> None:
        """Send ``text`` to a phone number or a group id; raise when it could not be handed over."""


class LoggingGateway:
    """Sends nothing: each text goes to the log (development, demonstrations, tests)."""

    def send(self, to: str, text: str) -> None:
        log.info("text", extra={"fields": {"to": to, "text": text}})


def load_gateway(name: str | None) -> SmsGateway:
    if not name or name == "log":
        return LoggingGateway()
    module_name, _, class_name = name.partition(":")
    try:
        gateway_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as error:
        raise SystemExit(f"CERTFLOW_SMS_GATEWAY 的值 {name} 不是可以导入的类：应写 log，"
                         "或写成 包.模块:类名 的形式（如 mygateway.sms:Gateway）") from error
    return gateway_class()


def sender(gateway: SmsGateway) -> Callable[[OutboxText], None]:
    """The ``send`` that ``Runtime.send_notifications`` calls with each outbox row."""

    def send(note: OutboxText) -> None:
        gateway.send(note["recipient_phone"] or note["recipient_group"] or note["recipient_role"], note["text"])

    return send
