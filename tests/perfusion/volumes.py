"""Generated DCE volumes for comparing the fast fitters with the reference implementation.

Each volume mixes enhancing tissue (extended Tofts curves with noise), background voxels
(noise only, the hard case of the exact fit), and edge cases: all-zero, constant and huge
curves, negative curves, a bolus without washout, and curves with NaN or infinite samples.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pseudoprog.perfusion import FitResult, extended_tofts, fit_model, parker_aif
from pseudoprog.perfusion._reference import fit_reference

FIELDS = ("ktrans", "ve", "vp", "kep", "delay_s")
#: Parameters of the fast paths agree with the reference to this relative tolerance.
RTOL = 1e-6


def sampling(uniform: bool, frames: int = 60) -> np.ndarray:
    """Frame times in s: every 5 s, or irregular steps of 1–8 s."""
    if uniform:
        return np.arange(frames) * 5.0
    rng = np.random.default_rng(5)
    return np.concatenate(([0.0], np.cumsum(rng.uniform(1.0, 8.0, frames - 1))))


def volume(
    t: np.ndarray,
    n: int,
    *,
    seed: int,
    background: float = 0.4,
    sigma: float = 0.02,
    edge_cases: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """``(n, T)`` float64 curves and the AIF; a share ``background`` of noise-only voxels."""
    rng = np.random.default_rng(seed)
    cp = parker_aif(t, delay_s=15.0)
    kt = rng.uniform(0.005, 0.6, n)
    ve = rng.uniform(0.02, 1.2, n)  # some beyond ve_max = 1
    vp = np.where(rng.random(n) < 0.2, 0.0, rng.uniform(0.0, 0.12, n))
    curves = extended_tofts(t, cp, ktrans=kt, ve=ve, vp=vp)
    curves += rng.normal(0.0, sigma, curves.shape)
    noise = rng.random(n) < background
    curves[noise] = rng.normal(0.0, sigma, (int(noise.sum()), t.size))
    if edge_cases and n >= 12:
        curves[0] = 0.0
        curves[1] = 0.3
        curves[2] = 1e6 * curves[5]
        curves[3] = -curves[6]
        curves[4, 3] = np.nan
        curves[7, -1] = np.inf
        curves[8] = np.where(t > 20, 0.5, 0.0)  # no washout
        curves[9] = cp * 0.05  # plasma only
        curves[10] = 1e-12 * rng.normal(size=t.size)
    return curves, cp


def both(
    model: str, t: np.ndarray, ct: Any, cp: np.ndarray, **options: Any
) -> tuple[FitResult, FitResult]:
    """The fast fit and the reference fit of the same input."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = fit_model(model, t, ct, cp, **options)
        ref = fit_reference(model, t, ct, cp, **options)
    return fast, ref


def assert_same(
    fast: FitResult, ref: FitResult, curves: Any, *, rss_rtol: float, rss_scale: float
) -> None:
    """Same flags, ok, NaN pattern; parameters within :data:`RTOL`; RSS within ``rss_rtol``
    relative or ``rss_scale·Σy²`` (round-off of the curve's own scale)."""
    np.testing.assert_array_equal(fast.flags, ref.flags)
    np.testing.assert_array_equal(fast.ok, ref.ok)
    for name in FIELDS:
        a, b = getattr(fast, name), getattr(ref, name)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=name)
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-12, err_msg=name)
    np.testing.assert_array_equal(np.isnan(fast.rss), np.isnan(ref.rss))
    y = np.asarray(curves, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        yy = np.sum(y * y, axis=-1)
    scale = np.where(np.isfinite(yy), yy, 0.0) * rss_scale
    finite = np.isfinite(ref.rss)
    excess = np.abs(fast.rss - ref.rss)[finite] - scale[finite]
    assert np.all(excess <= rss_rtol * np.abs(ref.rss[finite])), "rss"
    np.testing.assert_array_equal(np.isnan(fast.r2), np.isnan(ref.r2))
    assert fast.shape == ref.shape
