"""Means with the t and the normal-approximation interval; counts."""

from __future__ import annotations

import statistics

import pytest
from scipy import stats

from pseudoprog.stats.summaries import mean_summary, tabulate

# Time to peak of the five OPP lesions (weeks): the extremes 9.7 and 24.4 and the mean 13.9
# are published (Amini et al. 2016, Results); the bundled synthetic lesions peak on days 68,
# 73, 85, 88 and 171 after treatment.
PEAK_WEEKS = [68 / 7, 73 / 7, 85 / 7, 88 / 7, 171 / 7]


def test_normal_interval_reproduces_the_papers_time_to_peak_ci() -> None:
    s = mean_summary(PEAK_WEEKS)
    # Amini et al. 2016, Results: mean 13.9 weeks; 95% CI 8.6-19.1; range 9.7-24.4.
    assert round(s.mean, 1) == 13.9
    assert (round(s.ci_normal_low, 1), round(s.ci_normal_high, 1)) == (8.6, 19.1)
    assert (round(s.minimum, 1), round(s.maximum, 1)) == (9.7, 24.4)


def test_t_interval_matches_scipy() -> None:
    s = mean_summary(PEAK_WEEKS)
    low, high = stats.t.interval(0.95, len(PEAK_WEEKS) - 1, loc=s.mean, scale=stats.sem(PEAK_WEEKS))
    assert (s.ci_low, s.ci_high) == pytest.approx((low, high))
    assert (round(s.ci_low, 1), round(s.ci_high, 1)) == (6.4, 21.3)
    assert s.sd == pytest.approx(statistics.stdev(PEAK_WEEKS))


def test_normal_interval_by_hand() -> None:
    values = [1.0, 2.0, 3.0, 4.0]
    s = mean_summary(values, confidence=0.9)
    half = stats.norm.ppf(0.95) * statistics.stdev(values) / 2
    assert (s.ci_normal_low, s.ci_normal_high) == pytest.approx((2.5 - half, 2.5 + half))


def test_degenerate_samples() -> None:
    assert mean_summary([]).mean is None
    one = mean_summary([4.0])
    assert (one.mean, one.sd, one.ci_low) == (4.0, None, None)
    assert mean_summary([float("nan"), 2.0, 4.0]).n == 2


def test_tabulate_orders_and_percentages() -> None:
    rows = tabulate(["b", "a", "b", None], order=("a", "z"))
    assert [(c.label, c.count) for c in rows] == [("a", 1), ("z", 0), ("b", 2), ("not recorded", 1)]
    assert rows[2].percent == 50.0
