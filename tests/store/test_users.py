"""Accounts: argon2 hashes, roles, throttled logins."""

from __future__ import annotations

import pytest

from pseudoprog.errors import ParameterError
from pseudoprog.store import Database
from pseudoprog.store.users import (
    MAX_FAILED_LOGINS,
    LoginLockedError,
    Role,
    add_user,
    authenticate,
)


def test_passwords_are_stored_as_argon2_hashes(db: Database) -> None:
    with db.transaction() as session:
        user = add_user(session, "ana", role=Role.EDITOR, password="a long password", by="t")
        assert user.password_hash.startswith("$argon2id$")
        assert "a long password" not in user.password_hash
    with db.transaction() as session:
        found = authenticate(session, "ana", "a long password")
        assert found is not None
        assert found.role == "editor"
        assert authenticate(session, "ana", "another password") is None
        assert authenticate(session, "nobody", "a long password") is None


def test_bad_names_short_passwords_and_duplicates_are_refused(db: Database) -> None:
    with db.transaction() as session:
        add_user(session, "ana", role=Role.VIEWER, password="a long password", by="t")
        with pytest.raises(ParameterError, match="at least"):
            add_user(session, "bob", role=Role.VIEWER, password="short", by="t")
        with pytest.raises(ParameterError, match="already exists"):
            add_user(session, "ana", role=Role.VIEWER, password="a long password", by="t")
        with pytest.raises(ParameterError, match="not accepted"):
            add_user(session, "a b", role=Role.VIEWER, password="a long password", by="t")
    with pytest.raises(ParameterError, match="viewer, editor or admin"):
        Role.parse("root")


def test_an_account_locks_after_repeated_failures(db: Database) -> None:
    with db.transaction() as session:
        add_user(session, "ana", role=Role.VIEWER, password="a long password", by="t")
    for _ in range(MAX_FAILED_LOGINS):
        with db.transaction() as session:
            assert authenticate(session, "ana", "wrong password!") is None
    with pytest.raises(LoginLockedError), db.transaction() as session:
        authenticate(session, "ana", "a long password")
