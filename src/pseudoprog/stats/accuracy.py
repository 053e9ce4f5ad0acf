"""Diagnostic accuracy of a continuous marker against a binary outcome.

This is the analysis of the AJNR 2023 DCE-MRI study (seed ``004``): a marker (e.g. the change
in plasma volume) against an outcome (treatment failure), with

* sensitivity and specificity at a threshold, each with the Wilson and the Clopper-Pearson
  exact interval (:mod:`pseudoprog.stats.proportions`);
* the Mann-Whitney U test between outcome groups (:func:`scipy.stats.mannwhitneyu`, two-sided);
* the ROC curve and its area (AUC = U / (n₁n₀)) with the DeLong et al. (1988, Biometrics
  44:837-845) standard error computed from mid-ranks (Sun and Xu 2014, IEEE SPL 21:1389), and a
  normal interval clipped to [0, 1];
* the threshold that maximises Youden's J = sensitivity + specificity − 1 (Youden 1950).

A test is positive when the marker is at or above the threshold (``direction="higher"``,
higher values point to the positive outcome) or at or below it (``"lower"``). Without a
threshold, the Youden threshold is used; sensitivity and specificity at a threshold chosen
on the same data are optimistic, and the result says so.

Examples
--------
>>> marker = [0.9, 0.8, 0.7, 0.4, 0.3, 0.6, 0.2, 0.1]
>>> outcome = [True, True, True, True, False, False, False, False]
>>> acc = diagnostic_accuracy(marker, outcome)
>>> acc.auc, acc.youden_threshold, acc.true_positive, acc.true_negative
(0.9375, 0.4, 4, 3)
"""

from __future__ import annotations

import math
from collections.abc import Sequence as Seq
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pseudoprog.errors import ParameterError
from pseudoprog.stats.proportions import IntervalMethod, Proportion, check_confidence, proportion

__all__ = ["DiagnosticAccuracy", "Direction", "delong_auc", "diagnostic_accuracy", "youden"]


class Direction(Enum):
    """Which marker values point to the positive outcome."""

    HIGHER = "higher"
    LOWER = "lower"


def _oriented(values: Seq[float], direction: Direction) -> list[float]:
    return [float(v) if direction is Direction.HIGHER else -float(v) for v in values]


def delong_auc(positive: Seq[float], negative: Seq[float]) -> tuple[float, float | None]:
    """AUC (higher values positive) and its DeLong standard error.

    The standard error is ``None`` with fewer than two subjects in a group.

    >>> auc, se = delong_auc([3, 4, 5], [1, 2, 3.5])
    >>> round(auc, 4), round(se, 4)
    (0.8889, 0.1571)
    """
    from scipy.stats import rankdata

    m, n = len(positive), len(negative)
    if m == 0 or n == 0:
        raise ParameterError("both outcome groups need at least one subject for an AUC")
    combined = rankdata([*positive, *negative])
    v10 = [(combined[i] - r) / n for i, r in enumerate(rankdata(positive))]
    v01 = [1.0 - (combined[m + j] - r) / m for j, r in enumerate(rankdata(negative))]
    auc = math.fsum(v10) / m
    if m < 2 or n < 2:
        return auc, None

    def var(xs: list[float]) -> float:
        mean = math.fsum(xs) / len(xs)
        return math.fsum((x - mean) ** 2 for x in xs) / (len(xs) - 1)

    return auc, math.sqrt(var(v10) / m + var(v01) / n)


def youden(
    positive: Seq[float], negative: Seq[float], *, direction: Direction = Direction.HIGHER
) -> tuple[float, float]:
    """The observed marker value maximising Youden's J, and J.

    Ties are broken towards the threshold with the higher sensitivity.

    >>> threshold, j = youden([5, 6, 7], [1, 2, 6])
    >>> threshold, round(j, 4)
    (5.0, 0.6667)
    """
    pos, neg = _oriented(positive, direction), _oriented(negative, direction)
    best: tuple[float, float] | None = None
    for t in sorted(set(pos) | set(neg)):
        j = sum(x >= t for x in pos) / len(pos) + sum(x < t for x in neg) / len(neg) - 1
        if best is None or j > best[1] + 1e-12:
            best = (t, j)
    if best is None:
        raise ParameterError("no marker values")
    t, j = best
    return (t if direction is Direction.HIGHER else -t), j


