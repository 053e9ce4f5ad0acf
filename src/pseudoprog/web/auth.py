"""Who is asking: session cookies (with CSRF tokens) for pages, bearer tokens for the API.

Secrets are random (``secrets.token_urlsafe``); the database keeps only their SHA-256, so a
copy of the database gives no one a session. The session cookie is HttpOnly and SameSite=Lax
(Secure when served over HTTPS); every form that writes carries the session's CSRF token, and
so must every write through the API made with a session cookie (header ``X-CSRF-Token``).
Bearer tokens are not sent by browsers on their own, so they need no CSRF token.

Failed logins are throttled per account (:func:`pseudoprog.store.users.authenticate`) and per
client address (:class:`AddressThrottle`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from pseudoprog.store.models import ApiToken, SessionRow, UserRow
from pseudoprog.store.users import Role

__all__ = [
    "SESSION_COOKIE",
    "AddressThrottle",
    "CsrfError",
    "ForbiddenError",
    "NotAuthenticatedError",
    "Principal",
    "authenticated",
    "close_session",
    "issue_api_token",
    "open_session",
    "principal_of",
    "require",
]

SESSION_COOKIE = "pseudoprog_session"
SESSION_TIME = timedelta(hours=10)
TOKEN_TIME = timedelta(hours=8)
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class NotAuthenticatedError(Exception):
    """No valid session or token: pages redirect to the login, the API answers 401."""


class ForbiddenError(Exception):
    """Authenticated, but the role does not allow this (403)."""

    def __init__(self, needed: Role) -> None:
        super().__init__(f"this needs the {needed.value} role; ask an admin")


class CsrfError(Exception):
    """A write with a session cookie came without the session's CSRF token (403)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated user of a request and how they authenticated."""

    user_id: int
    name: str
    role: Role
    csrf_token: str | None
    """The session's CSRF token (``None`` for bearer tokens)."""

    def allows(self, needed: Role) -> bool:
        order = (Role.VIEWER, Role.EDITOR, Role.ADMIN)
        return order.index(self.role) >= order.index(needed)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def open_session(session: Session, user: UserRow) -> tuple[str, SessionRow]:
    """A new browser session of ``user``; returns the cookie's secret and the row."""
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session.execute(delete(SessionRow).where(SessionRow.expires_at < now))
    row = SessionRow(
        token_hash=_digest(secret),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + SESSION_TIME,
    )
    session.add(row)
    return secret, row


def close_session(session: Session, secret: str) -> None:
    session.execute(delete(SessionRow).where(SessionRow.token_hash == _digest(secret)))


def issue_api_token(session: Session, user: UserRow) -> tuple[str, int]:
    """A new bearer token of ``user``; returns it and its lifetime in seconds."""
    secret = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    session.execute(delete(ApiToken).where(ApiToken.expires_at < now))
    session.add(
        ApiToken(
            token_hash=_digest(secret), user_id=user.id, created_at=now, expires_at=now + TOKEN_TIME
        )
    )
    return secret, int(TOKEN_TIME.total_seconds())


def principal_of(session: Session, request: Request) -> Principal:
    """The user of the request, from its bearer token or session cookie.

    Raises
    ------
    NotAuthenticatedError
        Without a valid, unexpired credential of an active user.
    """
    now = datetime.now(UTC)
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise NotAuthenticatedError()
        token = session.scalar(
            select(ApiToken)
            .where(ApiToken.token_hash == _digest(secret.strip()))
            .options(joinedload(ApiToken.user))
        )
        if token is None or _aware(token.expires_at) <= now or not token.user.active:
            raise NotAuthenticatedError()
        return Principal(token.user.id, token.user.name, Role(token.user.role), None)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NotAuthenticatedError()
    row = session.scalar(
        select(SessionRow)
        .where(SessionRow.token_hash == _digest(cookie))
        .options(joinedload(SessionRow.user))
    )
    if row is None or _aware(row.expires_at) <= now or not row.user.active:
        raise NotAuthenticatedError()
    return Principal(row.user.id, row.user.name, Role(row.user.role), row.csrf_token)


async def _check_csrf(request: Request, principal: Principal) -> None:
    if principal.csrf_token is None or request.method not in _UNSAFE:
        return
    given = request.headers.get("x-csrf-token", "")
    if not given and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get("csrf_token")
        given = value if isinstance(value, str) else ""
    if not given or not hmac.compare_digest(given, principal.csrf_token):
        raise CsrfError()


def authenticated(request: Request) -> Principal:
    """A dependency: the request's principal (run on a worker thread: it reads the database)."""
    with request.app.state.database.sessions() as session:
        return principal_of(session, request)


def require(role: Role) -> Callable[..., Coroutine[Any, Any, Principal]]:
    """A dependency: the request's principal, who must hold ``role`` (or a higher one), with
    the CSRF token checked on writes made with a session cookie."""

    async def dependency(
        request: Request, principal: Annotated[Principal, Depends(authenticated)]
    ) -> Principal:
        if not principal.allows(role):
            raise ForbiddenError(role)
        await _check_csrf(request, principal)
        request.state.principal = principal
        return principal

    return dependency


class AddressThrottle:
    """At most ``limit`` failed logins per client address in ``window`` seconds."""

    def __init__(self, *, limit: int = 20, window: float = 900.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.setdefault(address, deque())
        while times and times[0] < now - self.window:
            times.popleft()
        return times

    def blocked(self, address: str) -> bool:
        with self._lock:
            return len(self._recent(address, time.monotonic())) >= self.limit

    def failed(self, address: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._recent(address, now).append(now)

    def succeeded(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)
