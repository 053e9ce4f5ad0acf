"""Linear least-squares fits (Murase 2004) and the Patlak fit (internal).

Integrating the extended Tofts model gives an equation linear in three unknowns (Murase,
Magn Reson Med 2004;51:858–862, with the vp term of the extended model)::

    Ct(t) = (Ktrans + kep·vp)·∫Cp − kep·∫Ct + vp·Cp

so ``(Ktrans + kep·vp, kep, vp)`` follow from one linear least-squares problem per voxel
(``vp = 0`` for Tofts). The integrals are trapezoid sums. All voxels share ``∫Cp`` and ``Cp``,
so the normal equations need, per voxel, eight sums over time.

The residual sum of squares reported is that of the fitted model curve, not of the linearised
equation: each voxel's AIF is convolved with its own ``exp(−kep·t)``. Sums, solve and residual
run in one compiled loop per block of voxels (:mod:`pseudoprog.perfusion._kernels`).

The functions take the data time-major, ``(T, N)``, and the columns ``start:stop`` to fit, so
that a chunk of a large array is read in place.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pseudoprog.perfusion._chunk import ChunkResult
from pseudoprog.perfusion.result import FitFlag

FloatArray = npt.NDArray[np.float64]

__all__ = ["LinearSystem", "fit_linear", "fit_patlak_chunk"]


class LinearSystem:
    """Shared vectors of the linearised models for one time grid and AIF.

    Parameters
    ----------
    t_s
        Frame times in seconds.
    cp
        Plasma AIF (mM) at those times.
    kep_range
        ``(kep_min, kep_max)`` in /min; fitted values outside are flagged ``KEP_AT_BOUND``.
    """

    def __init__(self, t_s: FloatArray, cp: FloatArray, kep_range: tuple[float, float]) -> None:
        t = t_s / 60.0
        steps = np.ascontiguousarray(np.diff(t))
        self.steps = steps
        self.frames = t.size
        self.uniform = bool(np.allclose(steps, steps[0], rtol=1e-9, atol=0.0))
        self.cp = np.ascontiguousarray(cp, dtype=np.float64)
        self.icp = self.integrate(self.cp)
        self.g11 = float(self.icp @ self.icp)
        self.g13 = float(self.icp @ self.cp)
        self.g33 = float(self.cp @ self.cp)
        self.kep_range = kep_range

    def integrate(self, y: FloatArray) -> FloatArray:
        """Cumulative trapezoid integral ``I`` (``I_0 = 0``), time in minutes."""
        out = np.zeros_like(y)
        out[1:] = np.cumsum(self.steps * (y[:-1] + y[1:]) / 2.0)
        return out

    def sums(self, yt: npt.NDArray[np.floating], start: int, stop: int) -> FloatArray:
        """The eight per-voxel sums of :data:`pseudoprog.perfusion._kernels.SUM_ROWS`."""
        from pseudoprog.perfusion._kernels import murase_sums  # numba: imported when used

        return np.asarray(murase_sums(yt, start, stop, self.cp, self.icp, self.steps))


def fit_linear(
    system: LinearSystem,
    yt: npt.NDArray[np.floating],
    start: int,
    stop: int,
    *,
    with_vp: bool,
) -> ChunkResult:
    """Murase linear fit of the Tofts (``with_vp=False``) or extended Tofts model."""
    from pseudoprog.perfusion._kernels import murase_fit  # numba: imported when used

    kep_min, kep_max = system.kep_range
    return ChunkResult(
        *murase_fit(
            yt,
            start,
            stop,
            system.cp,
            system.icp,
            system.steps,
            system.uniform,
            with_vp,
            kep_min,
            kep_max,
            int(FitFlag.FAILED),
            int(FitFlag.KEP_AT_BOUND),
            int(FitFlag.UNPHYSICAL),
        )
    )


def fit_patlak_chunk(
    system: LinearSystem,
    yt: npt.NDArray[np.floating],
    start: int,
    stop: int,
    *,
    nonnegative: bool,
) -> ChunkResult:
    """Linear least-squares Patlak fit; with ``nonnegative`` the non-negative optimum."""
    n = stop - start
    out = ChunkResult.empty(n)
    yy, total, b1, b3 = system.sums(yt, start, stop)[:4]
    sstot = np.maximum(yy - total * total / system.frames, 0.0)
    g11, g13, g33 = system.g11, system.g13, system.g33
    det = g11 * g33 - g13 * g13
    kt = (g33 * b1 - g13 * b3) / det
    vp = (g11 * b3 - g13 * b1) / det
    if nonnegative:
        candidates = [
            (kt, vp),
            (np.maximum(b1, 0.0) / g11, np.zeros(n)),
            (np.zeros(n), np.maximum(b3, 0.0) / g33),
        ]
        best_rss = np.full(n, np.inf)
        best_kt = np.zeros(n)
        best_vp = np.zeros(n)
        for cand_kt, cand_vp in candidates:
            rss = _patlak_rss(system, yy, b1, b3, cand_kt, cand_vp)
            feasible = (cand_kt >= 0) & (cand_vp >= 0)
            better = feasible & (rss < best_rss)
            best_rss = np.where(better, rss, best_rss)
            best_kt = np.where(better, cand_kt, best_kt)
            best_vp = np.where(better, cand_vp, best_vp)
        kt, vp, rss = best_kt, best_vp, best_rss
    else:
        rss = _patlak_rss(system, yy, b1, b3, kt, vp)
    out.ktrans[:] = kt
    out.vp[:] = vp
    out.rss[:] = np.maximum(rss, 0.0)
    out.sstot[:] = sstot
    out.flags[kt == 0] |= np.uint8(FitFlag.NO_UPTAKE)
    return out


def _patlak_rss(
    system: LinearSystem,
    yy: FloatArray,
    b1: FloatArray,
    b3: FloatArray,
    kt: FloatArray,
    vp: FloatArray,
) -> FloatArray:
    """RSS of ``Ktrans·∫Cp + vp·Cp`` from the sums (exact: the model is linear)."""
    return np.asarray(
        yy
        - 2.0 * (kt * b1 + vp * b3)
        + kt * kt * system.g11
        + 2.0 * kt * vp * system.g13
        + vp * vp * system.g33,
        dtype=np.float64,
    )
