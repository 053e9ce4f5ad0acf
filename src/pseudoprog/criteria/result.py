"""Result types shared by every response-criteria engine.

An :class:`Assessment` explains itself: the category, the sequence that decided it, the rule
that fired with its numbers (:class:`Reason`), warnings, the inclusion checks of the source
paper, and the parameters used, so that the decision can be audited and replayed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from types import MappingProxyType
from typing import Any, Protocol, cast

from pseudoprog.domain import Lesion, ResponseCategory, Sequence

__all__ = [
    "Assessment",
    "CheckStatus",
    "CriteriaParameters",
    "Finding",
    "InclusionCheck",
    "Reason",
    "SequenceAssessment",
    "WarningKind",
]


class CriteriaParameters(Protocol):
    """What every criteria parameter set offers."""

    @property
    def criteria(self) -> str: ...

    @property
    def primary_sequence(self) -> Sequence: ...

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class Reason:
    """A rule that contributed to a decision, with its numbers spelled out.

    ``rule`` is a string enum member of the criteria module; its value is a stable code.
    """

    rule: StrEnum
    message: str

    @property
    def code(self) -> str:
        return str(self.rule)

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.rule, "message": self.message}


class WarningKind(StrEnum):
    """Kinds of warnings attached to an assessment."""

    MISSING_BASELINE = "missing_baseline"
    NO_FOLLOW_UP = "no_follow_up"
    PRIMARY_SEQUENCE_MISSING = "primary_sequence_missing"
    SEQUENCES_DISAGREE = "sequences_disagree"
    DECLINE_UNCONFIRMED = "decline_unconfirmed"
    EVENTS_NOT_RECORDED = "events_not_recorded"


@dataclass(frozen=True, slots=True)
class Finding:
    """A warning attached to a result: its kind and a sentence for the reader."""

    kind: StrEnum
    """A :class:`WarningKind`, or the warning kind of another result type."""
    message: str

    @property
    def code(self) -> str:
        return str(self.kind)

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.kind.value, "message": self.message}


class CheckStatus(StrEnum):
    """Outcome of one inclusion check."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class InclusionCheck:
    """One inclusion criterion of the source study, judged on the data available.

    The checks are reported, never applied silently: a lesion that fails one is still
    classified.
    """

    criterion: str
    status: CheckStatus
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"criterion": self.criterion, "status": self.status, "detail": self.detail}


#: Plain-text keys for JSON (some encoders accept only exact ``str`` keys).
_KEY = {s: s.value for s in Sequence}


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


