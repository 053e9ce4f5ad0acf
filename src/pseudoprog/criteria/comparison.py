"""Two patient-level criteria side by side: the same patients, the same assessments.

``classify --criteria choi --compare recist1.1`` shows where the criteria part: a liver
metastasis that grows while its attenuation falls is PD by RECIST 1.1 and PR by Choi.
:func:`compare` pairs the two results of one patient by assessment date.

Examples
--------
>>> from datetime import date
>>> from pseudoprog.criteria import choi, recist
>>> from pseudoprog.patient import Observation, PatientRecord, TrackedLesion
>>> record = PatientRecord(
...     "G1", date(2021, 1, 10), (TrackedLesion("G1", "L1", organ="liver"),),
...     {"L1": (Observation(date(2021, 1, 5), 50.0, attenuation_hu=80.0),
...             Observation(date(2021, 3, 8), 62.0, attenuation_hu=52.0))})
>>> pair = compare(choi.assess(record), recist.assess(record))
>>> [(p.date.isoformat(), p.response.value, p.other.value, p.agree) for p in pair.timepoints]
[('2021-03-08', 'PR', 'PD', False)]
>>> pair.best_overall_response.value, pair.other_best_overall_response.value
('PR', 'PD')
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from pseudoprog.criteria.patient_result import PatientAssessment
from pseudoprog.errors import ParameterError

__all__ = ["ComparedTimepoint", "PatientComparison", "compare"]


def _plain(code: StrEnum | None) -> str | None:
    """A response code on RECIST 1.1's scale (iRECIST's iUPD and iCPD are both PD)."""
    if code is None:
        return None
    recist = getattr(code, "recist", None)
    return str(recist.value) if isinstance(recist, StrEnum) else str(code.value)


@dataclass(frozen=True, slots=True)
class ComparedTimepoint:
    """One assessment by both criteria (``None`` where one of them has no such date)."""

    date: date
    response: StrEnum | None
    other: StrEnum | None

    @property
    def agree(self) -> bool:
        """Whether both read the same response (on RECIST 1.1's codes)."""
        return _plain(self.response) == _plain(self.other)

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "response": None if self.response is None else self.response.value,
            "compare_response": None if self.other is None else self.other.value,
            "agree": self.agree,
        }


@dataclass(frozen=True, slots=True)
class PatientComparison:
    """One patient by two criteria: each assessment paired, and both best responses."""

    patient_id: str
    criteria: str
    other_criteria: str
    timepoints: tuple[ComparedTimepoint, ...]
    best_overall_response: StrEnum | None
    other_best_overall_response: StrEnum | None

    @property
    def disagreements(self) -> tuple[ComparedTimepoint, ...]:
        """The assessments the two criteria read differently."""
        return tuple(t for t in self.timepoints if not t.agree)

    def to_dict(self) -> dict[str, Any]:
        best, other = self.best_overall_response, self.other_best_overall_response
        return {
            "criteria": self.criteria,
            "compare_criteria": self.other_criteria,
            "timepoints": [t.to_dict() for t in self.timepoints],
            "best_overall_response": None if best is None else best.value,
            "compare_best_overall_response": None if other is None else other.value,
            "best_agree": _plain(best) == _plain(other),
        }


def compare(result: PatientAssessment, other: PatientAssessment) -> PatientComparison:
    """Pair two results of the same patient by assessment date.

    Raises
    ------
    ParameterError
        When the two results are of different patients.
    """
    if result.patient_id != other.patient_id:
        raise ParameterError(
            f"cannot compare patient {result.patient_id!r} with patient {other.patient_id!r}; "
            "compare two results of the same patient"
        )
    mine = {t.date: t.response for t in result.timepoints}
    theirs = {t.date: t.response for t in other.timepoints}
    days = sorted(set(mine) | set(theirs))
    return PatientComparison(
        patient_id=result.patient_id,
        criteria=result.criteria,
        other_criteria=other.criteria,
        timepoints=tuple(ComparedTimepoint(d, mine.get(d), theirs.get(d)) for d in days),
        best_overall_response=result.best_overall_response,
        other_best_overall_response=other.best_overall_response,
    )
