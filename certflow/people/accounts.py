"""People who sign in: their roles and groups, passwords (argon2), API tokens, and login limits.

Nothing here knows of Flask; the web app and the command line both use it.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cachetools import TTLCache
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from certflow.engine.clock import Clock, SystemClock
from certflow.engine.db import read_again_if_disconnected
from certflow.engine.errors import CertflowError, Conflict, FieldError, NotFound, ValidationFailed
from certflow.engine.roles import ROLES
from certflow.engine.runtime import Settings
from certflow.people.models import ApiToken, SecurityEvent, User
from certflow.people.throttle import LOGINS, Throttle

MIN_PASSWORD = 8
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
# A token's account is kept this many seconds after it was read, for this many tokens: an API request reads its
# token's row only now and then. Revoking a token or changing its person drops it here at once; another process
# (another gunicorn worker, the command line) goes on accepting it for at most these seconds (docs/web.md).
TOKEN_CACHE_SECONDS = 5.0
TOKEN_CACHE_SIZE = 1024
# Roles an account may hold: applicants never sign in, they apply through the portal.
STAFF_ROLES = {key: label for key, label in ROLES.items() if key != "applicant"}


class TooManyAttempts(CertflowError):
    code = "too_many_attempts"


@dataclass(frozen=True)
class Account:
    """A signed-in person as the app sees them. Also satisfies Flask-Login's user protocol."""

    id: int
    username: str
    display_name: str
    roles: frozenset[str]
    groups: frozenset[str]
    county: str | None  # the county (area code) whose cases they read; None: a province-wide administrator
    active: bool = True
    last_login_at: datetime | None = None
    generation: int = 0  # the session generation it was read with, see ``Accounts.resume``

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    # Flask-Login's protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


@dataclass(frozen=True)
class SessionLimits:
    """How long a web sign-in lasts: ``lifetime`` from signing in however busy, ``idle`` since its last request.

    Measured on a clock of their own, the wall clock: a person's working day, not the cases' time, which tests
    and trials move by days.
    """

    lifetime: timedelta = timedelta(hours=8)
    idle: timedelta = timedelta(minutes=60)
    clock: Clock = field(default_factory=SystemClock)


@dataclass(frozen=True)
class SignIn:
    """What a session cookie holds of a sign-in. The cookie is signed, so it cannot be forged, but it can be
    copied: it stays valid only while ``generation`` is the user's current one."""

    user_id: int
    generation: int
    at: datetime
    seen: datetime  # its last request


@dataclass(frozen=True)
class _KnownToken:
    """What the token cache keeps of a token it has read."""

    token_id: int
    account: Account
    last_used_at: datetime


