"""A stored patient's results per study date, the content of the DICOM SR and FHIR exports.

:func:`patient_results` reads the patient's lesions in bulk
(:func:`~pseudoprog.store.histories.load_histories`) and hands them, with their evidence, to
:func:`~pseudoprog.io.lesion_timeline.study_results`, the function behind ``pseudoprog
export-sr`` and ``export-fhir``: the web application exports what the command line exports
from the same rows. Each lesion keeps the tracking UID stored with it, so that its reports
link to the lesion across time points and to what a viewer already holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from pseudoprog.io.lesion_timeline import StudyResults, study_results
from pseudoprog.store.histories import load_histories
from pseudoprog.store.models import LesionRow, PatientRow

__all__ = ["PatientResults", "patient_results"]


@dataclass(frozen=True)
class PatientResults:
    """The patient's id, results per study date and each lesion's tracking UID."""

    patient_id: str
    studies: tuple[StudyResults, ...]
    tracking_uids: dict[str, str]


def patient_results(session: Session, patient_row_id: int) -> PatientResults | None:
    """The results of the patient with this row id, or ``None`` when there is no such patient
    (a patient without measurements has no study)."""
    patient = session.get(PatientRow, patient_row_id)
    if patient is None:
        return None
    lesions = session.execute(
        select(LesionRow.id, LesionRow.lesion_key, LesionRow.uid).where(
            LesionRow.patient_id == patient_row_id
        )
    ).all()
    stored = load_histories(session, [r.id for r in lesions])
    studies = study_results(
        [s.history for s in stored], evidence=[e for s in stored for e in s.evidence]
    )
    return PatientResults(
        patient.patient_key, tuple(studies), {r.lesion_key: r.uid for r in lesions}
    )
