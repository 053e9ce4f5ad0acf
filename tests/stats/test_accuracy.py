"""Diagnostic accuracy (the analysis of the AJNR 2023 DCE-MRI study, seed 004)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from pseudoprog.errors import ParameterError
from pseudoprog.stats.accuracy import Direction, delong_auc, diagnostic_accuracy, youden


def seed004_table() -> tuple[list[float], list[bool]]:
    """A synthetic table with the published counts of plasma volume change (seed 004,
    Abstract): 11 failures, 38 successes; sensitivity 10/11, specificity 33/38 at 0%."""
    rng = np.random.default_rng(2023)
    failure = [*rng.uniform(5, 200, 10), -20.0]  # 10 of 11 failures rise
    success = [*rng.uniform(-90, -5, 33), *rng.uniform(5, 60, 5)]  # 33 of 38 fall
    return [*failure, *success], [True] * 11 + [False] * 38


def test_published_counts_at_the_threshold() -> None:
    marker, outcome = seed004_table()
    acc = diagnostic_accuracy(marker, outcome, threshold=0.0, marker_name="vp change")
    assert (acc.true_positive, acc.n_positive) == (10, 11)
    assert (acc.true_negative, acc.n_negative) == (33, 38)
    assert round(100 * acc.sensitivity.estimate) == 91  # seed 004: 91% (10 of 11)
    assert round(100 * acc.specificity.estimate) == 87  # seed 004: 87% (33 of 38)
    # Wilson and exact intervals against statsmodels (the paper's printed CIs are neither).
    for ours, ref_k, ref_n in ((acc.sensitivity, 10, 11), (acc.specificity, 33, 38)):
        ref = proportion_confint(ref_k, ref_n, method="wilson")
        assert (ours.ci_low, ours.ci_high) == pytest.approx(ref)
    ref = proportion_confint(10, 11, method="beta")
    assert (acc.sensitivity_exact.ci_low, acc.sensitivity_exact.ci_high) == pytest.approx(ref)
    assert acc.threshold_source == "given"


def test_auc_equals_mann_whitney_u_and_delong_matches_brute_force() -> None:
    marker, outcome = seed004_table()
    acc = diagnostic_accuracy(marker, outcome)
    pos = np.array([m for m, o in zip(marker, outcome, strict=True) if o])
    neg = np.array([m for m, o in zip(marker, outcome, strict=True) if not o])
    u = stats.mannwhitneyu(pos, neg, alternative="two-sided")
    assert acc.mann_whitney_u == u.statistic
    assert acc.mann_whitney_p == pytest.approx(u.pvalue)
    assert acc.auc == pytest.approx(u.statistic / (len(pos) * len(neg)))
    # DeLong 1988 structural components, pair by pair.
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    se = math.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg))
    assert acc.auc_se == pytest.approx(se)
    assert acc.auc_ci_low == pytest.approx(max(0.0, acc.auc - 1.959964 * se), abs=1e-6)


def test_delong_by_hand_with_ties() -> None:
    # pairs: 3>1,3>2,3=3 -> 2.5; 4 beats all 3; 5 beats all 3 => AUC = 8.5/9
    auc, se = delong_auc([3, 4, 5], [1, 2, 3])
    assert auc == pytest.approx(8.5 / 9)
    v10 = np.array([2.5 / 3, 1, 1])
    v01 = np.array([1, 1, 2.5 / 3])
    assert se == pytest.approx(math.sqrt(v10.var(ddof=1) / 3 + v01.var(ddof=1) / 3))
    assert delong_auc([1.0], [0.0]) == (1.0, None)


def test_youden_by_brute_force() -> None:
    rng = np.random.default_rng(5)
    pos, neg = rng.normal(1, 1, 30).round(1), rng.normal(0, 1, 40).round(1)
    best_j = max(
        (pos >= t).mean() + (neg < t).mean() - 1 for t in np.unique(np.concatenate([pos, neg]))
    )
    threshold, j = youden(pos.tolist(), neg.tolist())
    assert j == pytest.approx(best_j)
    assert (pos >= threshold).mean() + (neg < threshold).mean() - 1 == pytest.approx(best_j)


def test_lower_direction_mirrors_higher() -> None:
    marker, outcome = seed004_table()
    high = diagnostic_accuracy(marker, outcome, threshold=0.0)
    low = diagnostic_accuracy(
        [-m for m in marker], outcome, threshold=0.0, direction=Direction.LOWER
    )
    assert low.auc == pytest.approx(high.auc)
    assert low.true_negative == 33  # -m ≤ 0 (m ≥ 0) is positive, as with "higher"
    assert low.rule.endswith("≤ 0")


def test_summary_and_json() -> None:
    marker, outcome = seed004_table()
    acc = diagnostic_accuracy(marker, outcome, marker_name="vp", outcome_name="failure")
    assert "optimistic" in acc.summary()
    doc = acc.to_dict()
    assert doc["threshold_source"] == "youden"
    assert doc["roc_curve"]["fpr"][0] == 0.0
    assert doc["roc_curve"]["tpr"][-1] == 1.0


@pytest.mark.parametrize(
    ("marker", "outcome"),
    [([1.0, 2.0], [True]), ([1.0, float("nan")], [True, False]), ([1.0, 2.0], [True, True])],
)
def test_errors(marker: list[float], outcome: list[bool]) -> None:
    with pytest.raises(ParameterError):
        diagnostic_accuracy(marker, outcome)


def test_separated_groups_have_no_auc_interval() -> None:
    acc = diagnostic_accuracy([1.0, 2.0, 3.0, 10.0, 11.0], [False, False, False, True, True])
    assert acc.auc == 1.0
    assert acc.auc_se == 0.0
    assert acc.auc_ci_low is None
    assert "do not overlap" in acc.summary()
