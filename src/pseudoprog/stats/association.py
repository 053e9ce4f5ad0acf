"""Association in a 2 × 2 table: Fisher exact test and the odds ratio.

The P value is that of :func:`scipy.stats.fisher_exact`. The sample odds ratio ``ad/bc`` is
infinite (or zero, or undefined) when a cell is empty; JSON cannot hold infinity, so the
result says so in words and flags, and gives beside it:

* the Haldane-Anscombe estimate, with 0.5 added to every cell (Haldane 1956; Anscombe 1956),
  and its Woolf (logit) interval;
* the exact conditional interval of :func:`scipy.stats.contingency.odds_ratio`, whose upper
  bound is infinite when a cell is empty (``None`` in JSON, with a flag).

Examples
--------
>>> test = fisher_exact_test([[5, 11], [0, 21]])
>>> round(test.p_value, 3), test.odds_ratio, test.odds_ratio_infinite
(0.01, None, True)
>>> round(test.corrected_odds_ratio, 1)
20.6
"""

from __future__ import annotations

import math
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from typing import Any

from pseudoprog.errors import ParameterError
from pseudoprog.stats.proportions import check_confidence

__all__ = ["FisherTest", "fisher_exact_test"]

_HALDANE = 0.5


@dataclass(frozen=True, slots=True)
class FisherTest:
    """Fisher exact test of a 2 × 2 table ``[[a, b], [c, d]]`` with its odds ratio.

    The odds ratio compares the odds of the first column in the first row with those in the
    second row. ``odds_ratio`` is ``None`` when it is infinite or undefined
    (``odds_ratio_infinite`` and :attr:`odds_ratio_text` say which).
    """

    table: tuple[tuple[int, int], tuple[int, int]]
    p_value: float
    odds_ratio: float | None
    odds_ratio_infinite: bool
    odds_ratio_ci_low: float | None
    odds_ratio_ci_high: float | None
    corrected_odds_ratio: float | None
    corrected_ci_low: float | None
    corrected_ci_high: float | None
    exact_ci_low: float | None
    exact_ci_high: float | None
    exact_ci_high_infinite: bool
    rows: tuple[str, str] = ("row 1", "row 2")
    columns: tuple[str, str] = ("column 1", "column 2")
    alternative: str = "two-sided"
    confidence: float = 0.95

    @property
    def has_zero_cell(self) -> bool:
        return any(v == 0 for row in self.table for v in row)

    @property
    def odds_ratio_text(self) -> str:
        """The odds ratio in words, including why it is not a finite number."""
        if self.odds_ratio is not None:
            return f"{self.odds_ratio:.3g}"
        if self.odds_ratio_infinite:
            empty = [
                f"{r} / {k}"
                for r, row in zip(self.rows, self.table, strict=True)
                for k, v in zip(self.columns, row, strict=True)
                if v == 0
            ]
            return "infinite (empty cell: " + "; ".join(empty) + ")"
        return "undefined (0/0: a whole row or column of the table is empty)"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary; infinity is ``None`` plus a flag and a sentence."""
        return {
            "table": {
                "rows": list(self.rows),
                "columns": list(self.columns),
                "counts": [list(r) for r in self.table],
            },
            "test": "Fisher exact test",
            "alternative": self.alternative,
            "p_value": self.p_value,
            "odds_ratio": self.odds_ratio,
            "odds_ratio_infinite": self.odds_ratio_infinite,
            "odds_ratio_text": self.odds_ratio_text,
            "odds_ratio_ci_low": self.odds_ratio_ci_low,
            "odds_ratio_ci_high": self.odds_ratio_ci_high,
            "odds_ratio_ci_method": (
                None if self.odds_ratio_ci_low is None else "Woolf (logit) interval"
            ),
            "odds_ratio_corrected": self.corrected_odds_ratio,
            "odds_ratio_corrected_ci_low": self.corrected_ci_low,
            "odds_ratio_corrected_ci_high": self.corrected_ci_high,
            "odds_ratio_corrected_method": (
                None
                if self.corrected_odds_ratio is None
                else "Haldane-Anscombe: 0.5 added to every cell because a cell is 0; "
                "Woolf (logit) interval"
            ),
            "odds_ratio_exact_ci_low": self.exact_ci_low,
            "odds_ratio_exact_ci_high": self.exact_ci_high,
            "odds_ratio_exact_ci_high_infinite": self.exact_ci_high_infinite,
            "odds_ratio_exact_ci_method": (
                "exact conditional interval (scipy.stats.contingency.odds_ratio)"
            ),
            "confidence": self.confidence,
        }


def _woolf(a: float, b: float, c: float, d: float, z: float) -> tuple[float, float, float]:
    ratio = a * d / (b * c)
    half = z * math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return ratio, ratio * math.exp(-half), ratio * math.exp(half)


def _check_table(table: Seq[Seq[int]]) -> tuple[tuple[int, int], tuple[int, int]]:
    if len(table) != 2 or any(len(row) != 2 for row in table):
        raise ParameterError(f"table must be 2 × 2 ([[a, b], [c, d]]), got {table!r}")
    for row in table:
        for v in row:
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ParameterError(f"table cells must be counts (whole numbers ≥ 0), got {v!r}")
    (a, b), (c, d) = table
    if a + b + c + d == 0:
        raise ParameterError("table is empty (all cells 0)")
    return (a, b), (c, d)


def fisher_exact_test(
    table: Seq[Seq[int]],
    *,
    rows: tuple[str, str] = ("row 1", "row 2"),
    columns: tuple[str, str] = ("column 1", "column 2"),
    confidence: float = 0.95,
) -> FisherTest:
    """Two-sided Fisher exact test of ``table = [[a, b], [c, d]]``.

    Parameters
    ----------
    table
        Counts; rows are the groups compared, columns the outcome (first column: event).
    rows, columns
        Labels written into the result.
    confidence
        Level of the odds-ratio intervals.

    Raises
    ------
    ParameterError
        If the table is not 2 × 2 of non-negative whole numbers, or is empty.
    """
    from scipy.stats import fisher_exact, norm
    from scipy.stats.contingency import odds_ratio

    (a, b), (c, d) = checked = _check_table(table)
    confidence = check_confidence(confidence)
    z = float(norm.ppf(0.5 + confidence / 2))
    p_value = float(fisher_exact([[a, b], [c, d]], alternative="two-sided")[1])

    sample: float | None = None
    infinite = False
    ci_low = ci_high = None
    corrected = corr_low = corr_high = None
    if a * d == 0 and b * c == 0:
        sample = None
    elif b * c == 0:
        infinite = True
    else:
        sample = a * d / (b * c)
    if 0 in (a, b, c, d):
        h = _HALDANE
        corrected, corr_low, corr_high = _woolf(a + h, b + h, c + h, d + h, z)
    else:
        _, ci_low, ci_high = _woolf(a, b, c, d, z)

    exact_low = exact_high = None
    exact_high_infinite = False
    if min(a + b, c + d, a + c, b + d) > 0:
        interval = odds_ratio([[a, b], [c, d]], kind="conditional").confidence_interval(
            confidence_level=confidence
        )
        exact_low = float(interval.low) if math.isfinite(interval.low) else None
        exact_high_infinite = not math.isfinite(interval.high)
        exact_high = None if exact_high_infinite else float(interval.high)

    return FisherTest(
        table=checked,
        p_value=p_value,
        odds_ratio=sample,
        odds_ratio_infinite=infinite,
        odds_ratio_ci_low=ci_low,
        odds_ratio_ci_high=ci_high,
        corrected_odds_ratio=corrected,
        corrected_ci_low=corr_low,
        corrected_ci_high=corr_high,
        exact_ci_low=exact_low,
        exact_ci_high=exact_high,
        exact_ci_high_infinite=exact_high_infinite,
        rows=rows,
        columns=columns,
        confidence=confidence,
    )
