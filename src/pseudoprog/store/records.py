"""Translating stored rows into the domain objects the core reads, and rows into plain dicts.

The core never sees the database: :func:`history_of` builds the same
:class:`~pseudoprog.domain.LesionHistory` that :func:`~pseudoprog.io.cohort.load_cohort`
builds from the input tables, so that a lesion is classified the same way from either.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect

from pseudoprog.domain import (
    Event,
    EventKind,
    Evidence,
    Lesion,
    LesionHistory,
    Measurement,
    ResponseCategory,
    Sequence,
    Sex,
    Site,
    Treatment,
)
from pseudoprog.store.models import EventRow, EvidenceRow, LesionRow, MeasurementRow

__all__ = ["evidence_of", "history_of", "lesion_of", "row_dict"]


def lesion_of(row: LesionRow) -> Lesion:
    """The domain lesion of a stored lesion (with its treatment and patient)."""
    treatment = row.treatment
    return Lesion(
        patient_id=row.patient.patient_key,
        lesion_id=row.lesion_key,
        treatment=Treatment(treatment.date, treatment.dose_gy, treatment.fractions),
        site=Site(row.site),
        level=row.level,
        histology=row.histology,
        age=row.age,
        sex=None if row.sex is None else Sex(row.sex),
        response=None if row.response is None else ResponseCategory(row.response),
        in_vertebral_body=row.in_vertebral_body,
        body_involvement_pct=row.body_involvement_pct,
    )


def _event(row: EventRow, patient_key: str, lesion_key: str | None) -> Event:
    return Event(
        patient_key, row.date, EventKind(row.kind), lesion_key, row.detail, value=row.value
    )


def history_of(
    row: LesionRow,
    *,
    measurements: Iterable[MeasurementRow] | None = None,
    events: Iterable[EventRow] | None = None,
    lesion_keys: dict[int, str] | None = None,
) -> LesionHistory:
    """The lesion's history: its measurements and its patient's events not tied to another
    lesion (``events`` defaults to the patient's; ``lesion_keys`` names the lesions of
    lesion-bound events, by row id)."""
    lesion = lesion_of(row)
    rows = row.measurements if measurements is None else measurements
    found = [
        Measurement(lesion.lesion_id, m.date, Sequence(m.sequence), m.size_mm)
        for m in rows
        if m.lesion_id == row.id
    ]
    patient = row.patient
    if lesion_keys is None:
        lesion_keys = {x.id: x.lesion_key for x in patient.lesions}
    stored = patient.events if events is None else events
    own = [
        _event(
            e, patient.patient_key, None if e.lesion_id is None else lesion_keys.get(e.lesion_id)
        )
        for e in stored
        if e.patient_id == patient.id and (e.lesion_id is None or e.lesion_id == row.id)
    ]
    recorded = patient.events_recorded or bool(own)
    return LesionHistory.from_measurements(lesion, found, own if recorded else None)


def evidence_of(
    row: LesionRow, *, items: Iterable[EvidenceRow] | None = None
) -> tuple[Evidence, ...]:
    """The lesion's evidence as domain findings, in date order."""
    stored = row.evidence if items is None else items
    out = []
    for e in sorted(stored, key=lambda x: (x.date, x.kind)):
        value: float | bool = e.flag if e.flag is not None else float(e.number or 0.0)
        out.append(Evidence(row.lesion_key, e.date, e.kind, value, e.detail))
    return tuple(out)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def row_dict(row: object) -> dict[str, Any]:
    """The row's columns as JSON-ready values (for the audit log and the API)."""
    mapper = inspect(type(row))
    return {c.key: _plain(getattr(row, c.key)) for c in mapper.column_attrs}