@dataclass(frozen=True, slots=True)
class SequenceAssessment:
    """Response of a lesion on one sequence.

    ``category`` is ``None`` when the sequence cannot be judged (no baseline, or no follow-up).
    ``largest_change_mm`` is the largest follow-up size minus the baseline, for every sequence
    with a follow-up. The peak fields describe an enlargement (growth of at least the error)
    and are ``None`` otherwise: ``time_to_peak_weeks`` (weeks after treatment),
    ``peak_change_mm`` (peak minus baseline), ``time_to_baseline_weeks`` (weeks after
    treatment to the first study after the peak within the error of the baseline; ``None`` when
    it never came back).
    """

    sequence: Sequence
    category: ResponseCategory | None
    baseline_date: date | None = None
    baseline_mm: float | None = None
    follow_up_count: int = 0
    last_date: date | None = None
    largest_change_mm: float | None = None
    peak_date: date | None = None
    peak_mm: float | None = None
    time_to_peak_weeks: float | None = None
    peak_change_mm: float | None = None
    first_enlarged_date: date | None = None
    enlarged_study_count: int = 0
    decline_date: date | None = None
    time_to_baseline_weeks: float | None = None
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[Finding, ...] = ()

    @property
    def evaluable(self) -> bool:
        return self.category is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary (dates as ISO text)."""
        return {
            "response": self.category,
            "baseline_date": _iso(self.baseline_date),
            "baseline_mm": self.baseline_mm,
            "follow_up_count": self.follow_up_count,
            "last_date": _iso(self.last_date),
            "largest_change_mm": _round(self.largest_change_mm),
            "peak_date": _iso(self.peak_date),
            "time_to_peak_weeks": _round(self.time_to_peak_weeks),
            "peak_change_mm": _round(self.peak_change_mm),
            "first_enlarged_date": _iso(self.first_enlarged_date),
            "decline_date": _iso(self.decline_date),
            "time_to_baseline_weeks": _round(self.time_to_baseline_weeks),
            "reasons": [r.to_dict() for r in self.reasons],
            "warnings": [w.to_dict() for w in self.warnings],
        }


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclass(frozen=True, slots=True)
class Assessment:
    """Response of one lesion, with everything needed to audit it.

    The lesion-level category is that of :attr:`sequence`, normally the primary sequence;
    the other sequences are in :attr:`per_sequence`.
    """

    lesion: Lesion
    category: ResponseCategory
    sequence: Sequence | None
    per_sequence: Mapping[Sequence, SequenceAssessment]
    reasons: tuple[Reason, ...]
    warnings: tuple[Finding, ...]
    parameters: CriteriaParameters
    as_of: date | None = None
    inclusion: tuple[InclusionCheck, ...] = ()

    @classmethod
    def from_sequences(
        cls,
        lesion: Lesion,
        per_sequence: Mapping[Sequence, SequenceAssessment],
        *,
        deciding: Sequence,
        primary: Sequence,
        warnings: list[Finding],
        parameters: CriteriaParameters,
        as_of: date | None,
        inclusion: tuple[InclusionCheck, ...],
    ) -> Assessment:
        """The lesion's result from its sequences, ``deciding`` (an evaluable one) deciding.

        Adds to ``warnings`` (the lesion's own, e.g. about events) those of the deciding
        sequence, a warning when it is not the primary sequence, and one when other sequences
        give other categories.
        """
        decided = per_sequence[deciding]
        category = cast(ResponseCategory, decided.category)  # evaluable by the caller's choice
        if deciding is not primary:
            why = "has no studies" if primary not in per_sequence else "cannot be judged"
            warnings.append(
                Finding(
                    WarningKind.PRIMARY_SEQUENCE_MISSING,
                    f"primary sequence {primary.value} {why}; {deciding.value} was used instead",
                )
            )
        warnings.extend(w for w in decided.warnings if w.kind is not WarningKind.MISSING_BASELINE)
        disagree = [
            f"{s.value} gives {r.category.value}"
            for s, r in per_sequence.items()
            if r.category is not None and r.category is not category
        ]
        if disagree:
            warnings.append(
                Finding(
                    WarningKind.SEQUENCES_DISAGREE,
                    f"sequences disagree: {deciding.value} gives {category.value}, "
                    + ", ".join(disagree),
                )
            )
        return cls(
            lesion=lesion,
            category=category,
            sequence=deciding,
            per_sequence=MappingProxyType(per_sequence),
            reasons=decided.reasons,
            warnings=tuple(warnings),
            parameters=parameters,
            as_of=as_of,
            inclusion=inclusion,
        )

    @property
    def deciding(self) -> SequenceAssessment | None:
        """The per-sequence result that decided the lesion's category."""
        return None if self.sequence is None else self.per_sequence.get(self.sequence)

    @property
    def time_to_peak_weeks(self) -> float | None:
        d = self.deciding
        return None if d is None else d.time_to_peak_weeks

    @property
    def peak_change_mm(self) -> float | None:
        d = self.deciding
        return None if d is None else d.peak_change_mm

    @property
    def time_to_baseline_weeks(self) -> float | None:
        d = self.deciding
        return None if d is None else d.time_to_baseline_weeks

    def summary(self) -> str:
        """A few lines a reader can paste into a report."""
        lesion = self.lesion
        seq = "no sequence" if self.sequence is None else self.sequence.value
        lines = [
            f"Lesion {lesion.lesion_id} (patient {lesion.patient_id}): "
            f"{self.category.value} ({self.category.meaning}) on {seq}"
            + ("" if self.as_of is None else f" as of {self.as_of.isoformat()}")
        ]
        lines += [f"  because: {r.message}" for r in self.reasons]
        lines += [f"  warning: {w.message}" for w in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary; the keys are the documented output fields."""
        return {
            "patient_id": self.lesion.patient_id,
            "lesion_id": self.lesion.lesion_id,
            "response": self.category,
            "primary_sequence": self.parameters.primary_sequence,
            "deciding_sequence": self.sequence,
            "time_to_peak_weeks": _round(self.time_to_peak_weeks),
            "peak_change_mm": _round(self.peak_change_mm),
            "time_to_baseline_weeks": _round(self.time_to_baseline_weeks),
            "per_sequence": {_KEY[s]: r.to_dict() for s, r in self.per_sequence.items()},
            "reasons": [r.to_dict() for r in self.reasons],
            "warnings": [w.to_dict() for w in self.warnings],
            "inclusion": [c.to_dict() for c in self.inclusion],
        }
