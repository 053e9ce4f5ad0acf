"""Univariate Cox regression: an independent partial-likelihood fit, and separation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from pseudoprog.stats.cox import is_radioresistant, separation, univariate_cox


def _partial_likelihood_fit(t: np.ndarray, e: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """Maximise the Cox partial likelihood directly (no tied times), return beta and its SE."""

    def negloglik(beta: float) -> float:
        total = 0.0
        for i in np.flatnonzero(e):
            risk = t >= t[i]
            total += beta * x[i] - math.log(np.exp(beta * x[risk]).sum())
        return -total

    beta = optimize.minimize_scalar(negloglik, bounds=(-10, 10), method="bounded").x
    h = 1e-4
    info = (negloglik(beta + h) - 2 * negloglik(beta) + negloglik(beta - h)) / h**2
    return float(beta), 1 / math.sqrt(info)


def test_matches_a_direct_partial_likelihood_fit() -> None:
    rng = np.random.default_rng(3)
    n = 40
    x = rng.normal(55, 10, n)
    t = rng.permutation(np.arange(1, n + 1)).astype(float)  # distinct times: no ties
    e = rng.random(n) < 0.5
    beta, se = _partial_likelihood_fit(t, e, x)
    fit = univariate_cox(t.tolist(), e.tolist(), x.tolist(), name="age")
    assert fit.estimable
    assert fit.coefficient == pytest.approx(beta, abs=1e-4)
    assert fit.standard_error == pytest.approx(se, rel=1e-3)
    z = beta / se
    assert fit.p_value == pytest.approx(2 * stats.norm.sf(abs(z)), rel=1e-3)
    assert fit.hazard_ratio == pytest.approx(math.exp(beta), rel=1e-4)
    assert fit.ci_low == pytest.approx(math.exp(beta - 1.959964 * se), rel=1e-3)


def test_complete_separation_of_a_binary_covariate_is_not_estimable() -> None:
    # As fractionation in Amini et al. 2016 (Table 2): every event in one group.
    t = [10, 12, 13, 20, 30, 40, 50, 60]
    e = [1, 1, 1, 0, 0, 0, 0, 0]
    x = [1, 1, 1, 1, 0, 0, 0, 0]
    fit = univariate_cox(
        t, e, x, name="single_fraction", levels=("multiple", "single"), event_name="OPP"
    )
    assert not fit.estimable
    assert fit.hazard_ratio is None
    assert fit.ci_low is None
    assert fit.p_value is None
    assert "complete separation" in fit.note
    assert "none among the 4 lesions with multiple" in fit.note
    assert fit.to_dict()["hazard_ratio"] is None


def test_separation_towards_zero_and_for_a_continuous_covariate() -> None:
    t = [1, 2, 3, 4, 5]
    e = [1, 1, 0, 0, 0]
    assert "zero" in (separation(t, e, [0, 0, 1, 1, 1], levels=("a", "b")) or "")
    # continuous: each event has the highest value of its risk set
    reason = separation(t, e, [9.0, 8.0, 1.0, 2.0, 3.0], name="age")
    assert reason is not None
    assert "highest age" in reason
    # not separated once one event breaks the order
    assert separation(t, [1, 1, 0, 1, 0], [9.0, 8.0, 1.0, 2.0, 3.0]) is None


def test_degenerate_models() -> None:
    assert "no event" in (separation([1, 2], [0, 0], [1, 2]) or "")
    assert "single value" in (separation([1, 2], [1, 0], [3, 3]) or "")
    # the only event happens when one lesion is left at risk
    assert "does not vary" in (separation([1, 2, 3], [0, 0, 1], [0, 0, 1]) or "")


def test_radioresistant_histologies_of_the_paper() -> None:
    # Amini et al. 2016, Statistical Analysis: renal cell carcinoma, sarcoma, adenoid cystic
    # carcinoma and melanoma are radioresistant.
    for text in (
        "Renal cell carcinoma",
        "RCC",
        "Leiomyosarcoma",
        "Adenoid cystic carcinoma",
        "melanoma",
    ):
        assert is_radioresistant(text) is True
    for text in ("Breast carcinoma", "Thyroid carcinoma", "Prostate carcinoma"):
        assert is_radioresistant(text) is False
    assert is_radioresistant(None) is None


def test_fractionation_in_the_example_is_not_estimable(example_study: object) -> None:
    from pseudoprog.stats.study import StudyResult

    assert isinstance(example_study, StudyResult)
    by_name = {c.variable: c for c in example_study.cox}
    assert set(by_name) == {"age", "dose_gy", "radiosensitive", "thoracic", "single_fraction"}
    frac = by_name["single_fraction"]
    assert not frac.estimable
    assert frac.hazard_ratio is None
    assert "separation" in frac.note
    for name in ("age", "dose_gy", "radiosensitive", "thoracic"):
        fit = by_name[name]
        assert fit.estimable
        assert fit.ci_low < fit.hazard_ratio < fit.ci_high
        assert (fit.n, fit.events) == (37, 5)