@dataclass(frozen=True, slots=True)
class DiagnosticAccuracy:
    """Accuracy of a marker at a threshold, its ROC curve and the group comparison."""

    marker: str
    outcome: str
    direction: Direction
    threshold: float
    threshold_source: str
    true_positive: int
    false_negative: int
    true_negative: int
    false_positive: int
    sensitivity: Proportion
    sensitivity_exact: Proportion
    specificity: Proportion
    specificity_exact: Proportion
    median_positive: float
    median_negative: float
    mann_whitney_u: float
    mann_whitney_p: float
    auc: float
    auc_se: float | None
    auc_ci_low: float | None
    auc_ci_high: float | None
    youden_threshold: float
    youden_j: float
    roc_fpr: tuple[float, ...]
    roc_tpr: tuple[float, ...]
    confidence: float = 0.95

    @property
    def n_positive(self) -> int:
        return self.true_positive + self.false_negative

    @property
    def n_negative(self) -> int:
        return self.true_negative + self.false_positive

    @property
    def rule(self) -> str:
        sign = "≥" if self.direction is Direction.HIGHER else "≤"
        return f"{self.marker} {sign} {self.threshold:g}"

    def summary(self) -> str:
        """A few lines for a terminal or a report."""
        level = f"{100 * self.confidence:g}%"

        def pct(p: Proportion, q: Proportion) -> str:
            return (
                f"{p.numerator}/{p.denominator} ({100 * (p.estimate or 0):.0f}%); "
                f"Wilson {level} CI {100 * (p.ci_low or 0):.0f}-{100 * (p.ci_high or 0):.0f}%, "
                f"exact {100 * (q.ci_low or 0):.0f}-{100 * (q.ci_high or 0):.0f}%"
            )

        if self.auc_ci_low is not None:
            auc_ci = f"{self.auc_ci_low:.3f}-{self.auc_ci_high:.3f} (DeLong)"
        elif self.auc_se is None:
            auc_ci = "not available (a group has fewer than 2 subjects)"
        else:
            auc_ci = "not available (the groups do not overlap: the DeLong variance is 0)"
        chosen = (
            "the Youden threshold of these data; sensitivity and specificity at a threshold "
            "chosen on the same data are optimistic"
            if self.threshold_source == "youden"
            else "the given threshold"
        )
        return "\n".join(
            [
                f"{self.marker} for {self.outcome}: {self.n_positive} positive, "
                f"{self.n_negative} negative",
                f"Test positive when {self.rule}: {chosen}",
                f"  sensitivity {pct(self.sensitivity, self.sensitivity_exact)}",
                f"  specificity {pct(self.specificity, self.specificity_exact)}",
                f"Median {self.marker}: {self.median_positive:g} (positive) vs "
                f"{self.median_negative:g} (negative); Mann-Whitney U = "
                f"{self.mann_whitney_u:g}, P = {self.mann_whitney_p:.3g}",
                f"ROC AUC {self.auc:.3f}, {level} CI {auc_ci}",
                f"Youden threshold {self.youden_threshold:g} (J = {self.youden_j:.3f})",
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "marker": self.marker,
            "outcome": self.outcome,
            "n_positive": self.n_positive,
            "n_negative": self.n_negative,
            "direction": self.direction.value,
            "threshold": self.threshold,
            "threshold_source": self.threshold_source,
            "rule": self.rule,
            "confusion": {
                "true_positive": self.true_positive,
                "false_negative": self.false_negative,
                "true_negative": self.true_negative,
                "false_positive": self.false_positive,
            },
            "sensitivity": {
                "wilson": self.sensitivity.to_dict(),
                "exact": self.sensitivity_exact.to_dict(),
            },
            "specificity": {
                "wilson": self.specificity.to_dict(),
                "exact": self.specificity_exact.to_dict(),
            },
            "median_positive": self.median_positive,
            "median_negative": self.median_negative,
            "mann_whitney": {
                "u": self.mann_whitney_u,
                "p_value": self.mann_whitney_p,
                "test": "scipy.stats.mannwhitneyu, two-sided, U of the positive group",
            },
            "roc_auc": {
                "estimate": self.auc,
                "se": self.auc_se,
                "ci_low": self.auc_ci_low,
                "ci_high": self.auc_ci_high,
                "method": "DeLong standard error, normal interval clipped to [0, 1]; none when "
                "the standard error is 0 (groups that do not overlap) or a group has one "
                "subject",
            },
            "youden": {"threshold": self.youden_threshold, "j": self.youden_j},
            "roc_curve": {"fpr": list(self.roc_fpr), "tpr": list(self.roc_tpr)},
            "confidence": self.confidence,
        }


def _roc(pos: list[float], neg: list[float]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    fpr, tpr = [0.0], [0.0]
    for t in sorted(set(pos) | set(neg), reverse=True):
        tpr.append(sum(x >= t for x in pos) / len(pos))
        fpr.append(sum(x >= t for x in neg) / len(neg))
    return tuple(fpr), tuple(tpr)


def diagnostic_accuracy(
    marker: Seq[float],
    outcome: Seq[bool],
    *,
    threshold: float | None = None,
    direction: Direction = Direction.HIGHER,
    marker_name: str = "marker",
    outcome_name: str = "outcome",
    confidence: float = 0.95,
) -> DiagnosticAccuracy:
    """Accuracy of ``marker`` for ``outcome`` (``True`` = positive, e.g. treatment failure).

    Parameters
    ----------
    marker
        Finite marker values, one per subject.
    outcome
        The reference outcome per subject.
    threshold
        Test positive at or beyond this value; ``None`` uses the Youden threshold.
    direction
        Whether higher (default) or lower values point to a positive outcome.
    marker_name, outcome_name
        Names written into the result.
    confidence
        Level of every interval.

    Raises
    ------
    ParameterError
        If the lengths differ, a value is not finite, or an outcome group is empty.
    """
    from statistics import median

    from scipy.stats import mannwhitneyu, norm

    confidence = check_confidence(confidence)
    if len(marker) != len(outcome):
        raise ParameterError(
            f"marker ({len(marker)}) and outcome ({len(outcome)}) must have the same length"
        )
    if any(not math.isfinite(float(v)) for v in marker):
        raise ParameterError(f"{marker_name} values must be finite numbers")
    if not isinstance(direction, Direction):
        raise ParameterError(f"direction must be a Direction, got {direction!r}")
    if threshold is not None and not math.isfinite(threshold):
        raise ParameterError(f"threshold must be a finite number, got {threshold!r}")
    positive = [float(v) for v, o in zip(marker, outcome, strict=True) if o]
    negative = [float(v) for v, o in zip(marker, outcome, strict=True) if not o]
    if not positive or not negative:
        raise ParameterError(
            f"{outcome_name} needs both positive and negative subjects; got "
            f"{len(positive)} positive and {len(negative)} negative"
        )
    pos, neg = _oriented(positive, direction), _oriented(negative, direction)
    auc, se = delong_auc(pos, neg)
    z = float(norm.ppf(0.5 + confidence / 2))
    low = high = None
    if se is not None and se > 0:
        low, high = max(0.0, auc - z * se), min(1.0, auc + z * se)
    best, j = youden(positive, negative, direction=direction)
    chosen = best if threshold is None else float(threshold)
    cut = chosen if direction is Direction.HIGHER else -chosen
    tp = sum(x >= cut for x in pos)
    tn = sum(x < cut for x in neg)
    u = mannwhitneyu(positive, negative, alternative="two-sided")
    fpr, tpr = _roc(pos, neg)

    def both(k: int, n: int) -> tuple[Proportion, Proportion]:
        return (
            proportion(k, n, confidence=confidence),
            proportion(k, n, method=IntervalMethod.EXACT, confidence=confidence),
        )

    sens, sens_exact = both(tp, len(pos))
    spec, spec_exact = both(tn, len(neg))
    return DiagnosticAccuracy(
        marker=marker_name,
        outcome=outcome_name,
        direction=direction,
        threshold=chosen,
        threshold_source="youden" if threshold is None else "given",
        true_positive=tp,
        false_negative=len(pos) - tp,
        true_negative=tn,
        false_positive=len(neg) - tn,
        sensitivity=sens,
        sensitivity_exact=sens_exact,
        specificity=spec,
        specificity_exact=spec_exact,
        median_positive=float(median(positive)),
        median_negative=float(median(negative)),
        mann_whitney_u=float(u.statistic),
        mann_whitney_p=float(u.pvalue),
        auc=auc,
        auc_se=se,
        auc_ci_low=low,
        auc_ci_high=high,
        youden_threshold=best,
        youden_j=j,
        roc_fpr=fpr,
        roc_tpr=tpr,
        confidence=confidence,
    )
