"""The append-only audit log: every write records who, when, what, and the row before and after.

Entries are only ever added; the database refuses UPDATE and DELETE on the table (triggers
created by the first migration).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from pseudoprog.store.models import AuditEntry, Base, DataVersion

__all__ = ["Action", "data_version", "history", "record", "record_many"]


class Action(StrEnum):
    """What a write did."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    IMPORT = "import"
    LOGIN = "login"
    PUSH = "push"
    """Results sent to a PACS (DICOM SR over DICOMweb)."""


def record(
    session: Session,
    *,
    user: str,
    action: Action,
    entity: str,
    entity_id: int | None = None,
    lesion_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry to the log (in the session's transaction, so it stands or falls with it)."""
    entry = AuditEntry(
        at=datetime.now(UTC),
        user_name=user,
        action=action.value,
        entity=entity,
        entity_id=entity_id,
        lesion_id=lesion_id,
        before=before,
        after=after,
    )
    session.add(entry)
    _advance(session)
    return entry


def record_many(
    session: Session, *, user: str, action: Action, entity: str, entries: list[dict[str, Any]]
) -> int:
    """Add many entries of one kind at once (one multi-row INSERT); returns their count.

    Each of ``entries`` gives ``entity_id`` and optionally ``lesion_id``, ``before`` and
    ``after``.
    """
    if not entries:
        return 0
    now = datetime.now(UTC)
    rows = [
        {
            "at": now,
            "user_name": user,
            "action": action.value,
            "entity": entity,
            "entity_id": e.get("entity_id"),
            "lesion_id": e.get("lesion_id"),
            "before": e.get("before"),
            "after": e.get("after"),
        }
        for e in entries
    ]
    table = Base.metadata.tables[AuditEntry.__tablename__]
    for start in range(0, len(rows), 5000):
        session.execute(insert(table), rows[start : start + 5000])
    _advance(session)
    return len(rows)


def _advance(session: Session) -> None:
    """Raise the data version in the writing transaction (it takes the row's lock, so the
    versions that readers see follow the order in which writes commit)."""
    session.execute(
        update(DataVersion).where(DataVersion.id == 1).values(value=DataVersion.value + 1),
        execution_options={"synchronize_session": False},
    )


def data_version(session: Session) -> int:
    """The record's current data version (it rises with every write)."""
    return int(session.scalar(select(DataVersion.value).where(DataVersion.id == 1)) or 0)


def history(session: Session, *, lesion_id: int, limit: int = 200) -> list[AuditEntry]:
    """The entries about one lesion, newest first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.lesion_id == lesion_id)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
