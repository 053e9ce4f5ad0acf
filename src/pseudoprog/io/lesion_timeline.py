"""Results per patient and study date, the content of the DICOM SR and FHIR exports.

For every date a lesion was measured, the lesion is assessed as of that date by the
point-of-care assessment (:func:`pseudoprog.evidence.assess_lesion`: the Amini 2016 status and,
for an enlarging lesion, the probability of pseudoprogression), and its size that day is
taken from the primary sequence when it was measured then, else from the first other
sequence measured (T1, T2FS, T1C order). Nothing here is computed anew: the exporters only
write what the assessment core says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from pseudoprog.domain import Evidence, Lesion, LesionHistory, ResponseCategory, Sequence
from pseudoprog.evidence import ProbabilityNote, assess_lesion

__all__ = ["LesionTimepoint", "StudyResults", "study_results"]


@dataclass(frozen=True, slots=True)
class LesionTimepoint:
    """One lesion on one study date: its size, its response and the pseudoprogression view.

    ``probability`` is ``(estimate, ci_low, ci_high)`` when the assessment gave one;
    ``probability_note`` says why there is none otherwise.
    """

    lesion: Lesion
    sequence: Sequence
    size_mm: float
    response: ResponseCategory
    probability: tuple[float, float, float] | None
    probability_note: ProbabilityNote


@dataclass(frozen=True, slots=True)
class StudyResults:
    """Every lesion of a patient measured on one study date."""

    patient_id: str
    date: date
    lesions: tuple[LesionTimepoint, ...]


def _size_on(history: LesionHistory, day: date, primary: Sequence) -> tuple[Sequence, float]:
    order = [primary, *(s for s in Sequence if s is not primary)]
    for sequence in order:
        series = history.series.get(sequence)
        if series is not None and day in series.dates:
            return sequence, series.sizes_mm[series.dates.index(day)]
    raise KeyError(day)  # pragma: no cover - only dates of the history are asked for


def study_results(
    histories: Iterable[LesionHistory],
    *,
    evidence: Iterable[Evidence] = (),
    primary: Sequence = Sequence.T1,
) -> list[StudyResults]:
    """Results per patient and study date, patients and dates in order.

    Examples
    --------
    >>> from datetime import date
    >>> from pseudoprog.domain import Lesion, LesionHistory, Measurement, Treatment
    >>> lesion = Lesion("1", "1-L1", Treatment(date(2010, 3, 1), 24, 1))
    >>> h = LesionHistory.from_measurements(lesion, [
    ...     Measurement("1-L1", date(2010, 2, 20), Sequence.T1, 20.0),
    ...     Measurement("1-L1", date(2010, 6, 1), Sequence.T1, 25.0)])
    >>> [(r.date.isoformat(), r.lesions[0].size_mm) for r in study_results([h])]
    [('2010-02-20', 20.0), ('2010-06-01', 25.0)]
    """
    rows = tuple(evidence)
    found: dict[tuple[str, date], list[LesionTimepoint]] = {}
    for history in histories:
        days = sorted({d for series in history.series.values() for d in series.dates})
        for day in days:
            sequence, size = _size_on(history, day, primary)
            result = assess_lesion(history, evidence=rows, as_of=day)
            estimate = result.probability
            found.setdefault((history.lesion.patient_id, day), []).append(
                LesionTimepoint(
                    lesion=history.lesion,
                    sequence=sequence,
                    size_mm=size,
                    response=result.status,
                    probability=None
                    if estimate is None
                    else (estimate.estimate, estimate.ci_low, estimate.ci_high),
                    probability_note=result.probability_code,
                )
            )
    patients = list(dict.fromkeys(patient for patient, _ in found))
    return [
        StudyResults(patient, day, tuple(found[(patient, day)]))
        for patient in patients
        for day in sorted(d for p, d in found if p == patient)
    ]
