"""Response criteria: pure rule engines, one module per criteria set.

Every engine offers ``assess(history, *, as_of=None, params=...) -> Assessment`` (the
:class:`ResponseCriteria` protocol) and records its parameters in each result.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from pseudoprog.criteria import amini2016
from pseudoprog.criteria.amini2016 import Amini2016Parameters, Rule
from pseudoprog.criteria.inclusion import inclusion_checks
from pseudoprog.criteria.result import (
    Assessment,
    CheckStatus,
    CriteriaParameters,
    Finding,
    InclusionCheck,
    Reason,
    SequenceAssessment,
    WarningKind,
)
from pseudoprog.domain import LesionHistory

__all__ = [
    "CRITERIA_SETS",
    "Amini2016Parameters",
    "Assessment",
    "CheckStatus",
    "CriteriaParameters",
    "Finding",
    "InclusionCheck",
    "Reason",
    "ResponseCriteria",
    "Rule",
    "SequenceAssessment",
    "WarningKind",
    "amini2016",
    "inclusion_checks",
]


class ResponseCriteria(Protocol):
    """The call every criteria engine offers."""

    def __call__(
        self, history: LesionHistory, *, as_of: date | None = ..., params: Amini2016Parameters = ...
    ) -> Assessment: ...


#: Criteria sets by name.
CRITERIA_SETS: dict[str, ResponseCriteria] = {"amini2016": amini2016.assess}
