"""The tables of people: accounts, groups, API tokens and the security log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from certflow.engine.models import Base


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[Any]]  # role keys, see certflow.engine.roles
    groups: Mapped[list[Any]]  # group ids, e.g. hospital-anding, village-360483101209
    county: Mapped[str | None] = mapped_column(String(12))  # the county whose cases they read; None: province-wide
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    # Every web session carries the value it signed in with; raising it ends them all (sign-out, new password).
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")


class Group(Base):
    """A window, hospital, village … that people and tasks belong to; administrators keep the list."""

    __tablename__ = "groups"

    id: Mapped[str] = mapped_column(String(60), primary_key=True)  # e.g. hospital-renmin, village-360483101209
    role: Mapped[str] = mapped_column(String(40))  # a role key, see certflow.engine.roles
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)  # inactive: offered no more, its tasks still worked
    county: Mapped[str | None] = mapped_column(String(12), index=True)  # its county; None: the province's own


class ApiToken(Base):
    """A bearer token for the REST API; only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SecurityEvent(Base):
    """Logins (kept for rate limiting) and refused accesses, for the administrators."""

    __tablename__ = "security_events"
    __table_args__ = (Index("ix_security_events_login", "kind", "username", "at"),
                      Index("ix_security_events_address", "kind", "remote_addr", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # login_ok, login_failed, access_denied, application_received
    at: Mapped[datetime] = mapped_column(index=True)
    username: Mapped[str | None] = mapped_column(String(60))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(300))
    bytes: Mapped[int | None] = mapped_column(BigInteger)  # what an online application stored (its quota)


class LookupCode(Base):
    """A code texted to the phone on file, with which an applicant finds their cases by ID number alone.

    Only digests are kept: of the ID number (its lookup digest under the data keys, to find the newest code and to
    count codes per person) and of the code.
    """

    __tablename__ = "lookup_codes"
    __table_args__ = (Index("ix_lookup_codes_id", "id_digest", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    id_digest: Mapped[str] = mapped_column(String(64))
    code_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    tries: Mapped[int] = mapped_column(default=0)  # wrong codes given for it
    spent: Mapped[bool] = mapped_column(default=False)  # used, or replaced by a newer code