def _account(user: User) -> Account:
    return Account(user.id, user.username, user.display_name, frozenset(user.roles), frozenset(user.groups),
                   user.county, user.active, user.last_login_at, user.session_generation)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Accounts:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock | None = None,
                 limit: Throttle = LOGINS, hasher: PasswordHasher | None = None,
                 county: str = Settings().county, token_timer: Callable[[], float] = time.monotonic) -> None:
        """``county``: the deployment's own, which a new person belongs to unless they are given another.
        ``token_timer``: the seconds the token cache's entries age by (the monotonic clock; a test moves it)."""
        self.sessions = sessions
        self._tokens: TTLCache[str, _KnownToken] = TTLCache(TOKEN_CACHE_SIZE, TOKEN_CACHE_SECONDS, timer=token_timer)
        self._tokens_lock = threading.Lock()  # the cache is shared by a process's threads (a threaded server)
        self._tokens_dropped = 0  # how many times entries were dropped: a read begun before must not be kept
        self.county = county
        self.clock = clock or SystemClock()
        self.limit = limit
        self.hasher = hasher or PasswordHasher()  # argon2id with the library's recommended cost

    # -- people ------------------------------------------------------------------------------

    def create(self, username: str, password: str, *, display_name: str, roles: Iterable[str],
               groups: Iterable[str] = (), county: str | None = None, province_wide: bool = False,
               demo: bool = False) -> Account:
        """A new account of ``county`` (the deployment's own when not given), or of the whole province: only an
        administrator or the province's staff (role ``province``) may be. ``demo`` accepts the short demo password;
        never use it in production."""
        roles, groups = sorted(set(roles)), sorted(set(groups))
        county = None if province_wide else county or self.county
        _check_user(username, display_name, roles, None if demo else password, new=True)
        _check_county(county, roles)
        with self.sessions.begin() as session:
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                raise Conflict(f"用户名 {username} 已存在")
            user = User(username=username, display_name=display_name, password_hash=self.hasher.hash(password),
                        roles=roles, groups=groups, county=county, active=True, created_at=self.clock.now())
            session.add(user)
            session.flush()
            return _account(user)

    def update(self, user_id: int, *, display_name: str, roles: Iterable[str], groups: Iterable[str],
               active: bool, password: str | None = None, county: str | None = None,
               province_wide: bool = False) -> Account:
        """Change a person; their county stays unless another (or ``province_wide``) is given."""
        roles, groups = sorted(set(roles)), sorted(set(groups))
        with self.sessions.begin() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound(f"用户 {user_id} 不存在")
            _check_user(user.username, display_name, roles, password)
            county = None if province_wide else county or user.county
            _check_county(county, roles)
            if password or (user.roles, user.groups, user.active, user.county) != (roles, groups, active, county):
                # A new password or changed rights (a county is some): nobody keeps a session signed in under the
                # old ones.
                user.session_generation += 1
            user.county = county
            user.display_name, user.roles, user.groups, user.active = display_name, roles, groups, active
            if password:
                user.password_hash = self.hasher.hash(password)
            changed = _account(user)
        self._forget_tokens(lambda known: known.account.id == user_id)  # rights or a stop apply to tokens at once
        return changed

    def end_sessions(self, user_id: int) -> None:
        """End every web session of the user, on every device, including copies of their cookies."""
        with self.sessions.begin() as session:
            session.execute(update(User).where(User.id == user_id)
                            .values(session_generation=User.session_generation + 1))

    def resume(self, sign_in: SignIn, limits: SessionLimits) -> Account | None:
        """The account a session cookie stands for, or None once it has ended: too old, unused too long,
        signed out, or the user's password or rights changed since."""
        now = limits.clock.now()
        if now - sign_in.at >= limits.lifetime or now - sign_in.seen >= limits.idle:
            return None
        account = self.get(sign_in.user_id)
        return account if account is not None and account.generation == sign_in.generation else None

    def get(self, user_id: int) -> Account | None:
        with self.sessions() as session:
            user = session.get(User, user_id)
            return _account(user) if user is not None and user.active else None

    def by_username(self, username: str) -> Account | None:
        with self.sessions() as session:
            user = session.scalars(select(User).where(User.username == username)).first()
            return _account(user) if user is not None else None

    def all(self) -> list[Account]:
        with self.sessions() as session:
            return [_account(u) for u in session.scalars(select(User).order_by(User.username))]

    # -- signing in --------------------------------------------------------------------------

    def authenticate(self, username: str, password: str, remote_addr: str | None = None) -> Account | None:
        """The account for a correct password; None otherwise. Refuses once too many attempts failed."""
        now = self.clock.now()
        # Counted before the password is checked: of many attempts at once, only as many as the limit check one.
        attempt = self.limit.reserve(self.sessions, username, now, username=username, remote_addr=remote_addr)
        if attempt is None:
            raise TooManyAttempts(f"登录失败次数过多，请{self.limit.minutes}分钟后再试")
        with self.sessions.begin() as session:
            user = session.scalars(select(User).where(User.username == username)).first()
            # Unknown and stopped accounts cost one verification too: how long a refusal takes must not tell
            # which user names exist.
            matches = self._verify(user.password_hash if user is not None else self._unknown_user_hash, password)
            if user is None or not user.active or not matches:
                return None  # the attempt stays recorded as a failure
            self.limit.succeeded(session, attempt, "login_ok")
            user.last_login_at = now
            if self.hasher.check_needs_rehash(user.password_hash):
                user.password_hash = self.hasher.hash(password)
            return _account(user)

    def record_denied(self, account: Account | None, target: str, remote_addr: str | None = None) -> None:
        with self.sessions.begin() as session:
            session.add(SecurityEvent(kind="access_denied", at=self.clock.now(),
                                      username=account.username if account else None,
                                      remote_addr=remote_addr, target=target[:300]))

    def security_events(self, kind: str | None = None, limit: int = 200, *,
                        county: str | None = None) -> list[SecurityEvent]:
        """The newest events (of ``kind``); with ``county``, only those of its people: another county's sign-ins
        and refusals, and those of nobody's account (an applicant, a name nobody has), are the province's."""
        with self.sessions() as session:
            query = select(SecurityEvent).order_by(SecurityEvent.id.desc()).limit(limit)
            if kind:
                query = query.where(SecurityEvent.kind == kind)
            if county is not None:
                query = query.where(SecurityEvent.username.in_(select(User.username).where(User.county == county)))
            return list(session.scalars(query))

    @cached_property
    def _unknown_user_hash(self) -> str:
        """A hash no password matches, made with the hasher's own cost, to verify against for unknown names."""
        return self.hasher.hash(secrets.token_urlsafe(32))

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    # -- API tokens --------------------------------------------------------------------------

    def issue_token(self, user_id: int, label: str) -> str:
        """A new token, shown once; only its hash is stored."""
        token = secrets.token_urlsafe(32)
        with self.sessions.begin() as session:
            if session.get(User, user_id) is None:
                raise NotFound(f"用户 {user_id} 不存在")
            session.add(ApiToken(user_id=user_id, token_hash=_token_hash(token), label=label or "API",
                                 created_at=self.clock.now()))
        return token

    def by_token(self, token: str) -> Account | None:
        """The account an API token stands for. Its last use is written at most once a minute: a write on
        every request would put a commit (on SQLite, the write lock) in front of every read.

        A token read in the last ``TOKEN_CACHE_SECONDS`` is answered from memory (refused tokens are not kept);
        ``revoke_token`` and ``update`` drop what they change from it.
        """
        now, key = self.clock.now(), _token_hash(token)
        with self._tokens_lock:
            known, dropped = self._tokens.get(key), self._tokens_dropped
        if known is not None and now - known.last_used_at <= TOKEN_USE_RESOLUTION:
            return known.account

        def read() -> tuple[int, Account, datetime | None] | None:
            with self.sessions() as session:
                found = session.execute(select(ApiToken, User).join(User, User.id == ApiToken.user_id).where(
                    ApiToken.token_hash == key, ApiToken.revoked_at.is_(None))).first()
                if found is None or not found.User.active:
                    return None
                return found.ApiToken.id, _account(found.User), found.ApiToken.last_used_at

        found = read_again_if_disconnected(read)  # a request's first read, often
        if found is None:
            return None
        token_id, account, last_used_at = found
        if last_used_at is None or now - last_used_at > TOKEN_USE_RESOLUTION:
            with self.sessions.begin() as session:
                session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
            last_used_at = now
        with self._tokens_lock:
            if dropped == self._tokens_dropped:  # else a revocation or a change may have come after the read
                self._tokens[key] = _KnownToken(token_id, account, last_used_at)
        return account

    def _forget_tokens(self, which: Callable[[_KnownToken], bool]) -> None:
        with self._tokens_lock:
            self._tokens_dropped += 1
            for key in [key for key, known in self._tokens.items() if which(known)]:
                self._tokens.pop(key, None)

    def tokens(self, user_id: int) -> list[ApiToken]:
        with self.sessions() as session:
            return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                        .order_by(ApiToken.id)))

    def revoke_token(self, user_id: int, token_id: int) -> None:
        with self.sessions.begin() as session:
            row = session.get(ApiToken, token_id)
            if row is None or row.user_id != user_id:
                raise NotFound(f"访问令牌 {token_id} 不存在")
            row.revoked_at = row.revoked_at or self.clock.now()
        self._forget_tokens(lambda known: known.token_id == token_id)


