"""Linear least-squares fits (Murase 2004) and the Patlak fit (internal).

Integrating the extended Tofts model gives an equation linear in three unknowns (Murase,
Magn Reson Med 2004;51:858–862, with the vp term of the extended model)::

    Ct(t) = (Ktrans + kep·vp)·∫Cp − kep·∫Ct + vp·Cp

so ``(Ktrans + kep·vp, kep, vp)`` follow from one linear least-squares problem per voxel
(``vp = 0`` for Tofts). The integrals are trapezoid sums. All voxels share ``∫Cp`` and ``Cp``,
so the normal equations need, per voxel, only a handful of dot products: most come from one
matrix product with shared vectors (``∫Ct·v = Ct·(Lᵀv)`` for the trapezoid matrix ``L``), and
``∫Ct·∫Ct`` from one running sum over time.

The residual sum of squares reported is that of the fitted model curve, not of the linearised
equation.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pseudoprog.perfusion._basis import (
    ConvolutionBasis,
    chebyshev_terms,
    evaluate,
    sorted_coefficients,
    unsort,
)
from pseudoprog.perfusion._chunk import ChunkResult, Projections
from pseudoprog.perfusion.models import exp_convolve
from pseudoprog.perfusion.result import FitFlag

FloatArray = npt.NDArray[np.float64]

__all__ = ["LinearSystem", "fit_linear", "fit_patlak_chunk", "model_rss"]


class LinearSystem:
    """Shared vectors of the linearised models for one time grid and AIF.

    With a convolution ``basis`` the rows of :attr:`projector` also give the reduced
    projections of every curve, from which the RSS of the fitted model follows exactly.
    """

    def __init__(self, t_s: FloatArray, cp: FloatArray, basis: ConvolutionBasis | None) -> None:
        t = t_s / 60.0
        steps = np.diff(t)
        self.steps = steps
        self.frames = t.size
        self.uniform = bool(np.allclose(steps, steps[0], rtol=1e-9, atol=0.0))
        self.icp = self.integrate(cp)
        self.cp = cp
        self.g11 = float(self.icp @ self.icp)
        self.g13 = float(self.icp @ cp)
        self.g33 = float(cp @ cp)
        #: Rows giving Σy, y·∫Cp, ∫y·∫Cp, ∫y·Cp, y·Cp and Σ_i S_i (S the running sum of y).
        shared = np.vstack(
            [
                np.ones(t.size),
                self.icp,
                self.integrate_adjoint(self.icp),
                self.integrate_adjoint(cp),
                cp,
                np.arange(t.size, 0, -1, dtype=np.float64),
            ]
        )
        self.basis = basis
        self.shared: FloatArray = np.ascontiguousarray(shared)
        self._shared32 = np.ascontiguousarray(shared, dtype=np.float32)
        basis_columns = np.empty((t.size, 0)) if basis is None else basis.U
        self._columns = (
            np.ascontiguousarray(basis_columns),
            np.ascontiguousarray(basis_columns, dtype=np.float32),
        )

    def rows_for(self, dtype: np.dtype[np.floating]) -> npt.NDArray[np.floating]:
        """The shared rows in the working precision of the data."""
        return self._shared32 if dtype == np.float32 else self.shared

    def reduced(self, yt: npt.NDArray[np.floating]) -> npt.NDArray[np.floating]:
        """``Uᵀ y`` of every column, ``(n, r)``, in the data's precision."""
        columns = self._columns[1] if yt.dtype == np.float32 else self._columns[0]
        return np.asarray(yt.T @ columns)

    def integrate(self, y: FloatArray) -> FloatArray:
        """Cumulative trapezoid integral ``I = L y`` (``I_0 = 0``), time in minutes."""
        out = np.zeros_like(y)
        out[1:] = np.cumsum(self.steps * (y[:-1] + y[1:]) / 2.0)
        return out

    def integrate_adjoint(self, v: FloatArray) -> FloatArray:
        """``Lᵀ v``, so that ``y · (Lᵀ v) = (L y) · v`` for any curve ``y``."""
        tail = np.cumsum(v[::-1])[::-1]  # tail[m] = Σ_{i ≥ m} v_i
        half = self.steps * tail[1:] / 2.0  # weight of step m (1-based) on its two ends
        out = np.zeros_like(v)
        out[:-1] += half
        out[1:] += half
        return out

    def integral_products(
        self, yt: npt.NDArray[np.floating], total: FloatArray, yy: FloatArray, running: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """``∫y·∫y`` and ``∫y·y`` for every column of ``yt`` (time first).

        ``total`` is ``Σ y`` and ``running`` is ``Σ_i S_i`` with ``S_i = y_0 + … + y_i``.
        For uniform sampling ``I_i = (h/2)(2 S_i − y_0 − y_i)``, so both follow from ``Σ S_i²``
        and sums already known: one running sum over time (three operations a frame).
        """
        n = yt.shape[1]
        first = np.asarray(yt[0], dtype=np.float64)
        if self.uniform:
            cum = np.zeros(n)
            square = np.zeros(n)
            scratch = np.empty(n)
            for i in range(self.frames):
                cum += yt[i]
                np.multiply(cum, cum, out=scratch)
                square += scratch
            half = self.steps[0] / 2.0
            s_y = 0.5 * (total * total + yy)  # Σ S_i y_i
            jj = (
                4.0 * square
                - 4.0 * (s_y + first * running)
                + self.frames * first * first
                + 2.0 * first * total
                + yy
            )
            return half * half * jj, half * total * (total - first)
        running_i = np.zeros(n)
        square = np.zeros(n)
        cross = np.zeros(n)
        scratch = np.empty(n)
        for i in range(1, self.frames):
            np.add(yt[i - 1], yt[i], out=scratch)
            scratch *= self.steps[i - 1] / 2.0
            running_i += scratch
            np.multiply(running_i, running_i, out=scratch)
            square += scratch
            np.multiply(running_i, yt[i], out=scratch)
            cross += scratch
        return square, cross


def model_rss(
    basis: ConvolutionBasis,
    z: npt.NDArray[np.floating],
    yy: FloatArray,
    p0: FloatArray,
    yt: npt.NDArray[np.floating],
    ktrans: FloatArray,
    kep: FloatArray,
    vp: FloatArray,
) -> FloatArray:
    """Residual sum of squares of ``vp·cp + Ktrans·(cp ⊗ exp(−kep t))`` for every voxel.

    With float32 projections ``z`` (float32 data) the RSS is good to about 1e-7 of ``y·y``.
    """
    n = ktrans.size
    rss = np.full(n, np.nan)
    finite = np.isfinite(ktrans) & np.isfinite(kep) & np.isfinite(vp)
    grid = basis.grid
    inside = finite & (kep >= grid.kep_min) & (kep <= grid.kep_max)
    idx = np.flatnonzero(inside)
    if idx.size:
        u = np.log(kep[idx])
        cell = np.clip(np.rint((u - grid.nodes[0]) / grid.step), 0, grid.size - 1)
        cell = cell.astype(np.intp)
        z_in = z if idx.size == n else np.take(z, idx, axis=0)
        coef, order = sorted_coefficients(basis.table_for(basis.b_table, z.dtype), z_in, cell)
        cell_sorted = np.take(cell, order)
        x_sorted = (np.take(u, order) - np.take(grid.nodes, cell_sorted)) / grid.step
        terms = chebyshev_terms(x_sorted)
        q_sorted = evaluate(coef, terms)
        g01_sorted = evaluate(np.take(basis.g01_table.T, cell_sorted, axis=1), terms)
        g11_sorted = evaluate(np.take(basis.g11_table.T, cell_sorted, axis=1), terms)
        stacked = unsort(np.stack([q_sorted, g01_sorted, g11_sorted], axis=1), order)
        q, g01, g11 = stacked[:, 0], stacked[:, 1], stacked[:, 2]
        kt, v = ktrans[idx], vp[idx]
        rss[idx] = (
            yy[idx]
            - 2.0 * (v * p0[idx] + kt * q)
            + v * v * basis.g00
            + 2.0 * v * kt * g01
            + kt * kt * g11
        )
    outside = np.flatnonzero(finite & ~inside)
    if outside.size:
        curves = vp[outside, None] * basis.cp + ktrans[outside, None] * exp_convolve(
            basis.t_s, basis.cp, kep[outside]
        )
        resid = np.asarray(yt[:, outside], dtype=np.float64).T - curves
        rss[outside] = np.einsum("nt,nt->n", resid, resid)
    return np.asarray(np.maximum(rss, 0.0), dtype=np.float64)


def fit_linear(system: LinearSystem, yt: npt.NDArray[np.floating], *, with_vp: bool) -> ChunkResult:
    """Murase linear fit of the Tofts (``with_vp=False``) or extended Tofts model."""
    basis = system.basis
    if basis is None:  # pragma: no cover - internal invariant
        raise RuntimeError("the linear Tofts fits need a convolution basis")
    n = yt.shape[1]
    out = ChunkResult.empty(n)
    z = system.reduced(yt)  # in the data's precision: only used for the RSS
    prods = np.asarray(system.rows_for(yt.dtype) @ yt, dtype=np.float64)
    total, b1, icp_iy, cp_iy, p0, running = prods
    yy = np.asarray(np.einsum("tn,tn->n", yt, yt), dtype=np.float64)
    iy_iy, y_iy = system.integral_products(yt, total, yy, running)
    g11, g13, g33 = system.g11, system.g13, system.g33
    g12 = -icp_iy
    g22 = iy_iy
    b2 = -y_iy
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if with_vp:
            g23 = -cp_iy
            b3 = p0
            c11 = g22 * g33 - g23 * g23
            c12 = g13 * g23 - g12 * g33
            c13 = g12 * g23 - g13 * g22
            c22 = g11 * g33 - g13 * g13
            c23 = g12 * g13 - g11 * g23
            c33 = g11 * g22 - g12 * g12
            det = g11 * c11 + g12 * c12 + g13 * c13
            a = (c11 * b1 + c12 * b2 + c13 * b3) / det
            kep = (c12 * b1 + c22 * b2 + c23 * b3) / det
            vp = (c13 * b1 + c23 * b2 + c33 * b3) / det
            ktrans = a - kep * vp
            scale = g11 * g22 * g33
        else:
            det = g11 * g22 - g12 * g12
            ktrans = (g22 * b1 - g12 * b2) / det
            kep = (g11 * b2 - g12 * b1) / det
            vp = np.zeros(n)
            scale = g11 * g22
        singular = ~(np.abs(det) > 1e-12 * np.abs(scale)) | ~np.isfinite(ktrans + kep + vp)
        ve = np.where(kep != 0, ktrans / np.where(kep != 0, kep, 1.0), np.nan)
    out.ktrans[:] = ktrans
    out.kep[:] = kep
    out.vp[:] = vp
    out.ve[:] = ve
    out.rss[:] = model_rss(basis, z, yy, p0, yt, ktrans, kep, vp)
    out.sstot[:] = np.maximum(yy - total * total / system.frames, 0.0)
    grid = basis.grid
    beyond = (kep < grid.kep_min) | (kep > grid.kep_max)
    out.flags[beyond] |= np.uint8(FitFlag.KEP_AT_BOUND)
    out.flags[kep <= 0] |= np.uint8(FitFlag.UNPHYSICAL)
    out.flags[singular] = np.uint8(FitFlag.FAILED)
    for name in ("ktrans", "ve", "vp", "kep", "rss"):
        getattr(out, name)[singular] = np.nan
    if not with_vp:
        out.vp[:] = np.nan
    return out


def fit_patlak_chunk(
    system: LinearSystem, yt: npt.NDArray[np.floating], *, nonnegative: bool
) -> ChunkResult:
    """Linear least-squares Patlak fit; with ``nonnegative`` the non-negative optimum."""
    n = yt.shape[1]
    out = ChunkResult.empty(n)
    total, b1, _, _, b3, _ = np.asarray(system.rows_for(yt.dtype) @ yt, dtype=np.float64)
    yy = np.asarray(np.einsum("tn,tn->n", yt, yt), dtype=np.float64)
    pr = Projections(
        z=np.empty((n, 0)),
        yy=yy,
        p0=b3,
        sstot=np.maximum(yy - total * total / yt.shape[0], 0.0),
        z_grid=np.empty((n, 0)),
    )
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
            rss = _patlak_rss(system, pr, b1, cand_kt, cand_vp)
            feasible = (cand_kt >= 0) & (cand_vp >= 0)
            better = feasible & (rss < best_rss)
            best_rss = np.where(better, rss, best_rss)
            best_kt = np.where(better, cand_kt, best_kt)
            best_vp = np.where(better, cand_vp, best_vp)
        kt, vp, rss = best_kt, best_vp, best_rss
    else:
        rss = _patlak_rss(system, pr, b1, kt, vp)
    out.ktrans[:] = kt
    out.vp[:] = vp
    out.rss[:] = np.maximum(rss, 0.0)
    out.sstot[:] = pr.sstot
    out.flags[kt == 0] |= np.uint8(FitFlag.NO_UPTAKE)
    return out


def _patlak_rss(
    system: LinearSystem, pr: Projections, b1: FloatArray, kt: FloatArray, vp: FloatArray
) -> FloatArray:
    return np.asarray(
        pr.yy
        - 2.0 * (kt * b1 + vp * pr.p0)
        + kt * kt * system.g11
        + 2.0 * kt * vp * system.g13
        + vp * vp * system.g33,
        dtype=np.float64,
    )
