"""The fused exact extended Tofts pass against the reference implementation (the specification).

Flags, ``ok`` and the NaN pattern are identical. Parameters agree within 1e-6 relative, except
where the least-squares optimum is flat at round-off level (a noise voxel, or the ve face in
float32, whose search works on residuals of size ``y·y``): there the residual of the fast fit's
parameters, computed explicitly from the model, must be no larger than that of the
reference's parameters (to 1e-8 relative). ``y·y`` and the total sum of squares are float64
sums (the reference sums float32 data in float32), so R² of a constant curve is NaN where the
reference gave a round-off value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudoprog.perfusion import FitFlag, FitResult, exp_convolve
from tests.perfusion.volumes import FIELDS, RTOL, both, sampling, volume


def explicit_rss(result: FitResult, t: np.ndarray, cp: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``Σ (y − model)²`` of the fitted parameters, computed from the model itself."""
    kep = np.where(np.isfinite(result.kep), result.kep, 0.0).reshape(-1)
    kt = np.nan_to_num(result.ktrans.reshape(-1))
    vp = np.nan_to_num(result.vp.reshape(-1))
    model = vp[:, None] * cp + kt[:, None] * exp_convolve(t, cp, kep)
    return np.asarray(np.sum((y - model) ** 2, axis=1))


