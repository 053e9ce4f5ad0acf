"""Result types of the patient-level criteria: one response per timepoint, a best response.

A :class:`PatientAssessment` explains itself like a lesion's
:class:`~pseudoprog.criteria.result.Assessment`: each :class:`TimepointResult` carries the target,
non-target and new-lesion response, the sums and changes that decided them, and reasons that
quote the rule with its numbers; the patient carries the best overall response, warnings, what
is pending, and the parameters used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol

from pseudoprog.criteria.result import Finding, Reason

__all__ = [
    "PatientAssessment",
    "PatientCriteriaParameters",
    "PatientWarning",
    "PatientWarningKind",
    "Pending",
    "TimepointResult",
]


class PatientCriteriaParameters(Protocol):
    """What every patient-level parameter set offers."""

    @property
    def criteria(self) -> str: ...

    def to_dict(self) -> dict[str, Any]: ...


class PatientWarningKind(StrEnum):
    """Kinds of warnings attached to a patient-level result."""

    NO_BASELINE = "no_baseline"
    MISSING_BASELINE = "missing_baseline"
    NO_FOLLOW_UP = "no_follow_up"
    NO_MEASURABLE_DISEASE = "no_measurable_disease"
    EQUIVOCAL_NEW_LESION = "equivocal_new_lesion"
    EQUIVOCAL_NON_TARGET = "equivocal_non_target"
    CONFIRMATION_OUT_OF_WINDOW = "confirmation_out_of_window"
    UNCONFIRMED_PROGRESSION = "unconfirmed_progression"
    EVENTS_NOT_RECORDED = "events_not_recorded"
    BEST_RESPONSE = "best_response"
    SIZE_ONLY_PROGRESSION = "size_only_progression"
    """RECIST 1.1 would read PD on size alone where the criteria (Choi, mRECIST) do not."""
    ATTENUATION_NOT_MEASURED = "attenuation_not_measured"


@dataclass(frozen=True, slots=True)
class PatientWarning(Finding):
    """A warning of a patient-level result: its kind, a sentence, and the date it concerns."""

    date: date | None = None


@dataclass(frozen=True, slots=True)
class Pending:
    """Something the next scan must settle, e.g. an iUPD awaiting confirmation.

    ``due_from`` and ``due_by`` bound the window in which the confirming scan counts.
    """

    what: str
    since: date
    due_from: date | None
    due_by: date | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "since": self.since.isoformat(),
            "due_from": _iso(self.due_from),
            "due_by": _iso(self.due_by),
            "message": self.message,
        }


_NO_METRICS: Mapping[str, float | None] = MappingProxyType({})


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _code(value: StrEnum | None) -> str | None:
    return None if value is None else value.value


@dataclass(frozen=True, slots=True)
class TimepointResult:
    """Response of a patient at one assessment.

    ``target_response`` is ``None`` without target lesions, ``non_target_response`` without
    non-target lesions. ``new_lesions`` tells whether an unequivocal new lesion was seen.
    The percentages are the change of the target sum from the baseline sum and from the nadir
    (the smallest sum before this assessment, baseline included). ``metrics`` holds the
    criteria's own numbers (Choi: ``attenuation_hu``, ``attenuation_change_pct``), written to
    JSON only when there are any.
    """

    date: date
    response: StrEnum
    target_response: StrEnum | None
    non_target_response: StrEnum | None
    new_lesions: bool
    target_sum_mm: float | None
    change_from_baseline_pct: float | None
    change_from_nadir_pct: float | None
    reasons: tuple[Reason, ...]
    nadir_mm: float | None = None
    metrics: Mapping[str, float | None] = field(default_factory=lambda: _NO_METRICS)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary; the keys are the documented output fields."""
        out: dict[str, Any] = {
            "date": self.date.isoformat(),
            "response": self.response.value,
            "target_response": _code(self.target_response),
            "non_target_response": _code(self.non_target_response),
            "new_lesions": self.new_lesions,
            "target_sum_mm": _round(self.target_sum_mm),
            "change_from_baseline_pct": _round(self.change_from_baseline_pct, 1),
            "change_from_nadir_pct": _round(self.change_from_nadir_pct, 1),
            "reasons": [r.to_dict() for r in self.reasons],
        }
        if self.metrics:
            out["metrics"] = {k: _round(v) for k, v in self.metrics.items()}
        return out


@dataclass(frozen=True, slots=True)
class PatientAssessment:
    """Response of one patient by a patient-level criteria set, with everything to audit it.

    ``best_overall_response`` is the code of the best overall response (``None`` when there is
    no assessment), established on ``best_response_date``; ``best_response_reasons`` say how.
    """

    patient_id: str
    criteria: str
    baseline_date: date | None
    baseline_sum_mm: float | None
    timepoints: tuple[TimepointResult, ...]
    best_overall_response: StrEnum | None
    best_response_date: date | None
    best_response_confirmed: bool | None
    best_response_reasons: tuple[Reason, ...]
    warnings: tuple[PatientWarning, ...]
    parameters: PatientCriteriaParameters
    as_of: date | None = None
    pending: tuple[Pending, ...] = ()

    @property
    def current(self) -> TimepointResult | None:
        """The latest timepoint."""
        return self.timepoints[-1] if self.timepoints else None

    def summary(self) -> str:
        """A few lines a reader can paste into a report."""
        bor = "none" if self.best_overall_response is None else self.best_overall_response.value
        head = f"Patient {self.patient_id} by {self.criteria}: best overall response {bor}"
        if self.as_of is not None:
            head += f" as of {self.as_of.isoformat()}"
        lines = [head]
        for point in self.timepoints:
            lines.append(f"  {point.date.isoformat()}: {point.response.value}")
            lines += [f"    because: {r.message}" for r in point.reasons]
        lines += [f"  best response: {r.message}" for r in self.best_response_reasons]
        lines += [f"  pending: {p.message}" for p in self.pending]
        lines += [f"  warning: {w.message}" for w in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary; the keys are the documented output fields."""
        return {
            "patient_id": self.patient_id,
            "baseline_date": _iso(self.baseline_date),
            "baseline_sum_mm": _round(self.baseline_sum_mm),
            "timepoints": [t.to_dict() for t in self.timepoints],
            "best_overall_response": _code(self.best_overall_response),
            "best_response_date": _iso(self.best_response_date),
            "best_response_confirmed": self.best_response_confirmed,
            "best_response_reasons": [r.to_dict() for r in self.best_response_reasons],
            "pending": [p.to_dict() for p in self.pending],
            "warnings": [w.to_dict() for w in self.warnings],
        }
