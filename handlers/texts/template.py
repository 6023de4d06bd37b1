"""One text message: what it is for, who gets it, and its wording (filled in by ``handlers.notifications``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Template:
    """One message: what it is for, who gets it, and its text.

    The recipient is a fixed candidate group (``group``), a group named by the task data
    (``group_field``, a format field such as ``site[group]``), or a phone number in the task data
    (``phone_field``).
    """

    label: str
    recipient_role: str
    text: str
    group: str | None = None
    group_field: str | None = None
    phone_field: str | None = None

