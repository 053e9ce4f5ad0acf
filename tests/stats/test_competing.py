"""Aalen-Johansen cumulative incidence, checked by hand and against Kaplan-Meier."""

from __future__ import annotations

import numpy as np
import pytest

from pseudoprog.errors import ParameterError
from pseudoprog.stats.competing import cumulative_incidence
from pseudoprog.stats.survival import kaplan_meier


def test_by_hand_with_a_competing_event() -> None:
    # t=1 cause 1 (4 at risk): CIF 1/4, S = 3/4; t=2 cause 2 (3 at risk): S = 1/2;
    # t=3 censored; t=4 cause 1 (1 at risk): CIF += 1/2 · 1/1 -> 3/4.
    cif = cumulative_incidence([1, 2, 3, 4], [1, 2, 0, 1], cause=1, label="OPP")
    assert cif.incidence_at(0.5) == 0.0
    assert cif.incidence_at(1) == pytest.approx(0.25)
    assert cif.incidence_at(3.5) == pytest.approx(0.25)
    assert cif.incidence_at(4) == pytest.approx(0.75)
    assert (cif.events, cif.competing_events) == (2, 1)


def test_without_competing_events_equals_one_minus_kaplan_meier() -> None:
    rng = np.random.default_rng(1)
    durations = rng.permutation(np.arange(1, 31)).astype(float).tolist()
    events = (rng.random(30) < 0.6).tolist()
    cif = cumulative_incidence(durations, [int(e) for e in events], cause=1, label="x")
    km = kaplan_meier(durations, events, label="x")
    for t in range(0, 32):
        assert cif.incidence_at(t) == pytest.approx(1 - km.survival_at(t), abs=1e-12)


def test_causes_and_survival_add_up_to_one() -> None:
    rng = np.random.default_rng(7)
    durations = rng.permutation(np.arange(1, 41)).astype(float).tolist()
    causes = rng.integers(0, 3, 40).tolist()
    one = cumulative_incidence(durations, causes, cause=1, label="1")
    two = cumulative_incidence(durations, causes, cause=2, label="2")
    km_any = kaplan_meier(durations, [c > 0 for c in causes], label="any")
    for t in (5.5, 12.5, 30.5, 41.0):
        total = one.incidence_at(t) + two.incidence_at(t) + km_any.survival_at(t)
        assert total == pytest.approx(1.0, abs=1e-12)


def test_ties_between_causes_are_reproducible_and_leave_global_rng_alone() -> None:
    # lifelines jitters tied times with numpy's global generator; it must be left as it was.
    np.random.seed(123)  # noqa: NPY002
    before = np.random.random()  # noqa: NPY002
    np.random.seed(123)  # noqa: NPY002
    a = cumulative_incidence([1, 1, 2, 3], [1, 2, 1, 0], cause=1, label="a")
    after = np.random.random()  # noqa: NPY002
    b = cumulative_incidence([1, 1, 2, 3], [1, 2, 1, 0], cause=1, label="a")
    assert a.incidence == b.incidence
    assert before == after


@pytest.mark.parametrize(
    ("durations", "causes"),
    [([1, 2], [1]), ([], []), ([1, 2], [1, -1]), ([1, float("nan")], [1, 0])],
)
def test_errors(durations: list[float], causes: list[int]) -> None:
    with pytest.raises(ParameterError):
        cumulative_incidence(durations, causes, cause=1, label="x")
