"""Synthetic phantoms with known truth: accuracy, the least-squares optimum, shapes, flags.

``exact`` is checked against a straightforward per-voxel ``scipy.optimize.curve_fit`` of the
same model with the OSIPI bounds (Ktrans ≥ 0, 0 < ve ≤ 1, vp ≥ 0): its RSS must never be
larger, and its errors against the truth must be no larger.
"""

from __future__ import annotations

import warnings
from functools import cache

import numpy as np
import pytest
from scipy.optimize import curve_fit

from pseudoprog.errors import FitWarning, ParameterError
from pseudoprog.perfusion import (
    Bounds,
    FitFlag,
    exp_convolve,
    extended_tofts,
    fit_extended_tofts,
    fit_model,
    fit_patlak,
    fit_tofts,
    parker_aif,
    patlak,
    tofts,
)

RESOLUTIONS_S = [1.0, 2.5, 5.0]
NOISE_MM = [0.005, 0.02]
VOXELS = 40


@cache
def phantom(dt: float, sigma: float, seed: int = 11) -> tuple[np.ndarray, ...]:
    """Extended Tofts curves over 5 min with truth ``(ktrans, ve, vp)`` and Gaussian noise."""
    rng = np.random.default_rng(seed + int(dt * 10) + int(sigma * 1000))
    t = np.arange(0.0, 300.0, dt)
    cp = parker_aif(t, delay_s=20.0)
    kt = rng.uniform(0.02, 0.5, VOXELS)
    ve = rng.uniform(0.05, 0.6, VOXELS)
    vp = np.concatenate([np.zeros(5), rng.uniform(0.0, 0.1, VOXELS - 5)])  # some at vp = 0
    clean = extended_tofts(t, cp, ktrans=kt, ve=ve, vp=vp)
    noisy = clean + rng.normal(0.0, sigma, clean.shape)
    return t, cp, kt, ve, vp, clean, noisy


