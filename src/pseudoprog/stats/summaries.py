"""Summaries of a sample: mean with two labelled confidence intervals, and counts.

A mean is reported with the Student t interval (mean ± t(1 − α/2, n − 1)·SD/√n), right for
small samples, and beside it with the normal approximation (mean ± z(1 − α/2)·SD/√n), the
interval Amini et al. 2016 printed for the time to peak (Results: mean 13.9 weeks, 95% CI
8.6-19.1, n = 5; the t interval of the same data is 6.4-21.3). SD is the sample standard
deviation (n − 1 in the denominator).

Examples
--------
>>> s = mean_summary([9.714, 10.429, 12.143, 12.571, 24.429])
>>> round(s.mean, 1), round(s.ci_normal_low, 1), round(s.ci_normal_high, 1)
(13.9, 8.6, 19.1)
>>> round(s.ci_low, 1), round(s.ci_high, 1)
(6.4, 21.3)
>>> [(c.label, c.count) for c in tabulate(["M", "F", "M"])]
[('M', 2), ('F', 1)]
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from typing import Any

from pseudoprog.stats.proportions import check_confidence

__all__ = ["T_INTERVAL", "Z_INTERVAL", "Count", "MeanSummary", "mean_summary", "tabulate"]

#: Method texts recorded with every mean.
T_INTERVAL = "Student t interval: mean ± t(1-α/2, n-1)·SD/√n"
Z_INTERVAL = "normal approximation: mean ± z(1-α/2)·SD/√n (the interval of Amini et al. 2016)"


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class MeanSummary:
    """Mean, SD, range and two confidence intervals of the mean.

    Every statistic is ``None`` when it is not defined (no values; SD and intervals for a
    single value). ``ci_low``/``ci_high`` are the t interval, ``ci_normal_low``/
    ``ci_normal_high`` the normal approximation.
    """

    n: int
    mean: float | None
    sd: float | None
    minimum: float | None
    maximum: float | None
    ci_low: float | None
    ci_high: float | None
    ci_normal_low: float | None
    ci_normal_high: float | None
    confidence: float = 0.95

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values with the interval methods spelled out."""
        return {
            "n": self.n,
            "mean": self.mean,
            "sd": self.sd,
            "min": self.minimum,
            "max": self.maximum,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "ci_method": T_INTERVAL,
            "ci_normal_low": self.ci_normal_low,
            "ci_normal_high": self.ci_normal_high,
            "ci_normal_method": Z_INTERVAL,
            "confidence": self.confidence,
        }


def mean_summary(values: Iterable[float], *, confidence: float = 0.95) -> MeanSummary:
    """Summarize ``values`` (finite numbers; ``None`` and NaN are left out).

    Parameters
    ----------
    values
        The sample.
    confidence
        Confidence level of both intervals.
    """
    from scipy.stats import norm, t

    confidence = check_confidence(confidence)
    data = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n = len(data)
    if n == 0:
        return MeanSummary(0, None, None, None, None, None, None, None, None, confidence)
    mean = math.fsum(data) / n
    if n == 1:
        return MeanSummary(1, mean, None, data[0], data[0], None, None, None, None, confidence)
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in data) / (n - 1))
    se = sd / math.sqrt(n)
    q = 0.5 + confidence / 2
    t_half = float(t.ppf(q, n - 1)) * se
    z_half = float(norm.ppf(q)) * se
    return MeanSummary(
        n=n,
        mean=mean,
        sd=sd,
        minimum=min(data),
        maximum=max(data),
        ci_low=_finite(mean - t_half),
        ci_high=_finite(mean + t_half),
        ci_normal_low=_finite(mean - z_half),
        ci_normal_high=_finite(mean + z_half),
        confidence=confidence,
    )


@dataclass(frozen=True, slots=True)
class Count:
    """How many of ``total`` have ``label``, and the percentage."""

    label: str
    count: int
    total: int

    @property
    def percent(self) -> float | None:
        return None if self.total == 0 else 100.0 * self.count / self.total

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "count": self.count, "percent": self.percent}


def tabulate(
    labels: Iterable[str | None], *, order: Seq[str] = (), missing: str = "not recorded"
) -> tuple[Count, ...]:
    """Count each label; ``None`` counts as ``missing``.

    Labels in ``order`` come first, in that order (also when their count is 0); the others
    follow by decreasing count, then alphabetically.
    """
    values = [missing if label is None else label for label in labels]
    counter = Counter(values)
    total = len(values)
    rest = sorted((k for k in counter if k not in order), key=lambda k: (-counter[k], k))
    return tuple(Count(k, counter.get(k, 0), total) for k in (*order, *rest))
