"""Exact least-squares fits of the Tofts and extended Tofts models (internal).

For a fixed kep the models are linear in ``(Ktrans, vp)``, so the residual sum of squares can
be minimised over them in closed form and only kep remains (a "variable projection"). With
``e(u)`` the unit vector of the convolution basis orthogonalised against ``cp`` and ``f(u)`` the
unit vector of the basis itself (``u = ln kep``):

* extended Tofts with ``vp`` free: ``RSS(u) = y·y − (y·cp)²/(cp·cp) − (y·e(u))²`` for
  ``y·e(u) > 0``;
* Tofts, or extended Tofts on the face ``vp = 0``: ``RSS(u) = y·y − (y·f(u))²`` for ``y·f(u) > 0``;
* ``Ktrans = 0``: ``RSS = y·y − max(y·cp, 0)²/(cp·cp)``.

The non-negative least-squares optimum is the best of these candidates that is feasible. The
search evaluates ``y·e`` and ``y·f`` on the kep grid with one matrix product, then maximises the
Chebyshev interpolant around the best node (see :mod:`._basis`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from pseudoprog.perfusion._basis import (
    ConvolutionBasis,
    evaluate,
    maximize_local,
    pick,
    sorted_coefficients,
    unsort,
)
from pseudoprog.perfusion._chunk import ChunkResult, Projections
from pseudoprog.perfusion.result import FitFlag

#: A projection below this fraction of ``|y|`` is round-off: no uptake (Ktrans = 0).
_ZERO = 1e-9

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


def project(basis: ConvolutionBasis, yt: npt.NDArray[np.floating]) -> Projections:
    """Project a chunk of curves ``yt`` (shape ``(T, n)``, time first) on the basis."""
    proj = basis.projector_for(yt.dtype) @ yt
    proj64 = np.ascontiguousarray(proj.T, dtype=np.float64)  # (n, r + 1)
    z = proj64[:, :-1]
    total = proj64[:, -1]
    yy = np.asarray(np.einsum("tn,tn->n", yt, yt), dtype=np.float64)
    p0 = z @ basis.cp_r
    sstot = np.maximum(yy - total * total / basis.frames, 0.0)
    z_grid = z if yt.dtype == np.float64 else np.asarray(proj.T[:, :-1])
    return Projections(z=z, yy=yy, p0=p0, sstot=sstot, z_grid=z_grid)


def _range_ends(basis: ConvolutionBasis, cell: IntArray) -> tuple[FloatArray, FloatArray]:
    last = basis.grid.size - 1
    lower = np.where(cell == 0, 0.0, -1.0)
    upper = np.where(cell == last, 0.0, 1.0)
    return lower, upper


def _refine(
    basis: ConvolutionBasis,
    table: FloatArray,
    shared: tuple[FloatArray, ...],
    z: FloatArray,
    cell: IntArray,
) -> tuple[FloatArray, FloatArray, tuple[FloatArray, ...]]:
    """Maximise ``y·g(u)`` near ``cell`` for the unit-vector family ``g`` of ``table``.

    Returns ``u`` and the maximum, and the shared functions of the ``(K, D+1)`` tables in
    ``shared`` evaluated at the optimum, all in the order of the input voxels.
    """
    coef, order = sorted_coefficients(table, z, cell)
    cell_sorted = np.take(cell, order)
    lower, upper = _range_ends(basis, cell_sorted)
    x, best, terms = maximize_local(coef, lower, upper)
    values = [evaluate(np.take(t.T, cell_sorted, axis=1), terms) for t in shared]
    u = np.take(basis.grid.nodes, cell_sorted) + basis.grid.step * x
    stacked = unsort(np.stack([u, best, *values], axis=1), order)
    return stacked[:, 0], stacked[:, 1], tuple(stacked[:, 2 + k] for k in range(len(shared)))


def _vp_zero_face(basis: ConvolutionBasis, pr: Projections, cols: IntArray) -> ChunkResult:
    """Best fit with ``vp = 0`` (the Tofts model) for the voxels ``cols``."""
    n = cols.size
    out = ChunkResult.empty(n)
    z = np.take(pr.z, cols, axis=0)
    yy = pr.yy[cols]
    z_grid = np.take(pr.z_grid, cols, axis=0)
    f_grid = z_grid @ basis.nodes_for(z_grid.dtype)[1].T
    cell = np.argmax(f_grid, axis=1)
    fmax = pick(f_grid, cell)
    uptake = fmax > _ZERO * np.sqrt(yy)
    out.vp[:] = 0.0
    out.ktrans[:] = 0.0
    out.rss[:] = yy
    out.flags[:] = FitFlag.NO_UPTAKE
    idx = np.flatnonzero(uptake)
    if idx.size:
        z_idx = np.take(z, idx, axis=0)
        u, best, (nb,) = _refine(basis, basis.f_table, (basis.nb_table,), z_idx, cell[idx])
        kep = np.exp(u)
        out.kep[idx] = kep
        out.ktrans[idx] = best / nb
        out.ve[idx] = out.ktrans[idx] / kep
        out.rss[idx] = yy[idx] - best * best
        out.flags[idx] = FitFlag.NONE
    return out


def _no_uptake(basis: ConvolutionBasis, pr: Projections, cols: IntArray) -> ChunkResult:
    """Best fit with ``Ktrans = 0`` and ``vp ≥ 0`` for the voxels ``cols``."""
    out = ChunkResult.empty(cols.size)
    p0 = np.maximum(pr.p0[cols], 0.0)
    out.ktrans[:] = 0.0
    out.vp[:] = p0 / basis.g00
    out.rss[:] = pr.yy[cols] - p0 * p0 / basis.g00
    out.flags[:] = FitFlag.NO_UPTAKE
    return out


def _interior(
    basis: ConvolutionBasis, pr: Projections, cols: IntArray, feasible_only: bool
) -> ChunkResult:
    """Best fit with ``vp`` free and ``Ktrans > 0``; NaN RSS where none is feasible.

    With ``feasible_only`` the grid search only considers nodes with ``vp ≥ 0`` and a refined
    optimum with ``vp < 0`` falls back to its (feasible) node.
    """
    n = cols.size
    out = ChunkResult.empty(n)
    everything = cols.size == pr.yy.size
    z = pr.z if everything else np.take(pr.z, cols, axis=0)
    p0 = pr.p0 if everything else pr.p0[cols]
    yy = pr.yy if everything else pr.yy[cols]
    base = yy - p0 * p0 / basis.g00
    z_grid = pr.z_grid if everything else np.take(pr.z_grid, cols, axis=0)
    s_grid = z_grid @ basis.nodes_for(z_grid.dtype)[0].T  # (n, K), in the data's precision
    if feasible_only:
        slope = basis.g01_nodes / np.where(basis.ne_nodes > 0, basis.ne_nodes, 1.0)
        infeasible = s_grid * slope[None, :] > p0[:, None]  # vp < 0 at the node
        s_grid[infeasible] = -np.inf
    cell = np.argmax(s_grid, axis=1)
    smax = pick(s_grid, cell)
    idx = np.flatnonzero(smax > _ZERO * np.sqrt(yy))
    if idx.size == 0:
        return out
    c = cell[idx]
    z_idx = np.take(z, idx, axis=0)
    u, best, (ne, g01) = _refine(basis, basis.e_table, (basis.ne_table, basis.g01_table), z_idx, c)
    kt = best / ne
    vp = (p0[idx] - kt * g01) / basis.g00
    if feasible_only:
        bad = vp < 0
        if np.any(bad):  # fall back to the feasible node
            rows = np.take(z_idx, np.flatnonzero(bad), axis=0)
            s_node = np.einsum("nr,nr->n", rows, np.take(basis.e_nodes_r, c[bad], axis=0))
            kt_node = s_node / basis.ne_nodes[c[bad]]
            u[bad] = basis.grid.nodes[c[bad]]
            best[bad] = s_node
            kt[bad] = kt_node
            vp[bad] = (p0[idx][bad] - kt_node * basis.g01_nodes[c[bad]]) / basis.g00
    kep = np.exp(u)
    out.kep[idx] = kep
    out.ktrans[idx] = kt
    out.vp[idx] = vp
    out.ve[idx] = kt / kep
    out.rss[idx] = base[idx] - best * best
    out.flags[idx] = FitFlag.NONE
    return out


def _best_of(candidates: list[ChunkResult]) -> ChunkResult:
    best = candidates[0]
    for other in candidates[1:]:
        better = np.isfinite(other.rss) & ~(best.rss <= other.rss)
        best.take(other, better)
    return best


def fit_tofts_exact(basis: ConvolutionBasis, pr: Projections) -> ChunkResult:
    """Non-negative least-squares Tofts fit of every voxel of ``pr``."""
    cols = np.arange(pr.yy.size)
    out = _best_of([_vp_zero_face(basis, pr, cols)])
    out.vp[:] = np.nan
    out.sstot[:] = pr.sstot
    return _finish(basis, out)


def fit_extended_tofts_exact(basis: ConvolutionBasis, pr: Projections) -> ChunkResult:
    """Non-negative least-squares extended Tofts fit of every voxel of ``pr``."""
    n = pr.yy.size
    cols = np.arange(n)
    out = _interior(basis, pr, cols, feasible_only=False)
    # Voxels with no uptake at all (y·e ≤ 0 everywhere) or vp < 0: search the feasible set.
    hard = ~np.isfinite(out.rss) | (out.vp < 0)
    hard_cols = np.flatnonzero(hard)
    if hard_cols.size:
        candidates = [
            _no_uptake(basis, pr, hard_cols),
            _vp_zero_face(basis, pr, hard_cols),
            _interior(basis, pr, hard_cols, feasible_only=True),
        ]
        sub = _best_of(candidates)
        for name in ("ktrans", "ve", "vp", "kep", "rss", "flags"):
            getattr(out, name)[hard_cols] = getattr(sub, name)
    out.sstot[:] = pr.sstot
    return _finish(basis, out)


def _finish(basis: ConvolutionBasis, out: ChunkResult) -> ChunkResult:
    """Clip round-off, flag kep at the ends of the search range."""
    np.maximum(out.rss, 0.0, out=out.rss)
    u = np.log(np.where(np.isfinite(out.kep) & (out.kep > 0), out.kep, 1.0))
    nodes = basis.grid.nodes
    at_end = np.isfinite(out.kep) & ((np.abs(u - nodes[0]) < 1e-9) | (np.abs(u - nodes[-1]) < 1e-9))
    out.flags[at_end] |= np.uint8(FitFlag.KEP_AT_BOUND)
    return out
