"""SQLAlchemy 2 models of the clinic's longitudinal record.

One table per concept: patients, lesions (with a stable DICOM tracking UID), treatments,
measurements, events, evidence, the status computed for each lesion, users, login sessions and
API tokens, imports, and the append-only audit log. Rows that users edit carry a ``version``
that SQLAlchemy checks on every UPDATE (optimistic locking): an edit made on a stale copy
changes nothing and is reported as a conflict.

The schema itself is created by the Alembic migrations packaged beside this module
(:mod:`pseudoprog.store.migrate`); the models must match them, which a test checks.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Base",
    "DataVersion",
    "EventRow",
    "EvidenceRow",
    "ImportRow",
    "LesionRow",
    "LesionStatus",
    "MeasurementRow",
    "PatientRow",
    "SessionRow",
    "TreatmentRow",
    "UserRow",
    "new_tracking_uid",
]

#: Constraint names are fixed so that migrations can name them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_tracking_uid() -> str:
    """A new DICOM UID for a lesion (``2.25.`` followed by a random UUID as an integer).

    The same UID identifies the lesion at every time point (DICOM TID 1500 Tracking UID).

    >>> new_tracking_uid().startswith("2.25.")
    True
    """
    return f"2.25.{uuid.uuid4().int}"


class Base(DeclarativeBase):
    """Declarative base with the fixed naming convention."""

    metadata = MetaData(naming_convention=NAMING)


class PatientRow(Base):
    """A patient, by the identifier of the input tables."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_key: Mapped[str] = mapped_column(String(128), unique=True)
    events_recorded: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    lesions: Mapped[list[LesionRow]] = relationship(back_populates="patient")
    events: Mapped[list[EventRow]] = relationship(back_populates="patient")


class LesionRow(Base):
    """A treated lesion; ``lesion_key`` is the ``lesion_id`` of the input tables."""

    __tablename__ = "lesions"
    __table_args__ = (Index("ix_lesions_site_lesion_key", "site", "lesion_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(64), unique=True, default=new_tracking_uid)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    lesion_key: Mapped[str] = mapped_column(String(128), unique=True)
    site: Mapped[str] = mapped_column(String(16), index=True)
    level: Mapped[str | None] = mapped_column(String(32))
    histology: Mapped[str | None] = mapped_column(String(128))
    age: Mapped[float | None] = mapped_column(Float)
    sex: Mapped[str | None] = mapped_column(String(4))
    response: Mapped[str | None] = mapped_column(String(32))
    in_vertebral_body: Mapped[bool | None] = mapped_column(Boolean)
    body_involvement_pct: Mapped[float | None] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    patient: Mapped[PatientRow] = relationship(back_populates="lesions")
    treatment: Mapped[TreatmentRow] = relationship(back_populates="lesion", uselist=False)
    measurements: Mapped[list[MeasurementRow]] = relationship(back_populates="lesion")
    evidence: Mapped[list[EvidenceRow]] = relationship(back_populates="lesion")
    status: Mapped[LesionStatus | None] = relationship(back_populates="lesion", uselist=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class TreatmentRow(Base):
    """The radiosurgery course of a lesion."""

    __tablename__ = "treatments"
    __table_args__ = (Index("ix_treatments_date_lesion_id", "date", "lesion_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lesion_id: Mapped[int] = mapped_column(ForeignKey("lesions.id"), unique=True)
    date: Mapped[date] = mapped_column(Date)
    dose_gy: Mapped[float] = mapped_column(Float)
    fractions: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)

    lesion: Mapped[LesionRow] = relationship(back_populates="treatment")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class MeasurementRow(Base):
    """One size of a lesion on one sequence and date."""

    __tablename__ = "measurements"
    __table_args__ = (UniqueConstraint("lesion_id", "date", "sequence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lesion_id: Mapped[int] = mapped_column(ForeignKey("lesions.id"), index=True)
    date: Mapped[date] = mapped_column(Date)
    sequence: Mapped[str] = mapped_column(String(16))
    size_mm: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)

    lesion: Mapped[LesionRow] = relationship(back_populates="measurements")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class EventRow(Base):
    """A clinical event of a patient, optionally tied to one lesion."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    lesion_id: Mapped[int | None] = mapped_column(ForeignKey("lesions.id"), index=True)
    date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    value: Mapped[float | None] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)

    patient: Mapped[PatientRow] = relationship(back_populates="events")
    lesion: Mapped[LesionRow | None] = relationship()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class EvidenceRow(Base):
    """A finding about a lesion (``evidence`` table): a number, a yes/no, or a pathology."""

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("lesion_id", "kind", "date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lesion_id: Mapped[int] = mapped_column(ForeignKey("lesions.id"), index=True)
    date: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(64))
    number: Mapped[float | None] = mapped_column(Float)
    flag: Mapped[bool | None] = mapped_column(Boolean)
    detail: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    lesion: Mapped[LesionRow] = relationship(back_populates="evidence")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class LesionStatus(Base):
    """What the core says about a lesion, recomputed in the transaction of every change.

    ``result`` holds the classify fields (:meth:`Assessment.to_dict`), ``assessment`` the
    point-of-care assessment where one applies; the other columns are copied out of them so
    that the worklist filters and sorts in the database.
    """

    __tablename__ = "lesion_status"
    __table_args__ = (
        Index("ix_lesion_status_probability_lesion_id", "probability", "lesion_id"),
        Index("ix_lesion_status_last_study_lesion_id", "last_study", "lesion_id"),
        Index("ix_lesion_status_response_next_due", "response", "next_due"),
    )

    lesion_id: Mapped[int] = mapped_column(ForeignKey("lesions.id"), primary_key=True)
    criteria: Mapped[str | None] = mapped_column(String(32), index=True)
    response: Mapped[str | None] = mapped_column(String(32), index=True)
    probability: Mapped[float | None] = mapped_column(Float)
    probability_low: Mapped[float | None] = mapped_column(Float)
    probability_high: Mapped[float | None] = mapped_column(Float)
    last_study: Mapped[date | None] = mapped_column(Date)
    next_due: Mapped[date | None] = mapped_column(Date, index=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    assessment: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    lesion: Mapped[LesionRow] = relationship(back_populates="status")


class UserRow(Base):
    """An account: argon2 password hash, role, and the state of login throttling."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SessionRow(Base):
    """A browser session: the SHA-256 of the cookie's secret, its CSRF token and expiry."""

    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[UserRow] = relationship()


class ApiToken(Base):
    """A bearer token of the API: the SHA-256 of the token and its expiry."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[UserRow] = relationship()


class ImportRow(Base):
    """One import of input tables: who, when, which files (with their SHA-256) and counts."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_name: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    files: Mapped[dict[str, Any]] = mapped_column(JSON)
    added: Mapped[dict[str, Any]] = mapped_column(JSON)


class AuditEntry(Base):
    """One change: who, when, what (action, table, row), and the row before and after.

    The table is append-only: database triggers refuse UPDATE and DELETE.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    user_name: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    lesion_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class DataVersion(Base):
    """One counter that every write raises in its own transaction (with its audit entries).

    Readers that keep what they computed from the record (the worklist's counts) know by it
    whether the record changed since; the row's lock also puts concurrent writes in order.
    """

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
