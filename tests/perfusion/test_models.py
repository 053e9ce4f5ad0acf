"""Forward models and the exponential convolution."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudoprog.errors import ParameterError
from pseudoprog.perfusion import (
    Model,
    exp_convolve,
    extended_tofts,
    patlak,
    shift_curve,
    tofts,
)


@given(
    k=st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=50.0)),
    slope=st.floats(min_value=-2.0, max_value=2.0),
    step=st.sampled_from([0.5, 2.0, 5.0]),
)
@settings(max_examples=60, deadline=None)
def test_convolution_is_exact_for_piecewise_linear_input(
    k: float, slope: float, step: float
) -> None:
    """∫0^t (1 + a τ) e^{−k(t−τ)} dτ in closed form (t, τ in minutes)."""
    t_s = np.arange(0.0, 300.0 + step, step)
    t = t_s / 60.0
    cp = 1.0 + slope * t
    got = exp_convolve(t_s, cp, k)
    if k == 0:
        expected = t + slope * t * t / 2
    else:
        expected = (1 - np.exp(-k * t)) / k + slope * (t / k - (1 - np.exp(-k * t)) / k**2)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_convolution_handles_uneven_sampling_and_shapes() -> None:
    t_s = np.array([0.0, 1.0, 3.0, 7.0, 15.0, 31.0])
    cp = np.ones_like(t_s)
    k = np.array([[0.5, 2.0], [0.0, 10.0]])
    got = exp_convolve(t_s, cp, k)
    assert got.shape == (2, 2, 6)
    t = t_s / 60.0
    np.testing.assert_allclose(got[0, 1], (1 - np.exp(-2.0 * t)) / 2.0, rtol=1e-12)
    np.testing.assert_allclose(got[1, 0], t, rtol=1e-12)


def test_tofts_steady_state_is_ve_times_cp() -> None:
    """With a constant input the tissue approaches ve·Cp (kep = Ktrans/ve)."""
    t = np.arange(0.0, 3600.0, 2.0)
    ct = tofts(t, np.full(t.size, 2.0), ktrans=0.5, ve=0.25)
    assert ct[-1] == pytest.approx(0.5, rel=1e-9)


def test_extended_tofts_adds_vp_cp(times_s: np.ndarray, aif: np.ndarray) -> None:
    base = tofts(times_s, aif, ktrans=0.2, ve=0.3)
    np.testing.assert_allclose(
        extended_tofts(times_s, aif, ktrans=0.2, ve=0.3, vp=0.05), base + 0.05 * aif
    )


def test_patlak_is_linear(times_s: np.ndarray, aif: np.ndarray) -> None:
    both = patlak(times_s, aif, ktrans=0.1, vp=0.02)
    np.testing.assert_allclose(
        both, patlak(times_s, aif, ktrans=0.1, vp=0.0) + patlak(times_s, aif, ktrans=0.0, vp=0.02)
    )


def test_broadcasting_gives_leading_shape(times_s: np.ndarray, aif: np.ndarray) -> None:
    out = extended_tofts(times_s, aif, ktrans=np.full((2, 3), 0.1), ve=0.2, vp=np.zeros(3))
    assert out.shape == (2, 3, times_s.size)


def test_delay_shifts_the_input(times_s: np.ndarray, aif: np.ndarray) -> None:
    late = extended_tofts(times_s, aif, ktrans=0.2, ve=0.3, vp=0.05, delay_s=5.0)
    early = extended_tofts(times_s, shift_curve(times_s, aif, 5.0), ktrans=0.2, ve=0.3, vp=0.05)
    np.testing.assert_allclose(late, early)
    assert shift_curve([0.0, 1.0, 2.0], [1.0, 2.0, 3.0], -1.0).tolist() == [2.0, 3.0, 3.0]


def test_model_codes() -> None:
    assert Model.parse("ETM") is Model.EXTENDED_TOFTS
    assert Model.parse(Model.PATLAK) is Model.PATLAK
    assert Model.TOFTS.parameters == ("ktrans", "ve", "kep")
    with pytest.raises(ParameterError, match="not a known model"):
        Model.parse("2cxm")


def test_shape_mismatch_is_rejected() -> None:
    with pytest.raises(ParameterError, match="same length"):
        exp_convolve([0.0, 1.0], [1.0], 0.1)
