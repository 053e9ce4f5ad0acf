"""Adding, editing and deleting one measurement, event or evidence row, with versions.

Every change is checked by the readers of the input files (:mod:`pseudoprog.store.validation`),
carries the version the user saw (an edit of a row changed since is refused with
:class:`StaleEditError`, and nothing is lost), writes an audit entry with the row before and after,
and recomputes the status of the lesions concerned, all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pseudoprog.domain import Measurement, Sequence
from pseudoprog.errors import PseudoprogError
from pseudoprog.store import status
from pseudoprog.store.audit import Action, record
from pseudoprog.store.models import EventRow, EvidenceRow, LesionRow, MeasurementRow
from pseudoprog.store.records import lesion_of, row_dict
from pseudoprog.store.validation import (
    FormError,
    check_event,
    check_evidence,
    check_measurements,
    measurement_cells,
)

__all__ = [
    "FIELDS",
    "Kind",
    "NotFoundError",
    "StaleEditError",
    "delete_row",
    "save_row",
]


class Kind(StrEnum):
    """The kinds of rows users edit one by one."""

    MEASUREMENT = "measurement"
    EVENT = "event"
    EVIDENCE = "evidence"


#: The fields of each kind's form (the columns of its input table, less the lesion).
FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.MEASUREMENT: ("date", "sequence", "size_mm"),
    Kind.EVENT: ("date", "kind", "detail", "value", "lesion_only"),
    Kind.EVIDENCE: ("date", "kind", "value"),
}

_MODELS: dict[Kind, type[MeasurementRow] | type[EventRow] | type[EvidenceRow]] = {
    Kind.MEASUREMENT: MeasurementRow,
    Kind.EVENT: EventRow,
    Kind.EVIDENCE: EvidenceRow,
}


class NotFoundError(PseudoprogError):
    """The row or lesion does not exist (any more)."""


@dataclass
class StaleEditError(PseudoprogError):
    """The row changed (or was deleted) since the user loaded it; nothing was written."""

    current: dict[str, Any] | None

    def __post_init__(self) -> None:
        super().__init__(
            "this row was changed by someone else since you opened it; reload it, check the "
            "current values and apply your change again"
        )


def _lesion(session: Session, lesion_id: int) -> LesionRow:
    row = session.get(LesionRow, lesion_id)
    if row is None:
        raise NotFoundError(f"lesion {lesion_id} does not exist")
    return row


def _get(session: Session, kind: Kind, row_id: int, lesion: LesionRow) -> Any:
    row: Any = session.get(_MODELS[kind], row_id)
    if row is None:
        raise StaleEditError(None)
    owner = row.patient_id if kind is Kind.EVENT else row.lesion_id
    if owner != (lesion.patient_id if kind is Kind.EVENT else lesion.id):
        raise NotFoundError(f"{kind.value} {row_id} does not belong to this lesion")
    return row


def _text(values: Mapping[str, str], key: str) -> str:
    return str(values.get(key, "") or "").strip()


def _measurement_rows(
    lesion: LesionRow, *, replace: int | None, form: dict[str, str] | None
) -> list[dict[str, str]]:
    rows = [form] if form is not None else []
    rows += [
        measurement_cells(Measurement(lesion.lesion_key, m.date, Sequence(m.sequence), m.size_mm))
        for m in lesion.measurements
        if m.id != replace
    ]
    return rows


def _apply_measurement(
    session: Session, lesion: LesionRow, row: MeasurementRow | None, values: Mapping[str, str]
) -> MeasurementRow:
    form = {
        "lesion_id": lesion.lesion_key,
        "date": _text(values, "date"),
        "sequence": _text(values, "sequence"),
        "size_mm": _text(values, "size_mm"),
    }
    errors = check_measurements(
        lesion_of(lesion),
        _measurement_rows(lesion, replace=None if row is None else row.id, form=form),
        form_first=True,
    )
    if errors:
        raise errors
    day = date.fromisoformat(form["date"][:10])
    sequence = Sequence.parse(form["sequence"]).value
    clash = session.scalar(
        select(MeasurementRow.id).where(
            MeasurementRow.lesion_id == lesion.id,
            MeasurementRow.date == day,
            MeasurementRow.sequence == sequence,
        )
    )
    if clash is not None and (row is None or clash != row.id):
        raise FormError(
            fields={"date": f"a {sequence} size on {day.isoformat()} is stored already; edit it"}
        )
    if row is None:
        row = MeasurementRow(lesion_id=lesion.id)
        session.add(row)
    row.date, row.sequence, row.size_mm = day, sequence, float(form["size_mm"])
    return row


def _apply_event(
    session: Session, lesion: LesionRow, row: EventRow | None, values: Mapping[str, str]
) -> EventRow:
    patient = lesion.patient
    own = _text(values, "lesion_only").lower() in {"1", "true", "yes", "on"}
    form = {
        "patient_id": patient.patient_key,
        "date": _text(values, "date"),
        "kind": _text(values, "kind"),
        "lesion_id": lesion.lesion_key if own else "",
        "detail": _text(values, "detail"),
        "value": _text(values, "value"),
    }
    errors, event = check_event([lesion_of(x) for x in patient.lesions], form)
    if errors or event is None:
        raise errors if errors else FormError(general=["the event could not be read"])
    if row is None:
        row = EventRow(patient_id=patient.id)
        session.add(row)
    row.lesion_id = lesion.id if own else None
    row.date, row.kind, row.detail, row.value = (
        event.date,
        event.kind.value,
        event.detail,
        event.value,
    )
    patient.events_recorded = True
    return row


def _apply_evidence(
    session: Session, lesion: LesionRow, row: EvidenceRow | None, values: Mapping[str, str]
) -> EvidenceRow:
    form = {
        "lesion_id": lesion.lesion_key,
        "date": _text(values, "date"),
        "kind": _text(values, "kind"),
        "value": _text(values, "value"),
    }
    errors, found = check_evidence(lesion_of(lesion), form)
    if errors or found is None:
        raise errors if errors else FormError(general=["the evidence could not be read"])
    clash = session.scalar(
        select(EvidenceRow.id).where(
            EvidenceRow.lesion_id == lesion.id,
            EvidenceRow.kind == found.kind,
            EvidenceRow.date == found.date,
        )
    )
    if clash is not None and (row is None or clash != row.id):
        raise FormError(
            fields={"date": f"a {found.kind} value on {found.date.isoformat()} is stored already"}
        )
    if row is None:
        row = EvidenceRow(lesion_id=lesion.id)
        session.add(row)
    row.date, row.kind, row.detail = found.date, found.kind, found.detail
    if isinstance(found.value, bool):
        row.number, row.flag = None, found.value
    else:
        row.number, row.flag = float(found.value), None
    return row


def _affected(lesion: LesionRow, kind: Kind) -> list[int]:
    """Lesions whose status a change of this kind can move (a patient's events: all)."""
    if kind is Kind.EVENT:
        return [x.id for x in lesion.patient.lesions]
    return [lesion.id]


def save_row(
    session: Session,
    kind: Kind,
    *,
    lesion_id: int,
    values: Mapping[str, str],
    user: str,
    row_id: int | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """Add (``row_id`` None) or edit one row of a lesion; returns the row as stored.

    Raises
    ------
    FormError
        When the values do not pass the input checks; by field where possible.
    StaleEditError
        When ``version`` is not the row's current version (or the row is gone).
    NotFoundError
        When the lesion does not exist or the row is another lesion's.
    """
    lesion = _lesion(session, lesion_id)
    before = None
    row: Any = None
    if row_id is not None:
        row = _get(session, kind, row_id, lesion)
        if version is None or row.version != version:
            raise StaleEditError(row_dict(row))
        before = row_dict(row)
    if kind is Kind.MEASUREMENT:
        row = _apply_measurement(session, lesion, row, values)
    elif kind is Kind.EVENT:
        row = _apply_event(session, lesion, row, values)
    else:
        row = _apply_evidence(session, lesion, row, values)
    session.flush()
    after = row_dict(row)
    record(
        session,
        user=user,
        action=Action.CREATE if before is None else Action.UPDATE,
        entity=kind.value,
        entity_id=row.id,
        lesion_id=lesion.id,
        before=before,
        after=after,
    )
    session.expire(lesion)
    status.refresh(session, _affected(lesion, kind))
    return after


def delete_row(
    session: Session, kind: Kind, *, lesion_id: int, row_id: int, version: int, user: str
) -> None:
    """Delete one row of a lesion at the version the user saw.

    Raises
    ------
    FormError
        When deleting a measurement would leave the lesion without a baseline.
    StaleEditError, NotFoundError
        As for :func:`save_row`.
    """
    lesion = _lesion(session, lesion_id)
    row = _get(session, kind, row_id, lesion)
    if row.version != version:
        raise StaleEditError(row_dict(row))
    if kind is Kind.MEASUREMENT:
        errors = check_measurements(
            lesion_of(lesion),
            _measurement_rows(lesion, replace=row.id, form=None),
            form_first=False,
        )
        if errors:
            raise errors
    before = row_dict(row)
    affected = _affected(lesion, kind)
    session.delete(row)
    session.flush()
    record(
        session,
        user=user,
        action=Action.DELETE,
        entity=kind.value,
        entity_id=row_id,
        lesion_id=lesion.id,
        before=before,
    )
    session.expire(lesion)
    status.refresh(session, affected)
