"""Assembling a patient's assessment from its timepoints, for the RECIST family of criteria.

RECIST 1.1, RANO-BM, Choi and mRECIST read each assessment the same way once their own rules
have given the target and non-target states: a :class:`TimepointResult` from those states, a
nadir that only complete target sums can lower, and at the end the best overall response over
the timepoints (with a warning when there is no follow-up yet). These functions are that
shared part, so that each criteria module holds only its own rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from pseudoprog.criteria.best_response import (
    AssessedResponse,
    BestResponseParameters,
    best_overall_response,
)
from pseudoprog.criteria.patient_result import (
    PatientAssessment,
    PatientCriteriaParameters,
    PatientWarning,
    PatientWarningKind,
    Pending,
    TimepointResult,
)
from pseudoprog.criteria.result import Reason

if TYPE_CHECKING:
    from pseudoprog.criteria.recist import NonTargetState, TargetState
    from pseudoprog.patient import PatientRecord

__all__ = ["lowered_nadir", "patient_assessment", "timepoint_result"]


class _WithBestResponse(PatientCriteriaParameters, Protocol):
    @property
    def best_response(self) -> BestResponseParameters: ...


def timepoint_result(
    *,
    day: date,
    response: StrEnum,
    target: TargetState | None,
    non_target: NonTargetState | None,
    new_lesions: bool,
    reasons: Iterable[Reason],
    nadir_mm: float | None,
    metrics: Mapping[str, float | None] | None = None,
) -> TimepointResult:
    """The result of one assessment from its overall response and the states that gave it."""
    extra = {} if metrics is None else {"metrics": metrics}
    return TimepointResult(
        date=day,
        response=response,
        target_response=None if target is None else target.response,
        non_target_response=None if non_target is None else non_target.response,
        new_lesions=new_lesions,
        target_sum_mm=None if target is None else target.sum_mm,
        change_from_baseline_pct=None if target is None else target.change_from_baseline_pct,
        change_from_nadir_pct=None if target is None else target.change_from_nadir_pct,
        reasons=tuple(reasons),
        nadir_mm=nadir_mm,
        **extra,
    )


def lowered_nadir(nadir_mm: float | None, target: TargetState | None) -> float | None:
    """The nadir after an assessment: only a sum of every target can lower it (or set it)."""
    if target is None or not target.complete or target.sum_mm is None:
        return nadir_mm
    return target.sum_mm if nadir_mm is None else min(nadir_mm, target.sum_mm)


def patient_assessment(
    *,
    record: PatientRecord,
    params: _WithBestResponse,
    baseline_date: date | None,
    baseline_sum_mm: float | None,
    results: Iterable[TimepointResult],
    warnings: Iterable[PatientWarning],
    as_of: date | None,
    pending: Iterable[Pending] = (),
) -> PatientAssessment:
    """The assessment of a patient: the timepoints, the best overall response and warnings.

    A patient without any assessment after the treatment start gets a ``no_follow_up``
    warning; the best overall response follows ``params.best_response`` and its warnings are
    added to ``warnings``.
    """
    results = tuple(results)
    warnings = list(warnings)
    if not results:
        warnings.append(
            PatientWarning(
                PatientWarningKind.NO_FOLLOW_UP, "no assessment after the treatment start yet"
            )
        )
    best = best_overall_response(
        [AssessedResponse(r.date, r.response) for r in results],  # type: ignore[arg-type]
        treatment_start=record.treatment_start,
        params=params.best_response,
    )
    warnings.extend(
        PatientWarning(PatientWarningKind.BEST_RESPONSE, w.message) for w in best.warnings
    )
    return PatientAssessment(
        patient_id=record.patient_id,
        criteria=params.criteria,
        baseline_date=baseline_date,
        baseline_sum_mm=baseline_sum_mm,
        timepoints=results,
        best_overall_response=best.best_overall_response,
        best_response_date=best.date,
        best_response_confirmed=best.confirmed,
        best_response_reasons=tuple(best.reasons),
        warnings=tuple(warnings),
        parameters=params,
        as_of=as_of,
        pending=tuple(pending),
    )
