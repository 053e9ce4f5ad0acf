"""The pseudoprogression guard: where RECIST 1.1 would read progression on size alone.

Under systemic therapy, above all imatinib for gastrointestinal stromal tumour, liver metastases
can lose enhancement, look more conspicuous and even grow while they respond; read by size
alone this is progression, and it can stop a working drug (*Pseudoprogression of treated
hepatic metastases*, Pearls and Pitfalls in Abdominal Imaging, Cambridge University Press
2010, Case 15, pp. 44-47). Choi (attenuation) and mRECIST (viable, enhancing tumour) read such
a lesion as response. :func:`size_only_progression` compares a timepoint of those criteria with
RECIST 1.1 on the same data and, when RECIST 1.1 reads PD and the criteria do not, says so in a
reason and a warning, with the numbers on both sides.

Examples
--------
>>> from datetime import date
>>> from pseudoprog.criteria.codes import OverallResponse
>>> from pseudoprog.criteria.patient_result import TimepointResult
>>> recist_point = TimepointResult(
...     date(2021, 5, 3), OverallResponse.PD, OverallResponse.PD, None, False, 62.0, 24.0, 24.0,
...     ())
>>> found = size_only_progression(
...     response=OverallResponse.PR, criteria="Choi", recist_point=recist_point,
...     evidence="size +24.0% from the nadir, attenuation -35.0% from baseline")
>>> print(found.reason.message)
size +24.0% from the nadir, attenuation -35.0% from baseline: PR by Choi; RECIST 1.1 would \
read PD on size alone (target sum +24.0% from its nadir)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from pseudoprog.criteria import recist
from pseudoprog.criteria.codes import OverallResponse
from pseudoprog.criteria.patient_result import PatientWarning, PatientWarningKind, TimepointResult
from pseudoprog.criteria.result import Reason
from pseudoprog.patient import PatientRecord

__all__ = [
    "SEED_CASE",
    "GuardRule",
    "SizeOnlyProgression",
    "recist_points",
    "size_only_progression",
]

#: The source of the pitfall and of its differential.
SEED_CASE = (
    "Pseudoprogression of treated hepatic metastases, Pearls and Pitfalls in Abdominal Imaging "
    "(Cambridge University Press 2010), Case 15"
)


class GuardRule(StrEnum):
    """The guard's reason code."""

    SIZE_ONLY_PD = "size_only_pd"


@dataclass(frozen=True, slots=True)
class SizeOnlyProgression:
    """A timepoint where RECIST 1.1 reads PD on size and the criteria do not."""

    reason: Reason
    warning: PatientWarning


def recist_points(
    record: PatientRecord, *, as_of: date | None, params: recist.RecistParameters
) -> Mapping[date, TimepointResult]:
    """RECIST 1.1's timepoints of the same patient, by date."""
    result = recist.assess(record, as_of=as_of, params=params)
    return {point.date: point for point in result.timepoints}


def _recist_numbers(point: TimepointResult) -> str:
    if point.change_from_nadir_pct is None:
        return "the measured targets alone reach PD"
    text = f"target sum {point.change_from_nadir_pct:+.1f}% from its nadir"
    if point.target_sum_mm is not None and point.nadir_mm is not None:
        text = (
            f"target sum {point.change_from_nadir_pct:+.1f}% and "
            f"{point.target_sum_mm - point.nadir_mm:+.1f} mm from its nadir"
        )
    return text


def size_only_progression(
    *,
    response: OverallResponse,
    criteria: str,
    recist_point: TimepointResult | None,
    evidence: str,
) -> SizeOnlyProgression | None:
    """The guard's reason and warning when RECIST 1.1 reads PD and ``criteria`` do not.

    Parameters
    ----------
    response
        The criteria's overall response at the timepoint.
    criteria
        Their name, as written in the message (``Choi``, ``mRECIST``).
    recist_point
        RECIST 1.1's result at the same date (``None``: no such timepoint).
    evidence
        What the criteria saw, in words with the numbers (e.g. ``size +24.0% from the nadir,
        attenuation -35.0% from baseline``).

    Returns
    -------
    SizeOnlyProgression or None
        ``None`` unless RECIST 1.1 reads PD and ``response`` is not PD.
    """
    if recist_point is None or recist_point.response is not OverallResponse.PD:
        return None
    if response is OverallResponse.PD:
        return None
    message = (
        f"{evidence}: {response.value} by {criteria}; RECIST 1.1 would read PD on size alone "
        f"({_recist_numbers(recist_point)})"
    )
    day = recist_point.date
    warning = PatientWarning(
        PatientWarningKind.SIZE_ONLY_PROGRESSION,
        f"{day.isoformat()}: {message}. Size alone would call progression here; before "
        "stopping the treatment, correlate with the disease at other sites, tumour markers or "
        f"PET ({SEED_CASE}), and measure the next scan in the same contrast phase",
        day,
    )
    return SizeOnlyProgression(Reason(GuardRule.SIZE_ONLY_PD, message), warning)
