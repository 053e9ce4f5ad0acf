"""Wilson and exact intervals, checked against statsmodels and against hand computation."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.proportion import proportion_confint

from pseudoprog.errors import ParameterError
from pseudoprog.stats.proportions import (
    IntervalMethod,
    exact_interval,
    proportion,
    wilson_interval,
)

counts = st.integers(min_value=1, max_value=400).flatmap(
    lambda n: st.tuples(st.integers(min_value=0, max_value=n), st.just(n))
)
levels = st.sampled_from([0.8, 0.9, 0.95, 0.99])


@settings(max_examples=150, deadline=None)
@given(counts, levels)
def test_wilson_matches_statsmodels(kn: tuple[int, int], confidence: float) -> None:
    k, n = kn
    low, high = wilson_interval(k, n, confidence=confidence)
    ref = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    assert low == pytest.approx(ref[0], abs=1e-9)
    assert high == pytest.approx(ref[1], abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(counts, levels)
def test_exact_matches_statsmodels_beta(kn: tuple[int, int], confidence: float) -> None:
    k, n = kn
    low, high = exact_interval(k, n, confidence=confidence)
    ref = proportion_confint(k, n, alpha=1 - confidence, method="beta")
    assert low == pytest.approx(ref[0], abs=1e-7)
    assert high == pytest.approx(ref[1], abs=1e-7)


def test_wilson_by_hand() -> None:
    # Wilson 1927: (p + z²/2n ± z·sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964
    k, n, z = 5, 37, 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low, high = wilson_interval(k, n)
    assert (low, high) == pytest.approx((centre - half, centre + half), abs=1e-12)


def test_exact_with_zero_events_by_hand() -> None:
    # Clopper-Pearson with k = 0: upper bound 1 - (α/2)^(1/n) (0/21 multi-fraction OPP).
    low, high = exact_interval(0, 21)
    assert low == 0.0
    assert high == pytest.approx(1 - 0.025 ** (1 / 21), abs=1e-12)


def test_proportion_fields_and_text() -> None:
    p = proportion(5, 16)
    assert (p.numerator, p.denominator) == (5, 16)
    assert p.estimate == pytest.approx(5 / 16)
    assert p.method is IntervalMethod.WILSON
    assert p.to_dict()["ci_low"] == pytest.approx(wilson_interval(5, 16)[0])
    assert str(p).startswith("5/16 (31%; 95% CI")


def test_zero_denominator_gives_no_estimate() -> None:
    p = proportion(0, 0)
    assert p.estimate is None
    assert p.ci_low is None
    assert p.ci_high is None
    assert p.to_dict()["estimate"] is None


@pytest.mark.parametrize(
    ("k", "n", "confidence"),
    [(-1, 5, 0.95), (6, 5, 0.95), (1, 5, 1.0), (1, 5, 0.0), (1.5, 5, 0.95), (True, 5, 0.95)],
)
def test_bad_arguments_raise_parameter_error(k: object, n: int, confidence: float) -> None:
    with pytest.raises(ParameterError):
        proportion(k, n, confidence=confidence)  # type: ignore[arg-type]