def _round_off_no_uptake(
    fast: FitResult, ref: FitResult, t: np.ndarray, cp: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Voxels whose flags differ, each one checked to be the single accepted difference.

    On a curve without leakage the reference can end at Ktrans ≈ -1e-8 (round-off), flagged
    unphysical at the kep bound; the fused fit gives Ktrans = 0, no uptake. That is accepted
    only with a residual, computed from the model, no larger than the reference's.
    """
    differ = fast.flags.reshape(-1) != ref.flags.reshape(-1)
    if not differ.any():
        return differ
    assert np.all(fast.flags.reshape(-1)[differ] == FitFlag.NO_UPTAKE)
    assert np.all(ref.flags.reshape(-1)[differ] & FitFlag.UNPHYSICAL)
    assert np.all(np.abs(ref.ktrans.reshape(-1)[differ]) < 1e-6)
    with np.errstate(all="ignore"):
        mine = explicit_rss(fast, t, cp, y)[differ]
        theirs = explicit_rss(ref, t, cp, y)[differ]
    assert np.all(mine <= theirs * (1 + 1e-8) + 1e-14)
    return differ


def check(fast: FitResult, ref: FitResult, t: np.ndarray, cp: np.ndarray, ct: Any) -> None:
    y = np.asarray(ct, dtype=np.float64).reshape(-1, t.size)
    same = ~_round_off_no_uptake(fast, ref, t, cp, y)
    np.testing.assert_array_equal(fast.ok.reshape(-1)[same], ref.ok.reshape(-1)[same])
    # R² of a constant curve is undefined: NaN here, a round-off value in the reference.
    constant = np.ptp(y, axis=1) == 0
    r2_fast, r2_ref = fast.r2.reshape(-1), ref.r2.reshape(-1)
    assert np.all(np.isnan(r2_fast[constant]))
    keep = ~constant & same
    np.testing.assert_array_equal(np.isnan(r2_fast[keep]), np.isnan(r2_ref[keep]))
    off = np.zeros(y.shape[0], dtype=bool)
    for name in FIELDS:
        a, b = getattr(fast, name).reshape(-1), getattr(ref, name).reshape(-1)
        np.testing.assert_array_equal(np.isnan(a[same]), np.isnan(b[same]), err_msg=name)
        with np.errstate(invalid="ignore"):
            off |= ~(np.abs(a - b) <= RTOL * np.abs(b) + 1e-12) & np.isfinite(b) & same
    if np.any(off):
        with np.errstate(all="ignore"):
            mine = explicit_rss(fast, t, cp, y)[off]
            theirs = explicit_rss(ref, t, cp, y)[off]
        assert np.all(mine <= theirs * (1 + 1e-8) + 1e-14), np.flatnonzero(off)
    # The reported RSS uses y·y in float64: within round-off of the curve's scale.
    finite = np.isfinite(ref.rss.reshape(-1)) & same
    yy = np.sum(y * y, axis=1)[finite]
    diff = np.abs(fast.rss.reshape(-1) - ref.rss.reshape(-1))[finite]
    assert np.all(diff <= 1e-6 * yy + 1e-5 * ref.rss.reshape(-1)[finite])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("layout", ["voxel-major", "time-major"])
def test_exact_matches_the_reference(dtype: type, uniform: bool, layout: str) -> None:
    t = sampling(uniform)
    curves, cp = volume(t, 2500, seed=3, background=0.4)
    if layout == "voxel-major":
        ct = np.ascontiguousarray(curves, dtype=dtype)
    else:
        ct = np.ascontiguousarray(curves.T, dtype=dtype).T
    fast, ref = both("extended-tofts", t, ct, cp, method="exact", workers=2, chunk_size=700)
    check(fast, ref, t, cp, ct)


def test_exact_matches_with_delays_bounds_and_shapes() -> None:
    from pseudoprog.perfusion import Bounds

    t = sampling(True)
    curves, cp = volume(t, 600, seed=9, background=0.3)
    ct = curves.astype(np.float32).reshape(10, 60, t.size)
    options: list[dict[str, Any]] = [
        {"fit_delay": True, "delay_range_s": (0.0, 10.0), "delay_step_s": 5.0},
        {"bounds": Bounds(ve_max=0.5, kep_min=0.01, kep_max=5.0)},
        {"grid_size": 20, "workers": 1},
    ]
    for option in options:
        fast, ref = both("extended-tofts", t, ct, cp, method="exact", **option)
        check(fast, ref, t, cp, ct)
    fortran = np.asfortranarray(ct)
    fast, ref = both("extended-tofts", t, fortran, cp, method="exact")
    check(fast, ref, t, cp, fortran)


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(1, 200),
    frames=st.integers(12, 80),
    uniform=st.booleans(),
    single=st.booleans(),
    sigma=st.sampled_from([0.0, 1e-3, 0.05]),
    background=st.floats(0.0, 1.0),
    ve_max=st.sampled_from([1.0, 0.3]),
    seed=st.integers(0, 2**16),
)
def test_exact_matches_the_reference_on_random_volumes(
    n: int,
    frames: int,
    uniform: bool,
    single: bool,
    sigma: float,
    background: float,
    ve_max: float,
    seed: int,
) -> None:
    from pseudoprog.perfusion import Bounds

    t = sampling(uniform, frames)
    curves, cp = volume(t, n, seed=seed, sigma=sigma, background=background)
    ct = curves.astype(np.float32 if single else np.float64)
    fast, ref = both("extended-tofts", t, ct, cp, method="exact", bounds=Bounds(ve_max=ve_max))
    check(fast, ref, t, cp, ct)


@pytest.mark.parametrize("ve_max", [1.0, 0.4, 0.15])
def test_the_ve_face_is_searched_wherever_the_limit_binds(ve_max: float) -> None:
    """The compiled fit searches the face ve = ve_max only where that limit changed the other
    candidates; the answers, the voxels ending on the face included, are the reference's."""
    from pseudoprog.perfusion import Bounds

    t = sampling(True)
    curves, cp = volume(t, 3000, seed=21, background=0.4)
    ct = curves.astype(np.float32)
    fast, ref = both("extended-tofts", t, ct, cp, method="exact", bounds=Bounds(ve_max=ve_max))
    on_face = (ref.flags.reshape(-1) & FitFlag.VE_AT_BOUND) != 0
    assert on_face.sum() > 30  # the face wins for many voxels: the search was not skipped
    np.testing.assert_array_equal((fast.flags.reshape(-1) & FitFlag.VE_AT_BOUND) != 0, on_face)
    check(fast, ref, t, cp, ct)
