"""Time course of OPP lesions per sequence, and the size trajectories behind the figures.

For each sequence, over the lesions whose response is OPP and that enlarged on that sequence
(Amini et al. 2016, Results and Fig 3): time to peak in weeks after treatment (mean with the
t and the normal-approximation interval, range), peak change from baseline in mm (mean,
range), and time back to baseline (first study after the peak within the measurement error of
the baseline; mean and range of the lesions that returned, and how many never returned).

Examples
--------
>>> from datetime import date, timedelta
>>> from pseudoprog.criteria.amini2016 import assess
>>> from pseudoprog.domain import Lesion, LesionHistory, Sequence, SizeSeries, Treatment
>>> t0 = date(2012, 1, 10)
>>> days = [-7, 84, 168, 252]
>>> series = SizeSeries(Sequence.T1, tuple(t0 + timedelta(d) for d in days),
...                     (20.0, 25.0, 21.0, 20.0))
>>> history = LesionHistory(Lesion("1", "1a", Treatment(t0, 24, 1)), {Sequence.T1: series})
>>> course = opp_time_course([assess(history)])
>>> t1 = course.sequences[0]
>>> t1.time_to_peak_weeks.mean, t1.peak_change_mm.mean, t1.time_to_baseline_weeks.mean
(12.0, 5.0, 24.0)
>>> trajectories([history], [assess(history)])[0].change_mm
(0.0, 5.0, 1.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from typing import Any

from pseudoprog.criteria.result import Assessment
from pseudoprog.domain import LesionHistory, ResponseCategory, Sequence
from pseudoprog.errors import ParameterError
from pseudoprog.stats.summaries import MeanSummary, mean_summary

__all__ = [
    "LesionCourse",
    "SequenceTimeCourse",
    "TimeCourse",
    "Trajectory",
    "opp_time_course",
    "trajectories",
]


@dataclass(frozen=True, slots=True)
class LesionCourse:
    """Time-course values of one lesion on one sequence."""

    lesion_id: str
    time_to_peak_weeks: float
    peak_change_mm: float
    time_to_baseline_weeks: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lesion_id": self.lesion_id,
            "time_to_peak_weeks": self.time_to_peak_weeks,
            "peak_change_mm": self.peak_change_mm,
            "time_to_baseline_weeks": self.time_to_baseline_weeks,
        }


@dataclass(frozen=True, slots=True)
class SequenceTimeCourse:
    """Time course of the OPP lesions on one sequence.

    ``not_enlarged`` counts OPP lesions that did not enlarge on this sequence or were not
    imaged with it; they have no peak and are not in the summaries.
    """

    sequence: Sequence
    lesions: tuple[LesionCourse, ...]
    not_enlarged: int
    time_to_peak_weeks: MeanSummary
    peak_change_mm: MeanSummary
    time_to_baseline_weeks: MeanSummary

    @property
    def n(self) -> int:
        return len(self.lesions)

    @property
    def never_returned(self) -> int:
        return sum(1 for c in self.lesions if c.time_to_baseline_weeks is None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sequence": self.sequence.value,
            "description": self.sequence.description,
            "n_lesions": self.n,
            "not_enlarged_or_not_imaged": self.not_enlarged,
            "time_to_peak_weeks": self.time_to_peak_weeks.to_dict(),
            "peak_change_mm": self.peak_change_mm.to_dict(),
            "time_to_baseline_weeks": self.time_to_baseline_weeks.to_dict(),
            "never_returned_to_baseline": self.never_returned,
            "lesions": [c.to_dict() for c in self.lesions],
        }


@dataclass(frozen=True, slots=True)
class TimeCourse:
    """Time course of the lesions with one response (OPP), per sequence."""

    response: ResponseCategory
    n_lesions: int
    sequences: tuple[SequenceTimeCourse, ...]
    error_mm: float

    def sequence(self, sequence: Sequence) -> SequenceTimeCourse | None:
        return next((s for s in self.sequences if s.sequence is sequence), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "response": self.response.value,
            "n_lesions": self.n_lesions,
            "error_mm": self.error_mm,
            "definitions": {
                "time_to_peak_weeks": "weeks from treatment to the largest follow-up size",
                "peak_change_mm": "peak size minus baseline size",
                "time_to_baseline_weeks": (
                    "weeks from treatment to the first study after the peak within the "
                    "measurement error of the baseline; lesions that never returned are counted "
                    "in never_returned_to_baseline and left out of the mean"
                ),
            },
            "sequences": [s.to_dict() for s in self.sequences],
        }


def opp_time_course(
    assessments: Iterable[Assessment],
    *,
    response: ResponseCategory = ResponseCategory.OPP,
    confidence: float = 0.95,
) -> TimeCourse | None:
    """Time course per sequence of the lesions whose response is ``response``.

    Returns ``None`` when no lesion has that response.
    """
    chosen = [a for a in assessments if a.category is response]
    if not chosen:
        return None
    error = float(getattr(chosen[0].parameters, "error_mm", 2.0))
    out = []
    for sequence in Sequence:
        courses = []
        for a in chosen:
            r = a.per_sequence.get(sequence)
            if r is None or r.time_to_peak_weeks is None or r.peak_change_mm is None:
                continue
            courses.append(
                LesionCourse(
                    a.lesion.lesion_id,
                    r.time_to_peak_weeks,
                    r.peak_change_mm,
                    r.time_to_baseline_weeks,
                )
            )
        if not courses and not any(sequence in a.per_sequence for a in chosen):
            continue
        out.append(
            SequenceTimeCourse(
                sequence=sequence,
                lesions=tuple(courses),
                not_enlarged=len(chosen) - len(courses),
                time_to_peak_weeks=mean_summary(
                    (c.time_to_peak_weeks for c in courses), confidence=confidence
                ),
                peak_change_mm=mean_summary(
                    (c.peak_change_mm for c in courses), confidence=confidence
                ),
                time_to_baseline_weeks=mean_summary(
                    (
                        c.time_to_baseline_weeks
                        for c in courses
                        if c.time_to_baseline_weeks is not None
                    ),
                    confidence=confidence,
                ),
            )
        )
    return TimeCourse(response, len(chosen), tuple(out), error)


@dataclass(frozen=True, slots=True)
class Trajectory:
    """Change from baseline of one lesion on one sequence, from the baseline study on."""

    lesion_id: str
    patient_id: str
    sequence: Sequence
    response: ResponseCategory
    single_fraction: bool
    weeks: tuple[float, ...]
    change_mm: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "lesion_id": self.lesion_id,
            "sequence": self.sequence.value,
            "response": self.response.value,
            "single_fraction": self.single_fraction,
            "weeks": list(self.weeks),
            "change_mm": list(self.change_mm),
        }


def trajectories(
    histories: Seq[LesionHistory], assessments: Seq[Assessment]
) -> tuple[Trajectory, ...]:
    """Change from each sequence's baseline, in weeks after treatment (baseline ≤ 0 weeks).

    Studies before the baseline (older screening studies) are left out.
    """
    if len(histories) != len(assessments):
        raise ParameterError("histories and assessments must have the same length and order")
    out = []
    for history, a in zip(histories, assessments, strict=True):
        if history.lesion.lesion_id != a.lesion.lesion_id:
            raise ParameterError(
                f"history {history.lesion.lesion_id!r} is paired with the assessment of "
                f"{a.lesion.lesion_id!r}; give them in the same order"
            )
        treated = history.lesion.treatment.date
        for sequence, series in history.series.items():
            r = a.per_sequence.get(sequence)
            if r is None or r.baseline_date is None or r.baseline_mm is None:
                continue
            points = [
                ((d - treated).days / 7.0, s - r.baseline_mm)
                for d, s in zip(series.dates, series.sizes_mm, strict=True)
                if d >= r.baseline_date and (a.as_of is None or d <= a.as_of)
            ]
            out.append(
                Trajectory(
                    lesion_id=a.lesion.lesion_id,
                    patient_id=a.lesion.patient_id,
                    sequence=sequence,
                    response=a.category,
                    single_fraction=a.lesion.treatment.single_fraction,
                    weeks=tuple(w for w, _ in points),
                    change_mm=tuple(round(c, 6) for _, c in points),
                )
            )
    return tuple(out)
