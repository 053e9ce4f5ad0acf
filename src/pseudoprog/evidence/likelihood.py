"""Sensitivity, specificity and likelihood ratios from the counts a study reports.

A feature's counts form a two-by-two table: how many pseudoprogression lesions and how many
progressing lesions showed the finding. With the convention of the evidence table,

* sensitivity = P(finding | pseudoprogression) = a / n1,
* specificity = P(no finding | progression) = (n0 - c) / n0,
* LR+ = sensitivity / (1 - specificity), LR- = (1 - sensitivity) / specificity,

so a likelihood ratio above 1 favours pseudoprogression. When a cell of the table is zero a
likelihood ratio would be 0 or infinite; then 0.5 is added to each of the four cells
(Haldane-Anscombe correction) and :attr:`TwoByTwo.corrected` says so.

Examples
--------
>>> table = TwoByTwo(GroupCount(8, 9), GroupCount(1, 14))  # Bahig 2016, 80% isodose line
>>> round(table.sensitivity, 3), round(table.specificity, 3)
(0.889, 0.929)
>>> round(table.lr_positive, 2), round(table.lr_negative, 3)
(12.44, 0.12)
"""

from __future__ import annotations

from dataclasses import dataclass

from pseudoprog.errors import ParameterError

__all__ = ["HALDANE", "GroupCount", "TwoByTwo"]

#: Added to every cell of a table with a zero cell (Haldane-Anscombe correction).
HALDANE = 0.5


@dataclass(frozen=True, slots=True)
class GroupCount:
    """``positive`` of ``total`` lesions of one group showed the finding."""

    positive: int
    total: int

    def __post_init__(self) -> None:
        for name, value in (("positive", self.positive), ("total", self.total)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ParameterError(f"{name} must be a whole number, got {value!r}")
        if self.total < 1:
            raise ParameterError(f"total must be at least 1, got {self.total}")
        if not 0 <= self.positive <= self.total:
            raise ParameterError(
                f"positive must lie between 0 and the total {self.total}, got {self.positive}"
            )

    @property
    def negative(self) -> int:
        return self.total - self.positive

    @property
    def proportion(self) -> float:
        return self.positive / self.total

    def __str__(self) -> str:
        return f"{self.positive}/{self.total}"

    def to_dict(self) -> dict[str, int]:
        return {"positive": self.positive, "total": self.total}


@dataclass(frozen=True, slots=True)
class TwoByTwo:
    """Counts of a finding among pseudoprogression and among progression."""

    pseudoprogression: GroupCount
    progression: GroupCount

    @property
    def sensitivity(self) -> float:
        """P(finding | pseudoprogression), from the raw counts."""
        return self.pseudoprogression.proportion

    @property
    def specificity(self) -> float:
        """P(no finding | progression), from the raw counts."""
        return self.progression.negative / self.progression.total

    @property
    def corrected(self) -> bool:
        """Whether a zero cell made the likelihood ratios use the Haldane correction."""
        cells = (
            self.pseudoprogression.positive,
            self.pseudoprogression.negative,
            self.progression.positive,
            self.progression.negative,
        )
        return min(cells) == 0

    def _rates(self) -> tuple[float, float]:
        """P(finding | pseudoprogression) and P(finding | progression) for the ratios."""
        add = HALDANE if self.corrected else 0.0
        pp, pd = self.pseudoprogression, self.progression
        return (pp.positive + add) / (pp.total + 2 * add), (pd.positive + add) / (
            pd.total + 2 * add
        )

    @property
    def lr_positive(self) -> float:
        """Likelihood ratio of the finding (above 1 favours pseudoprogression)."""
        p1, p0 = self._rates()
        return p1 / p0

    @property
    def lr_negative(self) -> float:
        """Likelihood ratio of the absence of the finding."""
        p1, p0 = self._rates()
        return (1.0 - p1) / (1.0 - p0)

    def likelihood_ratio(self, present: bool) -> float:
        """LR+ when the finding is present, LR- when it is absent."""
        return self.lr_positive if present else self.lr_negative

    def describe(self) -> str:
        """The counts in words."""
        return f"{self.pseudoprogression} pseudoprogression vs {self.progression} progression" + (
            " (zero cell: 0.5 added to each cell)" if self.corrected else ""
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "pseudoprogression": self.pseudoprogression.to_dict(),
            "progression": self.progression.to_dict(),
            "sensitivity": self.sensitivity,
            "specificity": self.specificity,
            "lr_positive": self.lr_positive,
            "lr_negative": self.lr_negative,
            "haldane_corrected": self.corrected,
        }
