"""Lesion histories read in bulk: four queries per 500 lesions, whatever their count.

:func:`load_histories` builds, for many lesions at once, the same
:class:`~pseudoprog.domain.LesionHistory` and evidence that
:func:`~pseudoprog.store.records.history_of` and
:func:`~pseudoprog.store.records.evidence_of` build from one loaded lesion, but from plain
column tuples (no ORM objects, no lazy loads), so recomputing the status of a large import
costs a few queries and the core's own work.

>>> CHUNK
500
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

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
from pseudoprog.store.models import (
    EventRow,
    EvidenceRow,
    LesionRow,
    MeasurementRow,
    PatientRow,
    TreatmentRow,
)

__all__ = ["CHUNK", "StoredLesion", "load_histories"]

#: Lesions read per round of queries (keeps ``IN`` lists within every database's limits).
CHUNK = 500


@dataclass(frozen=True, slots=True)
class StoredLesion:
    """A stored lesion as the core reads it: its history and its evidence in date order."""

    id: int
    history: LesionHistory
    evidence: tuple[Evidence, ...]


def _lesion(r: Any) -> Lesion:
    return Lesion(
        patient_id=r.patient_key,
        lesion_id=r.lesion_key,
        treatment=Treatment(r.date, r.dose_gy, r.fractions),
        site=Site(r.site),
        level=r.level,
        histology=r.histology,
        age=r.age,
        sex=None if r.sex is None else Sex(r.sex),
        response=None if r.response is None else ResponseCategory(r.response),
        in_vertebral_body=r.in_vertebral_body,
        body_involvement_pct=r.body_involvement_pct,
    )


def _chunk(session: Session, ids: list[int]) -> list[StoredLesion]:
    lesions = session.execute(
        select(
            LesionRow.id,
            LesionRow.patient_id,
            PatientRow.patient_key,
            PatientRow.events_recorded,
            LesionRow.lesion_key,
            LesionRow.site,
            LesionRow.level,
            LesionRow.histology,
            LesionRow.age,
            LesionRow.sex,
            LesionRow.response,
            LesionRow.in_vertebral_body,
            LesionRow.body_involvement_pct,
            TreatmentRow.date,
            TreatmentRow.dose_gy,
            TreatmentRow.fractions,
        )
        .join(PatientRow, PatientRow.id == LesionRow.patient_id)
        .join(TreatmentRow, TreatmentRow.lesion_id == LesionRow.id)
        .where(LesionRow.id.in_(ids))
        .order_by(LesionRow.id)
    ).all()
    sizes: dict[int, list[tuple[Any, str, float]]] = {}
    for lesion_id, day, sequence, size in session.execute(
        select(
            MeasurementRow.lesion_id,
            MeasurementRow.date,
            MeasurementRow.sequence,
            MeasurementRow.size_mm,
        ).where(MeasurementRow.lesion_id.in_(ids))
    ):
        sizes.setdefault(lesion_id, []).append((day, sequence, size))
    bound = aliased(LesionRow)
    patients = sorted({r.patient_id for r in lesions})
    events: dict[int, list[Any]] = {}
    for e in session.execute(
        select(
            EventRow.patient_id,
            EventRow.lesion_id,
            bound.lesion_key,
            EventRow.date,
            EventRow.kind,
            EventRow.detail,
            EventRow.value,
        )
        .outerjoin(bound, bound.id == EventRow.lesion_id)
        .where(EventRow.patient_id.in_(patients))
        .order_by(EventRow.id)
    ):
        events.setdefault(e.patient_id, []).append(e)
    findings: dict[int, list[Any]] = {}
    for f in session.execute(
        select(
            EvidenceRow.lesion_id,
            EvidenceRow.date,
            EvidenceRow.kind,
            EvidenceRow.number,
            EvidenceRow.flag,
            EvidenceRow.detail,
        ).where(EvidenceRow.lesion_id.in_(ids))
    ):
        findings.setdefault(f.lesion_id, []).append(f)
    out = []
    for r in lesions:
        lesion = _lesion(r)
        measured = [
            Measurement(r.lesion_key, day, Sequence(sequence), size)
            for day, sequence, size in sizes.get(r.id, ())
        ]
        own = [
            Event(r.patient_key, e.date, EventKind(e.kind), e.lesion_key, e.detail, value=e.value)
            for e in events.get(r.patient_id, ())
            if e.lesion_id is None or e.lesion_id == r.id
        ]
        recorded = r.events_recorded or bool(own)
        history = LesionHistory.from_measurements(lesion, measured, own if recorded else None)
        evidence = tuple(
            Evidence(
                r.lesion_key,
                f.date,
                f.kind,
                f.flag if f.flag is not None else float(f.number or 0.0),
                f.detail,
            )
            for f in sorted(findings.get(r.id, ()), key=lambda x: (x.date, x.kind))
        )
        out.append(StoredLesion(r.id, history, evidence))
    return out


def load_histories(session: Session, lesion_ids: Iterable[int]) -> list[StoredLesion]:
    """The histories and evidence of the lesions with these row ids, in id order (ids of
    lesions that do not exist are left out)."""
    ids = sorted(set(lesion_ids))
    out: list[StoredLesion] = []
    for start in range(0, len(ids), CHUNK):
        out.extend(_chunk(session, ids[start : start + CHUNK]))
    return out
