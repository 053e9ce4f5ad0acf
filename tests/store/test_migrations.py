"""The packaged migrations: schema at head, models that match it, an append-only audit log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from pseudoprog.store import Database, current_revision, head_revision, upgrade
from pseudoprog.store.models import AuditEntry, Base


def test_upgrade_reaches_head_and_creates_every_table(db: Database) -> None:
    assert current_revision(db) == head_revision()
    tables = set(inspect(db.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_upgrade_twice_changes_nothing(db: Database) -> None:
    assert upgrade(db) == head_revision()


def test_models_match_the_migrations(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": False, "compare_server_default": False}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_audit_log_refuses_update_and_delete(db: Database) -> None:
    with db.transaction() as session:
        session.add(AuditEntry(at=datetime.now(UTC), user_name="a", action="create", entity="x"))
    for statement in ("UPDATE audit_log SET user_name = 'b'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(text(statement))
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT user_name FROM audit_log")).scalars().all() == ["a"]
