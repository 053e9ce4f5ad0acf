"""Proportions with confidence intervals: Wilson score and Clopper-Pearson exact.

Both intervals come from :meth:`scipy.stats.binomtest` (``proportion_ci``); the tests check
them against :func:`statsmodels.stats.proportion.proportion_confint` (methods ``"wilson"`` and
``"beta"``).

Examples
--------
>>> p = proportion(5, 37)
>>> p.numerator, p.denominator, round(p.estimate, 3)
(5, 37, 0.135)
>>> str(p)
'5/37 (14%; 95% CI 6-28%, Wilson)'
>>> round(proportion(10, 11, method=IntervalMethod.EXACT).ci_low, 3)
0.587
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pseudoprog.errors import ParameterError

__all__ = [
    "IntervalMethod",
    "Proportion",
    "check_confidence",
    "exact_interval",
    "proportion",
    "wilson_interval",
]


class IntervalMethod(Enum):
    """Confidence interval of a binomial proportion."""

    WILSON = "wilson"
    EXACT = "exact"

    @property
    def description(self) -> str:
        return _METHOD_TEXT[self]


_METHOD_TEXT = {
    IntervalMethod.WILSON: "Wilson score interval (Wilson 1927), without continuity correction",
    IntervalMethod.EXACT: "Clopper-Pearson exact interval (Clopper and Pearson 1934)",
}


def check_confidence(confidence: float) -> float:
    """Return ``confidence`` if it lies strictly between 0 and 1.

    Raises
    ------
    ParameterError
        Otherwise, naming the value and the accepted range.
    """
    if not (isinstance(confidence, float | int) and 0.0 < float(confidence) < 1.0):
        raise ParameterError(f"confidence must be between 0 and 1 (e.g. 0.95), got {confidence!r}")
    return float(confidence)


def _check_counts(numerator: int, denominator: int) -> None:
    for name, value in (("numerator", numerator), ("denominator", denominator)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ParameterError(f"{name} must be a whole number of at least 0, got {value!r}")
    if numerator > denominator:
        raise ParameterError(f"numerator ({numerator}) must not exceed denominator ({denominator})")


def _interval(k: int, n: int, method: str, confidence: float) -> tuple[float, float]:
    from scipy.stats import binomtest

    _check_counts(k, n)
    if n == 0:
        raise ParameterError("the denominator is 0: a proportion of nothing has no interval")
    ci = binomtest(k, n).proportion_ci(confidence_level=check_confidence(confidence), method=method)
    return float(ci.low), float(ci.high)


def wilson_interval(k: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of ``k`` successes in ``n`` trials.

    >>> tuple(round(x, 4) for x in wilson_interval(5, 16))
    (0.1416, 0.556)
    """
    return _interval(k, n, "wilson", confidence)


def exact_interval(k: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Clopper-Pearson exact interval of ``k`` successes in ``n`` trials.

    >>> tuple(round(x, 4) for x in exact_interval(0, 21))
    (0.0, 0.1611)
    """
    return _interval(k, n, "exact", confidence)


@dataclass(frozen=True, slots=True)
class Proportion:
    """A count out of a total, with its confidence interval.

    ``estimate``, ``ci_low`` and ``ci_high`` are ``None`` when the denominator is 0.
    """

    numerator: int
    denominator: int
    ci_low: float | None
    ci_high: float | None
    method: IntervalMethod = IntervalMethod.WILSON
    confidence: float = 0.95

    @property
    def estimate(self) -> float | None:
        return None if self.denominator == 0 else self.numerator / self.denominator

    @property
    def percent(self) -> float | None:
        e = self.estimate
        return None if e is None else 100.0 * e

    def __str__(self) -> str:
        if self.denominator == 0 or self.ci_low is None or self.ci_high is None:
            return f"{self.numerator}/{self.denominator} (not defined)"
        level = f"{100 * self.confidence:g}%"
        name = "Wilson" if self.method is IntervalMethod.WILSON else "exact"
        return (
            f"{self.numerator}/{self.denominator} ({_pct(self.estimate)}; {level} CI "
            f"{_pct(self.ci_low, sign=False)}-{_pct(self.ci_high)}, {name})"
        )

    def to_dict(self) -> dict[str, Any]:
        """``{numerator, denominator, estimate, ci_low, ci_high, method, confidence}``."""
        return {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "estimate": self.estimate,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "method": self.method.value,
            "confidence": self.confidence,
        }


def _pct(value: float | None, *, sign: bool = True) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{100 * value:.0f}" + ("%" if sign else "")


def proportion(
    numerator: int,
    denominator: int,
    *,
    method: IntervalMethod = IntervalMethod.WILSON,
    confidence: float = 0.95,
) -> Proportion:
    """``numerator`` out of ``denominator`` with a confidence interval.

    Parameters
    ----------
    numerator, denominator
        Whole numbers with ``0 <= numerator <= denominator``; a denominator of 0 gives a
        proportion without estimate or interval.
    method
        Wilson score (default) or Clopper-Pearson exact.
    confidence
        Confidence level, strictly between 0 and 1.

    Raises
    ------
    ParameterError
        For negative or non-integer counts, a numerator above the denominator, or a
        confidence level outside (0, 1).
    """
    _check_counts(numerator, denominator)
    confidence = check_confidence(confidence)
    if denominator == 0:
        return Proportion(numerator, 0, None, None, method, confidence)
    low, high = _interval(numerator, denominator, method.value, confidence)
    return Proportion(numerator, denominator, low, high, method, confidence)