def _curve_fit(t: np.ndarray, cp: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Per-voxel non-linear least squares in (Ktrans, ve, vp) with the OSIPI start and bounds
    (Ktrans 0–5 /min, ve 0–1, vp 0–1); returns (Ktrans, kep, vp)."""

    def model(_: np.ndarray, kt: float, ve: float, vp: float) -> np.ndarray:
        return vp * cp + kt * exp_convolve(t, cp, kt / ve)

    p, _ = curve_fit(model, t, y, p0=(0.6, 0.2, 0.01), bounds=([0, 1e-6, 0], [5, 1, 1]))
    return float(p[0]), float(p[0] / p[1]), float(p[2])


def _rss(t: np.ndarray, cp: np.ndarray, y: np.ndarray, kt: float, kep: float, vp: float) -> float:
    return float(np.sum((y - vp * cp - kt * exp_convolve(t, cp, kep)) ** 2))


@pytest.mark.parametrize("dt", RESOLUTIONS_S)
def test_noise_free_curves_are_recovered_exactly(dt: float) -> None:
    t, cp, kt, ve, vp, clean, _ = phantom(dt, 0.0)
    result = fit_extended_tofts(t, clean, cp)
    assert result.ok.all()
    np.testing.assert_allclose(result.ktrans, kt, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(result.ve, ve, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(result.vp, vp, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(result.r2, 1.0, atol=1e-9)


@pytest.mark.parametrize("dt", RESOLUTIONS_S)
def test_linear_method_is_close_without_noise(dt: float) -> None:
    """Murase's method is exact only in continuous time; the trapezoid rule biases it a little."""
    t, cp, kt, _ve, vp, clean, _ = phantom(dt, 0.0)
    result = fit_extended_tofts(t, clean, cp, method="linear")
    np.testing.assert_allclose(result.ktrans, kt, rtol=0.05, atol=0.005)
    np.testing.assert_allclose(result.vp, vp, atol=0.005)


@pytest.mark.parametrize("sigma", NOISE_MM)
@pytest.mark.parametrize("dt", RESOLUTIONS_S)
def test_exact_is_the_least_squares_optimum_and_beats_curve_fit(dt: float, sigma: float) -> None:
    t, cp, kt, ve, vp, _, noisy = phantom(dt, sigma)
    exact = fit_extended_tofts(t, noisy, cp)
    cf = np.array([_curve_fit(t, cp, y) for y in noisy])
    rss_cf = np.array([_rss(t, cp, y, *p) for y, p in zip(noisy, cf, strict=True)])
    rss_exact = np.array(
        [
            _rss(t, cp, y, k, e, v)
            for y, k, e, v in zip(noisy, exact.ktrans, exact.kep, exact.vp, strict=True)
        ]
    )
    # The reported RSS is that of the returned parameters (to 1e-10 of the signal energy) ...
    energy = np.sum(noisy**2, axis=1)
    assert np.all(np.abs(exact.rss - rss_exact) <= 1e-10 * energy)
    # ... and it is never above curve_fit's.
    assert np.all(rss_exact <= rss_cf * (1 + 1e-9) + 1e-14), (rss_exact - rss_cf).max()
    # At least as accurate against the truth (median and 90th percentile of |error|).
    cf_ve = np.divide(cf[:, 0], cf[:, 1])
    for ours, theirs, truth in (
        (exact.ktrans, cf[:, 0], kt),
        (exact.ve, cf_ve, ve),
        (exact.vp, cf[:, 2], vp),
    ):
        for q in (50, 90):
            mine = np.percentile(np.abs(ours - truth), q)
            other = np.percentile(np.abs(theirs - truth), q)
            assert mine <= other * (1 + 1e-4) + 1e-6, (q, mine, other)  # cf converges to ~1e-8


@pytest.mark.parametrize("sigma", NOISE_MM)
def test_accuracy_against_truth(sigma: float) -> None:
    t, cp, kt, _ve, vp, _, noisy = phantom(2.5, sigma)
    result = fit_extended_tofts(t, noisy, cp)
    assert np.median(np.abs(result.ktrans - kt)) < 0.5 * sigma / 0.005 * 0.005 + 0.01
    assert np.median(np.abs(result.vp - vp)) < sigma
    assert np.all(result.vp >= 0)
    assert np.all(result.ktrans >= 0)


def test_tofts_exact_and_linear(times_s: np.ndarray, aif: np.ndarray) -> None:
    kt = np.array([0.05, 0.2, 0.6])
    ve = np.array([0.1, 0.3, 0.5])
    ct = tofts(times_s, aif, ktrans=kt, ve=ve)
    exact = fit_tofts(times_s, ct, aif)
    np.testing.assert_allclose(exact.ktrans, kt, rtol=1e-7)
    np.testing.assert_allclose(exact.ve, ve, rtol=1e-7)
    assert np.all(np.isnan(exact.vp))
    linear = fit_tofts(times_s, ct, aif, method="linear")
    np.testing.assert_allclose(linear.ktrans, kt, rtol=0.03)


def test_patlak_methods(times_s: np.ndarray, aif: np.ndarray) -> None:
    ct = patlak(times_s, aif, ktrans=np.array([0.0, 0.05, 0.1]), vp=np.array([0.1, 0.0, 0.05]))
    for method in ("exact", "linear"):
        result = fit_patlak(times_s, ct, aif, method=method)
        np.testing.assert_allclose(result.ktrans, [0.0, 0.05, 0.1], atol=1e-10)
        np.testing.assert_allclose(result.vp, [0.1, 0.0, 0.05], atol=1e-10)
        assert np.all(np.isnan(result.ve))
        assert np.all(np.isnan(result.kep))
    # Non-negativity: a curve pulled below zero gives Ktrans = 0 only with "exact".
    down = ct[0] - 0.001 * np.arange(times_s.size) / times_s.size
    assert fit_patlak(times_s, down, aif).ktrans.item() == 0.0
    assert fit_patlak(times_s, down, aif, method="linear").ktrans.item() < 0.0


def test_vp_is_never_negative_with_exact(times_s: np.ndarray, aif: np.ndarray) -> None:
    rng = np.random.default_rng(2)
    ct = tofts(times_s, aif, ktrans=0.1, ve=0.2) + rng.normal(0, 0.02, (200, times_s.size))
    result = fit_extended_tofts(times_s, ct, aif)
    assert np.all(result.vp >= 0)
    assert np.any(result.vp == 0)
    linear = fit_extended_tofts(times_s, ct, aif, method="linear")
    assert np.any(linear.vp < 0)
    assert np.all(linear.flags[linear.vp < 0] & FitFlag.UNPHYSICAL)


@pytest.mark.parametrize("method", ["exact", "linear"])
def test_delay_is_fitted(method: str) -> None:
    t = np.arange(0.0, 300.0, 1.0)
    cp = parker_aif(t, delay_s=15.0)
    ct = extended_tofts(t, cp, ktrans=[0.2, 0.1], ve=[0.3, 0.4], vp=[0.05, 0.02], delay_s=4.0)
    result = fit_extended_tofts(t, ct, cp, method=method, fit_delay=True, delay_step_s=0.5)
    np.testing.assert_allclose(result.delay_s, 4.0)
    assert result.delays_searched_s[0] == 0.0
    assert result.delays_searched_s[-1] == 10.0
    if method == "exact":
        np.testing.assert_allclose(result.ktrans, [0.2, 0.1], rtol=1e-6)
    flagged = fit_extended_tofts(t, ct, cp, fit_delay=True, delay_range_s=(0.0, 2.0))
    assert np.all(flagged.flags & FitFlag.DELAY_AT_BOUND)
    assert not flagged.ok.any()


def test_shapes_layouts_and_precision(times_s: np.ndarray, aif: np.ndarray) -> None:
    rng = np.random.default_rng(4)
    kt = rng.uniform(0.05, 0.3, (3, 4, 2))
    ct = extended_tofts(times_s, aif, ktrans=kt, ve=0.3, vp=0.03)
    c_order = fit_extended_tofts(times_s, ct, aif, chunk_size=5, workers=2)
    assert c_order.ktrans.shape == (3, 4, 2)
    assert c_order.ok.shape == (3, 4, 2)
    np.testing.assert_allclose(c_order.ktrans, kt, rtol=1e-7)
    f_order = fit_extended_tofts(times_s, np.asfortranarray(ct), aif, workers=1)
    np.testing.assert_allclose(f_order.ktrans, c_order.ktrans, rtol=1e-12)
    single = fit_extended_tofts(times_s, ct.astype(np.float32), aif)
    np.testing.assert_allclose(single.ktrans, kt, rtol=1e-4)
    one = fit_extended_tofts(times_s, ct[0, 0, 0], aif)
    assert one.ktrans.shape == ()


def test_failed_voxels_are_flagged_with_a_warning(times_s: np.ndarray, aif: np.ndarray) -> None:
    ct = np.tile(tofts(times_s, aif, ktrans=0.1, ve=0.2), (3, 1))
    ct[1, 10] = np.nan
    with pytest.warns(FitWarning, match="1 of 3 voxels could not be fitted"):
        result = fit_extended_tofts(times_s, ct, aif)
    assert result.flags[1] == FitFlag.FAILED
    assert not result.ok[1]
    assert np.isnan(result.ktrans[1])
    assert result.ok[0]
    assert result.ok[2]


def test_no_uptake_and_bound_flags(times_s: np.ndarray, aif: np.ndarray) -> None:
    flat = np.zeros((1, times_s.size))
    vascular = 0.04 * aif[None, :]
    wide = tofts(times_s, aif, ktrans=0.5, ve=2.0)[None, :]  # ve beyond its limit of 1
    blood = 1.5 * aif[None, :]  # vp beyond its plausibility limit of 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = fit_extended_tofts(times_s, np.concatenate([flat, vascular, wide, blood]), aif)
    assert result.flags[0] & FitFlag.NO_UPTAKE
    assert result.ktrans[0] == 0
    assert result.ok[0]
    assert result.flags[1] & FitFlag.NO_UPTAKE
    assert result.vp[1] == pytest.approx(0.04)
    assert np.isnan(result.kep[1])
    assert np.isnan(result.ve[1])
    assert result.ve[2] == 1.0  # the exact fit is constrained to ve <= ve_max ...
    assert result.flags[2] & FitFlag.VE_AT_BOUND  # ... and says so
    assert not result.ok[2]
    assert result.vp[3] == pytest.approx(1.5)
    assert result.flags[3] & FitFlag.UNPHYSICAL
    assert not result.ok[3]
    linear = fit_extended_tofts(times_s, wide, aif, method="linear")
    assert linear.ve.item() == pytest.approx(2.0, rel=0.05)
    assert linear.flags.item() & FitFlag.UNPHYSICAL


def test_ve_constraint_gives_the_constrained_optimum(times_s: np.ndarray, aif: np.ndarray) -> None:
    """On the face ve = ve_max the fit beats every other point of that face on a fine grid."""
    rng = np.random.default_rng(8)
    ct = tofts(times_s, aif, ktrans=0.05, ve=1.6) + rng.normal(0, 0.005, (5, times_s.size))
    ct += 0.02 * aif
    result = fit_extended_tofts(times_s, ct, aif)
    assert np.all(result.ve == 1.0)
    for k in range(5):
        keps = np.geomspace(0.01, 1.0, 4000)
        conv = exp_convolve(times_s, aif, keps) * keps[:, None]
        vp = np.maximum(((ct[k] - conv) @ aif) / (aif @ aif), 0.0)
        rss = np.sum((ct[k] - vp[:, None] * aif - conv) ** 2, axis=1)
        assert result.rss[k] <= rss.min() * (1 + 1e-9)


def test_kep_search_range_is_a_bound(times_s: np.ndarray, aif: np.ndarray) -> None:
    ct = tofts(times_s, aif, ktrans=0.3, ve=0.1)  # kep = 3 /min
    result = fit_tofts(times_s, ct, aif, bounds=Bounds(kep_max=1.0))
    assert result.kep.item() == pytest.approx(1.0)
    assert result.flags.item() & FitFlag.KEP_AT_BOUND
    assert not result.ok.item()


def test_summary_describes_the_fit(times_s: np.ndarray, aif: np.ndarray) -> None:
    ct = extended_tofts(times_s, aif, ktrans=[0.1, 0.2], ve=0.3, vp=0.02)
    text = fit_model("extended-tofts", times_s, ct, aif).summary()
    assert text.startswith("Extended Tofts fit (exact), 2 voxels: 2 ok (100.0%)")
    assert "ktrans: median 0.15 /min" in text
    assert "vp: median 0.02" in text


@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        ((np.arange(3.0), np.ones(3), np.ones(3)), {}, "at least 4"),
        ((np.array([0.0, 2.0, 1.0, 3.0]), np.ones(4), np.ones(4)), {}, "strictly increasing"),
        ((np.arange(5.0), np.ones(5), np.ones(4)), {}, "one value per frame"),
        ((np.arange(5.0), np.ones((2, 4)), np.ones(5)), {}, "last axis"),
        ((np.arange(5.0), np.ones(5), np.zeros(5)), {}, "zero at every frame"),
        ((np.arange(5.0), np.ones(5), np.ones(5)), {"method": "magic"}, "method"),
        (
            (np.arange(5.0), np.ones(5), np.ones(5)),
            {"delay_step_s": 0.0, "fit_delay": True},
            "delay_step_s",
        ),
        ((np.arange(5.0), np.ones(5), np.ones(5)), {"workers": 0}, "workers"),
    ],
)
def test_bad_arguments_are_named(
    args: tuple[np.ndarray, ...], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ParameterError, match=message):
        fit_extended_tofts(*args, **kwargs)  # type: ignore[arg-type]


def test_bounds_are_validated() -> None:
    with pytest.raises(ParameterError, match="kep_min"):
        Bounds(kep_min=2.0, kep_max=1.0)
    with pytest.raises(ParameterError, match="ve_max"):
        Bounds(ve_max=-1.0)