def _check_county(county: str | None, roles: list[str]) -> None:
    if county is None and not {"admin", "province"} & set(roles):
        raise ValidationFailed([FieldError("county", "只有系统管理员和省残联人员可以不属于某个县（市）")],
                               "用户信息有误")
    if county is not None and "province" in roles:
        raise ValidationFailed([FieldError("county", "省残联人员不属于某个县（市），请选“全省”")], "用户信息有误")
    if county is not None and not (len(county) == 6 and county.isdecimal()):
        raise ValidationFailed([FieldError("county", "县（市）应为6位行政区划代码")], "用户信息有误")


def _check_user(username: str, display_name: str, roles: list[str], password: str | None, *, new: bool = False) -> None:
    """``password`` None skips its checks (demo); a new account must have one, an update keeps the old one if empty."""
    errors: list[FieldError] = []
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        errors.append(FieldError("username", "只能使用字母、数字、-、_ 和 ."))
    if not display_name.strip():
        errors.append(FieldError("display_name", "必填"))
    unknown = [r for r in roles if r not in STAFF_ROLES]
    if unknown:
        errors.append(FieldError("roles", f"未知的角色：{'、'.join(unknown)}"))
    if not roles:
        errors.append(FieldError("roles", "至少选择一个角色"))
    if new and password == "":
        errors.append(FieldError("password", "必填"))
    elif password and len(password) < MIN_PASSWORD:
        errors.append(FieldError("password", f"密码至少{MIN_PASSWORD}位"))
    if errors:
        raise ValidationFailed(errors, "用户信息有误")

