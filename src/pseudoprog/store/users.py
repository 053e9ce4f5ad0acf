"""Accounts: roles, argon2 password hashes, and login with throttling.

>>> Role.parse("Editor").can_write, Role.VIEWER.can_write, Role.ADMIN.can_manage_users
(True, False, True)
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pseudoprog.errors import ParameterError, PseudoprogError
from pseudoprog.store.audit import Action, record
from pseudoprog.store.models import ApiToken, SessionRow, UserRow

__all__ = [
    "MAX_FAILED_LOGINS",
    "MIN_PASSWORD_LENGTH",
    "LoginLockedError",
    "Role",
    "add_user",
    "authenticate",
    "hash_password",
    "list_users",
    "set_active",
    "verify_password",
]

#: Shortest password accepted.
MIN_PASSWORD_LENGTH = 10
#: Failed logins in a row after which an account is locked for :data:`LOCK_TIME`.
MAX_FAILED_LOGINS = 5
LOCK_TIME = timedelta(minutes=15)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
_HASHER = PasswordHasher()
#: Verified against when the user does not exist, so that both cases take as long.
_DUMMY_HASH = _HASHER.hash("not a password of anyone")


class Role(StrEnum):
    """What an account may do: viewers read, editors also write, admins also manage users."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def can_write(self) -> bool:
        return self is not Role.VIEWER

    @property
    def can_manage_users(self) -> bool:
        return self is Role.ADMIN

    @classmethod
    def parse(cls, text: str) -> Role:
        """The role called ``text`` (any case).

        Raises
        ------
        ParameterError
            For another name; the message lists the roles.
        """
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ParameterError(
                f"--role {text!r} is not a role; use viewer, editor or admin"
            ) from None


class LoginLockedError(PseudoprogError):
    """Too many failed logins: the account is locked until :attr:`until`."""

    def __init__(self, until: datetime) -> None:
        self.until = until
        super().__init__(
            f"too many failed logins; try again after {until:%H:%M} UTC or ask an admin"
        )


def hash_password(password: str) -> str:
    """An argon2id hash of the password.

    Raises
    ------
    ParameterError
        If the password is shorter than :data:`MIN_PASSWORD_LENGTH`.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ParameterError(
            f"the password has {len(password)} characters; use at least {MIN_PASSWORD_LENGTH}"
        )
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches the stored hash."""
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def add_user(session: Session, name: str, *, role: Role, password: str, by: str) -> UserRow:
    """Create an account (audited as done by ``by``).

    Raises
    ------
    ParameterError
        For a bad name, a short password, or a name already taken.
    """
    if not _NAME.match(name):
        raise ParameterError(
            f"user name {name!r} is not accepted; use 1-64 letters, digits, '.', '_', '@' or "
            "'-', starting with a letter or digit"
        )
    if session.scalar(select(UserRow.id).where(UserRow.name == name)) is not None:
        raise ParameterError(f"user {name!r} already exists; choose another name")
    user = UserRow(
        name=name,
        password_hash=hash_password(password),
        role=role.value,
        active=True,
        failed_logins=0,
        created_at=datetime.now(UTC),
    )
    session.add(user)
    session.flush()
    record(
        session,
        user=by,
        action=Action.CREATE,
        entity="user",
        entity_id=user.id,
        after={"name": name, "role": role.value},
    )
    return user


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def authenticate(session: Session, name: str, password: str) -> UserRow | None:
    """The active user with this name and password, or ``None``.

    Failed attempts are counted per account; after :data:`MAX_FAILED_LOGINS` in a row the
    account is locked for :data:`LOCK_TIME`.

    Raises
    ------
    LoginLockedError
        While the account is locked (even with the right password).
    """
    user = session.scalar(select(UserRow).where(UserRow.name == name))
    now = datetime.now(UTC)
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if user.locked_until is not None and _aware(user.locked_until) > now:
        raise LoginLockedError(_aware(user.locked_until))
    if not verify_password(user.password_hash, password) or not user.active:
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCK_TIME
            user.failed_logins = 0
        return None
    user.failed_logins = 0
    user.locked_until = None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return user


def list_users(session: Session) -> list[UserRow]:
    """Every account, by name."""
    return list(session.scalars(select(UserRow).order_by(UserRow.name)))


def set_active(session: Session, user_id: int, *, active: bool, by: str) -> UserRow:
    """Deactivate (or reactivate) an account, audited as done by ``by``.

    A deactivated account cannot log in, and its open sessions and API tokens are deleted, so
    its access ends at once. Its rows stay: the audit log names it.

    Raises
    ------
    ParameterError
        For an account that does not exist, one's own account, or the last active admin.
    """
    user = session.get(UserRow, user_id)
    if user is None:
        raise ParameterError(f"user {user_id} does not exist")
    if user.name == by and not active:
        raise ParameterError("you cannot deactivate your own account; ask another admin")
    if not active and user.role == Role.ADMIN.value and user.active:
        admins = session.scalar(
            select(func.count())
            .select_from(UserRow)
            .where(UserRow.role == Role.ADMIN.value, UserRow.active.is_(True))
        )
        if (admins or 0) <= 1:
            raise ParameterError(f"{user.name} is the last active admin; add another first")
    if user.active == active:
        return user
    user.active = active
    if not active:
        session.execute(delete(SessionRow).where(SessionRow.user_id == user.id))
        session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    else:
        user.failed_logins = 0
        user.locked_until = None
    record(
        session,
        user=by,
        action=Action.UPDATE,
        entity="user",
        entity_id=user.id,
        before={"name": user.name, "active": not active},
        after={"name": user.name, "active": active},
    )
    return user
