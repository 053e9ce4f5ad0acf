"""The paper's inclusion criteria over a cohort: counts per criterion and excluded lesions.

The checks themselves are those of :mod:`pseudoprog.criteria.inclusion` (Amini et al. 2016,
Patient Population: follow-up ≥ 6 months, no hardware or cement, no significant fracture,
lesion in the vertebral body, ≤ 75% of the body). A criterion is applied only where the data
to judge it exist: without measurements the follow-up is unknown, and without an events table
hardware and fracture are unknown rather than "none recorded". Unknown never excludes.

Examples
--------
>>> from datetime import date
>>> from pseudoprog.criteria.result import CheckStatus, InclusionCheck
>>> from pseudoprog.domain import Lesion, Treatment
>>> lesion = Lesion("1", "1a", Treatment(date(2010, 1, 1), 24, 1))
>>> checks = (InclusionCheck("follow_up", CheckStatus.NOT_MET, "3 months"),)
>>> s = summarize_inclusion([(lesion, checks)])
>>> s.n_included, s.n_excluded, s.excluded[0].lesion_id
(0, 1, '1a')
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from pseudoprog.criteria.amini2016 import DEFAULT_PARAMETERS, Amini2016Parameters
from pseudoprog.criteria.inclusion import CRITERIA, inclusion_checks
from pseudoprog.criteria.result import CheckStatus, InclusionCheck
from pseudoprog.domain import Event, Lesion, LesionHistory

__all__ = [
    "CriterionSummary",
    "ExcludedLesion",
    "InclusionSummary",
    "checks_without_measurements",
    "mark_events_unknown",
    "summarize_inclusion",
]

_NEEDS_EVENTS = ("no_hardware", "no_fracture")


def checks_without_measurements(
    lesion: Lesion,
    events: Iterable[Event],
    *,
    events_available: bool,
    params: Amini2016Parameters = DEFAULT_PARAMETERS,
) -> tuple[InclusionCheck, ...]:
    """Inclusion checks of a lesion known only from the lesions table (no imaging dates)."""
    history = LesionHistory.from_measurements(lesion, (), events)
    checks = inclusion_checks(history, {}, as_of=None, params=params)
    out = []
    for check in checks:
        if check.criterion == "follow_up":
            check = InclusionCheck(
                "follow_up", CheckStatus.UNKNOWN, "no measurements given: follow-up not known"
            )
        out.append(check)
    return mark_events_unknown(tuple(out), events_available=events_available)


def mark_events_unknown(
    checks: tuple[InclusionCheck, ...], *, events_available: bool
) -> tuple[InclusionCheck, ...]:
    """Turn "no event recorded" into unknown when no events table was given."""
    if events_available:
        return checks
    return tuple(
        replace(c, status=CheckStatus.UNKNOWN, detail="no events table given")
        if c.criterion in _NEEDS_EVENTS and c.status is CheckStatus.MET
        else c
        for c in checks
    )


@dataclass(frozen=True, slots=True)
class CriterionSummary:
    """How many lesions met, did not meet, or could not be judged on one criterion."""

    criterion: str
    description: str
    met: int
    not_met: int
    unknown: int
    unknown_reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "description": self.description,
            "met": self.met,
            "not_met": self.not_met,
            "unknown": self.unknown,
            "unknown_reason": self.unknown_reason,
        }


@dataclass(frozen=True, slots=True)
class ExcludedLesion:
    """A lesion that failed at least one criterion, with the failed checks."""

    lesion_id: str
    patient_id: str
    failed: tuple[InclusionCheck, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "lesion_id": self.lesion_id,
            "patient_id": self.patient_id,
            "failed": [c.to_dict() for c in self.failed],
        }


@dataclass(frozen=True, slots=True)
class InclusionSummary:
    """Inclusion over a cohort. With ``applied`` false, excluded lesions stay in the analyses."""

    n_input: int
    criteria: tuple[CriterionSummary, ...]
    excluded: tuple[ExcludedLesion, ...]
    applied: bool = True

    @property
    def n_excluded(self) -> int:
        return len(self.excluded)

    @property
    def n_included(self) -> int:
        return self.n_input - self.n_excluded

    @property
    def excluded_ids(self) -> frozenset[str]:
        return frozenset(e.lesion_id for e in self.excluded)

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_input": self.n_input,
            "n_included": self.n_included,
            "n_excluded": self.n_excluded,
            "applied": self.applied,
            "criteria": [c.to_dict() for c in self.criteria],
            "excluded": [e.to_dict() for e in self.excluded],
        }


def summarize_inclusion(
    checked: Iterable[tuple[Lesion, tuple[InclusionCheck, ...]]], *, apply: bool = True
) -> InclusionSummary:
    """Count each criterion over the lesions and list those that failed one.

    Parameters
    ----------
    checked
        Each lesion with its inclusion checks.
    apply
        Whether failing lesions are left out of the analyses (recorded in the result).
    """
    rows = list(checked)
    criteria = []
    for code, description in CRITERIA.items():
        statuses: Counter[CheckStatus] = Counter()
        reasons: Counter[str] = Counter()
        for _, checks in rows:
            for check in checks:
                if check.criterion == code:
                    statuses[check.status] += 1
                    if check.status is CheckStatus.UNKNOWN:
                        reasons[check.detail] += 1
        criteria.append(
            CriterionSummary(
                code,
                description,
                statuses[CheckStatus.MET],
                statuses[CheckStatus.NOT_MET],
                statuses[CheckStatus.UNKNOWN],
                "; ".join(reasons),
            )
        )
    excluded = tuple(
        ExcludedLesion(
            lesion.lesion_id,
            lesion.patient_id,
            tuple(c for c in checks if c.status is CheckStatus.NOT_MET),
        )
        for lesion, checks in rows
        if any(c.status is CheckStatus.NOT_MET for c in checks)
    )
    return InclusionSummary(len(rows), tuple(criteria), excluded, apply)
