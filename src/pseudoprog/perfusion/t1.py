"""Variable flip angle (VFA) T1 mapping from spoiled gradient echo images.

With ``E = exp(−TR/T1)`` the SPGR signal at flip angle α is
``S(α) = S0·sin α·(1 − E)/(1 − cos α·E)``. Two estimators:

* ``"linear"`` — ``S/sin α = E·(S/tan α) + S0·(1 − E)`` is a straight line in
  ``(S/tan α, S/sin α)`` (the DESPOT1 linearisation, Deoni et al., Magn Reson Med
  2003;49:515–526), fitted by ordinary least squares per voxel;
* ``"nonlinear"`` — the least-squares fit of the signal equation itself: for a fixed ``E`` the
  signal is linear in ``S0``, which is eliminated in closed form, and ``E`` is found by a grid
  search followed by golden-section refinement, vectorised over voxels.

Examples
--------
>>> import numpy as np
>>> fa = np.array([2.0, 5.0, 10.0, 15.0])
>>> a = np.deg2rad(fa); e = np.exp(-0.005 / 1.2)
>>> s = 1000 * np.sin(a) * (1 - e) / (1 - np.cos(a) * e)
>>> round(float(vfa_t1(s, flip_angles_deg=fa, tr_s=0.005).t1_s), 6)
1.2
>>> round(float(vfa_t1(s, flip_angles_deg=fa, tr_s=0.005, method="nonlinear").s0), 3)
1000.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pseudoprog.domain import CodedEnum
from pseudoprog.errors import ParameterError

__all__ = ["T1Method", "T1Result", "vfa_t1"]

FloatArray = npt.NDArray[np.float64]

#: T1 search range of the non-linear fit, seconds (a numerical bracket, far wider than tissue).
_T1_RANGE_S = (1e-3, 20.0)
_GRID = 200
_GOLDEN_STEPS = 60


class T1Method(CodedEnum):
    """Estimator of :func:`vfa_t1`."""

    LINEAR = "linear"
    NONLINEAR = "nonlinear"

    @classmethod
    def _described_as(cls) -> tuple[str | None, str]:
        return "method", "T1 mapping method"


@dataclass(frozen=True, eq=False)
class T1Result:
    """T1 map (s), equilibrium signal ``s0`` and a validity mask, shaped like the voxels."""

    t1_s: FloatArray
    s0: FloatArray
    ok: npt.NDArray[np.bool_]
    method: T1Method

    @property
    def r1_per_s(self) -> FloatArray:
        """``1/T1`` in /s."""
        with np.errstate(divide="ignore"):
            return np.asarray(1.0 / self.t1_s, dtype=np.float64)


def _profile(e: FloatArray, s: FloatArray, sin_a: FloatArray, cos_a: FloatArray) -> FloatArray:
    """``(f·s)²/(f·f)`` per voxel for ``f = sin α (1 − E)/(1 − cos α E)``; maximise over E."""
    f = sin_a * (1.0 - e[..., None]) / (1.0 - cos_a * e[..., None])
    fs = np.einsum("...k,...k->...", f, s)
    ff = np.einsum("...k,...k->...", f, f)
    return np.asarray(np.where(fs > 0, fs * fs / ff, -np.inf), dtype=np.float64)


def vfa_t1(
    signal: npt.ArrayLike,
    *,
    flip_angles_deg: npt.ArrayLike,
    tr_s: float,
    method: T1Method | str = T1Method.LINEAR,
    b1: npt.ArrayLike = 1.0,
) -> T1Result:
    """T1 from SPGR images at several flip angles.

    Parameters
    ----------
    signal
        Signals with the flip angle on the last axis, shape ``(..., n_angles)``.
    flip_angles_deg
        Nominal flip angles in degrees, shape ``(n_angles,)``; at least two distinct.
    tr_s
        Repetition time in seconds.
    method
        ``"linear"`` or ``"nonlinear"``.
    b1
        Ratio of actual to nominal flip angle (a scalar or a map of the leading shape).

    Returns
    -------
    T1Result
        ``ok`` is False where no physical T1 fits (then ``t1_s`` and ``s0`` are NaN).
    """
    how = T1Method.parse(method)
    s = np.asarray(signal, dtype=np.float64)
    fa = np.asarray(flip_angles_deg, dtype=np.float64)
    if fa.ndim != 1 or fa.size < 2 or np.unique(fa).size < 2:
        raise ParameterError(
            f"flip_angles_deg must list at least two distinct angles; got {fa.tolist()}"
        )
    if np.any(~np.isfinite(fa) | (fa <= 0) | (fa >= 90)):
        raise ParameterError(f"flip angles must be in (0, 90) degrees; got {fa.tolist()}")
    if s.ndim < 1 or s.shape[-1] != fa.size:
        raise ParameterError(
            f"signal must have the {fa.size} flip angles on its last axis; got shape {s.shape}"
        )
    if not (np.isfinite(tr_s) and tr_s > 0):
        raise ParameterError(f"tr_s={tr_s!r} must be a positive number of seconds")
    scale = np.asarray(b1, dtype=np.float64)[..., None]
    alpha = np.deg2rad(fa) * scale
    sin_a = np.broadcast_to(np.sin(alpha), s.shape)
    cos_a = np.broadcast_to(np.cos(alpha), s.shape)
    if how is T1Method.LINEAR:
        e, s0 = _linear(s, sin_a, cos_a)
    else:
        e, s0 = _nonlinear(s, sin_a, cos_a, float(tr_s))
    ok = np.isfinite(e) & (e > 0) & (e < 1) & np.isfinite(s0) & (s0 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(ok, -tr_s / np.log(np.where(ok, e, 0.5)), np.nan)
    return T1Result(
        t1_s=np.asarray(t1, dtype=np.float64),
        s0=np.asarray(np.where(ok, s0, np.nan), dtype=np.float64),
        ok=np.asarray(ok),
        method=how,
    )


def _linear(s: FloatArray, sin_a: FloatArray, cos_a: FloatArray) -> tuple[FloatArray, FloatArray]:
    y = s / sin_a
    x = s * cos_a / sin_a
    xm = x.mean(axis=-1, keepdims=True)
    ym = y.mean(axis=-1, keepdims=True)
    sxx = ((x - xm) ** 2).sum(axis=-1)
    sxy = ((x - xm) * (y - ym)).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = sxy / sxx
        intercept = ym[..., 0] - slope * xm[..., 0]
        s0 = intercept / (1.0 - slope)
    return np.asarray(slope, dtype=np.float64), np.asarray(s0, dtype=np.float64)


def _nonlinear(
    s: FloatArray, sin_a: FloatArray, cos_a: FloatArray, tr_s: float
) -> tuple[FloatArray, FloatArray]:
    lead = s.shape[:-1]
    t1_grid = np.geomspace(*_T1_RANGE_S, _GRID)
    e_grid = np.exp(-tr_s / t1_grid)  # increasing in T1
    values = np.stack([_profile(np.full(lead, e), s, sin_a, cos_a) for e in e_grid], axis=-1)
    best = np.argmax(values, axis=-1)
    lo = e_grid[np.maximum(best - 1, 0)]
    hi = e_grid[np.minimum(best + 1, _GRID - 1)]
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = lo.astype(np.float64), hi.astype(np.float64)
    c = b - ratio * (b - a)
    d = a + ratio * (b - a)
    fc = _profile(c, s, sin_a, cos_a)
    fd = _profile(d, s, sin_a, cos_a)
    for _ in range(_GOLDEN_STEPS):
        left = fc >= fd  # the maximum lies in [a, d]
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        x_new = np.where(left, b - ratio * (b - a), a + ratio * (b - a))
        f_new = _profile(x_new, s, sin_a, cos_a)
        c, d = np.where(left, x_new, d), np.where(left, c, x_new)
        fc, fd = np.where(left, f_new, fd), np.where(left, fc, f_new)
    e = (a + b) / 2.0
    f = sin_a * (1.0 - e[..., None]) / (1.0 - cos_a * e[..., None])
    with np.errstate(divide="ignore", invalid="ignore"):
        s0 = np.einsum("...k,...k->...", f, s) / np.einsum("...k,...k->...", f, f)
    no_fit = ~np.isfinite(values.max(axis=-1))
    e = np.where(no_fit, np.nan, e)
    return np.asarray(e, dtype=np.float64), np.asarray(s0, dtype=np.float64)
