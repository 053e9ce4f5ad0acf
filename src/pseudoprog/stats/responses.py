"""Response counts, OPP prevalence and the fractionation-OPP table (Amini et al. 2016, Results).

Prevalences are counted among lesions with a settled response: an INDETERMINATE lesion
(enlarging, awaiting follow-up) could still become OPP or PD, so it is left out of every
denominator and counted on its own. "Enlarging" lesions are OPP + PD, as in the paper ("14
lesions (38%) enlarged on the early post-SSRS scans. Five of these (36%) demonstrated OPP").

Examples
--------
>>> from datetime import date
>>> from pseudoprog.domain import Lesion, ResponseCategory as R, Treatment
>>> single = Treatment(date(2010, 1, 1), 24, 1)
>>> multi = Treatment(date(2010, 1, 1), 27, 3)
>>> lesions = [Lesion("1", "a", single), Lesion("2", "b", single), Lesion("3", "c", multi)]
>>> s = summarize_responses(lesions, [R.OPP, R.PD, R.SD], source=ResponseSource.TABLE)
>>> str(s.opp_among_enlarging)
'1/2 (50%; 95% CI 9-91%, Wilson)'
>>> fraction_opp_table(lesions, [R.OPP, R.PD, R.SD])
((1, 1), (0, 1))
"""

from __future__ import annotations

from collections.abc import Sequence as Seq
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pseudoprog.criteria.amini2016 import CATEGORIES
from pseudoprog.domain import Lesion, ResponseCategory
from pseudoprog.errors import ParameterError
from pseudoprog.stats.proportions import IntervalMethod, Proportion, proportion

__all__ = [
    "ResponseAgreement",
    "ResponseSource",
    "ResponseSummary",
    "compare_responses",
    "fraction_opp_table",
    "summarize_responses",
]

_OPP, _PD = ResponseCategory.OPP, ResponseCategory.PD


class ResponseSource(Enum):
    """Where the responses of a study come from."""

    CLASSIFIER = "classifier"
    TABLE = "table"

    @property
    def description(self) -> str:
        if self is ResponseSource.CLASSIFIER:
            return "assigned by the Amini 2016 criteria from the measurements"
        return "taken from the response column of the lesions table"


@dataclass(frozen=True, slots=True)
class ResponseSummary:
    """Response counts and OPP prevalences with Wilson intervals."""

    source: ResponseSource
    counts: tuple[tuple[ResponseCategory, int], ...]
    enlarging: Proportion
    stable_or_responding: Proportion
    opp_overall: Proportion
    opp_single_fraction: Proportion
    opp_multi_fraction: Proportion
    opp_among_enlarging: Proportion
    pd_among_enlarging: Proportion

    @property
    def n_lesions(self) -> int:
        return sum(n for _, n in self.counts)

    @property
    def n_indeterminate(self) -> int:
        return dict(self.counts)[ResponseCategory.INDETERMINATE]

    def count(self, category: ResponseCategory) -> int:
        return dict(self.counts).get(category, 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.value,
            "source_description": self.source.description,
            "response_counts": {c.value: n for c, n in self.counts},
            "indeterminate_left_out": self.n_indeterminate,
            "enlarging": self.enlarging.to_dict(),
            "stable_or_responding": self.stable_or_responding.to_dict(),
            "opp_prevalence": self.opp_overall.to_dict(),
            "opp_prevalence_single_fraction": self.opp_single_fraction.to_dict(),
            "opp_prevalence_multi_fraction": self.opp_multi_fraction.to_dict(),
            "opp_among_enlarging": self.opp_among_enlarging.to_dict(),
            "pd_among_enlarging": self.pd_among_enlarging.to_dict(),
        }


def _check(lesions: Seq[Lesion], responses: Seq[ResponseCategory]) -> None:
    if len(lesions) != len(responses):
        raise ParameterError(
            f"lesions ({len(lesions)}) and responses ({len(responses)}) must have the same length"
        )


def summarize_responses(
    lesions: Seq[Lesion],
    responses: Seq[ResponseCategory],
    *,
    source: ResponseSource,
    method: IntervalMethod = IntervalMethod.WILSON,
    confidence: float = 0.95,
) -> ResponseSummary:
    """Counts and prevalences of the responses of ``lesions`` (same order)."""
    _check(lesions, responses)
    listed = (*CATEGORIES, *(c for c in ResponseCategory if c not in CATEGORIES))
    counts = tuple(
        (c, n) for c in listed if (n := sum(1 for r in responses if r is c)) or c in CATEGORIES
    )
    settled = [
        (x, r)
        for x, r in zip(lesions, responses, strict=True)
        if r is not ResponseCategory.INDETERMINATE
    ]

    def share(pairs: Seq[tuple[Lesion, ResponseCategory]], *hits: ResponseCategory) -> Proportion:
        k = sum(1 for _, r in pairs if r in hits)
        return proportion(k, len(pairs), method=method, confidence=confidence)

    single = [(x, r) for x, r in settled if x.treatment.single_fraction]
    multi = [(x, r) for x, r in settled if not x.treatment.single_fraction]
    grew = [(x, r) for x, r in settled if r in (_OPP, _PD)]
    return ResponseSummary(
        source=source,
        counts=counts,
        enlarging=share(settled, _OPP, _PD),
        stable_or_responding=share(settled, ResponseCategory.PR, ResponseCategory.SD),
        opp_overall=share(settled, _OPP),
        opp_single_fraction=share(single, _OPP),
        opp_multi_fraction=share(multi, _OPP),
        opp_among_enlarging=share(grew, _OPP),
        pd_among_enlarging=share(grew, _PD),
    )


def fraction_opp_table(
    lesions: Seq[Lesion], responses: Seq[ResponseCategory]
) -> tuple[tuple[int, int], tuple[int, int]]:
    """``[[single & OPP, single & not OPP], [multi & OPP, multi & not OPP]]``.

    INDETERMINATE lesions are left out, as in :func:`summarize_responses`.
    """
    _check(lesions, responses)
    cells = [[0, 0], [0, 0]]
    for lesion, response in zip(lesions, responses, strict=True):
        if response is ResponseCategory.INDETERMINATE:
            continue
        row = 0 if lesion.treatment.single_fraction else 1
        cells[row][0 if response is _OPP else 1] += 1
    return (cells[0][0], cells[0][1]), (cells[1][0], cells[1][1])


@dataclass(frozen=True, slots=True)
class ResponseAgreement:
    """Classifier responses compared with the responses given in the lesions table."""

    compared: int
    agreeing: int
    disagreements: tuple[tuple[str, ResponseCategory, ResponseCategory], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "compared": self.compared,
            "agreeing": self.agreeing,
            "disagreements": [
                {"lesion_id": i, "table": t.value, "classifier": c.value}
                for i, t, c in self.disagreements
            ],
        }


def compare_responses(
    lesions: Seq[Lesion], classified: Seq[ResponseCategory]
) -> ResponseAgreement | None:
    """Agreement of ``classified`` with ``lesion.response``; ``None`` when none is given."""
    _check(lesions, classified)
    pairs = [
        (x.lesion_id, x.response, c)
        for x, c in zip(lesions, classified, strict=True)
        if x.response is not None
    ]
    if not pairs:
        return None
    return ResponseAgreement(
        compared=len(pairs),
        agreeing=sum(1 for _, t, c in pairs if t is c),
        disagreements=tuple((i, t, c) for i, t, c in pairs if t is not c),
    )
