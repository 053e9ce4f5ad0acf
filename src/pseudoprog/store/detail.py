"""Reading one lesion or patient with everything stored about it, as plain dicts.

The API returns these dicts as JSON and the pages render them; rows carry their ``id`` and
``version`` so that an edit can name the version it was made on.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from pseudoprog.store.audit import history
from pseudoprog.store.models import LesionRow, LesionStatus, PatientRow, TreatmentRow
from pseudoprog.store.records import row_dict

__all__ = ["lesion_detail", "lesion_summary", "patient_detail", "summaries"]


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _summary(r: Any, today: date) -> dict[str, Any]:
    """The summary of one lesion from its columns (attribute access: a row or a tuple)."""
    result = dict(r.result) if r.result else {}
    due = r.next_due
    late = None if due is None else (today - due).days
    return {
        **result,
        "id": r.id,
        "uid": r.uid,
        "patient_id": r.patient_key,
        "lesion_id": r.lesion_key,
        "site": r.site,
        "level": r.level,
        "treatment": {"date": r.date.isoformat(), "dose_gy": r.dose_gy, "fractions": r.fractions},
        "criteria": r.criteria,
        "response": r.response,
        "probability": None
        if r.probability is None
        else {
            "estimate": round(r.probability, 4),
            "ci_low": None if r.probability_low is None else round(r.probability_low, 4),
            "ci_high": None if r.probability_high is None else round(r.probability_high, 4),
        },
        "last_study": _iso(r.last_study),
        "next_due": _iso(due),
        "overdue_days": late if late is not None and late > 0 else None,
        "note": r.note,
    }


_STATUS_COLUMNS = (
    "criteria",
    "response",
    "probability",
    "probability_low",
    "probability_high",
    "last_study",
    "next_due",
    "result",
    "note",
)


def lesion_summary(row: LesionRow, *, today: date | None = None) -> dict[str, Any]:
    """The lesion with its status: the classify fields (``response``, ``reasons``, ...) and
    the worklist's (criteria, probability, next scan due and days overdue)."""
    st: LesionStatus | None = row.status
    t = row.treatment
    values = SimpleNamespace(
        id=row.id,
        uid=row.uid,
        patient_key=row.patient.patient_key,
        lesion_key=row.lesion_key,
        site=row.site,
        level=row.level,
        date=t.date,
        dose_gy=t.dose_gy,
        fractions=t.fractions,
        **{c: None if st is None else getattr(st, c) for c in _STATUS_COLUMNS},
    )
    return _summary(values, today or date.today())


def summaries(session: Session, ids: list[int]) -> list[dict[str, Any]]:
    """:func:`lesion_summary` of each lesion, in the order of ``ids`` (one query)."""
    if not ids:
        return []
    stmt = (
        select(
            LesionRow.id,
            LesionRow.uid,
            PatientRow.patient_key,
            LesionRow.lesion_key,
            LesionRow.site,
            LesionRow.level,
            TreatmentRow.date,
            TreatmentRow.dose_gy,
            TreatmentRow.fractions,
            *(getattr(LesionStatus, c) for c in _STATUS_COLUMNS),
        )
        .join(PatientRow, PatientRow.id == LesionRow.patient_id)
        .join(TreatmentRow, TreatmentRow.lesion_id == LesionRow.id)
        .outerjoin(LesionStatus, LesionStatus.lesion_id == LesionRow.id)
        .where(LesionRow.id.in_(list(ids)))
    )
    today = date.today()
    found = {r.id: _summary(r, today) for r in session.execute(stmt)}
    return [found[i] for i in ids if i in found]


def lesion_detail(session: Session, lesion_id: int) -> dict[str, Any] | None:
    """Everything about one lesion: summary, assessment, rows, and its edit history."""
    row = session.get(LesionRow, lesion_id)
    if row is None:
        return None
    patient = row.patient
    events = [e for e in patient.events if e.lesion_id in (None, row.id)]
    return {
        **lesion_summary(row),
        "histology": row.histology,
        "age": row.age,
        "sex": row.sex,
        "assigned_response": row.response,
        "version": row.version,
        "patient_row": patient.id,
        "events_recorded": patient.events_recorded,
        "assessment": None if row.status is None else row.status.assessment,
        "measurements": [
            row_dict(m) for m in sorted(row.measurements, key=lambda m: (m.date, m.sequence))
        ],
        "events": [row_dict(e) for e in sorted(events, key=lambda e: (e.date, e.kind))],
        "evidence": [row_dict(e) for e in sorted(row.evidence, key=lambda e: (e.date, e.kind))],
        "history": [row_dict(a) for a in history(session, lesion_id=row.id)],
    }


def patient_detail(session: Session, patient_id: int) -> dict[str, Any] | None:
    """A patient with each lesion's summary and the patient's events."""
    patient = session.scalar(
        select(PatientRow)
        .where(PatientRow.id == patient_id)
        .options(selectinload(PatientRow.lesions), selectinload(PatientRow.events))
    )
    if patient is None:
        return None
    keys = {x.id: x.lesion_key for x in patient.lesions}
    return {
        "id": patient.id,
        "patient_id": patient.patient_key,
        "events_recorded": patient.events_recorded,
        "lesions": summaries(session, sorted(keys, key=lambda i: keys[i])),
        "events": [
            {**row_dict(e), "lesion": None if e.lesion_id is None else keys.get(e.lesion_id)}
            for e in sorted(patient.events, key=lambda e: e.date)
        ],
    }
