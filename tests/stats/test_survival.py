"""Kaplan-Meier and log-rank (lifelines) cross-checked against scipy.stats."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pseudoprog.errors import ParameterError
from pseudoprog.stats.survival import kaplan_meier, logrank_test, number_at_risk

samples = st.lists(
    st.tuples(st.integers(min_value=1, max_value=60), st.booleans()), min_size=3, max_size=40
)


def _censored(durations: list[float], events: list[bool]) -> stats.CensoredData:
    d = np.asarray(durations, dtype=float)
    e = np.asarray(events, dtype=bool)
    return stats.CensoredData(uncensored=d[e], right=d[~e])


@settings(max_examples=60, deadline=None)
@given(samples)
def test_kaplan_meier_matches_scipy_ecdf(data: list[tuple[int, bool]]) -> None:
    durations = [float(d) for d, _ in data]
    events = [e for _, e in data]
    if not any(events):
        events[0] = True
    curve = kaplan_meier(durations, events, label="x")
    reference = stats.ecdf(_censored(durations, events)).sf
    grid = sorted({0.5, *durations, *(d + 0.5 for d in durations)})
    for t in grid:
        assert curve.survival_at(t) == pytest.approx(float(reference.evaluate(t)), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(samples, samples)
def test_logrank_matches_scipy(a: list[tuple[int, bool]], b: list[tuple[int, bool]]) -> None:
    da, ea = [float(d) for d, _ in a], [e for _, e in a]
    db, eb = [float(d) for d, _ in b], [e for _, e in b]
    ea[0] = True  # at least one event
    with np.errstate(invalid="ignore", divide="ignore"):
        ref = stats.logrank(_censored(da, ea), _censored(db, eb))
    if not np.isfinite(ref.pvalue):  # no event while both groups were at risk
        with pytest.raises(ParameterError, match="both groups"):
            logrank_test(da, ea, db, eb)
        return
    ours = logrank_test(da, ea, db, eb)
    assert ours.p_value == pytest.approx(float(ref.pvalue), rel=1e-7, abs=1e-12)
    assert ours.statistic == pytest.approx(float(ref.statistic) ** 2, rel=1e-7, abs=1e-12)


def test_kaplan_meier_by_hand() -> None:
    # Events at 2, 3, 5; censored at 3 and 8. S(2) = 4/5; S(3) = 4/5·3/4; S(5) = 3/5·1/2.
    curve = kaplan_meier([2, 3, 3, 5, 8], [True, True, False, True, False], label="hand")
    assert curve.survival_at(1.9) == 1.0
    assert curve.survival_at(2) == pytest.approx(0.8)
    assert curve.survival_at(4) == pytest.approx(0.6)
    assert curve.survival_at(9) == pytest.approx(0.3)
    assert curve.median_weeks == 5.0
    assert curve.censored_times == (3.0, 8.0)
    assert (curve.n, curve.events) == (5, 3)


def test_number_at_risk() -> None:
    assert number_at_risk([1, 2, 3, 4], 2.5) == 2
    assert number_at_risk([1, 2, 3, 4], 0) == 4


def test_errors() -> None:
    with pytest.raises(ParameterError):
        kaplan_meier([1, 2], [True], label="x")
    with pytest.raises(ParameterError):
        kaplan_meier([-1.0], [True], label="x")
    with pytest.raises(ParameterError, match="no event"):
        logrank_test([1, 2], [False, False], [3], [False])
